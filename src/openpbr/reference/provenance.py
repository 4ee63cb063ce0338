"""Provenance of a reference value: where it comes from and how sure we are.

Evidence tags follow the two domain references: V/P/U (clustering reference)
and C/S/U/D (payment reference). L marks a local (trust or contract) choice.
Values tagged U or D are never national rules: they are flagged provisional,
and anything built from them says so in its trace.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict


class Evidence(str, Enum):
    VERIFIED = "V"
    PARTLY_VERIFIED = "P"
    CONFIRMED = "C"
    SECONDARY = "S"
    UNCONFIRMED = "U"
    DERIVED = "D"
    LOCAL = "L"

    @property
    def provisional(self) -> bool:
        return self in (Evidence.UNCONFIRMED, Evidence.DERIVED)


class Provenance(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    evidence: Evidence
    note: str | None = None

    @property
    def provisional(self) -> bool:
        return self.evidence.provisional

    def label(self) -> str:
        tag = f"[{self.evidence.value}]" + (" provisional" if self.provisional else "")
        return f"{self.source} {tag}"
