"""Merging two records of one customer: pick the surviving value field by field; everything
attached to the merged record moves to the survivor in one transaction; the merged record stays
as "merged into C-…" and its URLs lead to the survivor."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from core.models import (Activity, Address, AuditEntry, Contact, Customer, CustomerGroup,
                         CustomerPhone, DuplicateCandidate, Note, Tag, customer_tag,
                         group_membership)

CUSTOMER_TABLES = {
    "address": Address, "contact": Contact, "note": Note, "activity": Activity,
    "audit": AuditEntry, "phone": CustomerPhone,
}


def give_history(app, customer_id, label, tags=(), groups=()):
    """One row of everything a customer can have attached, distinct per ``label``."""
    from core.db import db, write_transaction
    from core.services import history

    with app.app_context(), write_transaction():
        db.session.add_all([
            Address(customer_id=customer_id, kind="billing", is_default=True,
                    line1=f"{label} street 1", city="Leeds", postal_code="LS1 1AA", country="GB"),
            Contact(customer_id=customer_id, name=f"{label} contact", role="Accounts"),
            Note(customer_id=customer_id, body=f"{label} note"),
            CustomerPhone(customer_id=customer_id, label="work", number=f"{label} phone",
                          e164=f"+4420794609{sum(map(ord, label)) % 100:02d}"),
        ])
        history.record_activity(customer_id, "call", f"{label} call", direction="in")
        for name in tags:
            tag = db.session.execute(select(Tag).where(Tag.key == name)).scalar()
            if tag is None:
                tag = Tag(name=name, key=name)
                db.session.add(tag)
                db.session.flush()
            db.session.execute(customer_tag.insert().values(customer_id=customer_id, tag_id=tag.id))
        for name in groups:
            group = db.session.execute(select(CustomerGroup).where(CustomerGroup.name == name)).scalar()
            if group is None:
                group = CustomerGroup(name=name)
                db.session.add(group)
                db.session.flush()
            db.session.execute(group_membership.insert().values(customer_id=customer_id,
                                                                group_id=group.id))


def owned(app, customer_id) -> dict[str, int]:
    """How many rows of each kind belong to the customer."""
    from core.db import db

    with app.app_context():
        counts = {name: db.session.execute(select(func.count()).select_from(model)
                                           .where(model.customer_id == customer_id)).scalar()
                  for name, model in CUSTOMER_TABLES.items()}
        for name, table in (("tags", customer_tag), ("groups", group_membership)):
            counts[name] = db.session.execute(select(func.count()).select_from(table)
                                              .where(table.c.customer_id == customer_id)).scalar()
        return counts


def totals(app) -> dict[str, int]:
    from core.db import db

    with app.app_context():
        counts = {name: db.session.execute(select(func.count()).select_from(model)).scalar()
                  for name, model in CUSTOMER_TABLES.items()}
        counts["customers"] = db.session.execute(select(func.count()).select_from(Customer)).scalar()
        return counts


def do_merge(app, survivor_id, merged_id, choices=None, actor=None):
    from core.services import customers, merge

    with app.app_context():
        return merge.merge(customers.get(survivor_id), customers.get(merged_id), choices,
                           actor=actor).id


@pytest.fixture
def pair(app, make_customer):
    keep = make_customer(first_name="Maya", last_name="Okafor", email="maya@example.com",
                         phone="07400 100200")
    gone = make_customer(first_name="Maia", last_name="Okafor", email="maia.o@example.com",
                         phone="07400 300400")
    return keep, gone


# -- what moves ----------------------------------------------------------------------------


def test_merge_moves_every_row_and_leaves_nothing_on_the_merged_customer(app, pair):
    keep, gone = pair
    give_history(app, keep, "keep", tags=["vip", "trade"], groups=["Newsletter"])
    give_history(app, gone, "gone", tags=["vip", "late"], groups=["Newsletter", "Club"])
    before_keep, before_gone, before_total = owned(app, keep), owned(app, gone), totals(app)

    do_merge(app, keep, gone)

    after_keep, after_gone = owned(app, keep), owned(app, gone)
    for name in ("address", "contact", "note", "phone"):
        assert after_keep[name] == before_keep[name] + before_gone[name], name
    # Activity moves too, plus the merge's own "system" entry on the survivor.
    assert after_keep["activity"] == before_keep["activity"] + before_gone["activity"] + 1
    assert after_keep["tags"] == 3 and after_keep["groups"] == 2  # unions, no twice
    assert after_gone["tags"] == 0 and after_gone["groups"] == 0
    assert all(after_gone[name] == 0 for name in ("address", "contact", "note", "phone",
                                                 "activity"))
    # Audit rows move too; the merged record gets only the merge's own rows.
    assert after_keep["audit"] > before_keep["audit"] + before_gone["audit"]
    assert after_gone["audit"] == 2  # merged_into and status
    assert totals(app)["customers"] == before_total["customers"]


def test_merge_counts_nothing_lost_table_by_table(app, pair):
    keep, gone = pair
    give_history(app, keep, "keep")
    give_history(app, gone, "gone")
    before = totals(app)

    do_merge(app, keep, gone)

    after = totals(app)
    for name in ("address", "contact", "note", "phone"):
        assert after[name] == before[name], name
    assert after["activity"] == before["activity"] + 1  # the merge's own "system" entry


def test_the_survivor_keeps_its_default_address_and_the_other_becomes_extra(app, pair):
    from core.db import db

    keep, gone = pair
    give_history(app, keep, "keep")
    give_history(app, gone, "gone")

    do_merge(app, keep, gone)

    with app.app_context():
        defaults = db.session.execute(select(Address.line1).where(
            Address.customer_id == keep, Address.is_default.is_(True))).scalars().all()
    assert defaults == ["keep street 1"]


def test_chosen_fields_are_applied_and_the_rest_keep_the_survivors_value(app, pair, load_customer):
    keep, gone = pair

    do_merge(app, keep, gone, {"phone": "merged", "first_name": "survivor"})

    survivor = load_customer(keep)
    assert survivor["phone_e164"] == "+447400300400"
    assert survivor["first_name"] == "Maya"
    assert survivor["email_normalized"] == "maya@example.com"


def test_an_empty_field_of_the_survivor_takes_the_merged_value_by_default(app, make_customer,
                                                                        load_customer):
    keep = make_customer(first_name="Ben", last_name="Ode", email="ben@example.com")
    gone = make_customer(first_name="Ben", last_name="Ode", email="b@example.com",
                         phone="07400 555000")

    do_merge(app, keep, gone)

    assert load_customer(keep)["phone_e164"] == "+447400555000"


def test_the_merged_record_is_kept_inactive_with_its_number_and_a_pointer(app, pair, load_customer):
    keep, gone = pair
    number = load_customer(gone)["number"]

    do_merge(app, keep, gone)

    merged = load_customer(gone)
    assert merged["status"] == "inactive"
    assert merged["merged_into_id"] == keep
    assert merged["number"] == number


def test_the_merge_is_in_the_history_of_both_records_and_on_the_timeline(app, pair, users):
    from core.db import db

    keep, gone = pair
    with app.app_context():
        actor = users["Manager"]

    do_merge(app, keep, gone, actor=actor)

    with app.app_context():
        on_keep = db.session.execute(select(AuditEntry).where(
            AuditEntry.customer_id == keep, AuditEntry.action == "merge")).scalars().all()
        on_gone = db.session.execute(select(AuditEntry).where(
            AuditEntry.customer_id == gone, AuditEntry.action == "merge")).scalars().all()
        system = db.session.execute(select(Activity).where(
            Activity.customer_id == keep, Activity.kind == "system")).scalars().all()
        gone_number = db.session.get(Customer, gone).number
        keep_number = db.session.get(Customer, keep).number
        assert {(a.field, a.new_value) for a in on_keep} >= {("merged_from", gone_number)}
        assert ("merged_into", keep_number) in {(a.field, a.new_value) for a in on_gone}
        assert all(a.actor_fk == actor for a in on_keep + on_gone)
        assert len(system) == 1 and gone_number in system[0].subject


def test_duplicate_pairs_follow_the_merge(app, make_customer):
    from core.db import db
    from core.services import duplicates

    keep = make_customer(first_name="Ola", last_name="Nordmann", phone="07400 555666")
    gone = make_customer(first_name="Ola", last_name="Nordman", phone="07400 555666",
                         email="ola@elsewhere.example")
    third = make_customer(first_name="Kari", last_name="Nordmann", email="ola@elsewhere.example")
    with app.app_context():
        duplicates.scan()

    do_merge(app, keep, gone)

    with app.app_context():
        rows = {(r.customer_a_id, r.customer_b_id): r.status for r in
                db.session.execute(select(DuplicateCandidate)).scalars()}
    assert rows[(keep, gone)] == "merged"
    assert rows[(keep, third)] == "open"
    assert not any(gone in pair for pair, status in rows.items() if status == "open")


# -- refusals and races --------------------------------------------------------------------


@pytest.mark.parametrize("case", ["itself", "already merged", "into a merged record", "erased"])
def test_a_merge_that_makes_no_sense_is_refused_and_changes_nothing(app, pair, make_customer, case):
    from core.db import db, write_transaction
    from core.errors import ValidationError

    keep, gone = pair
    other = make_customer(first_name="Zed", last_name="Other", email="zed@example.com")
    if case == "itself":
        survivor, merged = keep, keep
    elif case == "already merged":
        do_merge(app, keep, gone)
        survivor, merged = other, gone
    elif case == "into a merged record":
        do_merge(app, keep, gone)
        survivor, merged = gone, other
    else:
        with app.app_context(), write_transaction():
            db.session.get(Customer, gone).erased_at = db.func.now()
        survivor, merged = keep, gone
    before = totals(app), owned(app, survivor), owned(app, merged)

    with pytest.raises(ValidationError) as refused:
        do_merge(app, survivor, merged)

    assert refused.value.errors["_"]
    assert (totals(app), owned(app, survivor), owned(app, merged)) == before


def test_a_bad_field_choice_is_refused_beside_the_field(app, pair, load_customer):
    from core.errors import ValidationError

    keep, gone = pair

    with pytest.raises(ValidationError) as refused:
        do_merge(app, keep, gone, {"phone": "both", "number": "merged"})

    assert set(refused.value.errors) == {"phone", "number"}
    assert load_customer(gone)["merged_into_id"] is None


def test_two_merges_of_the_same_pair_at_once_one_wins_the_other_is_refused(app, pair):
    from core.errors import ValidationError

    keep, gone = pair
    give_history(app, keep, "keep")
    give_history(app, gone, "gone")
    before = totals(app)
    barrier = threading.Barrier(2)
    outcomes = []

    def till(survivor, merged):
        barrier.wait()
        try:
            do_merge(app, survivor, merged)
            outcomes.append("merged")
        except ValidationError as exc:
            outcomes.append(exc.errors["_"])

    threads = [threading.Thread(target=till, args=(keep, gone)),
               threading.Thread(target=till, args=(keep, gone))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(outcomes, key=lambda o: o != "merged")[0] == "merged"
    assert len(outcomes) == 2 and outcomes.count("merged") == 1
    assert owned(app, gone)["address"] == 0
    assert totals(app)["address"] == before["address"]
    assert totals(app)["activity"] == before["activity"] + 1


def test_merging_a_pair_both_ways_at_once_leaves_exactly_one_survivor(app, pair, load_customer):
    from core.errors import ValidationError

    keep, gone = pair
    barrier = threading.Barrier(2)
    outcomes = []

    def till(survivor, merged):
        barrier.wait()
        try:
            do_merge(app, survivor, merged)
            outcomes.append("merged")
        except ValidationError:
            outcomes.append("refused")

    threads = [threading.Thread(target=till, args=(keep, gone)),
               threading.Thread(target=till, args=(gone, keep))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(outcomes) == ["merged", "refused"]
    pointers = [load_customer(keep)["merged_into_id"], load_customer(gone)["merged_into_id"]]
    assert sorted(pointers, key=lambda p: p is not None)[0] is None
    assert pointers.count(None) == 1


# -- plugins -------------------------------------------------------------------------------


class VetoPlugin:
    """A throwaway plugin that refuses every merge."""

    from core.sdk import hookimpl

    @staticmethod
    @hookimpl
    def customer_merging(survivor, merged):
        from core.errors import ValidationError

        raise ValidationError({"_": "Two open loyalty accounts cannot be combined."})


def test_a_plugin_veto_rolls_the_whole_merge_back(app, pair, load_customer):
    from core.errors import ValidationError

    keep, gone = pair
    give_history(app, keep, "keep", tags=["vip"], groups=["Club"])
    give_history(app, gone, "gone", tags=["late"], groups=["Newsletter"])
    before = totals(app), owned(app, keep), owned(app, gone), load_customer(keep)
    host = app.extensions["regulars.plugins"]
    host.pm.register(VetoPlugin, name="veto")
    try:
        with pytest.raises(ValidationError) as refused:
            do_merge(app, keep, gone, {"phone": "merged"})
    finally:
        host.pm.unregister(name="veto")

    assert "loyalty" in refused.value.errors["_"]
    assert (totals(app), owned(app, keep), owned(app, gone), load_customer(keep)) == before
    assert load_customer(gone)["merged_into_id"] is None


def test_fxrates_moves_agreed_rates_and_keeps_the_survivors_on_overlap(app, pair):
    from datetime import date

    from core.db import db
    from core.services import customers
    from plugins.fxrates import services as fx
    from plugins.fxrates.models import ExchangeRate

    keep, gone = pair
    with app.app_context():
        fx.create({"base": "GBP", "quote": "EUR", "rate": "1.18", "valid_from": "2026-01-01"},
                  customers.get(keep))
        fx.create({"base": "GBP", "quote": "EUR", "rate": "1.17", "valid_from": "2026-03-01"},
                  customers.get(gone))
        fx.create({"base": "GBP", "quote": "USD", "rate": "1.28", "valid_from": "2026-01-01"},
                  customers.get(gone))

    do_merge(app, keep, gone)

    with app.app_context():
        rates = {(r.customer_id, r.base, r.quote): fx.rate_text(r.rate) for r in
                 db.session.execute(select(ExchangeRate)).scalars()}
        notes = db.session.execute(select(Activity.subject).where(
            Activity.customer_id == keep, Activity.source == "fxrates")).scalars().all()
        assert fx.rate_on("GBP", "EUR", date(2026, 4, 1), keep) == fx.rate_on(
            "GBP", "EUR", date(2026, 1, 2), keep)
    assert rates == {(keep, "GBP", "EUR"): "1.18", (keep, "GBP", "USD"): "1.28"}
    assert len(notes) == 1 and "1.17" in notes[0]


def greet(app, customer_id, greeting):
    from core.services import customers

    with app.app_context():
        customers.update(customers.get(customer_id), {"hello_greeting": greeting})


def greeting_of(app, customer_id):
    from core.db import db
    from regulars_hello.models import Greeting

    with app.app_context():
        row = db.session.get(Greeting, customer_id)
        return row.text if row else None


def test_hello_greeting_moves_when_the_survivor_has_none(app, pair):
    keep, gone = pair
    greet(app, gone, "Morning, Maia!")

    do_merge(app, keep, gone)

    assert (greeting_of(app, keep), greeting_of(app, gone)) == ("Morning, Maia!", None)


@pytest.mark.parametrize("choice, kept", [(None, "Hi Maya"), ("merged", "Morning, Maia!")])
def test_hello_greeting_on_the_survivor_is_the_one_chosen(app, pair, choice, kept):
    keep, gone = pair
    greet(app, keep, "Hi Maya")
    greet(app, gone, "Morning, Maia!")

    do_merge(app, keep, gone, choices={"hello_greeting": choice} if choice else None)

    assert (greeting_of(app, keep), greeting_of(app, gone)) == (kept, None)
    with app.app_context():
        from core.db import db

        changed = db.session.execute(select(AuditEntry.new_value).where(
            AuditEntry.customer_id == keep, AuditEntry.field == "hello_greeting",
            AuditEntry.action == "merge")).scalars().all()
    assert changed == ([] if choice is None else ["Morning, Maia!"])


# -- the screens -----------------------------------------------------------------------------


def test_merge_screen_shows_both_values_side_by_side_with_the_survivors_chosen(
        admin_client, pair, page):
    keep, gone = pair

    doc = page(admin_client.get(f"/duplicates/merge/{keep}/{gone}"))

    row = doc.find("tr", data_field="email")
    radios = row.find_all("input", type="radio")
    assert [r.attrs["value"] for r in radios] == ["survivor", "merged"]
    assert "checked" in radios[0].attrs and "checked" not in radios[1].attrs
    assert "maya@example.com" in row.text and "maia.o@example.com" in row.text


def test_merging_on_the_screen_applies_the_choice_and_opens_the_survivor(
        admin_client, pair, load_customer):
    keep, gone = pair

    response = admin_client.post(f"/duplicates/merge/{keep}/{gone}",
                                 data={"choice_email": "merged"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{keep}")
    assert load_customer(keep)["email_normalized"] == "maia.o@example.com"
    assert load_customer(gone)["merged_into_id"] == keep


def test_a_refused_merge_on_the_screen_says_why(admin_client, app, pair, make_customer, page):
    keep, gone = pair
    other = make_customer(first_name="Zed", last_name="Other", email="zed@example.com")
    do_merge(app, keep, gone)

    doc = page(admin_client.post(f"/duplicates/merge/{other}/{gone}"))

    assert "has already been merged into" in doc.find(cls="merge-error").text


def test_the_merged_customers_overview_leads_to_the_survivor(admin_client, app, pair, page,
                                                            load_customer):
    keep, gone = pair
    do_merge(app, keep, gone)

    response = admin_client.get(f"/customers/{gone}")
    followed = page(admin_client.get(response.headers["Location"]))

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{keep}")
    assert f"merged into {load_customer(keep)['number']}" in followed.text


def test_the_api_answers_a_merged_customer_with_a_permanent_redirect(app, api_token, pair):
    keep, gone = pair
    do_merge(app, keep, gone)

    response = app.test_client().get(f"/api/v1/customers/{gone}",
                                     headers={"Authorization": f"Bearer {api_token('Admin')}"})

    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/api/v1/customers/{keep}")
    assert response.get_json()["merged_into"]["id"] == keep


@pytest.mark.parametrize("role", ["ReadOnly", "Cashier"])
def test_readonly_and_cashier_cannot_merge(client_for, pair, role, load_customer):
    keep, gone = pair
    client = client_for(role)

    assert client.get(f"/duplicates/merge/{keep}/{gone}").status_code == 403
    assert client.post(f"/duplicates/merge/{keep}/{gone}").status_code == 403
    assert load_customer(gone)["merged_into_id"] is None


def test_manager_can_merge(client_for, pair, load_customer):
    keep, gone = pair

    response = client_for("Manager").post(f"/duplicates/merge/{keep}/{gone}")

    assert response.status_code == 302
    assert load_customer(gone)["merged_into_id"] == keep


def test_customers_resold_through_the_merged_record_follow_it_but_never_to_itself(
        app, pair, make_customer, load_customer):
    from core.db import db, write_transaction

    keep, gone = pair
    shop = make_customer(first_name="Corner", last_name="Shop", email="corner@example.com")
    with app.app_context(), write_transaction():
        db.session.get(Customer, shop).reseller_id = gone
        db.session.get(Customer, keep).reseller_id = gone

    do_merge(app, keep, gone)

    assert load_customer(shop)["reseller_id"] == keep
    assert load_customer(keep)["reseller_id"] is None
