"""Local calibration: recovering known profiles from noisy, correlated synthetic history."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import typer
from scipy.optimize import approx_fprime
from typer.testing import CliRunner

from openpbr.clustering import synthetic as syn
from tests.clustering.boundary import assert_one_line_error, run_main
from openpbr.clustering.calibrate import CalibrationOptions, calibrate, suggestions
from openpbr.clustering.calibrate_cli import calibrate_command
from openpbr.clustering.calibrate_io import AllocationHistory, read_history
from openpbr.clustering.calibrate_learn import frequency_scores, narrowest_range, profile_objective, rating_counts
from openpbr.clustering.calibrate_report import Agreement
from openpbr.clustering.engine import score
from openpbr.clustering.profiles import load_profiles, parse_profile_set
from openpbr.clustering.ratings import ITEM_CODES, NOT_KNOWN, SCORED_CLUSTERS

AS_OF = date(2025, 4, 1)
TRAIN_ROWS, TEST_ROWS = 5000, 6000
ORACLE_SHARE = 0.9  # the learned profile must reach this share of the best achievable accuracy


def history_of(h: syn.History) -> AllocationHistory:
    n = len(h.recorded_cluster)
    return AllocationHistory(h.ratings, h.recorded_cluster.astype(np.int16), np.full(n, -1, np.int8), np.arange(n) + 2, rows_read=n)


@pytest.fixture(scope="module")
def base():
    return load_profiles()


@pytest.fixture(scope="module")
def model(base):
    # default synthetic model: shared severity (loading 0.6) and 10% label noise within the super class
    return syn.model_from_profiles(base, loading=0.6, label_noise=0.1)


@pytest.fixture(scope="module")
def train(model):
    return syn.sample(model, TRAIN_ROWS, seed=11)


@pytest.fixture(scope="module")
def test_sample(model):
    return syn.sample(model, TEST_ROWS, seed=12)


@pytest.fixture(scope="module")
def calibrated(train, base):
    return {
        m: calibrate(history_of(train), base, CalibrationOptions(method=m, holdout=0, as_of=AS_OF))
        for m in ("discriminative", "frequency")
    }


def test_recovers_generating_profiles(calibrated, model):
    profiles = calibrated["discriminative"].profiles
    support = profiles.band_score[:, :, :5]  # [K, I, rating]
    best = support.argmax(axis=2)
    close = np.abs(best - model.mu) <= 1
    assert close.mean() >= 0.95, f"most-supported rating within 1 of the centre for only {close.mean():.1%}"
    reds = 0
    for k, c in enumerate(SCORED_CLUSTERS):
        for i, code in enumerate(ITEM_CODES):
            red = profiles.red_range(c, code)
            if red is not None:
                reds += 1
                assert min(red) <= model.mu[k, i] <= max(red), (c, code, sorted(red), model.mu[k, i])
    assert reds >= 10  # red ranges are learned where informative, not everywhere
    assert reds <= 2 * len(SCORED_CLUSTERS)


def test_correlation_aware_method_beats_frequency_and_nears_oracle(calibrated, model, test_sample):
    held_out = history_of(test_sample)
    accuracy = {}
    for m, cal in calibrated.items():
        top, _, _ = suggestions(cal.profiles, held_out)
        accuracy[m] = float((top == test_sample.recorded_cluster).mean())
    oracle = syn.oracle_accuracy(model, test_sample)["vs_recorded"]
    assert accuracy["discriminative"] >= accuracy["frequency"]
    assert accuracy["discriminative"] >= ORACLE_SHARE * oracle, (accuracy, oracle)


def test_written_file_round_trips_through_loader_and_engine(calibrated, train, tmp_path):
    cal = calibrated["discriminative"]
    path = tmp_path / "local.yaml"
    path.write_text(cal.text, encoding="utf-8")
    loaded = load_profiles(path)
    spec = loaded.spec
    assert spec.method == "calibrated" and spec.evidence.value == "L" and not loaded.provisional
    assert spec.version.startswith("2025.04.01-") and spec.calibration["history_sha256"].startswith(spec.version[-10:])
    assert spec.calibration["rows_used"] == TRAIN_ROWS and spec.calibration["method"] == "discriminative"
    assert spec.context_rules == load_profiles().spec.context_rules
    s = score(train.ratings, loaded)
    assert np.array_equal(s.top[:, 0], score(train.ratings, cal.profiles).top[:, 0])
    # the tuned threshold leaves about the configured share of history at 00
    assert abs(cal.agreement.variance_share - 0.02) < 0.006


def test_a_nine_never_raises_a_fit(calibrated, train):
    profiles = calibrated["discriminative"].profiles
    x = train.ratings[:500].copy()
    before = score(x, profiles, full_fit=True).fit
    rng = np.random.default_rng(3)
    x[np.arange(500), rng.integers(0, len(ITEM_CODES), 500)] = NOT_KNOWN
    after = score(x, profiles, full_fit=True).fit
    assert (after <= before + 1e-12).all()


def test_gradient_matches_finite_differences(base):
    h = syn.sample(syn.model_from_profiles(base), 300, seed=5)
    start = frequency_scores(rating_counts(h.ratings, h.recorded_cluster, 20), 5.0)
    f, theta0, _ = profile_objective(h.ratings, h.recorded_cluster, start, np.array(base.super_classes), l2_weights=0.01, l2_scores=0.01, label_smoothing=0.1)
    theta = theta0 + np.random.default_rng(0).normal(0, 0.3, theta0.shape)
    analytic = f(theta)[1]
    numeric = approx_fprime(theta, lambda t: f(t)[0], 1e-6)
    assert np.allclose(analytic, numeric, atol=1e-5)


def test_narrowest_range():
    assert narrowest_range(np.array([0, 10, 80, 10, 0.0]), 0.975) == (1, 3)
    assert narrowest_range(np.array([0, 0, 100, 1, 0.0]), 0.975) == (2, 2)
    assert narrowest_range(np.array([50, 0, 0, 0, 50.0]), 0.975) == (0, 4)


def test_agreement_figures():
    clinician = np.array([0, 0, 1, 1])
    a = Agreement.of(clinician, np.array([0, 0, 1, 0]))
    assert a.agreement == 0.75 and a.kappa == pytest.approx(0.5)
    assert a.per_cluster()[0]["precision"] == pytest.approx(2 / 3, abs=1e-4) and a.per_cluster()[1]["recall"] == 0.5
    assert a.disagreements()[0] == {"clinician": "02", "suggested": "01", "rows": 1, "share_of_clinician_cluster": 0.5}


# --- command line ---------------------------------------------------------------


def cli():
    app = typer.Typer()
    app.command("calibrate")(calibrate_command)
    app.command("noop")(lambda: None)  # a second command keeps "calibrate" as a subcommand
    return app


@pytest.fixture(scope="module")
def history_csv(tmp_path_factory, base):
    model = syn.model_from_profiles(base, loading=0.6, label_noise=0.1)
    path = tmp_path_factory.mktemp("hist") / "history.csv"
    syn.write_assessments_csv(path, syn.sample(model, 1500, seed=21), model, with_cluster=True)
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    col = {name.strip('"'): i for i, name in enumerate(header)}

    def broken(line: str, field: str, value: str) -> str:
        cells = line.split(",")
        cells[col[field]] = value
        return ",".join(cells)

    # lines 2..: break a few rows in known ways
    lines[1] = broken(lines[1], "item_03", "7")
    lines[2] = broken(lines[2], "cluster", "")
    lines[3] = broken(lines[3], "cluster", '"00"')
    lines[4] = broken(lines[4], "cluster", '"09"')
    lines[5] = broken(lines[5], "cluster", '"x1"')
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_writes_identical_files_for_identical_input(history_csv, tmp_path):
    runner = CliRunner()
    outs = []
    for run in ("a", "b"):
        out = tmp_path / f"{run}.yaml"
        args = ["calibrate", "--in", str(history_csv), "--out", str(out), "--as-of", "2025-04-01", "--holdout", "0.2", "--report", str(tmp_path / f"report_{run}")]
        result = runner.invoke(cli(), args)
        assert result.exit_code == 0, result.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    meta = parse_profile_set(outs[0].decode()).spec.calibration
    assert meta["rows_read"] == 1500 and meta["rows_used"] == 1495
    assert meta["skipped_by_code"] == {"INVALID_CLUSTER": 1, "INVALID_RATING": 1, "MISSING_CLUSTER": 1, "UNUSED_CLUSTER": 1, "VARIANCE_CLUSTER": 1}
    assert meta["skipped_examples"][0].startswith("line 2: item_03")
    assert set(meta["holdout"]["methods"]) == {"discriminative", "frequency", "base"}
    report = tmp_path / "report_a"
    assert (report / "report.md").read_text().startswith("# Calibration report")
    assert len((report / "confusion.csv").read_text().splitlines()) == 1 + len(SCORED_CLUSTERS)
    assert (report / "skipped_rows.csv").read_text().splitlines()[1].startswith("2,")


def test_cli_reads_history_with_pyarrow(history_csv, base):
    h = read_history(history_csv, base)
    assert h.rows == 1495 and list(h.line[:2]) == [7, 8]


def test_cli_exits_non_zero_when_nothing_is_usable(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("assessment_id," + ",".join(ITEM_CODES) + ",item_08_type,cluster\nA1," + ",".join("0" * 18) + ",,00\n")
    result = run_main("calibrate", "--in", str(path), "--out", str(tmp_path / "p.yaml"))
    assert_one_line_error(result, 1, "no usable rows", "[NOTHING_TO_LEARN]")
    missing = run_main("calibrate", "--in", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "p.yaml"))
    assert_one_line_error(missing, 2, "nope.csv: no such file")
