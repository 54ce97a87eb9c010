"""The History tab and "Last updated by": every change to a customer, who made it and when,
old -> new with sensitive values masked; and deactivating/reactivating, which keeps it all."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from core.models import Activity, AuditEntry, Customer, group_membership

EDIT_FORM = {"kind": "individual", "first_name": "Alex", "last_name": "Tester1",
             "email": "alex1@example.com", "status": "active"}


def as_user(app, role):
    """The signed-in user of a built-in role, as the services take it."""
    return app.appbuilder.sm.find_user(username=role.lower())


def history_tab(client, customer_id, **params):
    return client.get(f"/customers/{customer_id}/tabs/history", query_string=params)


def changes(doc):
    """The History tab as a shop assistant reads it: [(action, {field: (old, new)})]."""
    shown = []
    for change in doc.find_all("li", cls="history-change"):
        fields = {row.attrs["data-field"]: (row.find("td", cls="history-old").text,
                                            row.find("td", cls="history-new").text)
                  for row in change.find_all("tr")}
        shown.append((change.find(cls="history-action").text, fields))
    return shown


def edit(app, customer_id, role="Manager", **fields):
    from core.services import customers

    with app.app_context():
        customers.update(customers.get(customer_id), fields, actor=as_user(app, role))


# -- the History tab ------------------------------------------------------------------------


def test_a_new_customer_shows_as_created_with_the_fields_typed(admin_client, make_customer, page):
    customer_id = make_customer(first_name="Maya")

    shown = changes(page(history_tab(admin_client, customer_id)))

    assert shown[0][0] == "Created"
    assert shown[0][1]["first_name"] == ("—", "Maya")


def test_an_edit_on_the_form_shows_old_and_new_value_and_who(admin_client, make_customer, page):
    customer_id = make_customer(first_name="Maya")
    admin_client.post(f"/customers/{customer_id}/edit", data=dict(EDIT_FORM, first_name="Mia"))

    doc = page(history_tab(admin_client, customer_id))

    newest = doc.find("li", cls="history-change")
    assert newest.find(cls="history-action").text == "Changed"
    assert newest.find(cls="history-actor").text == "Admin User"
    assert changes(doc)[0][1]["first_name"] == ("Maya", "Mia")


def test_changes_are_listed_newest_first_one_block_per_save(app, admin_client, make_customer, page):
    customer_id = make_customer(first_name="Maya", last_name="Okafor")
    edit(app, customer_id, first_name="Mia", last_name="Oko")
    edit(app, customer_id, first_name="Mo")

    shown = changes(page(history_tab(admin_client, customer_id)))

    assert [action for action, _ in shown] == ["Changed", "Changed", "Created"]
    assert set(shown[0][1]) == {"first_name"}
    assert set(shown[1][1]) == {"first_name", "last_name"}


def test_a_driver_licence_set_through_the_service_is_masked_in_the_trail(
        app, admin_client, make_customer, page):
    customer_id = make_customer()
    edit(app, customer_id, driver_licence="SMITH901234AB")

    from core.db import db

    with app.app_context():
        stored = db.session.execute(select(AuditEntry.new_value).where(
            AuditEntry.customer_id == customer_id,
            AuditEntry.field == "driver_licence")).scalar()
    text = page(history_tab(admin_client, customer_id)).text
    assert "SMITH901234" not in stored and stored.endswith("AB")
    assert "SMITH901234" not in text


def test_history_filters_by_field(app, admin_client, make_customer, page):
    customer_id = make_customer(first_name="Maya")
    edit(app, customer_id, first_name="Mia")
    edit(app, customer_id, last_name="Oko")

    shown = changes(page(history_tab(admin_client, customer_id, field="last_name")))

    assert [set(fields) for _, fields in shown] == [{"last_name"}, {"last_name"}]


def test_history_filters_by_action(app, admin_client, make_customer, page):
    customer_id = make_customer()
    edit(app, customer_id, first_name="Mia")

    shown = changes(page(history_tab(admin_client, customer_id, action="create")))

    assert [action for action, _ in shown] == ["Created"]


def test_history_pages_without_splitting_a_save(app, admin_client, make_customer, page):
    from core.services import history

    customer_id = make_customer()
    for n in range(3):
        edit(app, customer_id, first_name=f"Name{n}", last_name=f"Last{n}")
    with app.app_context():
        first = history.changes_page(customer_id, per_page=3)
        second = history.changes_page(customer_id, per_page=3, cursor=first.next_cursor)

    assert [len(c.rows) for c in first.items] == [2, 2]
    assert [c.action for c in second.items] == ["update", "create"]
    assert second.next_cursor is None


def test_the_older_link_opens_the_next_page_of_history(app, admin_client, make_customer, page):
    customer_id = make_customer()
    for n in range(60):
        edit(app, customer_id, first_name=f"Name{n}")
    doc = page(history_tab(admin_client, customer_id))
    older = doc.find("a", rel="next").attrs["href"]

    assert older.startswith(f"/customers/{customer_id}?")
    cursor = parse_qs(urlsplit(older).query)["cursor"][0]
    rest = changes(page(history_tab(admin_client, customer_id, cursor=cursor)))
    assert rest[-1][0] == "Created"


def test_a_made_up_cursor_shows_the_newest_changes(admin_client, make_customer, page):
    customer_id = make_customer()

    response = history_tab(admin_client, customer_id, cursor="9999-99-99_abc")

    assert response.status_code == 200
    assert changes(page(response))[0][0] == "Created"


def test_hostile_values_are_escaped_on_the_history_tab(app, admin_client, make_customer):
    customer_id = make_customer()
    edit(app, customer_id, first_name="<script>alert(1)</script>")

    html = history_tab(admin_client, customer_id).get_data(as_text=True)

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_readonly_reads_the_history_tab(client_for, make_customer, page):
    customer_id = make_customer(first_name="Ida")

    response = history_tab(client_for("ReadOnly"), customer_id)

    assert response.status_code == 200 and changes(page(response))[0][0] == "Created"


def test_the_overview_offers_history_as_its_last_core_tab(admin_client, make_customer, page):
    customer_id = make_customer()

    doc = page(admin_client.get(f"/customers/{customer_id}"))

    keys = [a.attrs["data-tab"] for a in doc.find_all("a", role="tab")]
    assert keys.index("activity") < keys.index("history")


def test_the_overview_hands_its_filters_to_the_open_history_tab(admin_client, make_customer, page):
    customer_id = make_customer()

    doc = page(admin_client.get(f"/customers/{customer_id}?tab=history&field=email"))

    url = doc.find("a", data_tab="history").attrs["data-url"]
    assert url == f"/customers/{customer_id}/tabs/history?field=email"


# -- "Last updated by" ------------------------------------------------------------------------


def last_updated(client, customer_id, page):
    return page(client.get(f"/customers/{customer_id}")).find(cls="last-updated").text


def test_overview_says_who_last_changed_the_customer(app, admin_client, make_customer, page):
    customer_id = make_customer()
    edit(app, customer_id, role="Manager", first_name="Mia")

    assert last_updated(admin_client, customer_id, page).startswith(
        "Last updated by Manager User, just now")


def test_last_updated_says_how_long_ago_in_words(app, admin_client, make_customer, page):
    from core.db import db, utcnow

    customer_id = make_customer()
    with app.app_context():
        db.session.get(Customer, customer_id).updated_at = utcnow() - timedelta(minutes=3)
        db.session.commit()

    assert "3 minutes ago" in last_updated(admin_client, customer_id, page)


def test_deactivating_makes_the_deactivator_the_last_updater(
        app, client_for, admin_client, make_customer, page):
    customer_id = make_customer()
    edit(app, customer_id, role="Manager", first_name="Mia")

    admin_client.post(f"/customers/{customer_id}/status", data={"active": "0"})

    assert "Admin User" in last_updated(client_for("ReadOnly"), customer_id, page)


def test_a_note_by_the_cashier_makes_the_cashier_the_last_updater(
        app, client_for, admin_client, make_customer, page):
    customer_id = make_customer()

    client_for("Cashier").post(f"/customers/{customer_id}/notes/add", data={"body": "Paid cash"})

    assert "Cashier User" in last_updated(admin_client, customer_id, page)


def test_joining_a_group_is_recorded_and_updates_last_updated(
        app, admin_client, make_customer, make_group, page):
    customer_id = make_customer()
    group_id = make_group("Newsletter")

    admin_client.post(f"/customers/{customer_id}/groups", data={"group_id": str(group_id)})

    shown = changes(page(history_tab(admin_client, customer_id)))
    assert shown[0] == ("Added to group", {"group": ("—", "Newsletter")})
    assert "Admin User" in last_updated(admin_client, customer_id, page)


# -- deactivate / reactivate ------------------------------------------------------------------


def kept_rows(app, customer_id):
    from core.db import db

    with app.app_context():
        def count(stmt):
            return db.session.execute(stmt).scalar()

        return {
            "activity": count(select(func.count()).select_from(Activity)
                              .where(Activity.customer_id == customer_id)),
            "groups": count(select(func.count()).select_from(group_membership)
                            .where(group_membership.c.customer_id == customer_id)),
        }


def audit_rows(app, customer_id):
    from core.db import db

    with app.app_context():
        return db.session.execute(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.customer_id == customer_id)).scalar()


def test_deactivating_and_reactivating_keeps_activity_groups_and_adds_to_the_trail(
        app, admin_client, make_customer, make_group):
    customer_id = make_customer()
    make_group("Newsletter", members=[customer_id])
    admin_client.post(f"/customers/{customer_id}/notes/add", data={"body": "Likes jazz"})
    before, trail_before = kept_rows(app, customer_id), audit_rows(app, customer_id)

    admin_client.post(f"/customers/{customer_id}/status", data={"active": "0"})
    admin_client.post(f"/customers/{customer_id}/status", data={"active": "1"})

    assert kept_rows(app, customer_id) == before
    assert audit_rows(app, customer_id) == trail_before + 2


def test_an_address_change_reads_in_words(admin_client, make_customer, page, app):
    from core.services import customers, record

    customer_id = make_customer()
    with app.app_context():
        address = record.add_address(customers.get(customer_id), {
            "kind": "billing", "line1": "1 High Street", "city": "London",
            "postal_code": "SW1A 1AA", "country": "GB"})
        record.update_address(customers.get(customer_id), address.id,
                              {"kind": "shipping", "city": "Leeds", "postal_code": "LS1 4AP"})

    doc = page(history_tab(admin_client, customer_id))
    shown = changes(doc)
    assert shown[0][1] == {"kind": ("Billing", "Shipping"), "city": ("London", "Leeds"),
                           "postal_code": ("SW1A 1AA", "LS1 4AP")}
    labels = [th.text for th in doc.find("li", cls="history-change").find_all("th")]
    assert labels == ["Address kind", "Town or city", "Postal code"]


# -- every field and value in words ------------------------------------------------------------


def labelled(doc):
    """The newest change as read on screen: {label: (old, new)}."""
    newest = doc.find("li", cls="history-change")
    return {row.find("th").text: (row.find("td", cls="history-old").text,
                                  row.find("td", cls="history-new").text)
            for row in newest.find_all("tr")}


def make_segment(app, name):
    from core.services import record

    with app.app_context():
        return record.save_segment({"name": name, "discount_percent": "5"}).id


def test_a_second_phone_is_logged_as_another_phone_not_the_customer_number(
        app, admin_client, make_customer, page):
    from core.services import customers, record

    customer_id = make_customer()
    with app.app_context():
        record.add_phone(customers.get(customer_id), {"label": "work", "number": "020 7946 0958"})

    shown = labelled(page(history_tab(admin_client, customer_id)))

    assert shown == {"Other phone": ("—", "+44 20 7946 0958"), "Other phone: label": ("—", "Work")}


def test_a_segment_change_shows_the_segments_names(app, admin_client, make_customer, page):
    regular, gold = make_segment(app, "Walk-in"), make_segment(app, "Gold club")
    customer_id = make_customer(segment_id=regular)
    edit(app, customer_id, segment_id=gold)

    shown = labelled(page(history_tab(admin_client, customer_id)))

    assert shown == {"Segment": ("Walk-in", "Gold club")}


def test_a_deleted_segment_keeps_its_name_in_the_history(app, admin_client, make_customer, page):
    from core.services import record

    gold = make_segment(app, "Gold club")
    customer_id = make_customer()
    edit(app, customer_id, segment_id=gold)
    with app.app_context():
        record.delete_segment(record.get_segment(gold))

    doc = page(history_tab(admin_client, customer_id))

    assert "Gold club" in doc.find("ul", cls="history-changes").text
    assert str(gold) not in [td.text for td in doc.find_all("td")]


def test_a_segment_gone_without_a_trace_is_named_by_its_number(app, admin_client, make_customer,
                                                               page):
    from sqlalchemy import text

    from core.db import db

    gold = make_segment(app, "Gold club")
    customer_id = make_customer()
    edit(app, customer_id, segment_id=gold)
    with app.app_context():
        db.session.execute(text("DELETE FROM customer_segment"))
        db.session.commit()

    shown = labelled(page(history_tab(admin_client, customer_id)))

    assert shown == {"Segment": ("—", f"deleted segment #{gold}")}


def test_a_reseller_is_shown_by_name_and_number(app, admin_client, make_customer, page):
    reseller_id = make_customer(first_name="Trade", last_name="Partner", number="TRADE-1")
    customer_id = make_customer()
    edit(app, customer_id, reseller_id=reseller_id)

    shown = labelled(page(history_tab(admin_client, customer_id)))

    assert shown == {"Reseller": ("—", "Trade Partner (TRADE-1)")}


def test_a_language_is_shown_by_its_name(app, admin_client, make_customer, page):
    customer_id = make_customer(language="fr")
    edit(app, customer_id, language="en")

    shown = labelled(page(history_tab(admin_client, customer_id)))

    assert shown == {"Language": ("French", "English")}


def test_history_filters_by_a_phones_number_apart_from_the_customer_number(
        app, admin_client, make_customer, page):
    from core.services import customers, record

    customer_id = make_customer(number="C-1")
    with app.app_context():
        record.add_phone(customers.get(customer_id), {"label": "work", "number": "020 7946 0958"})
    edit(app, customer_id, number="C-2")

    phones = changes(page(history_tab(admin_client, customer_id, field="phone.number")))
    numbers = changes(page(history_tab(admin_client, customer_id, field="number")))

    assert phones == [("Created", {"number": ("—", "+44 20 7946 0958")})]
    assert [fields["number"] for _, fields in numbers] == [("C-1", "C-2"), ("—", "C-1")]


def test_after_an_erasure_the_field_filter_lists_labels_only(app, admin_client, make_customer,
                                                             page):
    from core.services import customers, privacy, record

    customer_id = make_customer(phone="020 7946 0958")
    with app.app_context():
        customer = customers.get(customer_id)
        record.add_phone(customer, {"label": "work", "number": "020 7946 0959"})
        record.set_tags(customer, ["VIP"])
        privacy.erase(customers.get(customer_id))

    doc = page(history_tab(admin_client, customer_id))

    options = doc.find("select", id="history-field").find_all("option")[1:]
    labels = [o.text for o in options]
    assert "Other phones" in labels and "Tags" in labels
    assert [o for o in options if o.text == o.attrs["value"] or "_" in o.text] == []


def test_the_reason_for_deactivating_is_in_the_history(admin_client, make_customer, page):
    customer_id = make_customer()

    admin_client.post(f"/customers/{customer_id}/status",
                      data={"active": "0", "reason": "Moved abroad"})

    shown = changes(page(history_tab(admin_client, customer_id)))
    assert shown[0] == ("Deactivated", {"status": ("Active", "Inactive"),
                                        "reason": ("—", "Moved abroad")})


def test_an_overlong_reason_is_refused_and_the_customer_stays_active(
        admin_client, make_customer, load_customer):
    customer_id = make_customer()

    admin_client.post(f"/customers/{customer_id}/status", data={"active": "0", "reason": "x" * 501})

    assert load_customer(customer_id)["status"] == "active"


def test_an_inactive_customer_shows_a_clear_banner(admin_client, make_customer, page):
    customer_id = make_customer()
    admin_client.post(f"/customers/{customer_id}/status", data={"active": "0"})

    doc = page(admin_client.get(f"/customers/{customer_id}"))

    assert "This customer is inactive." in doc.find(cls="inactive-banner").text


def test_an_active_customer_shows_no_inactive_banner(admin_client, make_customer, page):
    customer_id = make_customer()

    assert page(admin_client.get(f"/customers/{customer_id}")).find(cls="inactive-banner") is None


def test_deactivate_asks_for_confirmation_and_an_optional_reason(admin_client, make_customer, page):
    customer_id = make_customer(first_name="Ida", last_name="Lund")

    dialog = page(admin_client.get(f"/customers/{customer_id}")).find(cls="confirm-status")

    assert "Deactivate Ida Lund?" in dialog.text
    assert "history, notes and groups are kept" in dialog.text
    assert dialog.find("input", name="reason") is not None
