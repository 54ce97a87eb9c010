"""Finding customers, for plugins (``core.sdk.find_customers``, ``count_customers``,
``iter_customers``): a few filters a plugin needs, merged and erased records hidden unless
asked for, every argument checked (a bad one raises ValidationError naming it).

Dialect-specific SQL (a date's month and day) is ``core.db.month_day``; migration 0010 indexes
it, so "whose birthday is today" reads an index, not the whole table."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, timezone

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, false, func, or_, select

from core.db import MAX_INTEGER, db, month_day, record_id
from core.errors import ValidationError
from core.models import Customer, CustomerGroup, Segment, group_membership

STATUSES = ("active", "inactive")
ORDERS = {
    "id": Customer.id,
    "number": Customer.number,
    "name": Customer.sort_key,
    "created_at": Customer.created_at,
    "updated_at": Customer.updated_at,
    "date_of_birth": Customer.date_of_birth,
}
MAX_BATCH = 10_000
FEB_29 = 229


def conditions(*, ids=None, birthday_between=None, born_between=None, segment=None,
               group=None, status="active", created_since=None, updated_since=None,
               include_merged: bool = False, include_erased: bool = False) -> list:
    """The WHERE conditions these filters mean (see ``core.sdk.find_customers``)."""
    found = []
    if ids is not None:
        found.append(_ids_condition(ids))
    if status is not None:
        if status not in STATUSES:
            raise ValidationError({"status": _("Choose active, inactive or None (both).")})
        found.append(Customer.status == status)
    if not _flag("include_merged", include_merged):
        found.append(Customer.merged_into_id.is_(None))
    if not _flag("include_erased", include_erased):
        found.append(Customer.erased_at.is_(None))
    if birthday_between is not None:
        found.append(_birthday_condition(birthday_between))
    if born_between is not None:
        start, end = _date_pair("born_between", born_between, open_ends=True)
        if start is not None:
            found.append(Customer.date_of_birth >= start)
        if end is not None:
            found.append(Customer.date_of_birth <= end)
        if start is None and end is None:
            found.append(Customer.date_of_birth.is_not(None))
    if segment is not None:
        found.append(Customer.segment_id == _named_id("segment", segment, Segment))
    if group is not None:
        group_id = _named_id("group", group, CustomerGroup)
        found.append(Customer.id.in_(select(group_membership.c.customer_id)
                                     .where(group_membership.c.group_id == group_id)))
    if created_since is not None:
        found.append(Customer.created_at >= _moment("created_since", created_since))
    if updated_since is not None:
        found.append(Customer.updated_at >= _moment("updated_since", updated_since))
    return found


def find(*, order_by: str = "id", limit: int | None = None, **filters) -> list[Customer]:
    where = conditions(**filters)
    stmt = select(Customer).where(*where).order_by(*_order(order_by))
    if limit is not None:
        stmt = stmt.limit(_whole("limit", limit, 1, MAX_INTEGER))
    return list(db.session.execute(stmt).scalars())


def count(**filters) -> int:
    where = conditions(**filters)
    return db.session.execute(select(func.count(Customer.id)).where(*where)).scalar() or 0


def batches(*, batch_size: int = 1000, **filters) -> Iterator[list[Customer]]:
    """The customers these filters find, by id, ``batch_size`` at a time: each batch is one
    query starting after the last id of the one before (keyset), so memory stays the same
    however many there are, and customers added meanwhile are still found."""
    size = _whole("batch_size", batch_size, 1, MAX_BATCH)
    where = conditions(**filters)  # checked now, not at the first next()
    return _batches(where, size)


def _batches(where: list, size: int) -> Iterator[list[Customer]]:
    after = 0
    while True:
        batch = list(db.session.execute(
            select(Customer).where(*where, Customer.id > after)
            .order_by(Customer.id).limit(size)).scalars())
        if not batch:
            return
        after = batch[-1].id
        yield batch
        if len(batch) < size:
            return


# -- checking the arguments ------------------------------------------------------------------


def _flag(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValidationError({name: _("Must be True or False.")})
    return value


def _whole(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError({name: _("Must be a whole number between %(low)d and %(high)d.",
                                       low=low, high=high)})
    return value


def _ids_condition(ids):
    if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
        raise ValidationError({"ids": _("Give a list of customer ids.")})
    wanted = set()
    for value in ids:
        pk = record_id(value) if isinstance(value, int) else None
        if pk is None:
            raise ValidationError({"ids": _("%(value)r is not a customer id.", value=value)})
        wanted.add(pk)
    if not wanted:
        return false()
    # Checked whole numbers, written into the SQL: no limit on how many (SQLite and
    # PostgreSQL both cap the number of bound parameters).
    return Customer.id.in_(bindparam("customer_ids", sorted(wanted), expanding=True,
                                     literal_execute=True))


def _a_date(name: str, value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise ValidationError({name: _("Give dates (datetime.date), not %(value)r.", value=value)})


def _date_pair(name: str, value, open_ends: bool = False) -> tuple[date | None, date | None]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValidationError({name: _("Give a (start, end) pair of dates.")})
    start, end = (None if v is None and open_ends else _a_date(name, v) for v in value)
    if start is not None and end is not None and start > end:
        raise ValidationError({name: _("The start comes after the end.")})
    return start, end


def _md(day: date) -> int:
    return day.month * 100 + day.day


def _birthday_condition(window):
    """Birthdays from ``start`` to ``end`` (both included) whatever the year: March 30th to
    April 2nd, or December 28th to January 3rd over the New Year. Someone born on February 29th
    has their birthday on February 28th in a year without one."""
    start, end = _date_pair("birthday_between", window)
    birthday = month_day(Customer.date_of_birth)
    if (end - start).days >= 365:  # a whole year or more: every birthday
        return Customer.date_of_birth.is_not(None)
    first, last = _md(start), _md(end)
    if first <= last and start.year == end.year:
        ranges = [(first, last)]
    else:
        ranges = [(first, 1231), (101, last)]
    parts = [birthday.between(low, high) for low, high in ranges]
    if last == 228 and not calendar.isleap(end.year):
        parts.append(birthday == FEB_29)
    return and_(Customer.date_of_birth.is_not(None), or_(*parts))


def _named_id(name: str, value, model) -> int:
    """The id of the segment or group named by its id or its name."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValidationError({name: _("Give the id or the name of the %(what)s.", what=name)})
    if isinstance(value, int):
        found = db.session.get(model, value) if record_id(value) else None
        pk = found.id if found is not None else None
    else:
        pk = db.session.execute(select(model.id).where(model.name == value.strip())).scalar()
    if pk is None:
        raise ValidationError({name: _("There is no %(what)s %(value)r.", what=name,
                                       value=value)})
    return pk


def _moment(name: str, value) -> datetime:
    """A time as stored (naive UTC): an aware datetime converted, a naive one taken as UTC, a
    date as the start of that day in the shop's time zone."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value
    if isinstance(value, date):
        from core.shop_time import shop_day_bounds

        return shop_day_bounds(value)[0]
    raise ValidationError({name: _("Give a datetime (UTC) or a date (the shop's day).")})


def _order(order_by) -> tuple:
    if not isinstance(order_by, str):
        order_by = repr(order_by)
    descending = order_by.startswith("-")
    column = ORDERS.get(order_by.lstrip("-"))
    if column is None:
        raise ValidationError({"order_by": _("Order by one of %(names)s (\"-\" first for "
                                             "newest or largest first).",
                                             names=", ".join(ORDERS))})
    if column is Customer.id:
        return (Customer.id.desc() if descending else Customer.id,)
    key = column.desc() if descending else column.asc()
    if column.expression.nullable:
        key = key.nulls_last()  # customers without a date of birth come last either way
    return (key, Customer.id.desc() if descending else Customer.id)

