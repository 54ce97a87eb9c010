"""A plugin sends an email to a customer: it is stored with the caller's transaction, a task
hands it to a real SMTP server on 127.0.0.1, and the customer's Activity timeline shows how it
went: sent, retried after a busy server, failed for good after a refusal, or not sent at all
because the customer does not want marketing email."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

PDF = b"%PDF-1.4 receipt S-0042"


@pytest.fixture
def app(make_app, mail_plugin, smtp_server):
    app = make_app(extra_plugins=[mail_plugin])
    smtp_server.use(app)
    return app


@pytest.fixture
def send(app):
    """``send(**arguments)``: core.sdk.send_email in a transaction of its own; the message id."""

    def run(**arguments):
        from core.sdk import send_email, write_transaction

        with app.app_context():
            with write_transaction():
                message = send_email(**arguments)
                message_id = message.id
            return message_id

    return run


@pytest.fixture
def message(app):
    """``message(id)``: the stored message's status, attempts and error, and its activity data."""

    def load(message_id):
        from core.db import db
        from core.models import Activity, EmailMessage

        with app.app_context():
            row = db.session.get(EmailMessage, message_id)
            entry = db.session.get(Activity, row.activity_id) if row.activity_id else None
            return {"status": row.status, "attempts": row.attempts, "error": row.last_error,
                    "activity": entry.data if entry else None,
                    "activity_subject": entry.subject if entry else None}

    return load


def receipt(customer_id, **extra):
    return {"template": "shop.receipt", "customer": customer_id,
            "context": {"sale": {"number": "S-0042", "total": "£8.20"}}, **extra}


def run_retries_now(app) -> int:
    """Make every waiting email task due now and run them (as a worker would, later)."""
    from core import tasks
    from core.db import db, utcnow
    from core.models.tasks import Task

    with app.app_context():
        db.session.execute(update(Task).where(Task.state == "queued").values(run_at=utcnow()))
        db.session.commit()
        return tasks.run_due(app)


def test_a_receipt_arrives_with_html_text_and_its_attachment(send, make_customer, smtp_server):
    from core.sdk import Attachment

    alex = make_customer(first_name="Alex", email="alex@example.com")

    send(**receipt(alex, attachments=[Attachment("receipt-S-0042.pdf", PDF, "application/pdf")]))

    (mail,) = smtp_server.messages
    assert mail["To"] == "alex@example.com"
    assert mail["Subject"] == "Your receipt S-0042 from Corner Shop"
    assert mail["From"] == "Corner Shop <shop@corner.example>"
    body = mail.get_body(preferencelist=("related", "html", "plain"))
    assert "You paid £8.20." in body.get_content()
    alternative = next(p for p in mail.walk() if p.get_content_type() == "multipart/alternative")
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert "Hello Alex,\nYou paid £8.20." in alternative.get_body(("plain",)).get_content()
    (attached,) = list(mail.iter_attachments())
    assert (attached.get_filename(), attached.get_content_type(), attached.get_content()) == (
        "receipt-S-0042.pdf", "application/pdf", PDF)


def test_the_activity_timeline_shows_the_email_as_sent(send, make_customer, message):
    alex = make_customer(first_name="Alex")

    sent = message(send(**receipt(alex)))

    assert sent["status"] == "sent"
    assert sent["activity_subject"] == "Your receipt S-0042 from Corner Shop"
    assert sent["activity"]["status"] == "sent" and sent["activity"]["error"] is None
    assert sent["activity"]["to"].startswith("alex")


def test_the_activity_tab_says_the_email_was_sent(send, make_customer, admin_client, page):
    alex = make_customer(first_name="Alex")
    send(**receipt(alex))

    doc = page(admin_client.get(f"/customers/{alex}/tabs/activity"))

    entry = doc.find(data_kind="email")
    assert "Your receipt S-0042" in entry.text
    assert entry.find(data_email_status="sent") is not None


def test_a_busy_server_is_tried_again_and_the_email_then_goes(
        app, send, make_customer, message, smtp_server):
    smtp_server.refuse(1)
    alex = make_customer(first_name="Alex")

    message_id = send(**receipt(alex))
    waiting = message(message_id)
    run_retries_now(app)

    assert (waiting["status"], waiting["activity"]["status"]) == ("queued", "queued")
    assert waiting["activity"]["error"] == (
        "The mail server refused the message: 451 4.3.0 Mailbox busy, try again later")
    delivered = message(message_id)
    assert (delivered["status"], delivered["attempts"]) == ("sent", 2)
    assert (delivered["activity"]["status"], delivered["activity"]["error"]) == ("sent", None)
    assert len(smtp_server.messages) == 1 and smtp_server.attempts == 2


def test_a_refused_address_fails_at_once_with_the_servers_answer(
        app, send, make_customer, message, smtp_server):
    from core.db import db
    from core.models.tasks import Task

    smtp_server.reject("gone@example.com")
    gone = make_customer(first_name="Gus", email="gone@example.com")

    failed = message(send(**receipt(gone)))

    assert failed["status"] == "failed" and failed["attempts"] == 1
    assert failed["activity"]["status"] == "failed"
    assert failed["activity"]["error"] == (
        "The mail server refused the address gone@example.com: 550 5.1.1 No such user here")
    with app.app_context():
        assert db.session.execute(select(Task.state)).scalar() == "failed"
    assert run_retries_now(app) == 0


def test_after_the_last_attempt_the_email_fails_with_the_last_error(
        make_app, mail_plugin, smtp_server, make_customer, message):
    app = make_app(extra_plugins=[mail_plugin], MAIL_MAX_ATTEMPTS=2)
    smtp_server.use(app)
    smtp_server.refuse(5)
    alex = make_customer(first_name="Alex")
    from core.sdk import send_email, write_transaction

    with app.app_context():
        with write_transaction():
            message_id = send_email(**receipt(alex)).id
    run_retries_now(app)

    with app.app_context():
        from core.db import db
        from core.models import EmailMessage

        final = db.session.get(EmailMessage, message_id)
        assert (final.status, final.attempts) == ("failed", 2)
        assert "451 4.3.0 Mailbox busy" in final.last_error


def test_a_mail_server_that_does_not_answer_is_explained_and_tried_again(
        app, send, make_customer, message, smtp_server):
    smtp_server.stop()  # the port is free now: nothing answers there
    alex = make_customer(first_name="Alex")

    waiting = message(send(**receipt(alex)))

    assert waiting["status"] == "queued"
    assert waiting["error"].startswith(f"Nothing answers at 127.0.0.1:{smtp_server.port}")


def test_a_connection_the_server_dropped_since_the_last_email_is_opened_again(
        send, make_customer, message, smtp_server):
    first = send(**receipt(make_customer(first_name="Ann")))
    smtp_server.restart()

    second = send(**receipt(make_customer(first_name="Ben")))

    assert (message(first)["status"], message(second)["status"]) == ("sent", "sent")
    assert [m["To"] for m in smtp_server.messages] == ["alex1@example.com", "alex2@example.com"]


def test_marketing_email_is_refused_for_a_customer_who_does_not_want_email(
        send, make_customer, message, smtp_server):
    quiet = make_customer(first_name="Quinn", contact_email=False)

    refused = message(send(template="shop.news", customer=quiet))

    assert refused["status"] == "refused"
    assert refused["activity"]["status"] == "refused"
    assert refused["error"] == (
        "Quinn Tester1 does not want to be contacted by email (Contact by email is off).")
    assert smtp_server.messages == []


def test_marketing_email_goes_to_a_customer_who_accepts_email(send, make_customer, smtp_server):
    keen = make_customer(first_name="Kim", contact_email=True)

    send(template="shop.news", customer=keen)

    assert [m["Subject"] for m in smtp_server.messages] == ["News from Corner Shop"]


def test_a_go_green_receipt_goes_even_when_contact_by_email_is_off(
        send, make_customer, message, smtp_server):
    green = make_customer(first_name="Gail", go_green=True, contact_email=False)

    assert message(send(**receipt(green)))["status"] == "sent"
    assert len(smtp_server.messages) == 1


def test_a_service_email_that_follows_preferences_is_refused_too(
        send, make_customer, message, smtp_server):
    quiet = make_customer(first_name="Quinn", contact_email=False)

    assert message(send(template="shop.reminder", customer=quiet))["status"] == "refused"
    assert smtp_server.messages == []


def test_a_customer_without_an_address_is_recorded_as_not_sent(
        app, send, make_customer, message):
    from core.db import db
    from core.models import Customer

    nobody = make_customer(first_name="Nia")
    with app.app_context():
        db.session.get(Customer, nobody).email = None
        db.session.commit()

    refused = message(send(**receipt(nobody)))

    assert (refused["status"], refused["error"]) == ("refused", "Nia Tester1 has no email address.")


def test_a_discarded_email_says_it_was_not_sent(app, send, make_customer, message, smtp_server):
    from core import tasks
    from core.db import db
    from core.models.tasks import Task

    app.config["TASKS_EAGER"] = False  # left waiting for a worker
    message_id = send(**receipt(make_customer(email="alex@example.com")))
    with app.app_context():
        task_id = db.session.execute(select(Task.id).where(Task.name == "core.email.send")).scalar()

        tasks.discard(task_id)  # as a manager does on the Background tasks screen

    stored = message(message_id)
    assert stored["status"] == "failed"
    assert stored["error"] == "Discarded on the Background tasks screen; it was not sent."
    assert stored["activity"]["status"] == "failed"
    assert smtp_server.messages == []


def test_an_email_whose_transaction_rolls_back_is_never_sent(app, make_customer, smtp_server,
                                                             count_rows):
    from core.models import EmailMessage
    from core.sdk import send_email, write_transaction

    alex = make_customer(first_name="Alex")
    with app.app_context(), pytest.raises(RuntimeError):
        with write_transaction():
            send_email(**receipt(alex))
            raise RuntimeError("the sale failed")

    assert count_rows(EmailMessage) == 0
    assert smtp_server.messages == []


def test_a_missing_placeholder_value_is_refused_when_sending(app, make_customer):
    from core.sdk import ValidationError, send_email, write_transaction

    alex = make_customer(first_name="Alex")
    with app.app_context(), pytest.raises(ValidationError) as refused:
        with write_transaction():
            send_email(template="shop.receipt", customer=alex, context={})

    assert "sale" in refused.value.errors["context"]


def test_an_unknown_template_is_refused_when_sending(app, make_customer):
    from core.sdk import ValidationError, send_email

    with app.app_context(), pytest.raises(ValidationError) as refused:
        send_email(template="shop.nothing", customer=make_customer())

    assert refused.value.errors == {"template": "No email template is called shop.nothing."}


def test_an_email_written_out_in_full_goes_to_any_address(send, smtp_server):
    send(to="supplier@example.com", subject="Order 7", text="Two crates, please.\n")

    (mail,) = smtp_server.messages
    assert (mail["To"], mail["Subject"], mail.get_content()) == (
        "supplier@example.com", "Order 7", "Two crates, please.\n")


def test_a_customers_name_is_escaped_in_html_and_kept_in_text(
        send, make_customer, smtp_server):
    odd = make_customer(first_name="<b>Bo</b>")

    send(**receipt(odd))

    (mail,) = smtp_server.messages
    assert "Hello &lt;b&gt;Bo&lt;/b&gt;," in mail.get_body(("html",)).get_content()
    assert "Hello <b>Bo</b>," in mail.get_body(("plain",)).get_content()


def test_erasing_a_customer_deletes_their_emails(app, send, make_customer, count_rows):
    from core.models import EmailMessage
    from core.services import customers, privacy

    alex = make_customer(first_name="Alex")
    send(**receipt(alex))
    with app.app_context():
        privacy.erase(customers.get(alex))

    assert count_rows(EmailMessage) == 0


def test_merging_moves_the_emails_to_the_surviving_record(app, send, make_customer):
    from core.db import db
    from core.models import EmailMessage
    from core.services import customers, merge

    survivor, merged = make_customer(first_name="Sam"), make_customer(first_name="Sammy")
    message_id = send(**receipt(merged))
    with app.app_context():
        merge.merge(customers.get(survivor), customers.get(merged))
        assert db.session.get(EmailMessage, message_id).customer_id == survivor


def test_the_email_tables_the_migration_builds_match_the_models(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.db import Model, db

    email_tables = {"email_settings", "email_template", "email_message", "email_attachment"}
    with app.app_context():
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    Model.metadata)

    assert [op for op in diff if email_tables & set(map(str, _tables_of(op)))] == []


def _tables_of(op):
    if isinstance(op, list):
        return [t for o in op for t in _tables_of(o)]
    for part in op[1:]:
        name = getattr(part, "name", None) if hasattr(part, "columns") else None
        table = getattr(part, "table", None)
        if name:
            return [name]
        if table is not None:
            return [table.name]
        if isinstance(part, str):
            return [part]
    return []
