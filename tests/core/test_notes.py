"""Internal notes: many, dated, authored, pinnable. A pinned note sits at the top of the
overview; a note is on the Activity timeline once; editing and deleting are in the history."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Activity, AuditEntry, Note


def add_note(client, customer_id, body, pinned=False):
    data = {"body": body}
    if pinned:
        data["pinned"] = "y"
    return client.post(f"/customers/{customer_id}/notes/add", data=data)


def note_id_of(app, body):
    from core.db import db

    with app.app_context():
        return db.session.execute(select(Note.id).where(Note.body == body)).scalar()


def pinned_on_overview(client, customer_id, page):
    doc = page(client.get(f"/customers/{customer_id}"))
    return [n.find(cls="note-body").text for n in doc.find_all("li", cls="pinned-note")]


def trail(app, customer_id, action):
    from core.db import db

    with app.app_context():
        return [(r.field, r.old_value, r.new_value) for r in db.session.execute(
            select(AuditEntry).where(AuditEntry.customer_id == customer_id,
                                     AuditEntry.action == action)).scalars()]


def test_a_pinned_note_shows_at_the_top_of_the_overview(admin_client, make_customer, page):
    customer_id = make_customer()
    add_note(admin_client, customer_id, "Allergic to nuts", pinned=True)
    add_note(admin_client, customer_id, "Asked about gift cards")

    assert pinned_on_overview(admin_client, customer_id, page) == ["Allergic to nuts"]


def test_pinned_notes_show_newest_first_with_author(app, admin_client, make_customer, page):
    customer_id = make_customer()
    add_note(admin_client, customer_id, "First", pinned=True)
    add_note(admin_client, customer_id, "Second", pinned=True)

    doc = page(admin_client.get(f"/customers/{customer_id}"))

    notes = doc.find_all("li", cls="pinned-note")
    assert [n.find(cls="note-body").text for n in notes] == ["Second", "First"]
    assert "Admin User" in notes[0].text


def test_adding_a_note_writes_one_linked_timeline_row(app, admin_client, make_customer):
    from core.db import db

    customer_id = make_customer()
    add_note(admin_client, customer_id, "Likes jazz")

    note_id = note_id_of(app, "Likes jazz")
    with app.app_context():
        rows = db.session.execute(select(Activity)).scalars().all()
        assert [(a.kind, a.ref_type, a.ref_id, a.body) for a in rows] == [
            ("note", "note", str(note_id), "Likes jazz")]


def test_pinning_a_note_from_the_timeline_puts_it_on_the_overview(
        app, admin_client, make_customer, page):
    customer_id = make_customer()
    add_note(admin_client, customer_id, "VIP at Christmas")
    note_id = note_id_of(app, "VIP at Christmas")

    admin_client.post(f"/customers/{customer_id}/notes/{note_id}/pin", data={"pinned": "1"})

    assert pinned_on_overview(admin_client, customer_id, page) == ["VIP at Christmas"]
    assert trail(app, customer_id, "note_pin") == [("pinned", "no", "yes")]


def test_unpinning_takes_it_off_the_overview(app, admin_client, make_customer, page):
    customer_id = make_customer()
    add_note(admin_client, customer_id, "Temporary", pinned=True)
    note_id = note_id_of(app, "Temporary")

    admin_client.post(f"/customers/{customer_id}/notes/{note_id}/pin", data={"pinned": "0"})

    assert pinned_on_overview(admin_client, customer_id, page) == []


def test_editing_a_note_is_in_the_history_and_the_timeline_shows_the_new_text(
        app, admin_client, make_customer, page):
    customer_id = make_customer()
    add_note(admin_client, customer_id, "Call after 5")
    note_id = note_id_of(app, "Call after 5")

    response = admin_client.post(f"/customers/{customer_id}/notes/{note_id}/edit",
                                 data={"body": "Call after 6"})

    assert response.status_code == 302
    assert trail(app, customer_id, "note_edit") == [("note", "Call after 5", "Call after 6")]
    timeline = page(admin_client.get(f"/customers/{customer_id}/tabs/activity")).text
    assert "Call after 6" in timeline and "Call after 5" not in timeline


def test_emptying_a_note_on_edit_is_refused_and_keeps_the_text(
        app, admin_client, make_customer, page, errors_beside):
    customer_id = make_customer()
    add_note(admin_client, customer_id, "Keep me")
    note_id = note_id_of(app, "Keep me")

    response = admin_client.post(f"/customers/{customer_id}/notes/{note_id}/edit",
                                 data={"body": ""})

    assert response.status_code == 422
    assert errors_beside(page(response), "body") == ["Write the note first."]
    assert note_id_of(app, "Keep me") == note_id


def test_deleting_a_note_removes_it_and_its_timeline_row_but_the_history_keeps_it(
        app, admin_client, make_customer, count_rows):
    customer_id = make_customer()
    add_note(admin_client, customer_id, "Wrong customer")
    note_id = note_id_of(app, "Wrong customer")

    admin_client.post(f"/customers/{customer_id}/notes/{note_id}/delete")

    assert (count_rows(Note), count_rows(Activity)) == (0, 0)
    assert trail(app, customer_id, "note_delete") == [("note", "Wrong customer", None)]


def test_a_note_cannot_be_reached_through_another_customer(app, admin_client, make_customer):
    owner, other = make_customer(), make_customer()
    add_note(admin_client, owner, "Private")
    note_id = note_id_of(app, "Private")

    response = admin_client.post(f"/customers/{other}/notes/{note_id}/delete")

    assert response.status_code == 404
    assert note_id_of(app, "Private") == note_id


def test_a_cashier_cannot_delete_a_note(app, admin_client, client_for, make_customer):
    customer_id = make_customer()
    add_note(admin_client, customer_id, "Manager's note")
    note_id = note_id_of(app, "Manager's note")

    response = client_for("Cashier").post(f"/customers/{customer_id}/notes/{note_id}/delete")

    assert response.status_code == 403
    assert note_id_of(app, "Manager's note") == note_id


def test_readonly_sees_pinned_notes_but_cannot_pin(app, admin_client, client_for, make_customer, page):
    customer_id = make_customer()
    add_note(admin_client, customer_id, "Read me", pinned=True)
    note_id = note_id_of(app, "Read me")
    reader = client_for("ReadOnly")

    response = reader.post(f"/customers/{customer_id}/notes/{note_id}/pin", data={"pinned": "0"})

    assert response.status_code == 403
    assert pinned_on_overview(reader, customer_id, page) == ["Read me"]


def test_a_hostile_pinned_note_is_escaped_on_the_overview(admin_client, make_customer):
    customer_id = make_customer()
    add_note(admin_client, customer_id, "<script>alert('x')</script>", pinned=True)

    html = admin_client.get(f"/customers/{customer_id}").get_data(as_text=True)

    assert "<script>alert('x')</script>" not in html


def test_a_very_long_note_is_refused(admin_client, make_customer, count_rows, page, errors_beside):
    customer_id = make_customer()

    response = add_note(admin_client, customer_id, "x" * 5001)

    assert errors_beside(page(response), "body") == ["At most 5000 characters."]
    assert count_rows(Note) == 0


def test_control_characters_are_stripped_from_a_note(app, admin_client, make_customer):
    customer_id = make_customer()

    add_note(admin_client, customer_id, "Bell\x07 and\x00 null")

    assert note_id_of(app, "Bell and null") is not None


def test_the_edit_page_shows_the_note_as_it_is(app, admin_client, make_customer, page):
    customer_id = make_customer()
    add_note(admin_client, customer_id, "Call after 5")
    note_id = note_id_of(app, "Call after 5")

    doc = page(admin_client.get(f"/customers/{customer_id}/notes/{note_id}/edit"))

    assert doc.find("textarea", id="body").text == "Call after 5"
