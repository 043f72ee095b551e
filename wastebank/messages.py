"""Strings shown in the UI that the code builds at run time, marked for translation.

Role names and marshmallow's validation messages reach templates as data; listing them
here puts them in the message catalog so the form errors show in Indonesian too.
"""

from __future__ import annotations


def N_(text: str) -> str:
    """Mark ``text`` for extraction without translating it here."""
    return text


ROLE_NAMES = (N_("admin"), N_("dlh"), N_("manager"), N_("cashier"), N_("driver"))

VALIDATION_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Not a valid string."),
    N_("Unknown field."),
    N_("Must be one of: person, collective."),
    N_("Length must be between 1 and 120."),
    N_("Longer than maximum length 255."),
    N_("Longer than maximum length 80."),
    N_("A NIK is exactly 16 digits."),
    N_("1 to 3 digits."),
    N_("A phone number: digits, + - and spaces."),
    N_("1-16 letters, digits, - or _."),
)
