"""Getting customers out: a spreadsheet-safe CSV of any filtered list, and the full JSON export
of one customer (data portability: the core's record plus every installed plugin's section,
enabled or not).

Personal data leaving the shop is an act someone answers for: every export writes an audit row
(who, when, which customer or which list), and identity numbers leave in clear only for someone
allowed to reveal them."""

from __future__ import annotations

import csv
import datetime
import decimal
import json
from typing import Any, Iterator, TextIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, select

from core.crypto import mask
from core.db import db, write_transaction
from core.models import Activity, AuditEntry, Customer, Note
from core.plugins import current_host
from core.services import customers, history, plugin_fields
from core.services.plugin_fields import json_value
from core.services.record import IDENTITY_FIELDS

# Columns of the CSV, headed so the importer maps them back by itself (a round trip works).
CSV_COLUMNS = (
    ("number", "Customer number"), ("kind", "Type"), ("first_name", "First name"),
    ("last_name", "Last name"), ("company_name", "Company"), ("email", "Email"),
    ("phone", "Phone"), ("status", "Status"), ("created_at", "Created"),
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 1000


def safe_cell(value: Any) -> str:
    """A value as a CSV cell no spreadsheet will execute: a leading = + - @ is quoted with '."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        text = value.isoformat(sep=" ", timespec="seconds")
    elif isinstance(value, (datetime.date, decimal.Decimal)):
        text = str(value)
    else:
        text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _statement(stmt_or_filters) -> Select:
    if isinstance(stmt_or_filters, Select):
        return stmt_or_filters
    return customers.filtered(**(stmt_or_filters or {}))


def iter_csv(stmt_or_filters=None, *, actor=None, filters: dict | None = None) -> Iterator[str]:
    """The CSV text of ``stmt_or_filters`` chunk by chunk (see ``_chunks``). The export is
    written to the audit trail first (see ``audit_list_export``)."""
    audit_list_export(actor, filters if filters is not None else _described(stmt_or_filters))
    return (chunk for chunk, _count in _chunks(stmt_or_filters))


def audit_list_export(actor, filters: dict | None) -> None:
    """Record that ``actor`` (None: the command line) took the customer list out as a file,
    with the list filters that chose its customers."""
    chosen = ", ".join(f"{name}={value}" for name, value in sorted((filters or {}).items())
                       if value not in (None, ""))
    with write_transaction():
        history.audit(None, "export", {"filter": (None, chosen or "all customers")}, actor,
                      entity="customer_list")


def _described(stmt_or_filters) -> dict:
    return dict(stmt_or_filters) if isinstance(stmt_or_filters, dict) else {}


def _chunks(stmt_or_filters) -> Iterator[tuple[str, int]]:
    """The CSV text of the customers ``stmt_or_filters`` selects (a SELECT of Customer, or the
    keyword filters of ``customers.filtered``), chunk by chunk, so a response can stream a
    list of any length. Starts with a BOM so Excel reads it as UTF-8."""
    stmt = _statement(stmt_or_filters)

    class Line:
        def __init__(self):
            self.text = ""

        def write(self, text):
            self.text += text

    line = Line()
    writer = csv.writer(line, lineterminator="\r\n")
    # The active plugins' fields follow the core's columns, headed by their labels (which the
    # import maps back to them).
    extra = plugin_fields.fields()
    writer.writerow([header for _field, header in CSV_COLUMNS] + [f.label for f in extra])
    yield "\ufeff" + line.text, 0
    last_id = 0
    # Keyset by id: every batch is an index seek, however far into the list.
    ids_stmt = stmt.with_only_columns(Customer.id).order_by(None).order_by(Customer.id)
    while True:
        ids = db.session.execute(ids_stmt.where(Customer.id > last_id).limit(BATCH)).scalars().all()
        if not ids:
            break
        rows = db.session.execute(select(Customer).where(Customer.id.in_(ids))
                                  .order_by(Customer.id)).scalars().all()
        line.text = ""
        values = plugin_fields.read_many(ids, extra, customers={c.id: c for c in rows}) \
            if extra else {}
        for customer in rows:
            cells = [safe_cell(getattr(customer, field)) for field, _h in CSV_COLUMNS]
            if extra:
                # A field whose plugin failed to answer is left empty (see read_many).
                cells += [safe_cell(plugin_fields.text(values[customer.id].get(f.name),
                                                       for_file=True))
                          for f in extra]
            writer.writerow(cells)
        yield line.text, len(rows)
        last_id = ids[-1]
        db.session.expunge_all()  # a long export must not keep every customer in memory


def write_csv(stmt_or_filters, stream: TextIO, *, actor=None, filters: dict | None = None) -> int:
    """Write the CSV of ``stmt_or_filters`` (see ``iter_csv``) to ``stream``, audited as
    ``iter_csv`` is; returns the number of customers written."""
    audit_list_export(actor, filters if filters is not None else _described(stmt_or_filters))
    total = 0
    for chunk, count in _chunks(stmt_or_filters):
        stream.write(chunk)
        total += count
    return total


# -- one customer, everything ------------------------------------------------------------------


def _row(obj, skip=("customer_id",)) -> dict:
    return {c.key: json_value(getattr(obj, c.key)) for c in obj.__table__.columns
            if c.key not in skip}


def export_customer(customer: Customer, actor=None, clear_identity: bool = False) -> dict:
    """The data-portability export of ``customer`` (see ``customer_data``), written to the
    audit trail: who, when, and which identity numbers went out in clear. Identity numbers are
    in clear only with ``clear_identity`` (give it to those who may reveal them), masked
    otherwise."""
    data = customer_data(customer, clear_identity=clear_identity)
    in_clear = [name for name in IDENTITY_FIELDS if clear_identity and getattr(customer, name)]
    with write_transaction():
        history.audit(customer.id, "export", {name: (None, None) for name in in_clear}, actor)
    return data


def customer_data(customer: Customer, clear_identity: bool = False) -> dict:
    """Everything the shop holds about ``customer`` as JSON-ready data: the record (with every
    installed plugin's ``CustomerField`` values beside the core's fields), phones, addresses,
    contacts, tags, notes, groups, activity, audit trail, and a section per installed plugin
    (``customer_export``). Identity numbers are masked as the screens show them unless
    ``clear_identity``. Decimals are strings, dates ISO 8601. Not audited: people get
    ``export_customer``."""
    record = _row(customer, skip=())
    for name in IDENTITY_FIELDS:
        if not clear_identity and record.get(name):
            record[name] = mask(record[name])
    record["display_name"] = customer.display_name
    # The plugins' fields beside the core's, disabled plugins' too (their data is still held).
    chosen = plugin_fields.installed_fields()
    for name, value in plugin_fields.read(customer, chosen).items():
        record.setdefault(name, json_value(value))
    notes = db.session.execute(select(Note).where(Note.customer_id == customer.id)
                               .order_by(Note.id)).scalars()
    activity = db.session.execute(select(Activity).where(Activity.customer_id == customer.id)
                                  .order_by(Activity.occurred_at, Activity.id)).scalars()
    audit = db.session.execute(select(AuditEntry).where(AuditEntry.customer_id == customer.id)
                               .order_by(AuditEntry.at, AuditEntry.id)).scalars()
    data = {
        "format": "regulars.customer-export/1",
        "exported_at": json_value(datetime.datetime.now(datetime.timezone.utc)),
        "customer": record,
        "segment": customer.segment.name if customer.segment else None,
        "phones": [_row(p) for p in customer.phones],
        "addresses": [_row(a) for a in customer.addresses],
        "contacts": [_row(c) for c in customer.contacts],
        "tags": [t.name for t in customer.tags],
        "groups": [g.name for g in customer.groups],
        "notes": [_row(n) for n in notes],
        "activity": [_row(a) for a in activity],
        "audit": [_row(a) for a in audit],
        "plugins": {},
    }
    data["plugins"] = plugin_sections(customer)
    return data


def plugin_sections(customer: Customer) -> dict:
    """{section: data} from every installed plugin's ``customer_export``, enabled or not (a
    disabled plugin's data is still the customer's). A plugin that fails, or that cannot run
    while its tables exist, is named with an error instead of its data, so one broken plugin
    never blocks the export."""
    host = current_host()
    sections = {}
    from core.services.plugins import cannot_run

    for plugin, why in host.data_left_behind():
        sections[plugin.name] = {"error": _("%(problem)s: its data is missing from this export.",
                                            problem=cannot_run(plugin, why))}
    for impl in host.caller("customer_export", include_disabled=True).get_hookimpls():
        try:
            section = impl.function(**{a: customer for a in impl.argnames if a == "customer"})
        except Exception:  # isolate the plugin: the rest of the export still goes out
            current_app.logger.exception("customer_export of %s failed", impl.plugin_name)
            sections[impl.plugin_name] = {"error": _("This plugin could not export its data.")}
            continue
        if isinstance(section, (tuple, list)) and len(section) == 2:
            sections[str(section[0])] = json_value(section[1])
        elif section is not None:  # a plugin's mistake must not make its data vanish unseen
            current_app.logger.error(
                "customer_export of %s returned %s, not a (section, data) pair",
                impl.plugin_name, type(section).__name__)
            sections[impl.plugin_name] = {"error": _("This plugin could not export its data.")}
    return sections


def customer_json(customer: Customer) -> str:
    """``customer_data`` as a JSON document (see ``as_json``)."""
    return as_json(customer_data(customer))


def as_json(data: dict) -> str:
    """An export as a JSON document (indented, UTF-8 text)."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def export_filename(customer: Customer) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in customer.number)
    return _("customer-%(number)s.json", number=safe)
