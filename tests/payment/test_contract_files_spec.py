"""Hostile contract files: each gives one InputError line naming the file and the field."""

from __future__ import annotations

import sys

import pytest

from openpbr.cli import main
from openpbr.errors import InputError
from openpbr.payment.contracts import load_contracts

GOOD = """contract_id: C1
commissioner: ICB-A
provider: RDEMO
valid_from: 2024-04-01
valid_to: 2025-04-01
models:
  - {type: block, annual_value: "1200000.00"}
  - {type: cquin, pct: "2.5", goals: [{indicator: staff_wellbeing, weight: "1"}]}
"""


def edit(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


# (title, file text, field named, text in the message)
SPEC = [
    ("YAML syntax error", GOOD + "models: [unclosed\n", "", "not valid YAML at line 10: expected"),
    ("A list, not a mapping", "- contract_id: C1\n", "", "a contract is a mapping of fields"),
    ("Empty file", "", "", "a contract is a mapping of fields"),
    ("Missing provider", edit("provider: RDEMO\n", ""), "provider", "Field required"),
    ("Missing models", GOOD.split("models:")[0], "models", "Field required"),
    ("Unknown model type", edit("type: block", "type: blok"), "models[0]", "'blok'"),
    ("Model without a type", edit("type: block, ", ""), "models[0]", "'type'"),
    ("Day-first date", edit("valid_from: 2024-04-01", "valid_from: 01/04/2024"), "valid_from",
     "a day-first date: write dates as ISO YYYY-MM-DD"),
    ("Impossible date", edit("valid_to: 2025-04-01", "valid_to: 2025-02-30"), "valid_to", "date"),
    ("Dates reversed", edit("valid_to: 2025-04-01", "valid_to: 2024-01-01"), "valid_to",
     "must be after valid_from"),
    ("Fraction of a penny", edit('"1200000.00"', '"12.345"'), "models[0].annual_value", "not a whole number of pence"),
    ("Money in words", edit('"1200000.00"', '"lots"'), "models[0].annual_value", "not an amount in pounds"),
    ("Money as a list", edit('"1200000.00"', "[1, 2]"), "models[0].annual_value", "not an amount in pounds"),
    ("Percentage in words", edit('pct: "2.5"', 'pct: "high"'), "models[1]", "pct is not a decimal number"),
    ("Weight not a number", edit('weight: "1"', 'weight: "one"'), "models[1].goals[0]",
     "weight is not a decimal number"),
    ("Unknown field", GOOD + "colour: red\n", "colour", "Extra inputs are not permitted"),
    ("Unknown transfer rule", edit("{type: block, annual_value: \"1200000.00\"}",
                                   "{type: cluster_activity, transfer_rule: owner}"),
     "models[0].transfer_rule", "'pro_rata_days' or 'period_owner'"),
    ("Need weight in words", edit("{type: block, annual_value: \"1200000.00\"}",
                                  "{type: cluster_activity, need_weights: {high: lots}}"),
     "models[0]", "need_weights.high is not a decimal number"),
]


@pytest.mark.parametrize("title, text, field, message", SPEC, ids=[s[0] for s in SPEC])
def test_contract_file_spec(tmp_path, title, text, field, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_contracts(path)
    line = str(err.value)
    assert "\n" not in line and line.startswith(str(path) + ": ")
    if field:
        assert f"field {field}:" in line
    assert message in line
    assert err.value.code == "BAD_CONTRACT"


def test_good_contract_loads(tmp_path):
    (tmp_path / "c.yaml").write_text(GOOD, encoding="utf-8")
    [c] = load_contracts(tmp_path)
    assert c.contract_id == "C1" and c.models[0].annual_value == 120_000_000


def test_numbers_written_as_yaml_numbers_are_read_as_their_text(tmp_path):
    (tmp_path / "c.yaml").write_text(edit('pct: "2.5"', "pct: 2.5"), encoding="utf-8")
    assert load_contracts(tmp_path)[0].models[1].pct == "2.5"


def test_folder_and_file_problems(tmp_path):
    with pytest.raises(InputError, match="no contract files"):
        load_contracts(tmp_path)
    with pytest.raises(InputError, match="not found"):
        load_contracts(tmp_path / "missing.yaml")
    (tmp_path / "a.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(InputError, match="duplicate contract ids: C1"):
        load_contracts(tmp_path)
    (tmp_path / "b.yaml").write_bytes(GOOD.replace("ICB-A", "ICB-\xa3").encode("cp1252"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_contracts(tmp_path / "b.yaml")


def test_cli_answers_a_bad_contract_with_one_line(tmp_path, monkeypatch, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(edit("type: block", "type: blok"), encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["openpbr", "pay", "contracts", str(path)])
    with pytest.raises(SystemExit) as done:
        main()
    err = capsys.readouterr().err
    assert done.value.code == 2 and "Traceback" not in err
    assert err.startswith("error: ") and err.count("\n") == 1 and "[BAD_CONTRACT]" in err


