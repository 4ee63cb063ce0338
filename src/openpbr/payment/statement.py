"""Statements: lines with traces, a total that is the sum of the lines.

Trace format (a plain dict, stored as JSON)::

    {"rule": "cluster.per_day",                 # the named payment rule
     "inputs": {"cluster": "11", "persons": 3, "days": 92, ...},
     "prices": ["payment.cluster_prices.demo@2024.1#5bd9b3528af6 (Live) key=11 from=2023-04-01 ... [D] provisional"],
     "formula": "sum over persons of price/day x weight x days",
     "rounding": "half-up to the penny, once, at the priced unit ...",
     "provisional": true}                       # built from [U]/[D] values
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from openpbr.payment.codes import PayCode
from openpbr.payment.money import fmt


@dataclass(frozen=True)
class Line:
    contract_id: str
    model: str
    rule: str
    code: PayCode
    description: str
    quantity: int | float
    unit: str
    amount: int  # pence
    trace: dict

    def as_row(self) -> dict:
        return {
            "contract_id": self.contract_id,
            "model": self.model,
            "rule": self.rule,
            "code": self.code.value,
            "description": self.description,
            "quantity": self.quantity,
            "unit": self.unit,
            "amount_pence": self.amount,
        }


@dataclass
class Statement:
    contract_id: str
    commissioner: str
    provider: str
    period_start: date
    period_end: date  # exclusive
    lines: list[Line] = field(default_factory=list)
    on_account: int = 0  # payments on account already made for the period (pence)
    kind: str = "settlement"

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def balance(self) -> int:
        """Positive: the commissioner owes the provider; negative: clawback."""
        return self.total - self.on_account

    def lines_of(self, model: str) -> list[Line]:
        return [x for x in self.lines if x.model == model]

    def amount_of(self, *models: str) -> int:
        return sum(x.amount for x in self.lines if x.model in models)

    def summary(self) -> str:
        return (
            f"{self.contract_id} {self.commissioner}->{self.provider} {self.period_start}..{self.period_end}: "
            f"total {fmt(self.total)}, on account {fmt(self.on_account)}, balance {fmt(self.balance)}"
        )
