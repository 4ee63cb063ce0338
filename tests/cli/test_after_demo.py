"""One default database for every command: the commands the demo prints work on the demo's database."""

from __future__ import annotations

import re

import pytest

from tests.cli.helpers import assert_clean, run_main


@pytest.mark.slow
def test_demo_prints_how_to_carry_on_and_every_command_then_finds_the_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENPBR_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    demo = run_main("demo", "--out", str(tmp_path / "demo"), "--people", "300")
    assert demo.code == 0, demo.text[-2000:]
    export = re.search(r"^\s*export OPENPBR_DATABASE_URL=(\S+)$", demo.out, re.M)
    follow = re.search(r"^\s*openpbr (records worklist --as-of 2024-03-31)$", demo.out, re.M)
    assert export and follow, demo.out[-1000:]
    assert export.group(1) == f"sqlite:///{(tmp_path / 'demo' / 'openpbr-demo.sqlite').resolve()}"

    monkeypatch.setenv("OPENPBR_DATABASE_URL", export.group(1))
    for args in (
        follow.group(1).split(),
        ["records", "verify"],
        ["records", "month", "2024-03", "--report", str(tmp_path / "month.md")],
        ["outcomes", "indicators", "--from", "2024-03", "--to", "2024-03", "--out", str(tmp_path / "ind.csv")],
        ["pay", "runs"],
    ):
        res = run_main(*args)
        assert_clean(res, args, {0})
    assert not (tmp_path / "openpbr.sqlite").exists(), "no command fell back to another database file"
