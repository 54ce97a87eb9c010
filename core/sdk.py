"""The stable surface for plugin authors. A plugin imports from here and from its own modules;
everything else in ``core`` may change without notice.

    from core.sdk import hookimpl, PluginInfo, Tab, Action, Badge, SummaryItem, FormField
    from core.sdk import JsonApi  # the base of a plugin's REST API
    from core.sdk import task, enqueue, task_progress, PermanentFailure  # background tasks
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import current_app
from pluggy import HookimplMarker

from core.api.base import JsonApi
from core.db import Model, Money, Rate, db, exact_sum, utcnow, write_transaction
from core.errors import NotFound, ValidationError
from core.plugins import PluginInfo
from core.services.email import Attachment
from core.services.email_templates import EmailTemplateDefault, Placeholder
from core.tasks import PermanentFailure, enqueue, task, task_progress

hookimpl = HookimplMarker("regulars")
"""Decorator marking a function as the implementation of a Regulars hook."""


@dataclasses.dataclass(frozen=True)
class Tab:
    """A tab of the customer overview, loaded from ``url`` when it is opened.

    ``order``: core tabs use 10-90; plugins use 100 and up. ``permission`` is an optional
    ``(permission_name, view_name)`` pair; users without it do not see the tab.
    """

    key: str
    label: str
    url: str
    order: int = 100
    permission: tuple[str, str] | None = None
    badge: str | None = None


@dataclasses.dataclass(frozen=True)
class Action:
    """A quick action button in the overview's header (a link, or a POST form when ``method``
    is ``"post"``)."""

    label: str
    url: str
    icon: str = ""
    permission: tuple[str, str] | None = None
    method: str = "get"
    style: str = "default"


@dataclasses.dataclass(frozen=True)
class Badge:
    """A small label beside the customer's name. ``style`` is a Bootstrap label style:
    default, primary, success, info, warning, danger."""

    label: str
    style: str = "default"
    title: str = ""


@dataclasses.dataclass(frozen=True)
class SummaryItem:
    """A labelled fact in the overview's info box."""

    label: str
    value: str
    order: int = 100


@dataclasses.dataclass(frozen=True)
class FormField:
    """An extra field on the customer form: ``field`` is an unbound WTForms field,
    ``section`` the heading it appears under."""

    name: str
    field: Any
    section: str = "Other"


@dataclasses.dataclass(frozen=True)
class SearchProvider:
    """Something more the customer search finds customers by. ``lookup(query, limit)`` returns
    matching customer ids, best first; it is asked only for queries of ``min_length`` or more."""

    label: str
    lookup: Any
    min_length: int = 3


def plugin_host():
    """The plugin host of the running app (``host.hook.NAME(...)`` calls active plugins only)."""
    return current_app.extensions["regulars.plugins"]


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
    """The customer with this id, or NotFound."""
    from core.services import customers

    return customers.get(customer_id)


def record_activity(customer, kind: str, subject: str = "", body: str = "", **kwargs):
    """Add an entry to the customer's Activity timeline, inside the caller's transaction.

    ``kind``: note, call, email, sms, task, payment, points, document or system. Keyword
    arguments: ``actor``, ``direction`` ("in"/"out"), ``occurred_at``, ``source`` (your plugin's
    name), ``ref_type``/``ref_id`` (what it is about, e.g. "invoice", 42) and ``data`` (a dict)::

        record_activity(customer, "points", "Earned 120 points", source="loyalty",
                        ref_type="sale", ref_id=sale.id, data={"points": 120})
    """
    from core.services import history

    return history.record_activity(customer, kind, subject, body, **kwargs)


def send_email(to: str | None = None, *, template: str | None = None, customer=None,
               context: dict | None = None, subject: str | None = None, html: str | None = None,
               text: str | None = None, attachments=(), category: str = "service", actor=None,
               source: str | None = None):
    """Send an email, inside your transaction: the message is stored and its sending enqueued,
    and it goes only if your transaction commits (a worker sends it, retrying while the mail
    server is busy or unreachable). Returns the stored message.

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

    return email.send(to, template=template, customer=customer, context=context,
                      subject=subject, html=html, text=text, attachments=attachments,
                      category=category, actor=actor, source=source)


def customer_url(customer) -> str:
    """The URL of the customer's overview."""
    from flask import url_for

    return url_for("CustomerView.overview", customer_id=customer.id)


__all__ = [
    "Action",
    "Attachment",
    "Badge",
    "EmailTemplateDefault",
    "FormField",
    "JsonApi",
    "Model",
    "Money",
    "NotFound",
    "PermanentFailure",
    "Placeholder",
    "PluginInfo",
    "Rate",
    "SearchProvider",
    "SummaryItem",
    "Tab",
    "ValidationError",
    "customer_url",
    "db",
    "enqueue",
    "exact_sum",
    "get_customer",
    "hookimpl",
    "plugin_host",
    "plugin_settings",
    "record_activity",
    "send_email",
    "task",
    "task_progress",
    "utcnow",
    "write_transaction",
]
