"""NHS number validation (mod-11 checksum, via the maintained ``nhs-number`` library)."""

from __future__ import annotations

import nhs_number


class InvalidNHSNumber(ValueError):
    pass


def normalise_nhs_number(value: object) -> str:
    """Return the 10-digit NHS number, or raise :class:`InvalidNHSNumber` saying why.

    Spaces and hyphens are accepted ("943 476 5919"); the message never echoes
    the number, so it is safe to log.
    """
    text = "" if value is None else str(value).strip().replace(" ", "").replace("-", "")
    if not text:
        raise InvalidNHSNumber("NHS number is blank")
    if len(text) != 10 or not (text.isascii() and text.isdigit()):  # '٩'.isdigit() is True: only 0-9 may count
        raise InvalidNHSNumber("NHS number must be 10 digits 0-9")
    if not nhs_number.is_valid(text):
        raise InvalidNHSNumber("NHS number fails the mod-11 checksum")
    return text


def is_valid_nhs_number(value: object) -> bool:
    try:
        normalise_nhs_number(value)
    except InvalidNHSNumber:
        return False
    return True
