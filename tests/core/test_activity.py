"""The Activity tab: every contact with a customer from the one activity table, with
"+ Add note" and "Log a call", filters, paging, and what plugins write there."""

from __future__ import annotations

import types
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from core.models import Activity, Note
from core.sdk import PluginInfo, hookimpl

PASSWORD = "correct horse battery staple"


def activity_tab(client, customer_id, **params):
    return client.get(f"/customers/{customer_id}/tabs/activity", query_string=params)


def entries(doc):
    """The timeline as read: [(kind, text of the entry)] newest first."""
    return [(li.attrs["data-kind"], li.text) for li in doc.find_all("li", cls="activity-entry")]


def call_form(**fields):
    data = {"direction": "in", "subject": "Asked about the invoice", "notes": "Calls back Friday",
            "occurred_at": ""}
    data.update(fields)
    return data


def log_activity(app, customer_id, kind, subject, occurred_at=None, **kwargs):
    from core.db import write_transaction
    from core.sdk import record_activity

    with app.app_context():
        with write_transaction():
            record_activity(customer_id, kind, subject, occurred_at=occurred_at, **kwargs)


def stored_activity(app):
    from core.db import db

    with app.app_context():
        return [(a.kind, a.direction, a.subject, a.body, a.source) for a in
                db.session.execute(select(Activity).order_by(Activity.id)).scalars()]


# -- + Add note -------------------------------------------------------------------------------


def test_adding_a_note_in_the_tab_returns_to_the_activity_tab(admin_client, make_customer):
    customer_id = make_customer()

    response = admin_client.post(f"/customers/{customer_id}/notes/add",
                                 data={"body": "Prefers email"})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/customers/{customer_id}?tab=activity"


def test_a_note_added_in_the_tab_shows_on_the_timeline_with_its_author(
        admin_client, make_customer, page):
    customer_id = make_customer()
    admin_client.post(f"/customers/{customer_id}/notes/add", data={"body": "Prefers email"})

    doc = page(activity_tab(admin_client, customer_id))

    entry = doc.find("li", cls="activity-entry")
    assert entry.attrs["data-kind"] == "note"
    assert "Prefers email" in entry.text
    assert entry.find(cls="activity-author").text == "Admin User"


def test_an_empty_note_is_refused_beside_the_field_and_nothing_is_written(
        admin_client, make_customer, count_rows, page, errors_beside):
    customer_id = make_customer()

    response = admin_client.post(f"/customers/{customer_id}/notes/add", data={"body": "  \n "})

    assert response.status_code == 422
    assert errors_beside(page(response), "body") == ["Write the note first."]
    assert (count_rows(Note), count_rows(Activity)) == (0, 0)


def test_the_tab_offers_both_forms_to_whoever_may_use_them(admin_client, make_customer, page):
    customer_id = make_customer()

    doc = page(activity_tab(admin_client, customer_id))

    assert doc.find("form", action=f"/customers/{customer_id}/notes/add") is not None
    assert doc.find("form", action=f"/customers/{customer_id}/calls/add") is not None


# -- Log a call -------------------------------------------------------------------------------


def test_logging_a_call_puts_it_on_the_timeline(app, admin_client, make_customer):
    customer_id = make_customer()

    response = admin_client.post(f"/customers/{customer_id}/calls/add", data=call_form())

    assert response.headers["Location"] == f"/customers/{customer_id}?tab=activity"
    assert stored_activity(app) == [
        ("call", "in", "Asked about the invoice", "Calls back Friday", "core")]


def test_a_call_without_a_time_is_logged_as_now(app, admin_client, make_customer):
    from core.db import db, utcnow

    customer_id = make_customer()
    admin_client.post(f"/customers/{customer_id}/calls/add", data=call_form())

    with app.app_context():
        when = db.session.execute(select(Activity.occurred_at)).scalar()
        assert abs(utcnow() - when) < timedelta(minutes=5)


def test_a_call_logged_for_an_earlier_time_keeps_that_time(app, admin_client, make_customer):
    from core.db import db

    customer_id = make_customer()
    admin_client.post(f"/customers/{customer_id}/calls/add",
                      data=call_form(occurred_at="2026-03-01T09:30"))

    with app.app_context():
        assert db.session.execute(select(Activity.occurred_at)).scalar() == datetime(2026, 3, 1, 9, 30)


@pytest.mark.parametrize("fields, field, message", [
    ({"direction": "sideways"}, "direction", "Choose incoming or outgoing."),
    ({"subject": ""}, "subject", "Say what the call was about."),
    ({"occurred_at": "2999-01-01T10:00"}, "occurred_at", "A call cannot be logged in the future."),
    ({"occurred_at": "yesterday-ish"}, "occurred_at", "Not a valid datetime value."),
], ids=["bad direction", "no subject", "far future", "not a date"])
def test_a_call_with_a_mistake_is_refused_beside_the_field(
        admin_client, make_customer, count_rows, page, errors_beside, fields, field, message):
    customer_id = make_customer()

    response = admin_client.post(f"/customers/{customer_id}/calls/add", data=call_form(**fields))

    assert response.status_code == 422
    assert any(message in e for e in errors_beside(page(response), field))
    assert count_rows(Activity) == 0


def test_a_call_shows_its_direction_and_subject(admin_client, make_customer, page):
    customer_id = make_customer()
    admin_client.post(f"/customers/{customer_id}/calls/add", data=call_form(direction="out"))

    kind, text = entries(page(activity_tab(admin_client, customer_id)))[0]

    assert kind == "call" and "outgoing" in text and "Asked about the invoice" in text


# -- the timeline -----------------------------------------------------------------------------


def test_the_timeline_is_newest_first(app, admin_client, make_customer, page):
    customer_id = make_customer()
    log_activity(app, customer_id, "email", "Older", datetime(2026, 1, 1))
    log_activity(app, customer_id, "sms", "Newer", datetime(2026, 2, 1))

    kinds = [k for k, _ in entries(page(activity_tab(admin_client, customer_id)))]

    assert kinds == ["sms", "email"]


def test_the_timeline_filters_by_kind(app, admin_client, make_customer, page):
    customer_id = make_customer()
    for kind in ("email", "sms", "payment", "points", "document", "task"):
        log_activity(app, customer_id, kind, f"A {kind}")

    shown = entries(page(activity_tab(admin_client, customer_id, kind="payment")))

    assert [k for k, _ in shown] == ["payment"]


def test_the_timeline_filters_by_date(app, admin_client, make_customer, page):
    customer_id = make_customer()
    log_activity(app, customer_id, "email", "January", datetime(2026, 1, 15, 12))
    log_activity(app, customer_id, "email", "February", datetime(2026, 2, 15, 12))
    log_activity(app, customer_id, "email", "March", datetime(2026, 3, 15, 12))

    shown = entries(page(activity_tab(admin_client, customer_id, since="2026-02-01",
                                      until="2026-02-15")))

    assert len(shown) == 1 and "February" in shown[0][1]


def test_a_filter_that_hides_everything_says_so(app, admin_client, make_customer, page):
    customer_id = make_customer()
    log_activity(app, customer_id, "email", "Hello")

    doc = page(activity_tab(admin_client, customer_id, kind="call"))

    assert "Nothing matches these filters." in doc.find(cls="empty-state").text


def test_the_timeline_pages_to_older_entries(app, admin_client, make_customer, page):
    from core.services import history

    customer_id = make_customer()
    for day in range(1, 36):
        log_activity(app, customer_id, "email", f"Day {day}", datetime(2026, 1, day % 28 + 1, day % 24))
    with app.app_context():
        first = history.activity_page(customer_id)
        second = history.activity_page(customer_id, cursor=first.next_cursor)

    assert (len(first.items), len(second.items), second.next_cursor) == (30, 5, None)
    assert not {e.id for e in first.items} & {e.id for e in second.items}


def test_hostile_text_is_escaped_on_the_timeline(admin_client, make_customer):
    customer_id = make_customer()
    admin_client.post(f"/customers/{customer_id}/calls/add",
                      data=call_form(subject="<img src=x onerror=alert(1)>",
                                     notes="<script>alert(2)</script>"))

    html = activity_tab(admin_client, customer_id).get_data(as_text=True)

    assert "<img src=x" not in html and "<script>alert(2)" not in html
    assert "&lt;script&gt;" in html


# -- plugins write to the timeline ------------------------------------------------------------


def stamps_plugin():
    """A throwaway plugin that stamps a welcome bonus on every new customer's timeline."""
    from core import sdk

    module = types.ModuleType("throwaway_stamps")
    module.PLUGIN = PluginInfo(name="stamps", label="Stamps", version="1.0")

    def customer_form_saved(customer, data):
        sdk.record_activity(customer, "points", "Welcome bonus: 50 points", source="stamps",
                            ref_type="card", ref_id=7, data={"points": 50})

    module.customer_form_saved = hookimpl(customer_form_saved)
    return module


def test_an_activity_written_by_a_plugin_shows_with_its_source(make_app, page):
    from core.cli import ensure_user
    from core.services import customers

    app = make_app(extra_plugins=[stamps_plugin()])
    with app.app_context():
        ensure_user("admin", PASSWORD, "admin@example.com", "Admin", "User", "Admin")
        customer_id = customers.create({"first_name": "Sam", "email": "sam@example.com"},
                                       extra={}).id
    client = app.test_client()
    client.post("/login/", data={"username": "admin", "password": PASSWORD})

    entry = page(activity_tab(client, customer_id)).find("li", cls="activity-entry")

    assert entry.attrs["data-kind"] == "points"
    assert "Welcome bonus: 50 points" in entry.text
    assert "via stamps" in entry.find(cls="activity-source").text


def test_a_note_a_plugin_writes_shows_its_subject_and_its_body(app, admin_client,
                                                               make_customer, page):
    customer_id = make_customer()
    log_activity(app, customer_id, "note", "Said hello", body="Morning, Sam!", source="hello")

    entry = page(activity_tab(admin_client, customer_id)).find("li", cls="activity-entry")

    assert entry.find(cls="activity-subject").text == "Said hello"
    assert entry.find(cls="activity-body").text == "Morning, Sam!"


def test_a_note_with_a_subject_only_shows_it_once(app, admin_client, make_customer, page):
    customer_id = make_customer()
    log_activity(app, customer_id, "note", "Prefers the back door", source="hello")

    entry = page(activity_tab(admin_client, customer_id)).find("li", cls="activity-entry")

    assert entry.find(cls="activity-subject").text == "Prefers the back door"
    assert entry.find(cls="activity-body") is None


def test_a_note_added_in_the_tab_shows_its_text_once_not_its_first_line_again(
        admin_client, make_customer, page):
    customer_id = make_customer()
    admin_client.post(f"/customers/{customer_id}/notes/add",
                      data={"body": "Prefers email\nNever before ten"})

    entry = page(activity_tab(admin_client, customer_id)).find("li", cls="activity-entry")

    assert entry.find(cls="activity-subject") is None
    assert entry.find(cls="activity-body").text == "Prefers email Never before ten"


# -- who may do what --------------------------------------------------------------------------


def test_readonly_reads_the_timeline_without_the_forms(app, client_for, make_customer, page):
    customer_id = make_customer()
    log_activity(app, customer_id, "email", "Hello")

    doc = page(activity_tab(client_for("ReadOnly"), customer_id))

    assert [k for k, _ in entries(doc)] == ["email"]
    assert doc.find("form", method="post") is None


@pytest.mark.parametrize("path, data", [
    ("notes/add", {"body": "Sneaky"}),
    ("calls/add", call_form()),
])
def test_readonly_forced_post_is_refused_and_writes_nothing(
        client_for, make_customer, count_rows, path, data):
    customer_id = make_customer()

    response = client_for("ReadOnly").post(f"/customers/{customer_id}/{path}", data=data)

    assert response.status_code == 403
    assert (count_rows(Note), count_rows(Activity)) == (0, 0)


def test_cashier_adds_a_note_and_logs_a_call_at_the_till(client_for, make_customer, count_rows):
    customer_id = make_customer()
    cashier = client_for("Cashier")

    noted = cashier.post(f"/customers/{customer_id}/notes/add", data={"body": "Paid cash"})
    called = cashier.post(f"/customers/{customer_id}/calls/add", data=call_form())

    assert (noted.status_code, called.status_code) == (302, 302)
    assert count_rows(Activity) == 2


def test_a_form_for_a_missing_customer_is_not_found(admin_client):
    assert admin_client.post("/customers/999999/notes/add", data={"body": "x"}).status_code == 404


def test_the_call_form_starts_at_now(admin_client, make_customer, page):
    customer_id = make_customer()

    doc = page(admin_client.get(f"/customers/{customer_id}/calls/add"))

    when = doc.find("input", id="occurred_at").attrs["value"]
    assert datetime.strptime(when, "%Y-%m-%dT%H:%M")
