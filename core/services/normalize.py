"""Normalised forms of what people type: emails, phone numbers, names for search.

Checking an email or a phone number costs tens of microseconds (email-validator, phonenumbers):
nothing for a form, most of the time of a large import. So the checks are pure functions of the
text (``check_contacts``) that the importer runs in worker processes ahead of its rows, and
``normalize_email`` / ``normalize_phone`` answer from those results (``known_contacts``) before
computing anything themselves. The message for a bad value is always made here, in the
caller's language.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from contextlib import contextmanager
from contextvars import ContextVar

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

# Control characters (C0 but tab and line breaks, DEL, C1) and the bidirectional embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069): invisible, the latter make a name or a
# customer number display differently from what is stored and searched for.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NOT_ASCII_DIGIT = re.compile(r"[^0-9]+")


def clean_text(value) -> str:
    """Strip surrounding space, control characters and bidirectional overrides from a one-line
    text value (names, customer numbers, everything typed on one line)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.isprintable() and value[:1] != " " \
            and value[-1:] != " " and "  " not in value:
        # Nothing to strip (the common case, checked in C): a printable string holds no
        # control characters, and its only whitespace is the ASCII space.
        return value
    value = _CONTROL.sub("", str(value)).replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return " ".join(value.split())


def clean_paragraphs(value) -> str:
    """Like clean_text for text that may run over several lines: keeps the line breaks."""
    if value is None:
        return ""
    lines = _CONTROL.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


# The words a file (or a form) may say yes and no with, in the languages shops write them in,
# lower case. Every yes/no value read from text goes through ``yes_no``: the customer's own
# columns and the plugins' fields of one CSV read the same words the same way.
TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "x", "on", "ja", "oui", "si", "sí"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "off", "nein", "non"})


def yes_no(value) -> bool | None:
    """``value`` (a bool, or text such as "yes", "Ja", "oui", "t", "on", "0") as True or
    False; None when it is neither (an empty cell, "perhaps"): the caller decides whether
    that is no value or a mistake."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


@functools.lru_cache(maxsize=65_536)  # names repeat: a shop has many Olivias and Smiths
def fold(value: str) -> str:
    """Case- and accent-insensitive key: 'Zoë Ångström' -> 'zoe angstrom'."""
    if not value:
        return ""
    if value.isascii():  # nothing to decompose, and casefold() is lower() on ASCII
        return " ".join(value.lower().split())
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


# Results of check_contacts for the values about to be checked (set by known_contacts).
_known: ContextVar[dict | None] = ContextVar("regulars_known_contacts", default=None)
# Dialled forms of numbers checked recently: {E.164: forms}. The search index wants them right
# after the check, and parsing the number again would cost as much as the check itself.
_recent_forms: dict[str, tuple[str, ...]] = {}
_RECENT_MAX = 50_000


def _email_result(value: str) -> tuple:
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return ("bad", str(exc))
    return ("ok", result.normalized, result.normalized.lower())


def _phone_result(value: str, region: str) -> tuple:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return ("unreadable",)
    if not phonenumbers.is_valid_number(number):
        return ("invalid",)
    display = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return ("ok", display, e164, _forms_of(number, e164))


def _forms_of(number: phonenumbers.PhoneNumber, e164: str) -> tuple[str, ...]:
    forms = [phone_digits(e164), str(number.national_number)]
    national = phone_digits(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
    if national not in forms:
        forms.append(national)
    return tuple(forms)


def _remember_forms(e164: str, forms: tuple[str, ...]) -> None:
    if len(_recent_forms) >= _RECENT_MAX:
        _recent_forms.clear()
    _recent_forms[e164] = forms


def check_contacts(emails: list[str], phones: list[str], region: str) -> dict:
    """Check many emails and phone numbers in one go, without an app or a database (the
    importer calls it in worker processes). Returns ``{("email" | "phone", value): result}``
    for ``known_contacts``; values must be as ``clean_text`` leaves them."""
    results: dict = {}
    for value in emails:
        results[("email", value)] = _email_result(value)
    for value in phones:
        results[("phone", value)] = _phone_result(value, region)
    return results


@contextmanager
def known_contacts(results: dict | None, region: str | None = None):
    """Let normalize_email / normalize_phone answer from ``check_contacts`` results for the
    duration of the block (results for another region are not used)."""
    token = _known.set({"region": region, "results": results or {}})
    try:
        yield
    finally:
        _known.reset(token)


def _lookup(kind: str, value: str, region: str | None = None):
    known = _known.get()
    if known is None or (kind == "phone" and known["region"] != region):
        return None
    return known["results"].get((kind, value))


def normalize_email(value: str) -> tuple[str, str]:
    """Return (display, normalised) or raise ValueError with a message for the shop assistant."""
    result = _lookup("email", value) or _email_result(value)
    if result[0] != "ok":
        raise ValueError(_("Enter a valid email address (%(reason)s)", reason=result[1]))
    return result[1], result[2]


def normalize_phone(value: str, region: str) -> tuple[str, str]:
    """Return (display, E.164) or raise ValueError."""
    result = _lookup("phone", value, region) or _phone_result(value, region)
    if result[0] == "unreadable":
        raise ValueError(_("Enter a valid phone number, e.g. +44 20 7946 0958."))
    if result[0] != "ok":
        raise ValueError(_("This is not a valid phone number for its country."))
    _remember_forms(result[2], result[3])
    return result[1], result[2]


def phone_forms(e164: str) -> tuple[str, ...]:
    """The digits people type for a number, from its E.164 form: international, national
    significant number, national with trunk prefix ('447400123456', '7400123456',
    '07400123456'). Used by the search index."""
    forms = _recent_forms.get(e164)
    if forms is None:
        try:
            number = phonenumbers.parse(e164, None)
        except phonenumbers.NumberParseException:
            return (phone_digits(e164),)
        forms = _forms_of(number, e164)
        _remember_forms(e164, forms)
    return forms


def phone_digits(value: str) -> str:
    if not value:
        return ""
    if value.isascii():  # the usual case: str.isdigit() is [0-9] there
        return _NOT_ASCII_DIGIT.sub("", value)
    return "".join(c for c in value if c.isdigit())
