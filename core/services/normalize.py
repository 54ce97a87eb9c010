"""Normalised forms of what people type: emails, phone numbers, names for search."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value) -> str:
    """Strip surrounding space and control characters from a one-line text value."""
    if value is None:
        return ""
    value = _CONTROL.sub("", str(value)).replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return " ".join(value.split())


def clean_paragraphs(value) -> str:
    """Like clean_text for text that may run over several lines: keeps the line breaks."""
    if value is None:
        return ""
    lines = _CONTROL.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def fold(value: str) -> str:
    """Case- and accent-insensitive key: 'Zoë Ångström' -> 'zoe angstrom'."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def normalize_email(value: str) -> tuple[str, str]:
    """Return (display, normalised) or raise ValueError with a message for the shop assistant."""
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(_("Enter a valid email address (%(reason)s)", reason=str(exc))) from exc
    return result.normalized, result.normalized.lower()


def normalize_phone(value: str, region: str) -> tuple[str, str]:
    """Return (display, E.164) or raise ValueError."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(_("Enter a valid phone number, e.g. +44 20 7946 0958.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_("This is not a valid phone number for its country."))
    display = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return display, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(value: str) -> str:
    return "".join(c for c in value or "" if c.isdigit())
