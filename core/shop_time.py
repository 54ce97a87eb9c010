"""The shop's time zone: stored times are UTC (naive ``datetime``s, as ``utcnow()`` gives them);
what people see, and what "today" means, is the shop's local time.

One rule for a naive datetime: it is UTC, wherever it is passed (``to_shop_time``,
``find_customers(created_since=...)``, a task's ``run_at``). Only ``shop_local_to_utc`` reads one
as the shop's local time, and says so in its name.

The zone is ``BABEL_DEFAULT_TIMEZONE`` (an IANA name such as ``"Europe/London"``; "UTC" by
default), the same setting the screens use to show times, and the zone the scheduler's cron
triggers run in: a job added with ``hour=7`` runs at seven in the shop."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

from core.db import utcnow

SETTING = "BABEL_DEFAULT_TIMEZONE"


def zone_named(name: str | None) -> ZoneInfo:
    """The time zone ``name`` (UTC when empty); a name that is no zone stops with a clear
    error rather than quietly using UTC."""
    try:
        return ZoneInfo((name or "UTC").strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{SETTING} = {name!r} is not a time zone; use an IANA name such as "
                         "'Europe/London'.") from None


def shop_timezone(app=None) -> ZoneInfo:
    """The shop's time zone."""
    return zone_named((app or current_app).config.get(SETTING))


def shop_now() -> datetime:
    """Now in the shop's time zone (an aware datetime)."""
    return to_shop_time(utcnow())


def shop_today() -> date:
    """The shop's date now: what "today" means to a daily job and to the people in the shop."""
    return shop_now().date()


def to_shop_time(moment: datetime) -> datetime:
    """A stored time (naive UTC, or any aware datetime) in the shop's time zone, aware."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(shop_timezone())


def shop_local_to_utc(moment: datetime) -> datetime:
    """A time on the shop's clock (what a person in the shop typed or read off the wall) as
    it is stored: naive UTC. The one place a naive datetime is not UTC: here it is the shop's
    local time, as the name says. An aware ``moment`` is converted from its own zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=shop_timezone())
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def shop_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The shop's day ``day`` as stored times: (its start, the next day's start), naive UTC,
    for ``start <= column < end`` (a day of 23 or 25 hours when the clocks change)."""
    zone = shop_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return (start.astimezone(timezone.utc).replace(tzinfo=None),
            end.astimezone(timezone.utc).replace(tzinfo=None))
