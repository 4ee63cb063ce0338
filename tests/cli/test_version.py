"""`openpbr --version` names the installed package version and exits 0, before any command runs."""

from __future__ import annotations

import re

from openpbr.cli import package_version
from tests.cli.helpers import run_main


def test_version_prints_the_package_version():
    res = run_main("--version")
    assert res.code == 0 and res.err == ""
    assert res.out.strip() == f"openpbr {package_version()}"
    assert re.fullmatch(r"openpbr \d+\.\d+\.\d+\S*", res.out.strip())


def test_version_wins_over_a_command():
    res = run_main("--version", "pay", "settle", "--month", "03/2024")
    assert res.code == 0 and res.out.startswith("openpbr ")
