"""The stable surface for plugin authors. A plugin imports from here and from its own modules;
everything else in ``core`` may change without notice. Everything importable:

Declaring a plugin
    ``PluginInfo``, ``hookimpl``, ``plugin_host``, ``plugin_settings``; ``hookspec`` for the
    hooks a plugin declares for other plugins
The customer overview and form
    ``Tab``, ``Action``, ``Badge``, ``SummaryItem``, ``FormField``, ``CustomerField``,
    ``customer_url``
The customer list, the merge screen and the search
    ``ListColumn``, ``ListFilter``, ``MergePanel``, ``SearchProvider``
Groups
    ``GroupRule``, ``RuleParam`` (rule types for rule-based groups), ``refresh_groups``,
    ``group_memberships``, ``list_groups``, ``Membership``
Reading customers
    ``get_customer``, ``find_customers``, ``count_customers``, ``iter_customers``
Writing to a customer's record and reaching them
    ``record_activity``, ``send_email``, ``Attachment``, ``EmailTemplateDefault``,
    ``Placeholder``
Transactions and errors
    ``write_transaction``, ``ValidationError``, ``NotFound``
Background work
    ``task``, ``enqueue``, ``task_progress``, ``PermanentFailure``
Who is acting, and when
    ``current_actor``, ``shop_now``, ``shop_today``, ``shop_day_bounds``, ``to_shop_time``,
    ``utcnow``
Your tables
    ``Model``, ``db``, ``Money``, ``Rate``, ``exact_sum``
Your REST API
    ``JsonApi``

::

    from core.sdk import hookimpl, PluginInfo, Tab, Action, Badge, find_customers, shop_today

**Customers** (from ``get_customer``, ``find_customers``, ``iter_customers`` and the hooks) are
for reading. These attributes are stable: ``id``, ``number``, ``kind`` ("individual" or
"business"), ``display_name``, ``first_name``, ``last_name``, ``company_name``, ``email``,
``phone``, ``date_of_birth`` (a date or None), ``status`` ("active" or "inactive"),
``is_active``, ``segment_id`` and ``segment`` (``segment.name``), ``groups`` (each with
``id`` and ``name``), ``language``, ``currency``, ``contact_email``, ``contact_sms``,
``contact_phone``, ``contact_post`` (what the customer agreed to be contacted by),
``created_at``, ``updated_at``, ``merged_into_id`` (set on a record merged into another) and
``erased_at`` (set once its personal data was erased); times are UTC. Anything else on the
object may change. Change a customer through the core (the form, the API, your
``CustomerField``), never by setting attributes.

**Transactions**, one rule: a service call is one ``write_transaction``. ``record_activity``,
``send_email`` and ``enqueue`` called where no write transaction is open (a view, a job, a
task) commit on their own; called inside one (your service's ``with write_transaction():``, or
a hook the core calls inside its own, such as ``customer_merging``) they join it, and commit
or roll back with it. ``write_transaction`` inside another joins it too: only the outermost
commits.

**Time**: stored times are UTC (naive datetimes, as ``utcnow()`` gives them). The shop's
time zone is the setting ``BABEL_DEFAULT_TIMEZONE``; "today" for a daily job, or for anyone
in the shop, is ``shop_today()``, and the scheduler's cron hours are the shop's.
"""

from __future__ import annotations

from flask import current_app
from pluggy import HookimplMarker, HookspecMarker

from core.actor import current_actor
from core.api.base import JsonApi
from core.declarations import (Action, Badge, CustomerField, FormField, GroupRule, ListColumn,
                               ListFilter, Membership, MergePanel, RuleParam, SearchProvider,
                               SummaryItem, Tab)
from core.db import Model, Money, Rate, db, exact_sum, utcnow, write_transaction
from core.errors import NotFound, ValidationError
from core.plugins import PluginInfo
from core.services.email import Attachment
from core.services.email_templates import EmailTemplateDefault, Placeholder
from core.shop_time import shop_day_bounds, shop_now, shop_today, to_shop_time
from core.tasks import PermanentFailure, enqueue, task, task_progress

hookimpl = HookimplMarker("regulars")
"""Decorator marking a function as the implementation of a Regulars hook."""

hookspec = HookspecMarker("regulars")
"""Decorator marking a function as the specification of a hook, in a module of hookspecs a
plugin publishes for other plugins with ``addhooks(pm)``: ``pm.add_hookspecs(module)``."""


def plugin_host():
    """The plugin host of the running app (``host.hook.NAME(...)`` calls active plugins only)."""
    from core.plugins import current_host

    return current_host()


def plugin_settings(name: str) -> dict:
    """A plugin's settings: its PluginInfo defaults, overridden by ``REGULARS_PLUGIN_<NAME>_<KEY>``
    in the app config."""
    info = plugin_host().plugins[name].info
    prefix = f"PLUGIN_{name.upper()}_"
    settings = dict(info.settings)
    for key, value in current_app.config.items():
        if key.startswith(prefix):
            settings[key[len(prefix):].lower()] = value
    return settings


def get_customer(customer_id: int):
    """The customer with this id, whatever their status (merged and erased ones too), or
    NotFound. A merged record's ``merged_into_id`` names the one it lives on in. A view or
    API endpoint that lets NotFound through answers 404 (the page, or JSON under /api/)."""
    from core.services import customers

    return customers.get(customer_id)


def find_customers(ids=None, *, birthday_between=None, born_between=None, segment=None,
                   group=None, status="active", created_since=None, updated_since=None,
                   include_merged: bool = False, include_erased: bool = False,
                   order_by: str = "id", limit: int | None = None) -> list:
    """The customers that match every filter given, as a list (see the module's docstring for
    what a customer offers). For many customers use ``iter_customers``; to know how many,
    ``count_customers``.

    ``ids``: only these customer ids. ``birthday_between``: a ``(start, end)`` pair of dates,
    both included, matched on the month and day whatever the year: ``(date(2025, 12, 28),
    date(2026, 1, 3))`` runs over the New Year; someone born on 29 February has their birthday
    on 28 February in a year without one. ``born_between``: a ``(start, end)`` pair of dates of
    birth (either may be None for no bound). ``segment``, ``group``: the id or the name of a
    segment or of a (static) group. ``status``: "active" (the default), "inactive" or None
    for both. ``created_since``, ``updated_since``: a datetime (UTC when naive) or a date
    (from the start of that day in the shop). ``include_merged``, ``include_erased``: merged
    records (which live on in another) and erased ones (whose personal data is gone) are left
    out unless you ask for them.

    ``order_by``: "id" (the default), "number", "name", "created_at", "updated_at" or
    "date_of_birth"; put "-" before it for the other way round (``"-created_at"``: newest
    first); ties are broken by id. ``limit``: at most that many.

    A filter value that cannot be used (a status or an order that does not exist, a segment
    or group no one has, something that is not a date) raises ``ValidationError`` naming the
    argument: ``{"segment": "There is no segment 'Gold'."}``. A daily birthday job::

        for customer in find_customers(birthday_between=(shop_today(), shop_today())):
            send_email(template="hello.birthday", customer=customer)
    """
    from core.services import customer_queries

    return customer_queries.find(
        ids=ids, birthday_between=birthday_between, born_between=born_between,
        segment=segment, group=group, status=status, created_since=created_since,
        updated_since=updated_since, include_merged=include_merged,
        include_erased=include_erased, order_by=order_by, limit=limit)


def count_customers(ids=None, *, birthday_between=None, born_between=None, segment=None,
                    group=None, status="active", created_since=None, updated_since=None,
                    include_merged: bool = False, include_erased: bool = False) -> int:
    """How many customers ``find_customers`` would find with these filters (one COUNT)."""
    from core.services import customer_queries

    return customer_queries.count(
        ids=ids, birthday_between=birthday_between, born_between=born_between,
        segment=segment, group=group, status=status, created_since=created_since,
        updated_since=updated_since, include_merged=include_merged,
        include_erased=include_erased)


def iter_customers(batch_size: int = 1000, *, ids=None, birthday_between=None,
                   born_between=None, segment=None, group=None, status="active",
                   created_since=None, updated_since=None, include_merged: bool = False,
                   include_erased: bool = False):
    """The customers ``find_customers`` would find, in lists of at most ``batch_size`` (1 to
    10,000), by id. Each batch is one query that starts after the last id of the batch before,
    so memory and time per batch stay the same however many customers there are. The filters
    are checked at once (ValidationError before the first batch). Commit each batch's work as
    you go, so a job that stops halfway keeps what it did::

        for batch in iter_customers(segment="VIP"):
            with write_transaction():
                for customer in batch:
                    record_activity(customer, "system", "Checked for the VIP review",
                                    source="vipreview")
    """
    from core.services import customer_queries

    return customer_queries.batches(
        batch_size=batch_size, ids=ids, birthday_between=birthday_between,
        born_between=born_between, segment=segment, group=group, status=status,
        created_since=created_since, updated_since=updated_since,
        include_merged=include_merged, include_erased=include_erased)


_ACTING_NOW = object()  # record_activity's default actor: whoever is acting now


def record_activity(customer, kind: str, subject: str = "", body: str = "", *,
                    actor=_ACTING_NOW, direction: str | None = None, occurred_at=None,
                    source: str = "core", ref_type: str | None = None, ref_id=None,
                    data: dict | None = None):
    """Add an entry to the customer's Activity timeline; returns it.

    Transactions: inside a ``write_transaction`` (yours, or the core's around a hook such as
    ``customer_merging``) the entry joins it and is kept only if it commits; called where none
    is open (a quick-action view, a job, a task) it commits on its own.

    ``customer``: a customer or its id. ``subject``: the headline (at most 200 characters);
    ``body``: plain text under it (line breaks kept). ``actor``: the user who did it, by
    default the one acting now (``current_actor()``; None: "System"). ``direction``: "in" or
    "out" (calls, emails, SMS). ``occurred_at``: when (UTC), by default now. ``source``: your
    plugin's name, shown as "via <source>". ``ref_type``/``ref_id``: what it is about ("sale",
    42); ``data``: a small dict of JSON values for your own use.

    ``kind``, one of these, each with its icon and label on the tab (and a filter by kind)::

        note      Note      a remark about the customer
        call      Call      a phone call (with direction)
        email     Email     an email (core: with its sending status, from send_email)
        sms       SMS       a text message (with direction)
        task      Task      something to do or done for the customer
        payment   Payment   money paid or refunded
        points    Points    loyalty points earned or spent
        document  Document  a document made or received (invoice, contract)
        system    System    something the software did (a merge, a recompute)

    Every kind shows alike: icon and label (and "incoming"/"outgoing" with a direction), the
    subject in bold, the body below it, who (or "System") and when, and "via <source>". A kind
    not listed raises ValidationError ``{"kind": ...}``; text is always escaped, never HTML::

        record_activity(customer, "points", "Earned 120 points", source="loyalty",
                        ref_type="sale", ref_id=sale.id, data={"points": 120})
    """
    from core.services import history

    if actor is _ACTING_NOW:
        actor = current_actor()
    with write_transaction(savepoint=False):
        return history.record_activity(customer, kind, subject, body, actor=actor,
                                       direction=direction, occurred_at=occurred_at,
                                       source=source, ref_type=ref_type, ref_id=ref_id,
                                       data=data)


def send_email(to: str | None = None, *, template: str | None = None, customer=None,
               context: dict | None = None, subject: str | None = None, html: str | None = None,
               text: str | None = None, attachments=(), category: str = "service",
               actor=_ACTING_NOW, source: str | None = None):
    """Send an email: the message is stored and its sending enqueued, and a worker sends it,
    retrying while the mail server is busy or unreachable. Returns the stored message.
    Inside a ``write_transaction`` it joins it, and goes only if that transaction commits;
    called where none is open (a view, a job, a task) it commits on its own. ``actor``: who
    sends it, by default the user acting now (``current_actor()``).

    Either ``template`` (the key of a template you registered with ``email_templates``; its
    placeholders filled from ``customer`` and ``context``) or ``subject`` with ``html`` and/or
    ``text`` written out in full. ``to`` defaults to the customer's address. ``attachments``:
    ``Attachment(filename, data, content_type)`` objects (or such tuples). Every email to a
    customer is an entry on their Activity timeline that shows whether it was sent.

    A marketing email (``category`` of the template, or the argument) to a customer who does
    not want email, an email to a customer without an address or whose data was erased, is
    not sent: the message comes back with ``status == "refused"`` and the reason in
    ``last_error``, and the timeline says so. A call that cannot work (unknown template, a bad
    address, a placeholder value missing from ``context``) raises ValidationError::

        with write_transaction():
            sale = record_sale(...)
            send_email(template="sales.receipt", customer=sale.customer,
                       context={"sale": {"number": sale.number, "total": str(sale.total)}},
                       attachments=[Attachment("receipt.pdf", pdf_bytes, "application/pdf")])
    """
    from core.services import email

    if actor is _ACTING_NOW:
        actor = current_actor()
    with write_transaction(savepoint=False):
        return email.send(to, template=template, customer=customer, context=context,
                          subject=subject, html=html, text=text, attachments=attachments,
                          category=category, actor=actor, source=source)


def refresh_groups(customer_ids) -> int:
    """Bring these customers' rule-based group memberships up to date now (after your data
    about them changed: a sale, a points balance); returns how many memberships changed. Each
    change is stored (entered, left, moved level, and why) and written to the customer's
    timeline ("joined VIP"). Call it after your transaction committed; the core's nightly
    recompute catches up with whatever time alone changes ("in the last 30 days")."""
    from core.services import group_rules

    return group_rules.refresh_customers(list(customer_ids))


def group_memberships(customer) -> list:
    """The groups ``customer`` (a customer or an id) is in now, as ``Membership`` objects,
    rule-based and hand-picked alike, by group name."""
    from core.services import group_rules

    return group_rules.memberships(customer)


def list_groups() -> list:
    """Every group, by name. Stable attributes: ``id``, ``name``, ``rule_based``, ``levels``
    (by rank, lowest first, each with ``id``, ``name``, ``rank``, ``discount_percent``)."""
    from core.services import group_rules

    return group_rules.all_groups()


def customer_url(customer) -> str:
    """The URL of the customer's overview."""
    from flask import url_for

    return url_for("CustomerView.overview", customer_id=customer.id)


__all__ = [
    "Action",
    "Attachment",
    "Badge",
    "CustomerField",
    "EmailTemplateDefault",
    "FormField",
    "GroupRule",
    "JsonApi",
    "ListColumn",
    "ListFilter",
    "Membership",
    "MergePanel",
    "Model",
    "Money",
    "NotFound",
    "PermanentFailure",
    "Placeholder",
    "PluginInfo",
    "Rate",
    "RuleParam",
    "SearchProvider",
    "SummaryItem",
    "Tab",
    "ValidationError",
    "count_customers",
    "current_actor",
    "customer_url",
    "db",
    "enqueue",
    "exact_sum",
    "find_customers",
    "get_customer",
    "group_memberships",
    "hookimpl",
    "hookspec",
    "iter_customers",
    "list_groups",
    "plugin_host",
    "plugin_settings",
    "record_activity",
    "refresh_groups",
    "send_email",
    "shop_day_bounds",
    "shop_now",
    "shop_today",
    "task",
    "task_progress",
    "to_shop_time",
    "utcnow",
    "write_transaction",
]
