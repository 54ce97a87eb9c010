"""Every rule about exchange rates: what a valid rate is, which periods may not overlap, and which
rate applies to a customer on a given day. Views, the API and the hooks only call these."""

from __future__ import annotations

import functools
import random
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext

import pycountry
import sqlalchemy as sa
from babel.numbers import get_currency_name
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from core.sdk import (NotFound, ValidationError, db, get_customer, record_activity,
                      write_transaction)
from plugins.fxrates.models import ExchangeRate, WriteLock

FIELDS = ("base", "quote", "rate", "valid_from", "valid_to")
# Rates are stored exactly (core.db.Rate: ten decimal places, up to 922,337,203.6854775807 on
# every database). The limit people see is a round number below that.
MAX_DECIMAL_PLACES = 10
RATE_LIMIT = Decimal(900_000_000)
QUANTUM = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)
LOCK_NAME = "rates"


# -- reading input -------------------------------------------------------------------------


def currency_code(raw, field: str, errors: dict) -> str | None:
    """An ISO 4217 code from what was typed or chosen (any case), or None with a message in
    ``errors[field]``."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors[field] = (_("Choose the currency you convert from.") if field == "base"
                         else _("Choose the currency you convert to."))
        return None
    code = raw.strip().upper() if isinstance(raw, str) else ""
    if len(code) != 3 or not code.isascii() or not code.isalpha() \
            or pycountry.currencies.get(alpha_3=code) is None:
        errors[field] = _("“%(code)s” is not a currency code. Use a three-letter ISO 4217 code "
                          "such as EUR or USD.", code=str(raw)[:20])
        return None
    return code


def parse_rate(raw, errors: dict, field: str = "rate") -> Decimal | None:
    """A positive Decimal from a string, int or Decimal (never a float), or None with a message."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors[field] = _("Enter the rate.")
        return None
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
        errors[field] = _("Enter the rate as a number, such as 1.1675.")
        return None
    try:
        value = Decimal(raw.strip()) if isinstance(raw, str) else Decimal(raw)
    except InvalidOperation:
        errors[field] = _("Enter the rate as a number, such as 1.1675.")
        return None
    if not value.is_finite():
        errors[field] = _("Enter the rate as a number, such as 1.1675.")
    elif value <= 0:
        errors[field] = _("The rate must be more than zero.")
    elif value >= RATE_LIMIT:
        errors[field] = _("The rate must be less than 900,000,000.")
    elif value != value.quantize(QUANTUM, rounding=ROUND_HALF_EVEN):
        errors[field] = _("Use at most %(n)d decimal places.", n=MAX_DECIMAL_PLACES)
    else:
        return value
    return None


def parse_date(raw, field: str, errors: dict, required: bool) -> date | None:
    """A date from a ``date`` or an ISO string (YYYY-MM-DD), or None with a message."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            errors[field] = _("Enter the first day this rate applies.")
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    errors[field] = _("Enter a date such as %(example)s.", example="2026-01-31")
    return None


def read(data: dict) -> dict:
    """The fields of a rate from submitted data, checked one by one; raises ValidationError
    with every problem at once."""
    errors: dict = {}
    values = {
        "base": currency_code(data.get("base"), "base", errors),
        "quote": currency_code(data.get("quote"), "quote", errors),
        "rate": parse_rate(data.get("rate"), errors),
        "valid_from": parse_date(data.get("valid_from"), "valid_from", errors, required=True),
        "valid_to": parse_date(data.get("valid_to"), "valid_to", errors, required=False),
    }
    if values["base"] and values["base"] == values["quote"]:
        errors["quote"] = _("Choose a currency other than the one you convert from.")
    if values["valid_from"] and values["valid_to"] and values["valid_to"] < values["valid_from"]:
        errors["valid_to"] = _("The last day cannot be before the first day.")
    if errors:
        raise ValidationError(errors)
    return values


# -- showing rates ------------------------------------------------------------------------


def rate_text(value: Decimal | None) -> str:
    """A rate as plain digits ("190.25", never "1.9025E+2")."""
    if value is None:
        return ""
    return format(value.normalize() if value else Decimal(0), "f")


def period_text(rate: ExchangeRate) -> str:
    """"1 Jan 2026 – 31 Mar 2026" or "from 1 Jan 2026" for an open-ended rate."""
    start = format_date(rate.valid_from, "medium")
    if rate.valid_to is None:
        return _("from %(start)s", start=start)
    return f"{start} – {format_date(rate.valid_to, 'medium')}"


def status_on(rate: ExchangeRate, on: date) -> str:
    """"current", "future" or "past" for the given day."""
    if rate.valid_from > on:
        return "future"
    if rate.valid_to is not None and rate.valid_to < on:
        return "past"
    return "current"


def currency_choices() -> list[tuple[str, str]]:
    """Every ISO 4217 currency as (code, "EUR – Euro") in the user's language, by code."""
    return _currency_choices(str(get_locale() or "en"))


@functools.lru_cache(maxsize=16)
def _currency_choices(locale: str) -> list[tuple[str, str]]:
    choices = []
    for currency in sorted(pycountry.currencies, key=lambda c: c.alpha_3):
        try:
            name = get_currency_name(currency.alpha_3, locale=locale)
        except Exception:  # a locale Babel lacks: fall back to ISO's English name
            name = currency.name
        choices.append((currency.alpha_3, f"{currency.alpha_3} – {name}"))
    return choices


# -- reading the tables -------------------------------------------------------------------


def _is_id(value) -> bool:
    # Ids beyond a 32-bit integer cannot exist, and PostgreSQL refuses to even compare them.
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def get(rate_id) -> ExchangeRate:
    """The rate with this id, or NotFound."""
    rate = db.session.get(ExchangeRate, rate_id) if _is_id(rate_id) else None
    if rate is None:
        raise NotFound(f"No exchange rate {rate_id!r}")
    return rate


def find_customer(customer_id):
    """The customer with this id, or NotFound (also for ids no customer can have)."""
    if not _is_id(customer_id):
        raise NotFound(f"No customer {customer_id!r}")
    return get_customer(customer_id)


def _ordered(query):
    return query.order_by(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.valid_from.desc(),
                          ExchangeRate.id)


def shop_rates() -> list[ExchangeRate]:
    """The shop's own rates, by pair, newest period first."""
    return list(db.session.execute(
        _ordered(select(ExchangeRate).where(ExchangeRate.customer_id.is_(None)))).scalars())


def customer_rates(customer) -> list[ExchangeRate]:
    """The rates agreed with this customer, by pair, newest period first."""
    return list(db.session.execute(
        _ordered(select(ExchangeRate).where(ExchangeRate.customer_id == customer.id))).scalars())


def count_customer_rates(customer) -> int:
    return db.session.execute(
        select(func.count()).select_from(ExchangeRate)
        .where(ExchangeRate.customer_id == customer.id)).scalar()


def _owned_by(customer_id):
    if customer_id is None:
        return ExchangeRate.customer_id.is_(None)
    return ExchangeRate.customer_id == customer_id


def _valid_on(on: date):
    return sa.and_(ExchangeRate.valid_from <= on,
                   or_(ExchangeRate.valid_to.is_(None), ExchangeRate.valid_to >= on))


def _find(base: str, quote: str, on: date, customer_id) -> Decimal | None:
    return db.session.execute(
        select(ExchangeRate.rate)
        .where(ExchangeRate.base == base, ExchangeRate.quote == quote, _owned_by(customer_id),
               _valid_on(on))
        .order_by(ExchangeRate.valid_from.desc()).limit(1)
    ).scalar()


def inverse(value: Decimal) -> Decimal:
    """1 / value, to the ten decimal places a stored rate has."""
    with localcontext() as context:
        context.prec = 40
        result = (Decimal(1) / value).quantize(QUANTUM, rounding=ROUND_HALF_EVEN)
    return result.normalize() if result else result


def rate_on(base: str, quote: str, on, customer=None) -> Decimal | None:
    """The rate converting one ``base`` into ``quote`` on day ``on``: the customer's own rate,
    else the shop's; for each, the pair as stored, else 1 / the stored opposite pair. None when
    there is none. A currency converts to itself at 1."""
    if not isinstance(base, str) or not isinstance(quote, str):
        return None
    base, quote = base.strip().upper(), quote.strip().upper()
    if isinstance(on, datetime):
        on = on.date()
    if not isinstance(on, date):
        return None
    if base == quote:
        return Decimal(1)
    customer_id = getattr(customer, "id", customer)
    owners = ([customer_id] if customer_id is not None else []) + [None]
    for owner in owners:
        direct = _find(base, quote, on, owner)
        if direct is not None:
            return direct
        opposite = _find(quote, base, on, owner)
        if opposite is not None:
            return inverse(opposite)
    return None


# -- changing rates -----------------------------------------------------------------------


def _lock_writers() -> None:
    row = db.session.execute(
        select(WriteLock).where(WriteLock.name == LOCK_NAME).with_for_update()).scalar()
    if row is None:  # the migration adds the row; a database made without it gets one here
        db.session.add(WriteLock(name=LOCK_NAME))
        db.session.flush()


def _refuse_overlap(values: dict, customer_id, exclude_id=None) -> None:
    start, end = values["valid_from"], values["valid_to"]
    query = select(ExchangeRate).where(
        ExchangeRate.base == values["base"], ExchangeRate.quote == values["quote"],
        _owned_by(customer_id),
        or_(ExchangeRate.valid_to.is_(None), ExchangeRate.valid_to >= start),
    )
    if end is not None:
        query = query.where(ExchangeRate.valid_from <= end)
    if exclude_id is not None:
        query = query.where(ExchangeRate.id != exclude_id)
    clash = db.session.execute(query.order_by(ExchangeRate.valid_from).limit(1)).scalar()
    if clash is None:
        return
    details = {"pair": f"{clash.base} → {clash.quote}", "rate": rate_text(clash.rate),
               "period": period_text(clash)}
    if customer_id is None:
        message = _("The shop already has a %(pair)s rate of %(rate)s for %(period)s. Change "
                    "the dates of that rate first, or choose dates that do not overlap it.",
                    **details)
    else:
        message = _("This customer already has a %(pair)s rate of %(rate)s for %(period)s. "
                    "Change the dates of that rate first, or choose dates that do not overlap "
                    "it.", **details)
    raise ValidationError({"valid_from": message})


def create(data: dict, customer=None, actor=None) -> ExchangeRate:
    """Add a rate: the shop's when ``customer`` is None, else one agreed with that customer.
    Raises ValidationError({field: message})."""
    values = read(data)
    customer_id = customer.id if customer is not None else None
    with write_transaction():
        _lock_writers()
        rate = _insert(values, customer_id, actor_id=getattr(actor, "id", None))
    return rate


def _insert(values: dict, customer_id, actor_id=None) -> ExchangeRate:
    _refuse_overlap(values, customer_id)
    rate = ExchangeRate(customer_id=customer_id, created_by_fk=actor_id, updated_by_fk=actor_id,
                        **values)
    db.session.add(rate)
    db.session.flush()
    return rate


def update(rate: ExchangeRate, data: dict, actor=None) -> ExchangeRate:
    """Change a rate's fields (those present in ``data``; the owner stays). Raises
    ValidationError({field: message})."""
    current = {name: getattr(rate, name) for name in FIELDS}
    merged = {**current, **{k: v for k, v in data.items() if k in FIELDS}}
    values = read(merged)
    with write_transaction():
        _lock_writers()
        _refuse_overlap(values, rate.customer_id, exclude_id=rate.id)
        for name, value in values.items():
            setattr(rate, name, value)
        rate.updated_by_fk = getattr(actor, "id", None)
    return rate


def delete(rate: ExchangeRate) -> None:
    """Remove a rate for good."""
    with write_transaction():
        db.session.delete(rate)


def move_customer_rates(survivor, merged) -> tuple[int, int]:
    """Inside a customer merge: the merged customer's agreed rates become the survivor's.

    A rate whose pair and period overlap one the survivor already has cannot move (a customer
    has one rate per pair per day): the survivor's agreed rate wins, because the survivor is
    the record the shop chose to keep. The overlapping rate is not lost silently: it is written
    to the survivor's activity timeline (pair, rate, period) and then removed, so nothing stays
    attached to the merged record. Returns (moved, dropped)."""
    _lock_writers()
    moved = dropped = 0
    for rate in customer_rates(merged):
        values = {name: getattr(rate, name) for name in FIELDS}
        try:
            _refuse_overlap(values, survivor.id)
        except ValidationError:
            record_activity(
                survivor, "system",
                _("Agreed rate %(pair)s %(rate)s from %(number)s not kept", pair=f"{rate.base} → {rate.quote}",
                  rate=rate_text(rate.rate), number=merged.number),
                _("On merging %(number)s, its agreed rate %(pair)s of %(rate)s for %(period)s "
                  "overlapped this customer's own rate for the same pair, which was kept.",
                  number=merged.number, pair=f"{rate.base} → {rate.quote}",
                  rate=rate_text(rate.rate), period=period_text(rate)),
                source="fxrates", ref_type="fxrates_rate", ref_id=rate.id)
            db.session.delete(rate)
            dropped += 1
        else:
            rate.customer_id = survivor.id
            moved += 1
        db.session.flush()
    return moved, dropped


# -- demo ---------------------------------------------------------------------------------

DEMO_SHOP_RATES = [
    # (base, quote, rate, valid_from, valid_to)
    ("GBP", "EUR", "1.1590", date(2025, 1, 1), date(2025, 12, 31)),
    ("GBP", "EUR", "1.1675", date(2026, 1, 1), None),
    ("GBP", "USD", "1.2710", date(2026, 1, 1), None),
    ("GBP", "JPY", "190.25", date(2026, 1, 1), None),
    ("GBP", "CHF", "1.1120", date(2026, 1, 1), None),
    ("GBP", "SEK", "13.6400", date(2026, 1, 1), None),
    ("GBP", "PLN", "5.0150", date(2026, 1, 1), None),
]
DEMO_CUSTOMER_RATES = [
    [("GBP", "EUR", "1.1800", date(2026, 1, 1), date(2026, 6, 30))],
    [("GBP", "USD", "1.2850", date(2026, 1, 1), None),
     ("GBP", "EUR", "1.1725", date(2026, 1, 1), None)],
    [("GBP", "CHF", "1.1200", date(2026, 2, 1), None)],
]


def export_customer_rates(customer) -> dict:
    """The rates agreed with ``customer``, for the customer's data export (rates as strings)."""
    return {"rates": [
        {"base": r.base, "quote": r.quote, "rate": str(r.rate),
         "valid_from": r.valid_from.isoformat(),
         "valid_to": r.valid_to.isoformat() if r.valid_to else None}
        for r in customer_rates(customer)]}


def add_demo_rates(seed: int) -> int:
    """The demo shop's rates, and agreed rates for a few of its first customers (chosen with
    ``seed``, so every machine gets the same). Runs inside the demo's transaction and leaves
    the commit to it. Returns the number of rates added."""
    added = 0
    for base, quote, value, start, end in DEMO_SHOP_RATES:
        _insert(read({"base": base, "quote": quote, "rate": value, "valid_from": start,
                      "valid_to": end}), None)
        added += 1
    # The demo reads customer ids straight from the core's table: it only needs numbers to
    # attach rates to, and runs once on a fresh shop.
    customer = sa.table("customer", sa.column("id"))
    ids = list(db.session.execute(select(customer.c.id).order_by(customer.c.id).limit(20))
               .scalars())
    chosen = random.Random(seed).sample(ids, min(len(ids), len(DEMO_CUSTOMER_RATES)))
    for customer_id, rates in zip(sorted(chosen), DEMO_CUSTOMER_RATES):
        for base, quote, value, start, end in rates:
            _insert(read({"base": base, "quote": quote, "rate": value, "valid_from": start,
                          "valid_to": end}), customer_id)
            added += 1
    return added
