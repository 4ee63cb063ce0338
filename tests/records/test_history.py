"""A trust's confirmed history flows from the records database into local calibration."""

from __future__ import annotations

import csv
from datetime import date

from typer.testing import CliRunner

from openpbr.cli import app
from openpbr.clustering import ITEM_CODES, load_profiles
from openpbr.records.history import confirmed_history


def test_history_has_one_row_per_allocation_with_the_chosen_cluster(trust):
    table = confirmed_history(trust, date(2021, 4, 1), date(2023, 3, 31))
    assert table.num_rows > 0
    assert table.column_names[:19] == ["assessment_id", *ITEM_CODES]
    rows = table.to_pylist()
    assert all(r["cluster"] for r in rows)
    # a chosen cluster that differs from the suggestion is always a recorded override
    assert all(r["overridden"] for r in rows if r["cluster"] != r["suggested_cluster"])


def test_history_export_feeds_calibrate(trust, db_url, tmp_path):
    runner = CliRunner()
    hist = tmp_path / "history.csv"
    r = runner.invoke(app, ["records", "history", "--from", "2021-04-01", "--to", "2023-03-31", "--out", str(hist), "--db", db_url])
    assert r.exit_code == 0, r.output
    assert {row["cluster"] for row in csv.DictReader(hist.open())}
    prof = tmp_path / "local.yaml"
    r = runner.invoke(app, ["calibrate", "--in", str(hist), "--out", str(prof), "--method", "frequency", "--holdout", "0", "--as-of", "2023-04-01"])
    assert r.exit_code == 0, r.output
    assert load_profiles(prof).spec.method == "calibrated"
