"""MHCT clustering decision support.

Public API (stable contract used by records, payment and outcomes):

- ``Assessment``, ``Context``: typed MHCT input, validated when built.
- ``suggest(assessment, profiles=None) -> Allocation``: the suggested cluster
  with fit, runners-up, red rules, review due date, result code and trace.
- ``load_profiles(path=None) -> ProfileSet``: the shipped provisional profile
  set, or a trust's own file.
- ``review_due(assessed_on, cluster)``: maximum review period arithmetic.
- ``decide(assessment, allocation, chosen, chosen_by, override_reason)``: the
  clinician's decision; a reason is required when the choice differs from the
  suggestion or breaks a red rule.
"""

from openpbr.clustering.codes import ResultCode
from openpbr.clustering.decision import Decision, DecisionCode, DecisionError, decide
from openpbr.clustering.profiles import ProfileSet, load_profiles
from openpbr.clustering.ratings import (
    ALLOCATABLE_CLUSTERS,
    ITEM_CODES,
    Assessment,
    AssessmentError,
    Context,
    cluster_code,
)
from openpbr.clustering.review import review_due, review_period
from openpbr.clustering.suggest import Allocation, Candidate, RedRule, suggest

__all__ = [
    "Allocation",
    "Candidate",
    "Decision",
    "DecisionCode",
    "DecisionError",
    "decide",
    "ProfileSet",
    "RedRule",
    "load_profiles",
    "suggest",
    "ALLOCATABLE_CLUSTERS",
    "ITEM_CODES",
    "Assessment",
    "AssessmentError",
    "Context",
    "ResultCode",
    "cluster_code",
    "review_due",
    "review_period",
]
