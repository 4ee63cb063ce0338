"""`openpbr pay` answers bad arguments and files with one line and a documented exit code, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from openpbr.cli import app, main

FAST = ["--demo-people", "40"]


def _main(monkeypatch, capsys, args):
    """Run the real entry point (the one error boundary) in-process."""
    monkeypatch.setattr(sys, "argv", ["openpbr", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    out = capsys.readouterr()
    return exc.value.code, out.out + out.err


# (arguments, exit code, a phrase of the message); tmp paths are filled in below
CASES = [
    (["pay", "settle", "--month", "03/2024"], 2, "YYYY-MM"),
    (["pay", "settle", "--month", "2024-13"], 2, "YYYY-MM"),
    (["pay", "settle", "--start", "2024-05-01", "--end", "2024-04-01"], 2, "reversed"),
    (["pay", "settle", "--start", "01/05/2024", "--end", "2024-06-01"], 2, "DD/MM"),
    (["pay", "settle", "--month", "2024-05", "--start", "2024-05-01"], 2, "not both"),
    (["pay", "settle", "--month", "2024-05", "--mode", "real"], 2, "unknown mode 'real'"),
    (["pay", "settle", "--month", "2024-05", "--contracts", "{tmp}/none"], 2, "not found"),
    (["pay", "settle", "--month", "2024-05", "--activity", "{tmp}/none"], 2, "not found"),
    (["pay", "settle", "--month", "2024-05", "--indicators", "{tmp}/none.csv", *FAST], 2, "not found"),
    (["pay", "settle", "--month", "2024-05", "--contract", "NOPE", *FAST], 2, "known contracts: DEMO-"),
    (["pay", "settle", "--month", "2024-05", "--db", "sqlite:///{tmp}/missing.sqlite"], 4, "no database"),
    (["pay", "prices", "no_such_schedule"], 2, "no_such_schedule"),
    (["pay", "prices", "--on", "01/04/2024"], 2, "DD/MM"),
    (["pay", "runs", "--db", "sqlite:///{tmp}/missing.sqlite"], 4, "no database"),
    (["pay", "show", "nokey", "--db", "sqlite:///{tmp}/missing.sqlite"], 4, "no database"),
    (["pay", "reconcile", "--start", "2024-04-01", "--end", "2024-03-01"], 2, "reversed"),
    (["pay", "reconcile", "--start", "2024-04-01", "--end", "2024-06-01", "--runs-db",
      "sqlite:///{tmp}/missing.sqlite"], 4, "no database"),
    (["pay", "whatif", "--start", "2025-04-01", "--end", "2024-04-01"], 2, "reversed"),
    (["pay", "whatif", "--new-prices", "nope", *FAST, "--out", "{tmp}/w"], 2, "'nope'"),
    (["pay", "contracts", "{tmp}/none"], 2, "not found"),
]


@pytest.mark.parametrize("args, code, phrase", CASES, ids=[" ".join(c[0][:3]) + f" {i}" for i, c in enumerate(CASES)])
def test_bad_arguments_give_one_line(monkeypatch, capsys, tmp_path, args, code, phrase):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    got, output = _main(monkeypatch, capsys, args)
    assert "Traceback" not in output
    assert got == code, output
    assert phrase in " ".join(output.split()), output
    assert not (tmp_path / "missing.sqlite").exists(), "a read never creates a database file"


def test_cli_runner_reports_usage_errors_without_exceptions():
    r = CliRunner().invoke(app, ["pay", "settle", "--month", "03/2024"])
    assert r.exit_code == 2, r.output
    assert "YYYY-MM" in " ".join(r.output.split()) and "Traceback" not in r.output


def test_subprocess_entry_point(tmp_path):
    code = "import sys; from openpbr.cli import main; sys.argv = ['openpbr'] + sys.argv[1:]; main()"
    for args, expected in ((["pay", "settle", "--month", "03/2024"], 2),
                           (["pay", "prices", "no_such_schedule"], 2)):
        p = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=tmp_path)
        assert p.returncode == expected, p.stderr
        assert "Traceback" not in p.stdout + p.stderr
        assert p.stderr.strip(), "one clear line on stderr"


def test_contracts_not_matching_the_data_exit_1(monkeypatch, capsys, tmp_path):
    # demo contracts run April 2024 to March 2025: March 2024 is outside every one of them
    got, output = _main(monkeypatch, capsys, ["pay", "settle", "--month", "2024-03", *FAST])
    assert got == 1 and "CONTRACT_NOT_IN_FORCE" in output and "Traceback" not in output
