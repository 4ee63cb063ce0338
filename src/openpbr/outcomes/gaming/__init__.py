"""Gaming and cream-skimming detection.

Each detector returns one row per unit examined (flagged or not) with the
numbers behind it, so a reader can see why a unit was, or was not, flagged.
A flag prompts an audit or a conversation; it is never a verdict.
"""

from openpbr.outcomes.gaming.runner import FINDING_SCHEMA, detect_gaming

__all__ = ["FINDING_SCHEMA", "detect_gaming"]
