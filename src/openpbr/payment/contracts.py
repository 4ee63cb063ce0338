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
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from openpbr.payment.money import pence


class _M(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _money(v) -> int:
    return pence(v)


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
    Union[
        BlockModel,
        ClusterActivityModel,
        AcuteTariffModel,
        OutcomeModel,
        CquinModel,
        RiskShareModel,
        CapitationModel,
        PersonalBudgetModel,
    ],
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


def parse_contract(text: str, origin: str = "<string>") -> Contract:
    doc = yaml.safe_load(text)
    doc["digest"] = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    try:
        return Contract.model_validate(doc)
    except Exception as exc:
        raise ValueError(f"{origin}: {exc}") from exc


def load_contract(path: str | Path) -> Contract:
    p = Path(path)
    return parse_contract(p.read_text(encoding="utf-8"), str(p))


def load_contracts(folder_or_files) -> list[Contract]:
    """Contracts from a folder of *.yaml files or a list of files, sorted by id."""
    paths: list[Path] = []
    items = [folder_or_files] if isinstance(folder_or_files, (str, Path)) else list(folder_or_files)
    for it in items:
        p = Path(it)
        paths += sorted(p.glob("*.yaml")) if p.is_dir() else [p]
    contracts = [load_contract(p) for p in paths]
    ids = [c.contract_id for c in contracts]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate contract ids: {sorted(i for i in ids if ids.count(i) > 1)}")
    return sorted(contracts, key=lambda c: c.contract_id)


def demo_contracts_dir() -> Path:
    from openpbr.reference import builtin_path

    return builtin_path("payment", "contracts", "demo")
