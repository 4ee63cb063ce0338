"""Worked examples: an admitted spell priced end to end (payment-mechanics reference A3-A12).

A12 (illustrative [D]) as a test vector:

| step               | calculation                     | £        |
|--------------------|---------------------------------|----------|
| core (NEL tariff)  |                                 | 2,000.00 |
| long stay          | (15 - 10) days x £250           | 1,250.00 |
| specialised top-up | 60% (children, 2011/12) x 3,250 | 1,950.00 |
| unbundled imaging  |                                 |   120.00 |
| pre-MFF            |                                 | 5,320.00 |
| x MFF 1.05         |                                 | 5,586.00 |
"""

from __future__ import annotations

import pyarrow as pa

from openpbr.payment.codes import PayCode
from openpbr.payment.models.acute import price_spells, steps_for_year

from .helpers import contract, run, schedule, table

TARIFF = """\
  - key: PA00X
    valid_from: 2010-04-01
    value: {dc: "900.00", el: "1800.00", el_trim: 5, nel: "2000.00", nel_trim: 10, per_day_long_stay: "250.00"}
  - key: EB03X
    valid_from: 2010-04-01
    value: {el: "1500.00", el_trim: 4, nel: "1600.00", nel_trim: 32, per_day_long_stay: "240.00",
            ssem_applicable: true, ssem_tariff: "480.00"}
  - key: HT01A
    valid_from: 2010-04-01
    value: {nel: "6500.00", nel_trim: 25, per_day_long_stay: "220.00", bpt_applies: NE, bpt_top_up: "1335.00"}
"""
UB = '  - {key: RD01A, valid_from: 2010-04-01, value: {price: "120.00"}}\n'
MFF = '  - {key: P1, valid_from: 2010-04-01, value: {mff: "1.0500000"}}\n'


def _contract(tmp_path, marginal="", start="2011-04-01", end="2012-04-01"):
    t, u, m = schedule(tmp_path, TARIFF, name="tariff"), schedule(tmp_path, UB, name="ub"), schedule(tmp_path, MFF, name="mff")
    return contract(f"- {{type: acute_tariff, tariff_schedule: {t}, unbundled_schedule: {u}, mff_schedule: {m}"
                    f"{marginal}}}", valid_from=start, valid_to=end)


def _spells(**over):
    base = dict(spell_id=["s1"], provider=["P1"], commissioner=["CCG1"], hrg=["PA00X"], pod=["NEL"],
                admission_date=["2011-09-16"], discharge_date=["2011-10-01"], age=[7], admission_method=["21"],
                spec_service=["children"], unbundled=["RD01A"])
    base.update(over)
    return table(**base)


def test_a12_worked_example(tmp_path):
    c = _contract(tmp_path)
    r = run([c], "2011-10-01", "2011-11-01", spells=_spells())
    d = r.details["C1"]["spells"].to_pylist()[0]
    assert (d["core_pence"], d["long_stay_days"], d["long_stay_pence"]) == (200000, 5, 125000)
    assert d["topup_pence_exact"] == 195000 and d["unbundled_pence"] == 12000
    assert d["pre_mff_pence_exact"] == 532000 and d["paid_pence"] == 558600
    assert r.statement("C1").total == 558600


def test_trim_point_32_los_50_gives_18_excess_days(tmp_path):
    # [C][6]: trim 32, LOS 50 -> 18 excess bed days x £240 = £4,320; core £1,600; MFF 1.05 -> £6,216.00
    c = _contract(tmp_path)
    sp = _spells(hrg=["EB03X"], admission_date=["2011-08-12"], discharge_date=["2011-10-01"], age=[40],
                 spec_service=[""], unbundled=[""])
    d = run([c], "2011-10-01", "2011-11-01", spells=sp).details["C1"]["spells"].to_pylist()[0]
    assert d["long_stay_days"] == 18 and d["long_stay_pence"] == 432000
    assert d["paid_pence"] == round((160000 + 432000) * 1.05)


def test_short_stay_emergency_tariff(tmp_path):
    # LOS 1, age 40, emergency, HRG flagged: core = reduced tariff £480 -> x 1.05 = £504.00.
    # Same spell aged 18 is not eligible: £1,600 x 1.05 = £1,680.00
    c = _contract(tmp_path)
    sp = _spells(spell_id=["adult", "young"], provider=["P1"] * 2, commissioner=["CCG1"] * 2, hrg=["EB03X"] * 2,
                 pod=["NEL"] * 2, admission_date=["2011-09-30"] * 2, discharge_date=["2011-10-01"] * 2, age=[40, 18],
                 admission_method=["21"] * 2, spec_service=["", ""], unbundled=["", ""])
    d = {x["spell_id"]: x for x in run([c], "2011-10-01", "2011-11-01", spells=sp).details["C1"]["spells"].to_pylist()}
    assert d["adult"]["ssem"] and d["adult"]["paid_pence"] == 50400
    assert not d["young"]["ssem"] and d["young"]["paid_pence"] == 168000


def test_best_practice_tariff_hip_fracture(tmp_path):
    # criteria met: (£6,500 + £1,335) x 1.05 = £8,226.75; not met: £6,500 x 1.05 = £6,825.00 (differential £1,335 [C][32])
    c = _contract(tmp_path)
    sp = _spells(spell_id=["met", "not"], provider=["P1"] * 2, commissioner=["CCG1"] * 2, hrg=["HT01A"] * 2,
                 pod=["NEL"] * 2, admission_date=["2011-09-20"] * 2, discharge_date=["2011-10-01"] * 2, age=[80, 80],
                 admission_method=["21"] * 2, spec_service=["", ""], unbundled=["", ""])
    sp = sp.append_column("bpt_met", pa.array([True, False]))
    d = {x["spell_id"]: x for x in run([c], "2011-10-01", "2011-11-01", spells=sp).details["C1"]["spells"].to_pylist()}
    assert d["met"]["paid_pence"] == 822675 and d["not"]["paid_pence"] == 682500


def test_elective_readmission_zero_by_rule_only_in_its_tariff_years(tmp_path):
    # in force 2011/12 to 2018/19: a flagged readmission in Oct 2011 is paid nothing, with a named code
    assert "elective_readmission_zero" in steps_for_year(2011)
    assert "elective_readmission_zero" not in steps_for_year(2019)
    c = _contract(tmp_path)
    sp = _spells(spec_service=[""], unbundled=[""]).append_column("elective_readmission_30d", pa.array([True]))
    st = run([c], "2011-10-01", "2011-11-01", spells=sp).statement("C1")
    assert st.total == 0 and st.lines[0].code is PayCode.ZERO_BY_RULE
    c2 = _contract(tmp_path, start="2019-04-01", end="2020-04-01")
    sp2 = _spells(spec_service=[""], unbundled=[""], admission_date=["2019-09-16"],
                  discharge_date=["2019-10-01"]).append_column("elective_readmission_30d", pa.array([True]))
    assert run([c2], "2019-10-01", "2019-11-01", spells=sp2).statement("C1").total == round(325000 * 1.05)


def test_marginal_rate_above_baseline(tmp_path):
    # MRET 2011/12: baseline £36,600/yr, October share = 31/366 -> £3,100.00; NE value £5,586.00 (A12 spell);
    # excess £2,486.00 paid at 30%: deduction -£2,486 x 0.70 = -£1,740.20
    c = _contract(tmp_path, marginal=', marginal_rate: {baseline_annual: "36600.00", rate: "0.30"}')
    st = run([c], "2011-10-01", "2011-11-01", spells=_spells()).statement("C1")
    mret = [ln for ln in st.lines if ln.rule == "acute.marginal_rate_emergency"][0]
    assert mret.amount == -174020
    assert st.total == 558600 - 174020


def test_missing_tariff_is_named(tmp_path):
    c = _contract(tmp_path)
    st = run([c], "2011-10-01", "2011-11-01", spells=_spells(hrg=["ZZ99Z"])).statement("C1")
    assert st.total == 0 and st.lines[0].code is PayCode.UNKNOWN_CURRENCY


def test_price_spells_is_vectorised_over_many_rows(tmp_path):
    c = _contract(tmp_path)
    n = 1000
    sp = _spells(spell_id=[f"s{i}" for i in range(n)], provider=["P1"] * n, commissioner=["CCG1"] * n,
                 hrg=["PA00X"] * n, pod=["NEL"] * n, admission_date=["2011-09-16"] * n,
                 discharge_date=["2011-10-01"] * n, age=[7] * n, admission_method=["21"] * n,
                 spec_service=["children"] * n, unbundled=["RD01A"] * n)
    d = price_spells(sp, c.models[0], "P1")
    assert d.column("paid_pence").to_pylist() == [558600] * n
