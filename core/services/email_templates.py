"""The wording of each kind of email, kept in the database so a shop can reword it.

The core and plugins register their emails (``email_templates`` hook) with a key, a name, a
subject, an HTML and a plain-text body and the placeholders they fill in; the registered
wording is seeded into the ``email_template`` table and the shop edits it from there. Templates
are Jinja, rendered in a sandbox (``ImmutableSandboxedEnvironment``): autoescaped for the HTML
part, not for the subject and the text. A template that does not parse or names a placeholder
nobody fills in is refused when it is saved, with the line, so a mistake is never discovered
when a customer's email goes out."""

from __future__ import annotations

import dataclasses
import logging
import re
import traceback
from html.parser import HTMLParser
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.db import db, utcnow, write_transaction
from core.errors import NotFound, ValidationError
from core.models import EmailTemplate

log = logging.getLogger(__name__)

CATEGORIES = ("service", "marketing")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_.]{0,99}$")
SUBJECT_MAX = 500
HTML_MAX = 200_000
TEXT_MAX = 100_000
FIELDS = ("subject", "html", "text")


@dataclasses.dataclass(frozen=True)
class Placeholder:
    """Something a template may name, ``{{ sale.total }}``: what it is (shown to the person
    editing the template) and a sample value (for the preview and the check on save)."""

    description: str
    sample: Any = ""


@dataclasses.dataclass(frozen=True)
class EmailTemplateDefault:
    """An email a plugin sends, as it registers it (``email_templates`` hook).

    ``key``: unique, lower-case, start it with your plugin's name ("loyalty.welcome").
    ``subject``/``html``/``text``: Jinja; give at least one of html and text (the other part
    is made from it). ``category``: "service" (receipts, invoices: what the customer asked for)
    or "marketing" (never sent to a customer who does not want email). ``respects_preferences``:
    a service email that still follows the customer's "contact by email" choice.
    ``placeholders``: ``{"sale.total": Placeholder("Total of the sale", "£12.50")}``, the
    names this email's templates may use besides the core's (customer.*, shop.*)."""

    key: str
    name: str
    subject: str
    html: str = ""
    text: str = ""
    category: str = "service"
    respects_preferences: bool = False
    placeholders: dict = dataclasses.field(default_factory=dict)


# What every template may name. Plugins add theirs per template.
CORE_PLACEHOLDERS = {
    "customer.first_name": Placeholder(_l("The customer's first name"), "Alex"),
    "customer.last_name": Placeholder(_l("The customer's last name"), "Morgan"),
    "customer.display_name": Placeholder(
        _l("The customer's name as shown on screens: the company name for a business"),
        "Alex Morgan"),
    "customer.company_name": Placeholder(_l("The customer's company name"), "Morgan & Daughters"),
    "customer.number": Placeholder(_l("The customer number"), "C-000123"),
    "customer.email": Placeholder(_l("The customer's email address"), "alex@example.com"),
    "customer.phone": Placeholder(_l("The customer's phone number"), "+44 7700 900123"),
    "shop.name": Placeholder(_l("The shop's name (the sender name of the email settings)"),
                             "Corner Shop"),
    "shop.email": Placeholder(_l("The shop's email address (the sender address)"),
                              "hello@corner.example"),
}
CORE_ROOTS = {"customer", "shop"}


# -- the sandbox -----------------------------------------------------------------------------


class _EmailSandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox (no attribute starting with "_", nothing modified) without the globals an
    email has no use for (``range``, ``lipsum``...), and refusing ``*`` and ``**`` that would
    make huge values: one mistyped template must not take a worker's memory."""

    intercepted_binops = frozenset(["*", "**"])
    LARGEST = 100_000

    def __init__(self, **options):
        super().__init__(**options)
        for name in ("range", "lipsum", "cycler", "joiner"):
            self.globals.pop(name, None)

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise SecurityError(_("A power above 64 is not allowed in an email."))
        if operator == "*":
            for value, times in ((left, right), (right, left)):
                if isinstance(value, (str, list, tuple)) and isinstance(times, int) \
                        and len(value) * times > self.LARGEST:
                    raise SecurityError(_("That would make a value too long for an email."))
        return super().call_binop(context, operator, left, right)


def _environment(html: bool) -> ImmutableSandboxedEnvironment:
    key = "regulars.email.jinja.html" if html else "regulars.email.jinja.text"
    env = current_app.extensions.get(key)
    if env is None:
        env = _EmailSandbox(undefined=StrictUndefined, autoescape=html,
                            keep_trailing_newline=True)
        current_app.extensions[key] = env
    return env


def _env_for(field: str) -> ImmutableSandboxedEnvironment:
    return _environment(html=field == "html")


_COMPILED_MAX = 256


def _compiled(source: str, html: bool):
    """``source`` compiled in the sandbox, kept for the next email with the same wording
    (compiling costs more than rendering)."""
    cache = current_app.extensions.setdefault("regulars.email.compiled", {})
    key = (html, source)
    template = cache.get(key)
    if template is None:
        if len(cache) >= _COMPILED_MAX:
            cache.clear()
        template = cache[key] = _environment(html).from_string(source)
    return template


# -- the registry: what the core and plugins register --------------------------------------


def _normalise_placeholder(value) -> Placeholder:
    if isinstance(value, Placeholder):
        return value
    if isinstance(value, dict):
        return Placeholder(str(value.get("description", "")), value.get("sample", ""))
    if isinstance(value, (tuple, list)) and value:
        return Placeholder(str(value[0]), value[1] if len(value) > 1 else "")
    return Placeholder(str(value), "")


def registered() -> dict[str, tuple[str, EmailTemplateDefault]]:
    """{key: (owner, default)} of every template the core and the active plugins register.
    A malformed registration is logged and left out, never breaking the caller."""
    host = current_app.extensions["regulars.plugins"]
    found: dict[str, tuple[str, EmailTemplateDefault]] = {}
    for impl in host.caller("email_templates").get_hookimpls():
        owner = impl.plugin_name
        try:
            result = impl.function()
        except Exception:  # a broken plugin must not take the email screens down
            log.exception("email_templates of %s failed", owner)
            continue
        items = result if isinstance(result, (list, tuple)) else [result]
        for item in items:
            if item is None:
                continue
            problem = _registration_problem(item, found)
            if problem:
                log.warning("Email template from %s left out: %s", owner, problem)
                continue
            found[item.key] = (owner, item)
    return found


def _registration_problem(item, found) -> str:
    if not isinstance(item, EmailTemplateDefault):
        return f"{item!r} is not an EmailTemplateDefault"
    if not KEY_PATTERN.match(item.key or ""):
        return f"key {item.key!r} must be lower-case letters, digits, '_' and '.'"
    if item.key in found:
        return f"key {item.key!r} is registered twice"
    if item.category not in CATEGORIES:
        return f"category {item.category!r} must be one of {', '.join(CATEGORIES)}"
    return ""


def placeholders_for(key: str | None, registration: EmailTemplateDefault | None = None
                     ) -> dict[str, Placeholder]:
    """Every name a template ``key`` may use: the core's, the template's own and what
    plugins add through ``email_placeholders(template_key)``."""
    names = dict(CORE_PLACEHOLDERS)
    if registration is None and key:
        entry = registered().get(key)
        registration = entry[1] if entry else None
    if registration is not None:
        names.update({str(k): _normalise_placeholder(v)
                      for k, v in (registration.placeholders or {}).items()})
    if key:
        host = current_app.extensions["regulars.plugins"]
        for extra in host.collect("email_placeholders", template_key=key):
            if isinstance(extra, dict):
                names.update({str(k): _normalise_placeholder(v) for k, v in extra.items()})
    return dict(sorted(names.items()))


def sample_context(placeholders: dict[str, Placeholder]) -> dict:
    """The placeholders' samples as the nested values a template reads (``customer.first_name``
    becomes ``{"customer": {"first_name": ...}}``)."""
    context: dict = {}
    for name in sorted(placeholders, key=lambda n: n.count(".")):
        parts = name.split(".")
        target = context
        for part in parts[:-1]:
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        if not isinstance(target.get(parts[-1]), dict):
            target[parts[-1]] = placeholders[name].sample
    return context


# -- seeding the table -----------------------------------------------------------------------


def seed() -> int:
    """Bring the table in line with what is registered, in a transaction of its own (``regulars
    db upgrade`` and the Email templates screen call it): a new template is added with its
    owner's wording; one the shop never reworded takes the owner's new wording; a reworded one
    keeps the shop's and only learns the new default (for "Reset to default"). Returns how many
    rows were added."""
    found = registered()
    if not found:
        return 0
    with write_transaction():
        rows = {t.key: t for t in db.session.execute(
            select(EmailTemplate).where(EmailTemplate.key.in_(list(found)))).scalars()}
        added = 0
        for key, (owner, default) in found.items():
            row = rows.get(key)
            if row is None:
                added += _insert(owner, default) is not None
            else:
                _refresh(row, owner, default)
    return added


def _insert(owner: str, default: EmailTemplateDefault) -> EmailTemplate | None:
    row = EmailTemplate(key=default.key, owner=owner, updated_at=utcnow())
    _refresh(row, owner, default, wording=True)
    try:
        # Two processes may seed at once; the loser's insert fails on the unique key inside a
        # savepoint and leaves the surrounding transaction (perhaps the caller's) intact.
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        return db.session.execute(
            select(EmailTemplate).where(EmailTemplate.key == default.key)).scalar()
    return row


def _refresh(row: EmailTemplate, owner: str, default: EmailTemplateDefault,
             wording: bool | None = None) -> None:
    if wording is None:
        wording = not row.is_customised
    row.name = str(default.name)[:200]
    row.category = default.category
    row.respects_preferences = bool(default.respects_preferences)
    row.owner = owner
    row.default_subject = default.subject or ""
    row.default_html = default.html or ""
    row.default_text = default.text or ""
    if wording:
        row.subject, row.html, row.text = row.default_subject, row.default_html, row.default_text


def get_by_key(key: str) -> EmailTemplate:
    """The stored template ``key``, seeding it from its registration on first use; NotFound
    when nobody registers it. Adds to the caller's transaction (never commits)."""
    row = db.session.execute(select(EmailTemplate).where(EmailTemplate.key == key)).scalar()
    if row is not None:
        return row
    entry = registered().get(key)
    if entry is None:
        raise NotFound(key)
    row = _insert(*entry)
    if row is None:
        raise NotFound(key)
    return row


def get(template_id) -> EmailTemplate:
    from core.db import record_id

    pk = record_id(template_id)
    row = db.session.get(EmailTemplate, pk) if pk is not None else None
    if row is None or not _owner_active(row.owner):
        raise NotFound(template_id)
    return row


def _owner_active(owner: str) -> bool:
    """Whether the template's owner runs: the core, or an active plugin (a disabled or removed
    plugin's templates are kept, hidden)."""
    host = current_app.extensions["regulars.plugins"]
    return owner == "core" or host.is_active(owner)


def listed() -> list[EmailTemplate]:
    """The templates of the core and the active plugins, by name (a disabled plugin's are
    kept, hidden)."""
    rows = db.session.execute(select(EmailTemplate).order_by(EmailTemplate.name,
                                                             EmailTemplate.id)).scalars()
    return [r for r in rows if _owner_active(r.owner)]


# -- checking what the shop wrote --------------------------------------------------------------


def _line_of_name(ast, name: str) -> int:
    for node in ast.find_all(nodes.Name):
        if node.name == name and node.ctx == "load":
            return node.lineno
    return 1


def _attribute_path(node) -> list[str] | None:
    """``customer.first_name`` (or ``customer["first_name"]``) as ["customer", "first_name"];
    None when the chain does not start at a name."""
    parts: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) \
                and isinstance(node.arg.value, str):
            parts.append(node.arg.value)
            node = node.node
        elif isinstance(node, nodes.Name):
            parts.append(node.name)
            return list(reversed(parts))
        else:
            return None


def _known_path(path: str, names: set[str]) -> bool:
    """A declared name, a part of one (``sale`` of ``sale.total``), or something read from a
    declared value (``sale.lines.0``, checked by rendering the samples)."""
    if path in names:
        return True
    if any(n.startswith(path + ".") for n in names):
        return True
    return any(path.startswith(n + ".") for n in names)


def problems(source: str, field: str, placeholders: dict[str, Placeholder]) -> list[str]:
    """What is wrong with one part of a template, each as "Line N: ..."; [] when it is fine."""
    env = _env_for(field)
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        return [_("Line %(line)d: %(problem)s", line=exc.lineno or 1, problem=exc.message)]
    except RecursionError:
        return [_("Line 1: the template is nested too deeply to read.")]
    names = set(placeholders)
    roots = {n.split(".")[0] for n in names}
    found: list[tuple[int, str]] = []
    undeclared = meta.find_undeclared_variables(ast) - set(env.globals)
    for name in sorted(undeclared - roots):
        found.append((_line_of_name(ast, name), _("Line %(line)d: unknown placeholder '%(name)s'.",
                                                   line=_line_of_name(ast, name), name=name)))
    seen = set()
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        path = _attribute_path(node)
        if not path or path[0] not in roots or path[0] not in undeclared:
            continue  # a loop variable or a name set in the template itself
        for length in range(2, len(path) + 1):
            dotted = ".".join(path[:length])
            if not _known_path(dotted, names):
                if (node.lineno, dotted) not in seen:
                    seen.add((node.lineno, dotted))
                    found.append((node.lineno, _(
                        "Line %(line)d: unknown placeholder '%(name)s'.", line=node.lineno,
                        name=dotted)))
                break
    if found:
        return [message for _line, message in sorted(set(found))]
    # What the names cannot tell (a filter on the wrong kind of value, an attribute of a
    # sample): render the samples, strictly.
    try:
        env.from_string(source).render(sample_context(placeholders))
    except TemplateError as exc:
        return [_("Line %(line)d: %(problem)s", line=_template_line(exc), problem=exc.message
                  or str(exc))]
    except Exception as exc:  # noqa: BLE001 - anything the samples make a template raise
        return [_("Line %(line)d: %(problem)s", line=_template_line(exc), problem=str(exc))]
    return []


def _template_line(exc: BaseException) -> int:
    """The template line an error was raised on (Jinja rewrites its traceback to point there)."""
    line = 1
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>" and frame.lineno:
            line = frame.lineno
    return line


def check(data: dict, placeholders: dict[str, Placeholder]) -> dict[str, str]:
    """{field: message} for what cannot be saved; {} when the subject, HTML and text are fine."""
    errors: dict[str, str] = {}
    limits = {"subject": SUBJECT_MAX, "html": HTML_MAX, "text": TEXT_MAX}
    for field in FIELDS:
        value = data.get(field) or ""
        if len(value) > limits[field]:
            errors[field] = _("At most %(n)d characters.", n=limits[field])
            continue
        found = problems(value, field, placeholders)
        if found:
            errors[field] = " ".join(found[:3])
    if not (data.get("subject") or "").strip() and "subject" not in errors:
        errors["subject"] = _("Write a subject.")
    if "\n" in (data.get("subject") or "").strip() and "subject" not in errors:
        errors["subject"] = _("The subject is one line.")
    if not (data.get("html") or "").strip() and not (data.get("text") or "").strip():
        errors.setdefault("html", _("Write the email, as HTML, as plain text or both."))
    return errors


def _clean_input(data: dict) -> dict:
    return {f: (data.get(f) if isinstance(data.get(f), str) else "").replace("\r\n", "\n")
            for f in FIELDS}


def save(template: EmailTemplate, data: dict, actor=None) -> EmailTemplate:
    """Store the shop's wording of ``template`` (subject, html, text), or ValidationError with
    the line of each problem beside its field; nothing is saved then."""
    values = _clean_input(data)
    values["subject"] = values["subject"].strip()
    errors = check(values, placeholders_for(template.key))
    if errors:
        raise ValidationError(errors)
    with write_transaction():
        template.subject, template.html, template.text = (
            values["subject"], values["html"], values["text"])
        template.updated_at = utcnow()
        template.updated_by_fk = getattr(actor, "id", actor)
    return template


def reset(template: EmailTemplate, actor=None) -> EmailTemplate:
    """Put the owner's own wording back."""
    with write_transaction():
        template.subject, template.html, template.text = (
            template.default_subject, template.default_html, template.default_text)
        template.updated_at = utcnow()
        template.updated_by_fk = getattr(actor, "id", actor)
    return template


# -- rendering -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def customer_values(customer) -> dict:
    """What a template reads as ``customer``: plain values, never the record itself (a template
    must not reach the customer's relations, identity numbers or anything else)."""
    return {
        "first_name": customer.first_name or "", "last_name": customer.last_name or "",
        "display_name": customer.display_name or "", "company_name": customer.company_name or "",
        "number": customer.number or "", "email": customer.email or "",
        "phone": customer.phone or "",
    }


def shop_values(settings) -> dict:
    return {"name": settings.sender_name or current_app.config.get("APP_NAME", ""),
            "email": settings.sender_address}


def render_parts(subject: str, html: str, text: str, context: dict) -> Rendered:
    """Render the three parts with ``context``; raises jinja2's errors. An empty text part is
    made from the HTML, so every email can be read without HTML too."""
    rendered_subject = " ".join(_compiled(subject, False).render(context).split())
    rendered_html = _compiled(html, True).render(context) if html.strip() else ""
    rendered_text = _compiled(text, False).render(context) if text.strip() else ""
    if not rendered_text and rendered_html:
        rendered_text = html_to_text(rendered_html)
    return Rendered(rendered_subject, rendered_html, rendered_text)


def preview(data: dict, key: str, customer=None, settings=None) -> dict:
    """The unsaved wording ``data`` rendered for the edit screen: against ``customer`` (or the
    samples), with {field: message} for what could not be saved. Never writes anything."""
    values = _clean_input(data)
    placeholders = placeholders_for(key)
    errors = check(values, placeholders)
    context = sample_context(placeholders)
    if customer is not None:
        context["customer"] = {**context.get("customer", {}), **customer_values(customer)}
    if settings is not None:
        context["shop"] = {**context.get("shop", {}), **shop_values(settings)}
    out = {"subject": "", "html": "", "text": "", "errors": errors}
    for field in FIELDS:
        if field in errors or not values[field].strip():
            continue
        try:
            out[field] = _environment(field == "html").from_string(values[field]).render(context)
        except Exception as exc:  # noqa: BLE001 - shown beside the preview, never raised
            errors[field] = _("Line %(line)d: %(problem)s", line=_template_line(exc),
                              problem=str(exc))
    out["subject"] = " ".join(out["subject"].split())
    if not out["text"] and out["html"] and "text" not in errors:
        out["text"] = html_to_text(out["html"])
    return out


class _TextMaker(HTMLParser):
    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
              "ul", "ol", "hr", "blockquote"}
    SKIPPED = {"style", "script", "head", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.links: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "a" and self.links:
            href = self.links.pop()
            if href and not href.startswith(("#", "mailto:")):
                self.parts.append(f" ({href})")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """A readable plain-text version of an HTML email: paragraphs as lines, links with their
    address in brackets."""
    maker = _TextMaker()
    maker.feed(html)
    maker.close()
    lines = [line.strip() for line in "".join(maker.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
