"""Contracts between a commissioner and a provider, each with payment models.

A contract is a YAML file (see ``data/payment/contracts/demo``)::

    contract_id: DEMO-ICB-A-MH
    commissioner: ICB-A
    provider: RDEMO
    valid_from: 2024-04-01
    valid_to: 2025-04-01            # exclusive
    payments_on_account: {annual: "1200000.00"}
    models:
      - {type: cluster_activity, unit: per_cluster_day, transfer_rule: pro_rata_days,
         price_schedule: payment_cluster_prices_demo}
      - {type: cquin, pct: "2.5", goals: [{indicator: staff_wellbeing, weight: "1"}]}

Money is written in pounds as strings ("1200000.00"); rates and weights as
decimal strings ("0.30"). Every setting that the domain reference marks as
unconfirmed is a setting here, not a rule in code.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from openpbr.errors import InputError
from openpbr.payment.money import pence


def _number_text(name: str, v):
    """A rate, weight or percentage: a decimal string ("0.30"); a YAML number is taken as its text."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        v = repr(v)
    try:
        ok = isinstance(v, str) and Decimal(v).is_finite()
    except InvalidOperation:
        ok = False
    if not ok:
        raise ValueError(f"{name} is not a decimal number such as \"0.30\"")
    return v


_DECIMAL_FIELDS = {"rate", "weight", "target", "service_fee_pct", "at_risk_pct", "pct", "rate_above", "rate_below"}
_DECIMAL_MAPS = {"need_weights", "risk_weights"}


class _M(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _decimal_strings(cls, data):
        # every rate, weight and percentage holds a decimal number, checked when the file is read
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for k, v in data.items():
            if k in _DECIMAL_FIELDS and k in cls.model_fields:
                out[k] = _number_text(k, v)
            elif k in _DECIMAL_MAPS and k in cls.model_fields and isinstance(v, dict):
                out[k] = {g: _number_text(f"{k}.{g}", x) for g, x in v.items()}
        return out


def _money(v) -> int:
    if isinstance(v, bool) or not isinstance(v, (str, int, float, Decimal)):
        raise ValueError("not an amount in pounds such as \"1200.00\"")  # noqa: TRY004 - pydantic reports ValueError
    try:
        return pence(v)
    except InvalidOperation:
        raise ValueError("not an amount in pounds such as \"1200.00\"") from None


class BlockModel(_M):
    type: Literal["block"]
    annual_value: int  # pence
    accrual: Literal["daily", "monthly"] = "daily"
    _p = field_validator("annual_value", mode="before")(_money)


class ClusterActivityModel(_M):
    type: Literal["cluster_activity"]
    unit: Literal["per_cluster_day", "per_cluster_period"] = "per_cluster_day"
    # [U] no national rule: pro rata by days, or the whole period to the provider holding it at period start
    transfer_rule: Literal["pro_rata_days", "period_owner"] = "pro_rata_days"
    price_schedule: str = "payment_cluster_prices_demo"
    pay_assessments: bool = True
    pay_bed_days: bool = True
    # differential price by need group: multiplier on the cluster price ("1.25")
    need_weights: dict[str, str] = Field(default_factory=dict)


class MarginalRate(_M):
    baseline_annual: int  # pence of non-elective value
    rate: str = "0.30"  # share of price paid above the baseline
    _p = field_validator("baseline_annual", mode="before")(_money)


class AcuteTariffModel(_M):
    type: Literal["acute_tariff"]
    tariff_schedule: str = "payment_acute_tariff_demo"
    unbundled_schedule: str = "payment_acute_unbundled_demo"
    topup_schedule: str = "payment_specialised_topups"
    mff_schedule: str = "payment_mff_demo"
    tariff_date: Literal["discharge", "admission"] = "discharge"  # [U]
    marginal_rate: MarginalRate | None = None  # MRET, only in tariff years where it was in force


class Indicator(_M):
    indicator: str
    weight: str = "1"
    target: str = "1"
    direction: Literal["higher", "lower"] = "higher"
    scoring: Literal["graded", "binary"] = "graded"


class OutcomeModel(_M):
    type: Literal["outcome"]
    variant: Literal["share", "withhold", "bonus"] = "share"
    annual_value: int = 0  # share variant: contract value split into service fee + results share
    service_fee_pct: str = "70"
    at_risk_pct: str = "3"  # withhold/bonus: % of the activity value (2-4% recommended)
    indicators: list[Indicator]
    need_weights: dict[str, str] = Field(default_factory=dict)  # social-value weight per need group
    _p = field_validator("annual_value", mode="before")(_money)


class CquinModel(_M):
    type: Literal["cquin"]
    pct: str = "2.5"  # % of actual annual value (2016/17: 2.5% [C])
    goals: list[Indicator]


class RiskShareModel(_M):
    type: Literal["risk_share"]
    baseline_annual: int
    rate_above: str = "0.30"  # share of price paid for value above the baseline
    rate_below: str = "1.00"  # share of the shortfall the provider bears below baseline (1 = pure activity)
    cap_annual: int | None = None
    collar_annual: int | None = None
    _p = field_validator("baseline_annual", "cap_annual", "collar_annual", mode="before")(
        lambda v: None if v is None else pence(v)
    )


class CapitationModel(_M):
    type: Literal["capitation"]
    annual_rate: int  # pence per person-year before risk adjustment
    risk_weights: dict[str, str] = Field(default_factory=lambda: {"standard": "1.0"})
    _p = field_validator("annual_rate", mode="before")(_money)


class PersonalBudgetModel(_M):
    type: Literal["personal_budgets"]


PaymentModel = Annotated[
    BlockModel | ClusterActivityModel | AcuteTariffModel | OutcomeModel | CquinModel | RiskShareModel | CapitationModel | PersonalBudgetModel,
    Field(discriminator="type"),
]


class PaymentsOnAccount(_M):
    annual: int  # paid in 12 equal monthly instalments (cumulative rounding)
    _p = field_validator("annual", mode="before")(_money)


class Contract(_M):
    contract_id: str
    commissioner: str
    provider: str
    valid_from: date
    valid_to: date  # exclusive
    description: str = ""
    payments_on_account: PaymentsOnAccount | None = None
    models: list[PaymentModel]
    digest: str = ""

    def model_of(self, kind: type) -> list:
        return [m for m in self.models if isinstance(m, kind)]

    @field_validator("valid_from", "valid_to", mode="before")
    @classmethod
    def _iso_date(cls, v):
        if isinstance(v, str) and re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", v.strip()):
            raise ValueError("a day-first date: write dates as ISO YYYY-MM-DD")
        return v

    @field_validator("valid_to")
    @classmethod
    def _dates_in_order(cls, v, info):
        start = info.data.get("valid_from")
        if start is not None and v <= start:
            raise ValueError("must be after valid_from (valid_to is exclusive)")
        return v


def _where(loc: tuple) -> str:
    """A pydantic error location as a field path: models[1].goals[0].weight."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _MODEL_TAGS:  # the discriminated union adds the model type to the path
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(contract)"


_MODEL_TAGS = {"block", "cluster_activity", "acute_tariff", "outcome", "cquin", "risk_share", "capitation",
               "personal_budgets"}


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay text, so a bad date is reported with its field name."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_contract(text: str, origin: str = "<string>") -> Contract:
    """A contract from YAML text; any problem is one InputError line naming ``origin`` and the field."""
    try:
        doc = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise InputError(f"{origin}: not valid YAML{where}: {problem}", code="BAD_CONTRACT") from None
    if not isinstance(doc, dict):
        raise InputError(f"{origin}: a contract is a mapping of fields (contract_id, commissioner, provider, "
                         f"valid_from, valid_to, models)", code="BAD_CONTRACT")
    doc["digest"] = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    try:
        return Contract.model_validate(doc)
    except ValidationError as exc:
        errs = exc.errors(include_url=False, include_input=False)
        first = errs[0]
        msg = first["msg"].removeprefix("Value error, ")
        more = f" (and {len(errs) - 1} more problem{'s' if len(errs) > 2 else ''})" if len(errs) > 1 else ""
        raise InputError(f"{origin}: field {_where(first['loc'])}: {msg}{more}", code="BAD_CONTRACT") from None


def load_contract(path: str | Path) -> Contract:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"contract file {p} not found", code="FILE_NOT_FOUND") from None
    except UnicodeDecodeError:
        raise InputError(f"{p}: not UTF-8 text; save the contract as UTF-8", code="BAD_CONTRACT") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot be read ({exc.strerror or type(exc).__name__})", code="BAD_CONTRACT") from None
    return parse_contract(text, str(p))


def load_contracts(folder_or_files) -> list[Contract]:
    """Contracts from a folder of *.yaml files or a list of files, sorted by id."""
    paths: list[Path] = []
    items = [folder_or_files] if isinstance(folder_or_files, (str, Path)) else list(folder_or_files)
    for it in items:
        p = Path(it)
        if p.is_dir():
            found = sorted(p.glob("*.yaml")) + sorted(p.glob("*.yml"))
            if not found:
                raise InputError(f"no contract files (*.yaml) in {p}", code="FILE_NOT_FOUND")
            paths += found
        else:
            paths.append(p)
    contracts = [load_contract(p) for p in paths]
    ids = [c.contract_id for c in contracts]
    if len(ids) != len(set(ids)):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise InputError(f"duplicate contract ids: {', '.join(dup)} (each contract_id once)", code="BAD_CONTRACT")
    return sorted(contracts, key=lambda c: c.contract_id)


def demo_contracts_dir() -> Path:
    from openpbr.reference import builtin_path

    return builtin_path("payment", "contracts", "demo")
