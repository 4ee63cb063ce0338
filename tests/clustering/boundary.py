"""Run the `openpbr` command through its real error boundary (``openpbr.cli.main``), in process."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from dataclasses import dataclass


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_main(*args: str) -> Outcome:
    from openpbr.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_argv, saved_env = sys.argv, dict(os.environ)
    sys.argv = ["openpbr", *map(str, args)]
    os.environ.update(COLUMNS="200", NO_COLOR="1", TERM="dumb")
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
    return Outcome(code, out.getvalue(), err.getvalue())


def assert_one_line_error(result: Outcome, exit_code: int, *fragments: str) -> str:
    """The command failed with ``exit_code``, printed no traceback, and said what is wrong in one line."""
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, result.output
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]
