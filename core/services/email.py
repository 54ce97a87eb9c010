"""Outbound email: the shop's SMTP settings, ``send`` (a message stored and its task enqueued
in the caller's transaction) and the task that hands it to the mail server.

This is the only module that speaks SMTP. Every email to a customer is an entry on their
Activity timeline, whose status follows the message: queued, then sent or failed (with the
mail server's answer in words). Marketing email never goes to a customer who does not want
email; the refusal is recorded, with its reason, never silently dropped."""

from __future__ import annotations

import dataclasses
import mimetypes
import smtplib
import socket
import ssl
import threading
import time
from datetime import timezone
from types import SimpleNamespace
from email.message import EmailMessage as MimeMessage
from email.utils import formataddr, format_datetime, make_msgid

from flask import current_app
from flask_babel import gettext as _
from jinja2 import TemplateError
from sqlalchemy import delete, select, update

from core.db import db, record_id, utcnow, write_transaction
from core.errors import NotFound, ValidationError
from core.models import Activity, Customer, EmailAttachment, EmailMessage, EmailSettings
from core.services import email_templates as templates
from core.services import history
from core.tasks import PermanentFailure, enqueue, task, when_discarded

SEND_TASK = "core.email.send"
SECURITY = ("none", "starttls", "tls")
STATUSES = ("queued", "sent", "failed", "refused")
SETTINGS_ID = 1


# -- settings --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SmtpSettings:
    """How to reach the mail server, as the shop saved it (or as configured until then)."""

    host: str
    port: int
    security: str
    username: str
    password: str | None
    sender_name: str
    sender_address: str
    reply_to: str
    saved: bool

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender_address)

    @property
    def has_password(self) -> bool:
        return bool(self.password)


def current_settings() -> SmtpSettings:
    """The settings in force: the Email settings screen's once saved, else ``MAIL_*``."""
    row = db.session.get(EmailSettings, SETTINGS_ID)
    if row is not None:
        return SmtpSettings(row.host, row.port, row.security, row.username, row.password,
                            row.sender_name, row.sender_address, row.reply_to, True)
    cfg = current_app.config
    security = str(cfg.get("MAIL_SECURITY") or "starttls").lower()
    return SmtpSettings(
        host=str(cfg.get("MAIL_SERVER") or ""), port=int(cfg.get("MAIL_PORT") or 587),
        security=security if security in SECURITY else "starttls",
        username=str(cfg.get("MAIL_USERNAME") or ""), password=cfg.get("MAIL_PASSWORD") or None,
        sender_name=str(cfg.get("MAIL_SENDER_NAME") or ""),
        sender_address=str(cfg.get("MAIL_SENDER_ADDRESS") or ""),
        reply_to=str(cfg.get("MAIL_REPLY_TO") or ""), saved=False)


def _address(value, field: str, errors: dict, required: bool) -> str:
    from core.services.normalize import normalize_email

    value = (value or "").strip() if isinstance(value, str) else ""
    if not value:
        if required:
            errors[field] = _("Enter an email address.")
        return ""
    try:
        return normalize_email(value)[0]
    except ValueError as exc:
        errors[field] = str(exc)
        return value


def _one_line(value, field: str, limit: int, errors: dict) -> str:
    value = (value or "").strip() if isinstance(value, str) else ""
    if len(value) > limit:
        errors[field] = _("At most %(n)d characters.", n=limit)
    elif any(c in value for c in "\r\n\x00"):
        errors[field] = _("Write it on one line.")
    return value


def save_settings(data: dict, actor=None) -> SmtpSettings:
    """Store the SMTP settings typed on the Email settings screen. ``password``: a new password;
    left empty, the one in force is kept, unless ``clear_password`` is set. Raises
    ValidationError({field: message}); nothing is saved then."""
    errors: dict[str, str] = {}
    host = _one_line(data.get("host"), "host", 255, errors)
    if not host and "host" not in errors:
        errors["host"] = _("Enter the mail server's name, e.g. smtp.example.com.")
    elif " " in host:
        errors["host"] = _("A server name has no spaces.")
    port = record_id(data.get("port"))
    if port is None or port > 65535:
        errors["port"] = _("Enter a port number from 1 to 65535 (usually 587, or 465 for TLS).")
    security = data.get("security")
    if security not in SECURITY:
        errors["security"] = _("Choose none, STARTTLS or TLS.")
    username = _one_line(data.get("username"), "username", 255, errors)
    password = data.get("password") if isinstance(data.get("password"), str) else ""
    if len(password) > 1000:
        errors["password"] = _("At most %(n)d characters.", n=1000)
    sender_name = _one_line(data.get("sender_name"), "sender_name", 200, errors)
    sender_address = _address(data.get("sender_address"), "sender_address", errors, True)
    reply_to = _address(data.get("reply_to"), "reply_to", errors, False)
    if errors:
        raise ValidationError(errors)
    kept = current_settings().password
    with write_transaction():
        row = db.session.get(EmailSettings, SETTINGS_ID)
        if row is None:
            row = EmailSettings(id=SETTINGS_ID)
            db.session.add(row)
        row.host, row.port, row.security, row.username = host, port, security, username
        if password:
            row.password = password
        elif data.get("clear_password"):
            row.password = None
        else:
            row.password = kept
        row.sender_name, row.sender_address, row.reply_to = sender_name, sender_address, reply_to
        row.updated_at = utcnow()
        row.updated_by_fk = getattr(actor, "id", actor)
    return current_settings()


# -- sending ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Attachment:
    """A file to send with an email. ``content_type`` is guessed from the name when empty."""

    filename: str
    data: bytes
    content_type: str = ""


def _attachments(items) -> list[Attachment]:
    out: list[Attachment] = []
    for item in items or ():
        if isinstance(item, dict):
            item = Attachment(item.get("filename", ""), item.get("data", b""),
                              item.get("content_type", ""))
        elif isinstance(item, (tuple, list)):
            item = Attachment(*item)
        if not isinstance(item, Attachment) or not isinstance(item.data, (bytes, bytearray)):
            raise ValidationError({"attachments": _(
                "An attachment is a file name, its bytes and (optionally) its content type.")})
        name = str(item.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
        name = "".join(c for c in name if c.isprintable())[:255]
        if not name:
            raise ValidationError({"attachments": _("Every attachment needs a file name.")})
        kind = (item.content_type or mimetypes.guess_type(name)[0]
                or "application/octet-stream").strip().lower()
        if kind.count("/") != 1 or len(kind) > 100:
            raise ValidationError({"attachments": _("%(type)s is not a content type.", type=kind)})
        out.append(Attachment(name, bytes(item.data), kind))
    limit = int(current_app.config.get("MAIL_MAX_ATTACHMENT_BYTES") or 10 * 1024 * 1024)
    if sum(len(a.data) for a in out) > limit:
        raise ValidationError({"attachments": _(
            "Attachments may add up to %(mb)s MB at most.", mb=round(limit / 1024 / 1024, 1))})
    return out


def _customer(customer) -> Customer | None:
    if customer is None or isinstance(customer, Customer):
        return customer
    from core.services import customers

    try:
        return customers.get(customer)
    except NotFound:
        raise ValidationError({"customer": _("There is no customer %(id)s.", id=customer)}) \
            from None


def _refusal(customer: Customer | None, to: str, follows_preferences: bool) -> str | None:
    """Why this email must not go, in words; None when it may."""
    if customer is None:
        return None
    name = customer.display_name
    if customer.erased_at is not None:
        return _("%(number)s's personal data was erased; nothing is sent to them.",
                 number=customer.number)
    if not to:
        return _("%(name)s has no email address.", name=name)
    if follows_preferences and not customer.contact_email:
        return _("%(name)s does not want to be contacted by email (Contact by email is off).",
                 name=name)
    return None


def _max_attempts() -> int:
    return max(1, int(current_app.config.get("MAIL_MAX_ATTEMPTS") or 8))


def send(to: str | None = None, *, template: str | None = None, customer=None,
         context: dict | None = None, subject: str | None = None, html: str | None = None,
         text: str | None = None, attachments=(), category: str = "service",
         actor=None, source: str | None = None, max_attempts: int | None = None) -> EmailMessage:
    """Store an email and enqueue its sending, inside the caller's transaction (it goes only if
    that commits). See ``core.sdk.send_email`` for the arguments.

    Returns the message: ``status`` "queued", or "refused" with the reason in ``last_error``
    (marketing to a customer who does not want email, a customer without an address or whose
    data was erased); a customer's Activity timeline shows either. Raises ValidationError for
    a call that cannot work (unknown template, bad address, a value the template needs missing
    from ``context``)."""
    customer = _customer(customer)
    settings = current_settings()
    if category not in templates.CATEGORIES:
        raise ValidationError({"category": _("Choose service or marketing.")})
    row = None
    if template is not None:
        try:
            row = templates.get_by_key(template)
        except NotFound:
            raise ValidationError({"template": _("No email template is called %(key)s.",
                                                 key=template)}) from None
        category, follows = row.category, row.follows_preferences
        values = {**(context or {}), "shop": templates.shop_values(settings)}
        if customer is not None:
            values["customer"] = templates.customer_values(customer)
        try:
            rendered = templates.render_parts(row.subject, row.html, row.text, values)
        except TemplateError as exc:
            raise ValidationError({"context": _(
                "The email %(key)s could not be written: %(problem)s", key=template,
                problem=exc.message or str(exc))}) from exc
        source = source or row.owner
    else:
        if not (subject or "").strip():
            raise ValidationError({"subject": _("Write a subject.")})
        if not (html or "").strip() and not (text or "").strip():
            raise ValidationError({"html": _("Write the email, as HTML, as plain text or both.")})
        rendered = templates.Rendered(" ".join(subject.split()), html or "",
                                      text or templates.html_to_text(html or ""))
        follows = category == "marketing"
    if len(rendered.subject) > templates.SUBJECT_MAX:
        raise ValidationError({"subject": _("At most %(n)d characters.", n=templates.SUBJECT_MAX)})
    errors: dict[str, str] = {}
    address = _address(to, "to", errors, False) if to else (
        (customer.email or "").strip() if customer is not None else "")
    if errors:
        raise ValidationError(errors)
    if not address and customer is None:
        raise ValidationError({"to": _("Enter an email address.")})
    files = _attachments(attachments)
    refusal = _refusal(customer, address, follows)

    message = EmailMessage(
        customer_id=customer.id if customer is not None else None, to_address=address[:254],
        subject=rendered.subject, html=rendered.html, text=rendered.text,
        template_key=template, source=(source or "core")[:64],
        status="refused" if refusal else "queued", attempts=0, last_error=refusal,
        created_at=utcnow(), created_by_fk=getattr(actor, "id", actor),
        attachments=[EmailAttachment(filename=a.filename, content_type=a.content_type,
                                     size=len(a.data), data=a.data) for a in files])
    db.session.add(message)
    db.session.flush()
    if customer is not None:
        entry = history.record_activity(
            customer, "email", rendered.subject, actor=actor, direction="out",
            source=message.source, ref_type="email", ref_id=message.id,
            data=_activity_data(message, files=[a.filename for a in files]))
        db.session.flush()
        message.activity_id = entry.id
    if not refusal:
        attempts = max_attempts or _max_attempts()
        enqueue(SEND_TASK, {"message_id": message.id, "max_attempts": attempts},
                max_attempts=attempts)
    return message


def _activity_data(message: EmailMessage, files=None) -> dict:
    data = {"status": message.status, "to": message.to_address, "message_id": message.id,
            "template": message.template_key, "attempts": message.attempts,
            "error": message.last_error,
            "sent_at": message.sent_at.isoformat(timespec="seconds") if message.sent_at else None}
    if files is not None:
        data["attachments"] = files
    return data


def send_test(to: str, actor=None) -> EmailMessage:
    """The Email settings screen's "Send a test email": one attempt, so the screen can tell at
    once whether the settings work. Commits."""
    settings = current_settings()
    shop = settings.sender_name or current_app.config.get("APP_NAME", "Regulars")
    body = _("This is a test email from %(shop)s. If you can read it, Regulars can send email "
             "through %(host)s.", shop=shop, host=settings.host or "?")
    if not (to or "").strip():
        raise ValidationError({"to": _("Enter the address to send the test to.")})
    with write_transaction():
        message = send(to, subject=_("Test email from %(shop)s", shop=shop),
                       html=f"<p>{_escape(body)}</p>", text=body + "\n", actor=actor,
                       max_attempts=1)
    return message


def send_template_test(template, to: str, customer=None, actor=None) -> EmailMessage:
    """Send the saved wording of ``template`` to ``to`` (a member of staff, not the customer),
    filled in with ``customer``'s details or the samples; once, marked [Test]. Commits."""
    if not (to or "").strip():
        raise ValidationError({"to": _("Enter the address to send the test to.")})
    settings = current_settings()
    shown = templates.preview({"subject": template.subject, "html": template.html,
                               "text": template.text}, template.key, customer=customer,
                              settings=settings)
    if shown["errors"]:
        raise ValidationError({"to": " ".join(shown["errors"].values())})
    with write_transaction():
        message = send(to, subject=_("[Test] %(subject)s", subject=shown["subject"]),
                       html=shown["html"], text=shown["text"], actor=actor, max_attempts=1,
                       source=template.owner)
        message.template_key = template.key
    return message


def _escape(value: str) -> str:
    from markupsafe import escape

    return str(escape(value))


def get_message(message_id) -> EmailMessage:
    pk = record_id(message_id)
    message = db.session.get(EmailMessage, pk) if pk is not None else None
    if message is None:
        raise NotFound(message_id)
    return message


def recent(limit: int = 20) -> list[EmailMessage]:
    """The latest messages, newest first (the Email settings screen's list)."""
    return list(db.session.execute(select(EmailMessage).order_by(
        EmailMessage.created_at.desc(), EmailMessage.id.desc()).limit(limit)).scalars())


# -- the task --------------------------------------------------------------------------------


class RetryLater(Exception):
    """A failed attempt worth repeating (the server was busy, unreachable, or said 4xx)."""


@task(SEND_TASK, max_attempts=8)
def send_task(message_id: int, max_attempts: int = 8) -> None:
    """Hand one stored message to the mail server; retried (by raising) after a temporary
    failure, ended for good after a permanent refusal (5xx) or the last attempt."""
    deliver(message_id, max_attempts)


@when_discarded(SEND_TASK)
def _discarded(message_id: int, **_arguments) -> None:
    """A person discarded the message's task: it will not go, and says so."""
    message = db.session.get(EmailMessage, message_id)
    if message is None or message.status in ("sent", "refused", "failed"):
        return
    sent = SimpleNamespace(id=message.id, to_address=message.to_address,
                           template_key=message.template_key, activity_id=message.activity_id)
    files = [a.filename for a in message.attachments]
    _record(sent, files, "failed", message.attempts,
            _("Discarded on the Background tasks screen; it was not sent."))


def deliver(message_id: int, max_attempts: int = 8) -> str:
    """Send message ``message_id`` now and record the outcome; returns the new status. Raises
    RetryLater or PermanentFailure when it did not go (the task facility retries the one)."""
    message = db.session.get(EmailMessage, message_id)
    if message is None or message.status in ("sent", "refused"):
        return message.status if message is not None else "gone"
    # A failed message runs again only when a person retries its task: a new round of attempts.
    attempt = (0 if message.status == "failed" else message.attempts) + 1
    settings = current_settings()
    mime = build_mime(message, settings)
    sent = SimpleNamespace(id=message.id, to_address=message.to_address,
                           template_key=message.template_key, activity_id=message.activity_id)
    files = [a.filename for a in message.attachments]
    db.session.commit()  # no transaction stays open while the mail server is talked to
    try:
        transmit(settings, mime, sent.to_address)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the message
        reason, permanent = explain(exc, settings)
        final = permanent or attempt >= max_attempts
        _record(sent, files, "failed" if final else "queued", attempt, reason)
        if final:
            raise PermanentFailure(reason) from exc
        raise RetryLater(reason) from exc
    _record(sent, files, "sent", attempt, None)
    return "sent"


def _record(sent: SimpleNamespace, files: list[str], status: str, attempt: int,
            error: str | None) -> None:
    """Write how an attempt went on the message and on its Activity entry (two UPDATEs: the
    entry's data is the message's, rewritten whole). ``sent`` holds what the message said
    before the attempt; a message deleted meanwhile (the customer was erased) is left alone."""
    sent.status, sent.attempts, sent.last_error = status, attempt, error
    sent.sent_at = utcnow() if status == "sent" else None
    with write_transaction():
        values = {"status": status, "attempts": attempt, "last_error": error}
        if sent.sent_at is not None:
            values["sent_at"] = sent.sent_at
        found = db.session.execute(update(EmailMessage).where(EmailMessage.id == sent.id)
                                   .values(**values)
                                   .execution_options(synchronize_session=False)).rowcount
        if found and sent.activity_id is not None:
            db.session.execute(update(Activity).where(Activity.id == sent.activity_id)
                               .values(data=_activity_data(sent, files=files))
                               .execution_options(synchronize_session=False))


def build_mime(message: EmailMessage, settings: SmtpSettings) -> MimeMessage:
    """The message as it goes on the wire: text and HTML as multipart/alternative, then the
    attachments."""
    mime = MimeMessage()
    mime["Subject"] = message.subject
    mime["From"] = formataddr((settings.sender_name, settings.sender_address))
    mime["To"] = message.to_address
    if settings.reply_to:
        mime["Reply-To"] = settings.reply_to
    mime["Date"] = format_datetime(message.created_at.replace(tzinfo=timezone.utc))
    domain = settings.sender_address.rpartition("@")[2] or None
    mime["Message-ID"] = make_msgid(idstring=f"regulars.{message.id}", domain=domain)
    mime.set_content(message.text or templates.html_to_text(message.html or ""))
    if message.html:
        mime.add_alternative(message.html, subtype="html")
    for item in message.attachments:
        maintype, _slash, subtype = item.content_type.partition("/")
        mime.add_attachment(item.data, maintype=maintype, subtype=subtype,
                            filename=item.filename)
    return mime


_tls: ssl.SSLContext | None = None


def _tls_context() -> ssl.SSLContext:
    """The certificate-checking TLS context, made once per process: loading the system's
    certificates takes longer than sending an email."""
    global _tls
    if _tls is None:
        _tls = ssl.create_default_context()
    return _tls


class NotSetUp(Exception):
    """No mail server or sender address yet."""


def transmit(settings: SmtpSettings, mime: MimeMessage, to: str) -> None:
    """Talk SMTP: hand ``mime`` to the mail server for ``to``, over the connection this thread
    keeps open to that server if it still answers, else over a new one. Raises what smtplib and
    the network raise (and then closes the connection)."""
    if not settings.configured:
        raise NotSetUp()
    client, reused = _connection(settings)
    try:
        try:
            client.send_message(mime, from_addr=settings.sender_address, to_addrs=[to])
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            if not reused:
                raise
            # The server closed the connection we kept (an idle timeout): once more on a new one.
            _close_connection()
            client, _reused = _connection(settings)
            client.send_message(mime, from_addr=settings.sender_address, to_addrs=[to])
    except BaseException:
        _close_connection()
        raise
    if _kept.key is None:
        _close_connection()  # keeping connections is switched off
    else:
        _kept.used = time.monotonic()


class _KeptConnection(threading.local):
    """The SMTP connection a worker thread keeps between emails (``MAIL_KEEP_CONNECTION``
    seconds at most): connecting, STARTTLS and logging in cost more than sending one email."""

    def __init__(self):
        self.key: tuple | None = None
        self.client: smtplib.SMTP | None = None
        self.used = 0.0


_kept = _KeptConnection()


def _connection(settings: SmtpSettings) -> tuple[smtplib.SMTP, bool]:
    """A connection to the server of ``settings``, and whether it is one kept from before."""
    keep = float(current_app.config.get("MAIL_KEEP_CONNECTION") or 0)
    key = (settings.host, settings.port, settings.security, settings.username,
           settings.password) if keep > 0 else None
    if _kept.client is not None and key is not None and _kept.key == key \
            and time.monotonic() - _kept.used < keep:
        return _kept.client, True
    _close_connection()
    client = _connect(settings)
    _kept.key, _kept.client = key, client
    return client, False


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    """A new connection: TLS from the start, or STARTTLS, or plain; logged in if there is a
    user name."""
    timeout = float(current_app.config.get("MAIL_TIMEOUT") or 30)
    if settings.security == "tls":
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout,
                                  context=_tls_context())
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    try:
        client.ehlo()
        if settings.security == "starttls":
            client.starttls(context=_tls_context())
            client.ehlo()
        if settings.username:
            client.login(settings.username, settings.password or "")
    except BaseException:
        client.close()
        raise
    return client


def _close_connection() -> None:
    client, _kept.client, _kept.key = _kept.client, None, None
    if client is None:
        return
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _reply(code, reply) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply or "")
    return f"{code} {' '.join(text.split())}".strip()


def explain(exc: BaseException, settings: SmtpSettings) -> tuple[str, bool]:
    """A failure to send, in words a shop owner can act on, and whether it is permanent (the
    server refused this message for good, 5xx) rather than worth another attempt."""
    where = f"{settings.host}:{settings.port}"
    if isinstance(exc, NotSetUp):
        return _("Email is not set up yet: enter the mail server and the sender address on the "
                 "Email settings screen."), False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (0, b""))
        return _("The mail server refused the address %(to)s: %(reply)s",
                 to=", ".join(exc.recipients), reply=_reply(code, reply)), code >= 500
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _("The mail server refused the sender address %(sender)s: %(reply)s",
                 sender=exc.sender, reply=_reply(exc.smtp_code, exc.smtp_error)), \
            exc.smtp_code >= 500
    if isinstance(exc, smtplib.SMTPDataError):
        return _("The mail server refused the message: %(reply)s",
                 reply=_reply(exc.smtp_code, exc.smtp_error)), exc.smtp_code >= 500
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _("The mail server did not accept the user name and password: %(reply)s",
                 reply=_reply(exc.smtp_code, exc.smtp_error)), False
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return _("The mail server at %(where)s does not offer that: %(problem)s (try another "
                 "security setting, or no user name).", where=where, problem=str(exc)), False
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return _("The mail server at %(where)s closed the connection unexpectedly.",
                 where=where), False
    if isinstance(exc, smtplib.SMTPResponseException):
        return _("The mail server at %(where)s answered: %(reply)s", where=where,
                 reply=_reply(exc.smtp_code, exc.smtp_error)), False
    if isinstance(exc, ssl.SSLError):
        return _("The secure connection to %(where)s failed: %(problem)s (check the security "
                 "setting and the port).", where=where,
                 problem=exc.reason or str(exc)), False
    if isinstance(exc, socket.gaierror):
        return _("The mail server %(host)s could not be found: check its name.",
                 host=settings.host), False
    if isinstance(exc, ConnectionRefusedError):
        return _("Nothing answers at %(where)s: the connection was refused (check the server "
                 "and the port).", where=where), False
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return _("The mail server at %(where)s did not answer in time.", where=where), False
    if isinstance(exc, OSError):
        return _("Could not reach the mail server at %(where)s: %(problem)s", where=where,
                 problem=exc.strerror or str(exc)), False
    return _("Sending failed: %(problem)s", problem=f"{type(exc).__name__}: {exc}"), False


# -- the customer's record: merge, erasure, export ------------------------------------------


def move_messages(survivor, merged) -> None:
    """A merge: the merged record's emails become the survivor's (inside the merge)."""
    db.session.execute(update(EmailMessage).where(EmailMessage.customer_id == merged.id)
                       .values(customer_id=survivor.id))


def erase_messages(customer) -> None:
    """An erasure: the customer's emails (addresses, wording, attachments) are deleted; the
    Activity timeline keeps that an email was sent, without its subject."""
    ids = select(EmailMessage.id).where(EmailMessage.customer_id == customer.id)
    db.session.execute(delete(EmailAttachment).where(EmailAttachment.message_id.in_(ids)))
    db.session.execute(delete(EmailMessage).where(EmailMessage.customer_id == customer.id))


def export_messages(customer) -> tuple[str, list]:
    """The customer's emails for their data-portability export."""
    rows = db.session.execute(select(EmailMessage).where(
        EmailMessage.customer_id == customer.id).order_by(EmailMessage.created_at,
                                                          EmailMessage.id)).scalars()
    return ("email", [{
        "to": m.to_address, "subject": m.subject, "text": m.text, "status": m.status,
        "template": m.template_key, "created_at": m.created_at, "sent_at": m.sent_at,
        "attachments": [a.filename for a in m.attachments]} for m in rows])
