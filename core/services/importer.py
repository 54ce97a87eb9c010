"""Customer import from CSV: read the file (encoding, separator), map its columns to fields, check
every row by the customer rules (``customers._clean``), then create or update in batches.

A dry run goes through exactly the same checks and writes nothing. A row that fails is reported
(row, column, message) and never written; the good rows of the same file are. Rows are written
one transaction per batch; when the database refuses a batch (another till took a number in the
meantime) the batch is rolled back and written again row by row, each in its own savepoint, so
one bad row never half-writes nor takes good rows down with it.

Audit: an updated customer gets the usual per-field rows (old -> new) under the action
"import"; a created customer gets one "import" row (the values are the record itself, and one row
per field would triple the cost of a large import). All rows of one batch share a change id.
Plugins hear of each created and changed customer (``customer_created``/``customer_updated``)
once its batch is committed, as they would from the form.

Speed: checking emails and phone numbers is most of the cost of a row, and needs neither the app
nor the database, so on a file of more than one batch those checks run in worker processes
(``IMPORT_WORKERS``, default: one per spare CPU core) a few batches ahead of the batch being
written; the rules and the messages stay those of the customer service.

Moving in from another system: the customer exports of Shopify, Square, WooCommerce, Lightspeed
(R- and X-Series / Vend), Odoo and ERPNext are recognised by their headers
(``import_formats``) and mapped without hand-work, including the default address, more phone
numbers, tags and a note (``import_parts``). The report says which system the file came from,
what each column fills, and why the others are left out; columns a plugin will own (tax
exemption, marketing consent...) are "kept for later": counted, listed with the run, never
silently dropped. Recognition looks at the header once; a file whose columns only fill the
customer's own fields goes row by row exactly as before.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import multiprocessing
import os
import threading
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, nullcontext
from typing import Any, Callable, Iterable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from core.db import db, utcnow, write_transaction
from core.errors import ValidationError
from core.models import AuditEntry, Customer
from core.plugins import current_host
from core.services import customers, import_formats, import_parts, numbering, plugin_fields, search
from core.services.import_formats import header_key
from core.services.normalize import check_contacts, clean_text, known_contacts, yes_no

log = logging.getLogger(__name__)

KEYS = ("number", "email")
BATCH_SIZE = 1000
MAX_WORKERS = 4
# Fields a CSV column can fill: the customer's own editable fields, minus links to other records.
NOT_IMPORTED = {"segment_id", "reseller_id"}
# What systems call the two kinds of customer (lower case) -> kind.
KIND_WORDS = {"individual": "individual", "person": "individual", "private": "individual",
              "consumer": "individual", "business": "business", "company": "business",
              "organisation": "business", "organization": "business",
              "partnership": "business"}
# Cells of these fields may carry a spreadsheet's apostrophe before their digits ('0123).
DIGIT_FIELDS = ("number", "phone")
# What a column can fill besides the customer's own fields (see import_parts).
EXTRA_TARGETS = import_parts.TARGETS

# How people head their columns, folded (lower case, no spaces or punctuation) -> field.
HEADER_ALIASES = {
    "number": "number", "customernumber": "number", "customerno": "number", "custno": "number",
    "customer": "number", "customerid": "number", "accountnumber": "number", "account": "number",
    "no": "number", "nr": "number", "kundennummer": "number",
    "firstname": "first_name", "first": "first_name", "givenname": "first_name",
    "forename": "first_name", "vorname": "first_name", "prenom": "first_name",
    "lastname": "last_name", "last": "last_name", "surname": "last_name",
    "familyname": "last_name", "nachname": "last_name", "nom": "last_name",
    "company": "company_name", "companyname": "company_name", "business": "company_name",
    "organisation": "company_name", "organization": "company_name", "firma": "company_name",
    "legalname": "company_name",
    "email": "email", "emailaddress": "email", "mail": "email", "emailadresse": "email",
    "phone": "phone", "phonenumber": "phone", "telephone": "phone", "tel": "phone",
    "mobile": "phone", "mobilephone": "phone", "cell": "phone", "cellphone": "phone",
    "telefon": "phone", "mobilenumber": "phone",
    "type": "kind", "kind": "kind", "customertype": "kind",
    "status": "status",
    "dateofbirth": "date_of_birth", "dob": "date_of_birth", "birthday": "date_of_birth",
    "birthdate": "date_of_birth",
    "taxid": "tax_id", "vat": "tax_id", "vatnumber": "tax_id", "vatid": "tax_id",
    "taxcountry": "tax_country", "language": "language", "currency": "currency",
    "industry": "industry", "registrationnumber": "registration_number",
    "businesstype": "business_type", "paymentterms": "payment_terms", "gogreen": "go_green",
}


@dataclasses.dataclass
class RowError:
    """One problem of one row: spreadsheet row number (the header is row 1), the file's column
    name ("" for the whole row) and a sentence for the person fixing the file."""

    row: int
    column: str
    message: str


@dataclasses.dataclass
class CsvFile:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells)
    encoding: str
    delimiter: str
    errors: list[RowError] = dataclasses.field(default_factory=list)  # rows the reader refused


@dataclasses.dataclass
class ColumnReport:
    """What the import does with one column of the file: ``status`` is "imported" (it fills
    ``target``), "kept" (kept for later: a plugin will own it; ``filled`` rows have a value)
    or "left_out"; ``reason`` says so in a sentence."""

    column: str
    status: str
    reason: str
    target: str = ""
    filled: int | None = None
    kept_for: str = ""


@dataclasses.dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = dataclasses.field(default_factory=list)
    dry_run: bool = False
    created_ids: list[int] = dataclasses.field(default_factory=list)
    format: str = ""  # the key of the system the file was recognised as ("" for none)
    format_label: str = ""
    columns: list[ColumnReport] = dataclasses.field(default_factory=list)

    @property
    def failed(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def ok(self) -> int:
        return self.rows - self.failed

    @property
    def problems(self) -> list[RowError]:
        return self.errors

    @property
    def kept(self) -> list[ColumnReport]:
        """Columns kept for later (see ``ColumnReport``)."""
        return [c for c in self.columns if c.status == "kept"]


def importable_fields() -> list[str]:
    """The customer's own fields a column can fill."""
    return [f for f in customers.EDITABLE if f not in NOT_IMPORTED]


def targets() -> list[str]:
    """Everything a column can fill: the customer's fields, then the rest of the record, then
    the active plugins' fields (``CustomerField``, by name)."""
    return importable_fields() + list(EXTRA_TARGETS) + [f.name for f in plugin_fields.fields()]


def target_label(target: str) -> str:
    if target in EXTRA_TARGETS:
        return import_parts.target_label(target)
    if target not in customers.EDITABLE:
        field = plugin_fields.by_name(plugin_fields.fields()).get(target)
        if field is not None:
            return field.label
    return target.replace("_", " ").capitalize()


def mapping_targets() -> list[tuple[str, list[tuple[str, str]]]]:
    """The choices of the column screen and ``--map``, in groups: (group, [(target, label)])."""
    fields = [(f, target_label(f)) for f in importable_fields()]
    extra = {prefix: [(t, target_label(t)) for t in EXTRA_TARGETS if t.startswith(prefix)]
             for prefix in ("address.", "shipping.", "phone.")}
    return [
        (_("Customer"), fields + [(t, target_label(t)) for t in
                                  (import_parts.NAME, import_parts.IS_COMPANY)]),
        (_("Address"), extra["address."]),
        (_("Shipping address"), extra["shipping."]),
        (_("Other phones"), extra["phone."]),
        (_("Tags and note"), [(t, target_label(t)) for t in
                              (import_parts.TAGS, import_parts.NOTES)]),
    ] + ([(_("Plugin fields"), [(f.name, f.label) for f in plugin_fields.fields()])]
         if plugin_fields.fields() else [])


# -- reading the file ------------------------------------------------------------------------


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": message})


def decode(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The file's text and the encoding it was read with. UTF-8 (with or without BOM) unless
    ``encoding`` names another; in "auto", a file that is not UTF-8 but reads as Windows-1252
    text is taken as such. Anything else is refused naming the first row it cannot read."""
    if not data or not data.strip():
        raise _file_error(_("The file is empty."))
    if b"\x00" in data[:65536]:
        raise _file_error(_("This is not a CSV file: it contains binary data. Export the "
                            "spreadsheet as CSV and try again."))
    if encoding not in ("auto", "", None):
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise _file_error(_("Unknown encoding %(name)s.", name=encoding)) from None
        except UnicodeDecodeError as exc:
            raise _file_error(_bad_bytes_message(data, exc, encoding)) from None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _file_error(_bad_bytes_message(data[3:], exc, "UTF-8")) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise _file_error(_bad_bytes_message(data, utf8_error, "UTF-8")) from None
        # Windows-1252 reads almost any bytes; real text has next to no control characters.
        controls = sum(1 for c in text if ord(c) < 32 and c not in "\r\n\t")
        if controls:
            raise _file_error(_bad_bytes_message(data, utf8_error, "UTF-8")) from None
        return text, "cp1252"


def _bad_bytes_message(data: bytes, exc: UnicodeDecodeError, encoding: str) -> str:
    row = data[:exc.start].count(b"\n") + 1
    return _("Row %(row)d is not valid %(encoding)s text (byte 0x%(byte)02x). Save the file as "
             "“CSV UTF-8”, or choose the encoding it was saved in.",
             row=row, encoding=encoding, byte=data[exc.start])


def read_csv(data: bytes, encoding: str = "auto") -> CsvFile:
    """Parse an uploaded or given CSV file; raise ValidationError({"file": ...}) for a file that
    cannot be read at all. Rows the reader chokes on are kept as errors, not raised."""
    text, used = decode(data, encoding)
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    errors: list[RowError] = []
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number += 1
            errors.append(RowError(number, "", _("This row cannot be read as CSV (%(reason)s).",
                                                 reason=str(exc))))
            if headers is None:
                raise _file_error(_("The header row cannot be read as CSV.")) from None
            continue
        number += 1
        if headers is None:
            headers = [clean_text(h) for h in cells]
            if not any(headers):
                raise _file_error(_("The first row must name the columns (e.g. First name, "
                                    "Last name, Email)."))
            continue
        if not any(c.strip() for c in cells):
            continue  # blank lines between rows are common in hand-made files
        rows.append((number, cells))
    if headers is None:
        raise _file_error(_("The file is empty."))
    seen = set()
    for h in headers:
        if h and h in seen:
            raise _file_error(_("Two columns are both called “%(name)s”; rename one.", name=h))
        seen.add(h)
    if not rows and not errors:
        raise _file_error(_("The file has a header row but no customers."))
    return CsvFile(headers, rows, used, delimiter, errors)


def recognise(headers: Iterable[str]) -> import_formats.Recognition | None:
    """The system whose customer export this is, by its headers (see import_formats)."""
    return import_formats.detect(headers)


def guess_mapping(headers: Iterable[str]) -> dict[str, str]:
    """{column: target} without hand-work: the columns of a recognised system's export as that
    system's format says; every other column whose header names a customer field ("First
    name", "first_name", "E-mail", "Phone number"...). Columns it cannot place are left out."""
    headers = list(headers)
    mapping: dict[str, str] = {}
    known: set[str] = set()
    recognition = recognise(headers)
    if recognition is not None:
        fmt = recognition.format
        mapping, _filled_by = fmt.mapping_for(headers)
        known = set(fmt.targets_by_key) | set(fmt.kept_by_key) | set(fmt.left_out_by_key)
    fields = set(importable_fields())
    taken: set[str] = set(mapping.values())
    for header in headers:
        key = header_key(header)
        if header in mapping or key in known:
            continue
        field = key if key in fields else HEADER_ALIASES.get(key)
        if field is None:
            field = next((f for f in fields if key == f.replace("_", "")), None)
        if field in fields and field not in taken:
            mapping[header] = field
            taken.add(field)
    # A plugin's field takes the column named like it ("hello_greeting") or like its label
    # ("Preferred greeting").
    for field in plugin_fields.fields():
        names = {header_key(field.name), header_key(field.label)}
        header = next((h for h in headers if h not in mapping and header_key(h) in names), None)
        if header is not None and field.name not in taken:
            mapping[header] = field.name
            taken.add(field.name)
    return mapping


def describe(headers: list[str], mapping: dict[str, str],
             rows: list[tuple[int, list[str]]] | None = None) -> list[ColumnReport]:
    """What the import does with each column of the file, for the report; with the file's
    ``rows``, how many rows fill each column kept for later."""
    recognition = recognise(headers)
    fmt = recognition.format if recognition is not None else None
    filled_by = fmt.mapping_for(headers)[1] if fmt is not None else {}
    guessed = guess_mapping(headers)
    report = []
    for i, header in enumerate(headers):
        key = header_key(header)
        target = mapping.get(header) or ""
        if target:
            report.append(ColumnReport(header, "imported", _("Fills %(target)s.",
                                                             target=target_label(target)),
                                       target=target))
        elif fmt is not None and key in fmt.kept_by_key:
            purpose = str(fmt.kept_by_key[key])
            filled = None
            if rows is not None:
                filled = sum(1 for _n, cells in rows if i < len(cells) and cells[i].strip())
            reason = _("Kept for later (%(purpose)s): no plugin takes it from an import yet; "
                       "the report lists it with how many rows fill it.", purpose=purpose)
            report.append(ColumnReport(header, "kept", reason, filled=filled, kept_for=purpose))
        elif fmt is not None and key in fmt.left_out_by_key:
            report.append(ColumnReport(header, "left_out", str(fmt.left_out_by_key[key])))
        elif header in filled_by and filled_by[header] in mapping:
            report.append(ColumnReport(header, "left_out", _(
                "“%(other)s” already fills %(target)s.", other=filled_by[header],
                target=target_label(mapping[filled_by[header]]))))
        elif header in guessed:
            report.append(ColumnReport(header, "left_out", _(
                "Not imported: it is set to “Do not import”.")))
        else:
            report.append(ColumnReport(header, "left_out", _(
                "Not a column Regulars recognises: choose a field for it to import it.")))
    return report


def report_for(columns: list[tuple[str, str]], kept: Iterable[dict] = ()
               ) -> tuple[str, list[ColumnReport]]:
    """For a run recorded earlier (its columns as [(column, target or "")] and the columns it
    kept for later, see ``kept_for_run``): the system its file was recognised as ("" for
    none) and what the import did with each column."""
    headers = [column for column, _target in columns]
    recognition = recognise(headers)
    report = describe(headers, {column: target for column, target in columns if target})
    filled = {entry.get("column"): entry.get("filled", 0) for entry in kept}
    for column in report:
        if column.status == "kept":
            column.filled = filled.get(column.column, 0)
    return (str(recognition.label) if recognition else ""), report


def check_mapping(headers: list[str], mapping: dict[str, str], key: str) -> dict[str, str]:
    """The mapping restricted to real columns and fields; refuses one that cannot import."""
    if key not in KEYS:
        raise ValidationError({"key": _("Match rows by customer number or by email.")})
    fields = set(targets())
    errors = {}
    clean = {}
    for column, field in mapping.items():
        if not field:
            continue
        if column not in headers:
            errors[column] = _("The file has no column “%(name)s”.", name=column)
        elif not isinstance(field, str) or field not in fields:
            errors[column] = _("“%(field)s” is not a customer field.", field=field)
        elif field in clean.values():
            errors[column] = _("Two columns are mapped to %(field)s.", field=field)
        else:
            clean[column] = field
    if errors:
        raise ValidationError(errors)
    mapped = set(clean.values())
    if not mapped & {"first_name", "last_name", "company_name", import_parts.NAME}:
        raise ValidationError({"mapping": _(
            "No column holds the customer's name: map a column to first name, last name or "
            "company name.")})
    for prefix in import_parts.ADDRESS_KINDS:
        if any(t.startswith(prefix + ".") for t in mapped) and f"{prefix}.line1" not in mapped:
            raise ValidationError({"mapping": _(
                "An address needs its street: map a column to “%(target)s”, or leave the "
                "other address columns out.", target=target_label(f"{prefix}.line1"))})
    if key == "email" and "email" not in mapped:
        raise ValidationError({"mapping": _(
            "Rows are matched by email, but no column is mapped to email.")})
    return clean


# -- importing ------------------------------------------------------------------------------


def _cell_value(field: str, raw: str):
    """A cell as the customer service expects it: text, except yes/no columns."""
    if raw[:1] == "'" and raw[1:2] in ("=", "+", "-", "@"):
        raw = raw[1:]  # our own export's guard against spreadsheet formulas: read it back
    elif raw[:1] == "'" and field in DIGIT_FIELDS and raw[1:2].isdigit():
        raw = raw[1:]  # a spreadsheet's guard of leading zeros (Shopify writes ids so)
    if field in customers.BOOLEAN_FIELDS:
        # The words every yes/no value is read with (a plugin's boolean field's too); an
        # empty cell is no for a new customer (an update leaves the stored value alone).
        answer = yes_no(raw) if raw.strip() else False
        if answer is not None:
            return answer
    elif field == "kind":
        return KIND_WORDS.get(raw.strip().lower(), raw)
    return raw


def _record_defaults() -> dict[str, Any]:
    """A new customer's column values before a row's are applied (the model's defaults)."""
    values = {}
    for column in Customer.__table__.columns:
        if column.primary_key:
            continue
        default = column.default.arg if column.default is not None else None
        values[column.key] = None if callable(default) else default
    return values


class _NewRecord:
    """A plain holder of a new customer's values, so ``customers._apply`` (which sets names and
    sort keys) fills a dict for a bulk INSERT without the cost of an ORM object per row."""

    def __init__(self, defaults):
        self.__dict__.update(defaults)


def run(csv_file: CsvFile, mapping: dict[str, str], key: str = "number", dry_run: bool = False,
        actor=None, progress: Callable[[int, int], None] | None = None,
        batch_size: int = BATCH_SIZE) -> ImportResult:
    """Check every row and, unless ``dry_run``, create or update the customers. Rows are
    matched to existing customers by ``key`` (customer number or email): a match is updated
    with the row's non-empty cells, anything else is created. Returns counts and every row's
    errors; raises ValidationError only for a mapping that cannot work.

    The result also says which system's export the file is (``format``), what each column
    fills or why it is left out (``columns``), and which columns are kept for later, with how
    many rows fill them (``kept``)."""
    mapping = check_mapping(csv_file.headers, mapping, key)
    fields = set(importable_fields())
    columns = [(i, h, mapping[h]) for i, h in enumerate(csv_file.headers)
               if h in mapping and mapping[h] in fields]
    extra = plugin_fields.by_name(plugin_fields.fields())
    field_columns = [(i, h, mapping[h]) for i, h in enumerate(csv_file.headers)
                     if h in mapping and mapping[h] in extra]
    recognition = recognise(csv_file.headers)
    result = ImportResult(rows=len(csv_file.rows) + len(csv_file.errors), dry_run=dry_run,
                          errors=list(csv_file.errors),
                          format=recognition.format.key if recognition else "",
                          format_label=str(recognition.label) if recognition else "",
                          columns=describe(csv_file.headers, mapping, csv_file.rows))
    region = current_app.config["DEFAULT_PHONE_REGION"]
    plan = import_parts.RowPlan(
        csv_file.headers, mapping, region,
        recognition.format.ignored_tags if recognition else frozenset(),
        recognised=recognition is not None)
    state = _Run(
        columns=columns,
        column_of={**plan.derived_columns,
                   **{field: header for _i, header, field in columns + field_columns}},
        width=len(csv_file.headers), key=key, dry_run=dry_run,
        actor_id=getattr(actor, "id", None) if not isinstance(actor, int) else actor,
        defaults=_record_defaults(), result=result, plan=plan if plan.active else None,
        field_columns=field_columns,
        fields=[extra[name] for _i, _h, name in field_columns])
    total = len(csv_file.rows)
    batches = [csv_file.rows[start:start + batch_size] for start in range(0, total, batch_size)]
    with ExitStack() as stack:
        ahead = _ContactChecks(stack, batches, columns, state.width, region)
        done = 0
        for index, batch in enumerate(batches):
            created_before = len(result.created_ids)
            changed: list = []
            with known_contacts(ahead.results(index), region):
                with (nullcontext() if dry_run else write_transaction()):
                    _run_batch(state, batch, changed)
            if dry_run:
                db.session.rollback()  # drop the read transaction and anything a check loaded
            else:
                _tell_plugins(result.created_ids[created_before:], changed)
            done += len(batch)
            if progress is not None:
                progress(done, total)
    result.errors.sort(key=lambda e: e.row)
    return result


@dataclasses.dataclass
class _Run:
    """What every batch of one run reads (the columns, the plan for the rest of the record)
    and adds to (the rows already seen, the result)."""

    columns: list[tuple[int, str, str]]  # (index, header, customer field)
    column_of: dict[str, str]  # field -> the file's column a problem with it is reported on
    width: int
    key: str
    dry_run: bool
    actor_id: int | None
    defaults: dict[str, Any]
    result: ImportResult
    plan: import_parts.RowPlan | None  # None: the file fills the customer's own fields only
    seen_keys: dict[str, int] = dataclasses.field(default_factory=dict)
    seen_numbers: dict[str, int] = dataclasses.field(default_factory=dict)
    # The plugins' fields the file fills: (index, header, field name), and the fields.
    field_columns: list[tuple[int, str, str]] = dataclasses.field(default_factory=list)
    fields: list = dataclasses.field(default_factory=list)
    # Their checked values: of a new customer by its row number, of a match by customer id.
    new_values: dict[int, dict] = dataclasses.field(default_factory=dict)
    match_values: dict[int, dict] = dataclasses.field(default_factory=dict)


def kept_for_run(result: ImportResult) -> list[dict]:
    """The columns kept for later, as an import run keeps them beside its problems (entries
    with ``kept_for``; see ImportRun.kept_columns)."""
    return [{"row": 0, "column": c.column, "message": c.reason, "kept_for": c.kept_for,
             "filled": c.filled or 0} for c in result.kept]


def _worker_count() -> int:
    configured = current_app.config.get("IMPORT_WORKERS")
    if configured is not None:
        return max(0, int(configured))
    return max(0, min(MAX_WORKERS, (os.cpu_count() or 1) - 1))


class _ContactChecks:
    """The emails and phone numbers of every batch, checked by ``normalize.check_contacts`` in
    worker processes while earlier batches are written. A batch the workers have not started
    when its turn comes is checked in the process instead of waited for, and so is every batch
    of a file of one batch or on a machine with no spare core (``results`` gives None)."""

    def __init__(self, stack: ExitStack, batches, columns, width: int, region: str):
        self.futures: list[Future] = []
        workers = _worker_count()
        if workers == 0 or len(batches) < 2:
            return
        wanted = [(i, field) for i, _header, field in columns if field in ("email", "phone")]
        if not wanted:
            return
        try:
            pool = stack.enter_context(ProcessPoolExecutor(
                max_workers=workers, mp_context=_process_context()))
            for batch in batches:
                values = {"email": set(), "phone": set()}
                for _number, cells in batch:
                    if len(cells) != width:
                        continue
                    for i, field in wanted:
                        value = clean_text(_cell_value(field, cells[i]))
                        if value and len(value) <= customers.LIMITS[field]:
                            values[field].add(value)
                self.futures.append(pool.submit(check_contacts, sorted(values["email"]),
                                                sorted(values["phone"]), region))
        except (OSError, RuntimeError) as exc:  # no processes here: check in the process
            log.warning("Import checks run in the process: %s", exc)
            self.futures = []

    def results(self, index: int) -> dict | None:
        if index >= len(self.futures):
            return None
        future = self.futures[index]
        if not future.done() and future.cancel():
            # The workers have not reached this batch yet: check it here rather than wait
            # (the dry run outpaces them; an import, which also writes, seldom does).
            return None
        try:
            return future.result()
        except Exception as exc:  # a dead worker costs speed, never the import
            log.warning("Import checks run in the process: %s", exc)
            self.futures = []
            return None


def _process_context():
    """fork where it is safe (the CLI: one thread; a fast start, nothing imported again);
    spawn in a process with threads (the web server, the scheduler), whose locks a forked
    child could inherit held."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _tell_plugins(created_ids: list[int], changed: list) -> None:
    """After a batch is committed: customer_created / customer_updated, as the form would."""
    host = current_host()
    if created_ids and host.caller("customer_created").get_hookimpls():
        for start in range(0, len(created_ids), 500):
            chunk = created_ids[start:start + 500]
            for customer in db.session.execute(
                    select(Customer).where(Customer.id.in_(chunk))).scalars():
                host.notify("customer_created", customer=customer)
    for customer, changes in changed:
        host.notify("customer_updated", customer=customer, changes=changes)


def _run_batch(state: _Run, batch, changed):
    result, key, plan, column_of = state.result, state.key, state.plan, state.column_of
    parsed = []
    for row_number, cells in batch:
        if len(cells) != state.width:
            result.errors.append(RowError(row_number, "", _(
                "This row has %(cells)d cells but the header has %(columns)d: look for a missing "
                "or extra separator.", cells=len(cells), columns=state.width)))
            continue
        data = {field: _cell_value(field, cells[i]) for i, _header, field in state.columns}
        parsed.append((row_number, cells, data))

    existing = _existing(key, [_match_value(key, data) for _n, _c, data in parsed],
                         plan.loads if plan is not None else ())
    bodies = (import_parts.note_bodies(sorted(c.id for c in existing.values()))
              if plan is not None and plan.note is not None and existing else {})
    number_owners = _number_owners([data.get("number") for _n, _c, data in parsed])
    creates, updates = [], []
    for row_number, cells, data in parsed:
        match = _match_value(key, data)
        if key == "email" and not match:
            result.errors.append(RowError(row_number, column_of["email"], _(
                "Rows are matched by email: this row has none.")))
            continue
        if match and match in state.seen_keys:
            result.errors.append(RowError(row_number, column_of.get(key, ""), _(
                "The same %(key)s is already on row %(row)d of this file.",
                key=_("customer number") if key == "number" else _("email"),
                row=state.seen_keys[match])))
            continue
        current = existing.get(match) if match else None
        parts, problems = plan.apply(cells, data, current) if plan is not None else (None, ())
        if current is not None:
            # An empty cell leaves the stored value alone: a file of a few columns must not
            # wipe what the shop knows (a yes/no column's too, though it reads as no).
            blank = {field for i, _header, field in state.columns
                     if field in customers.BOOLEAN_FIELDS and not cells[i].strip()}
            data = {f: v for f, v in data.items()
                    if f not in blank and not (isinstance(v, str) and not v.strip())}
        try:
            values = customers._clean(data, current, require_email=False,
                                      number_owners=number_owners)
        except ValidationError as exc:
            problems = list(problems) + [(column_of.get(field, ""), str(message))
                                         for field, message in exc.errors.items()]
        field_values = {}
        if state.field_columns:
            raw = {name: _cell_value(name, cells[i]) for i, _header, name in state.field_columns}
            if current is not None:  # as above: an empty cell leaves the stored value alone
                raw = {n: v for n, v in raw.items() if v.strip()}
            try:
                field_values = plugin_fields.clean_values(raw, state.fields)
            except ValidationError as exc:
                problems = list(problems) + [(column_of.get(field, ""), str(message))
                                             for field, message in exc.errors.items()]
        if problems:
            result.errors.extend(RowError(row_number, column, message)
                                 for column, message in problems)
            continue
        if match:
            state.seen_keys[match] = row_number
        number = values.get("number")
        if current is None and number:
            if number in state.seen_numbers:
                result.errors.append(RowError(row_number, column_of.get("number", ""), _(
                    "The same customer number is already on row %(row)d of this file.",
                    row=state.seen_numbers[number])))
                continue
            state.seen_numbers[number] = row_number
        if current is None:
            creates.append((row_number, values, parts))
            if field_values:
                state.new_values[row_number] = field_values
        else:
            updates.append((row_number, current, values, parts, bodies.get(current.id, set())))
            if field_values:
                state.match_values[current.id] = field_values

    if state.dry_run:
        result.created += len(creates)
        stored = plugin_fields.read_many([u[1].id for u in updates
                                          if u[1].id in state.match_values], state.fields)
        for _n, current, values, parts, known in updates:
            differs = any(getattr(current, f) != v for f, v in values.items()) or bool(
                parts and import_parts.would_change(current, parts, known)) or any(
                stored[current.id].get(name) != v
                for name, v in state.match_values.get(current.id, {}).items())
            result.updated += differs
            result.unchanged += not differs
        return
    _write(state, creates, updates, changed)


def _match_value(key: str, data: dict) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        return ""
    value = clean_text(value)
    return value.lower() if key == "email" else value


def _number_owners(numbers: list) -> dict[str, int]:
    """{number: customer id} for the numbers of a batch that are already taken (one query)."""
    wanted = sorted({clean_text(n) for n in numbers if isinstance(n, str) and n.strip()})
    owners = {}
    for start in range(0, len(wanted), 500):
        rows = db.session.execute(select(Customer.number, Customer.id).where(
            Customer.number.in_(wanted[start:start + 500]))).all()
        owners.update((number, pk) for number, pk in rows)
    return owners


def _existing(key: str, values: list[str], loads: tuple[str, ...] = ()) -> dict[str, Customer]:
    """The customers these rows match, with the parts of their record the rows are compared
    against (``loads``: relationship names) read in the same few queries."""
    values = sorted({v for v in values if v})
    if not values:
        return {}
    column = Customer.number if key == "number" else Customer.email_normalized
    options = [selectinload(getattr(Customer, name)) for name in loads]
    found = {}
    for start in range(0, len(values), 500):
        chunk = values[start:start + 500]
        for customer in db.session.execute(select(Customer).where(column.in_(chunk))
                                           .options(*options)).scalars():
            found[customer.number if key == "number" else customer.email_normalized] = customer
    return found


def _write(state: _Run, creates, updates, changed):
    """Write one checked batch inside the caller's transaction."""
    result = state.result
    change_id = uuid.uuid4().hex
    before = (result.created, result.updated, result.unchanged, len(result.created_ids))
    try:
        with db.session.begin_nested():
            _insert(state, creates, change_id)
            for _row_number, current, values, parts, known in updates:
                _update(state, current, values, parts, known, change_id, changed)
    except (IntegrityError, ValidationError):
        # Someone else took a number (or email) while we checked, or a plugin refused a
        # value of its field: write row by row, so only the rows that really clash are refused.
        result.created, result.updated, result.unchanged = before[:3]
        del result.created_ids[before[3]:]
        del changed[:]
        db.session.expire_all()
        for create in creates:
            _one_row(state, create[0], lambda c=create: _insert(state, [c], change_id))
        for row_number, current, values, parts, known in updates:
            _one_row(state, row_number,
                     lambda c=current, v=values, p=parts, k=known: _update(
                         state, c, v, p, k, change_id, changed))


def _one_row(state: _Run, row_number, write):
    try:
        with db.session.begin_nested():
            write()
    except ValidationError as exc:  # a plugin's set() refused its field's value
        state.result.errors.extend(RowError(row_number, state.column_of.get(field, ""),
                                            str(message))
                                   for field, message in exc.errors.items())
    except IntegrityError:
        state.result.errors.append(RowError(row_number, state.column_of.get("number", ""), _(
            "This customer number was taken by someone else during the import.")))


def _insert(state: _Run, creates, change_id):
    if not creates:
        return
    result, actor_id = state.result, state.actor_id
    pattern = current_app.config["CUSTOMER_NUMBER_PATTERN"]
    needing = [values for _n, values, _p in creates if not values.get("number")]
    if needing:
        numbers = _draw_numbers(pattern, len(needing))
        for values, number in zip(needing, numbers):
            values["number"] = number
    now = utcnow()
    records = []
    for _n, values, _p in creates:
        record = _NewRecord(state.defaults)
        customers._apply(record, values)
        record.created_by_fk = record.updated_by_fk = actor_id
        record.created_at = record.updated_at = now
        records.append(record.__dict__)
    # A plain executemany, then the new ids by number (unique): RETURNING over a large
    # executemany makes SQLAlchemy splice result batches, which costs more than this query.
    connection = db.session.connection()
    _insert_rows(connection, Customer.__table__, records)
    id_of = _number_owners([r["number"] for r in records])
    ids = [id_of[r["number"]] for r in records]
    _insert_rows(connection, AuditEntry.__table__, [
        {"customer_id": pk, "entity": "customer", "entity_id": pk, "action": "import",
         "actor_fk": actor_id, "at": now, "change_id": change_id} for pk in ids])
    with_parts = [(pk, parts) for pk, (_n, _v, parts) in zip(ids, creates) if parts]
    if with_parts:
        import_parts.insert_for_new(with_parts, actor_id, now, _insert_rows)
    with_fields = {pk: state.new_values[n] for pk, (n, _v, _p) in zip(ids, creates)
                   if n in state.new_values}
    if with_fields:
        plugin_fields.write_many(with_fields, state.fields)
    # The search index follows ORM flushes; rows inserted in bulk are indexed here, from the
    # values just written.
    search.index_new_customers(db.session.connection(), [
        {**r, "id": pk, "other_phones": [p[2] for p in parts.phones] if parts else (),
         "tags": parts.tags if parts else ()}
        for r, pk, (_n, _v, parts) in zip(records, ids, creates)])
    result.created += len(ids)
    result.created_ids.extend(ids)


def _insert_rows(connection, table, rows: list[dict]) -> None:
    """INSERT ``rows`` (dicts with the same keys) with one executemany, each value bound by its
    column's own type (dates, encrypted values). The generic ``connection.execute(insert(...),
    rows)`` re-examines every row's parameters, a third of the writing time of a large import."""
    keys = list(rows[0])
    dialect = connection.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    processors = {key: table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
                  for key in keys}
    bound = [[(processors[k](row[k]) if processors[k] else row[k]) for k in keys] for row in rows]
    if compiled.positional:
        order = [keys.index(name) for name in compiled.positiontup]
        params = [tuple(values[i] for i in order) for values in bound]
    else:
        params = [dict(zip(keys, values)) for values in bound]
    connection.exec_driver_sql(compiled.string, params)


def _update(state: _Run, current, values, parts, known, change_id, changed):
    from core.services import history

    changes = customers._apply(current, values)
    if current.id in state.match_values:
        changes.update(plugin_fields.write(current, state.match_values[current.id],
                                           state.fields))
    if changes:
        current.updated_by_fk = state.actor_id
        current.updated_at = utcnow()
        history.audit(current.id, "import", changes, state.actor_id, change_id=change_id)
        db.session.flush()
    added = bool(parts) and import_parts.add_to_existing(current, parts, known, state.actor_id,
                                                         change_id)
    if not changes and not added:
        state.result.unchanged += 1
        return
    state.result.updated += 1
    changed.append((current, changes))


def _draw_numbers(pattern: str, count: int) -> list[str]:
    """``count`` free customer numbers, drawn from the counter in blocks; numbers an admin
    typed earlier that sit on the pattern's path are skipped."""
    numbers: list[str] = []
    while len(numbers) < count:
        want = count - len(numbers)
        first = numbering.draw_block(customers.SEQUENCE, want)
        candidates = [numbering.format_number(pattern, first + i) for i in range(want)]
        taken = set(db.session.execute(
            select(Customer.number).where(Customer.number.in_(candidates))).scalars())
        numbers.extend(n for n in candidates if n not in taken)
    return numbers


def import_csv(data: bytes, mapping: dict[str, str] | None = None, key: str = "number",
               dry_run: bool = False, actor=None, encoding: str = "auto",
               progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Read, map (guessed from the headers unless given) and import a CSV file in one call."""
    csv_file = read_csv(data, encoding)
    if mapping is None:
        mapping = guess_mapping(csv_file.headers)
    return run(csv_file, mapping, key=key, dry_run=dry_run, actor=actor, progress=progress)
