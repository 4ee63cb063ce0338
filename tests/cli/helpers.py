"""Run the real `openpbr` entry point in-process (patched argv, captured output) or in a subprocess."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import typing
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from openpbr import cli

DOCUMENTED_EXITS = {0, 1, 2, 3, 4, 5}


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("error:")]


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def run_main(*args: str) -> Outcome:
    """``openpbr ARGS`` through :func:`openpbr.cli.main`, in this process."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = ["openpbr", *args]
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                cli.main()
                code = 0
            except SystemExit as exc:
                code = _exit_code(exc)
    finally:
        sys.argv = saved
    return Outcome(code, out.getvalue(), err.getvalue())


def run_process(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Outcome:
    """``openpbr ARGS`` in a fresh Python process (the installed console script when there is one)."""
    script = Path(sys.executable).parent / "openpbr"
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "from openpbr.cli import main; main()"]
    proc = subprocess.run(
        [*cmd, *args], cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=120
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def assert_clean(res: Outcome, args: typing.Sequence[str], expect: typing.Collection[int] | None = None) -> None:
    """No traceback, a documented exit code, and an error told in exactly one line."""
    shown = f"openpbr {' '.join(args)} -> exit {res.code}\nstdout: {res.out[-800:]}\nstderr: {res.err[-800:]}"
    assert "Traceback" not in res.text, shown
    assert res.code in DOCUMENTED_EXITS, shown
    if expect is not None:
        assert res.code in expect, shown
    if res.code >= 2:
        assert len(res.error_lines) == 1, shown
        assert res.err.rstrip("\n").splitlines()[-1].startswith("error:"), shown
