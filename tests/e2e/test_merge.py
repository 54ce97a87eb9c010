"""A shop manager merges a customer who was entered twice, in a real browser.

Mirela was typed in once at the till and again, with her married name and a phone number, by
a colleague. The manager presses "Scan now" on the Duplicates screen, opens the pair side by
side, keeps her new surname and the phone number of the second record, and merges. The notes
and addresses of both records end up on the one that stays; the old record's page leads to the
survivor and says so; the survivor's History tab shows the merge.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_first_customer import sign_in

pytestmark = pytest.mark.e2e


def _attached(app, *customer_ids):
    """{customer id: (notes, addresses)} straight from the database."""
    from sqlalchemy import func, select

    from core.db import db
    from core.models import Address, Note

    with app.app_context():
        counts = {}
        for customer_id in customer_ids:
            counts[customer_id] = tuple(db.session.scalar(
                select(func.count()).select_from(model).where(model.customer_id == customer_id))
                for model in (Note, Address))
        return counts


def test_manager_merges_a_customer_entered_twice(app, page, live_server, make_customer, shoot):
    from core.services import customers, notes, record

    survivor_id = make_customer(first_name="Mirela", last_name="Kowalczyk",
                                email="mirela.k@example.com")
    merged_id = make_customer(first_name="Mirela", last_name="Kowalczyk-Nowak",
                              email="Mirela.K@example.com", phone="020 7946 0958")
    with app.app_context():
        survivor, merged = customers.get(survivor_id), customers.get(merged_id)
        survivor_number, merged_number = survivor.number, merged.number
        notes.add(survivor, "Prefers the oat latte.")
        record.add_address(survivor, {"line1": "1 High Street", "city": "London",
                                      "postal_code": "SW1A 1AA", "country": "GB"})
        notes.add(merged, "Married in May; new surname.")
        notes.add(merged, "Loyalty card 4411 lost, replaced.", pinned=True)
        record.add_address(merged, {"line1": "22 Baker Street", "city": "London",
                                    "postal_code": "NW1 6XE", "country": "GB"})
        record.add_address(merged, {"kind": "shipping", "line1": "Unit 4, Dock Road",
                                    "city": "London", "postal_code": "E16 1AA", "country": "GB"})
    before = _attached(app, survivor_id, merged_id)
    assert before == {survivor_id: (1, 1), merged_id: (2, 2)}

    sign_in(page, live_server, username="manager")
    page.click(".navbar a.dropdown-toggle:has-text('Customers')")
    page.click(".navbar .dropdown-menu a:has-text('Duplicates')")
    expect(page.locator("h1")).to_have_text("Duplicates")
    page.click("button:has-text('Scan now')")
    expect(page.locator(".alert-success")).to_contain_text("Scan finished")
    pair = page.locator("tr.duplicate-pair")
    expect(pair).to_have_count(1)
    expect(pair.locator(".duplicate-reasons")).to_contain_text("same email")
    expect(pair).to_contain_text(survivor_number)
    expect(pair).to_contain_text(merged_number)
    pair.locator("a:has-text('Merge…')").click()

    # Side by side: only what differs is a choice; the survivor's value is proposed, or the
    # other record's where the survivor has none.
    expect(page).to_have_url(re.compile(rf"/duplicates/merge/{survivor_id}/{merged_id}$"))
    expect(page.locator("h1")).to_have_text("Merge customers")
    last_name = page.locator("#merge-form tr[data-field=last_name]")
    expect(last_name).to_have_class(re.compile(r"\bmerge-differs\b"))
    expect(last_name.locator("input[value=survivor]")).to_be_checked()
    expect(last_name.locator("label:has(input[value=merged])")).to_contain_text("Kowalczyk-Nowak")
    phone = page.locator("#merge-form tr[data-field=phone]")
    expect(phone.locator("input[value=merged]")).to_be_checked()
    expect(page.locator("#merge-form tr[data-field=first_name] input")).to_have_count(0)
    last_name.locator("input[value=merged]").check()
    shoot(page, "13-merge-side-by-side")
    merge_button = page.locator("#merge-form button[type=submit]")
    expect(merge_button).to_have_text(f"Merge into {survivor_number}")
    merge_button.click()

    # Back on the survivor, with the chosen values.
    expect(page).to_have_url(re.compile(rf"/customers/{survivor_id}(\?tab=\w+)?$"))
    expect(page.locator(".alert-success")).to_contain_text(
        f"{merged_number} was merged into {survivor_number}")
    expect(page.locator(".customer-header h1")).to_contain_text("Mirela Kowalczyk-Nowak")
    expect(page.locator(".customer-header .meta")).to_contain_text("+44 20 7946 0958")
    with app.app_context():
        kept, gone = customers.get(survivor_id), customers.get(merged_id)
        assert (kept.first_name, kept.last_name) == ("Mirela", "Kowalczyk-Nowak")
        assert kept.email == "mirela.k@example.com"  # the survivor's, as proposed
        assert kept.phone_e164 == "+442079460958"  # the other record's: the survivor had none
        assert kept.merged_into_id is None and kept.is_active
        assert gone.merged_into_id == survivor_id and not gone.is_active
        assert gone.number == merged_number and gone.last_name == "Kowalczyk-Nowak"
    after = _attached(app, survivor_id, merged_id)
    assert after == {survivor_id: (3, 3), merged_id: (0, 0)}, after

    # The survivor's History tab shows the merge, and what it changed.
    page.click("a[data-tab=history]")
    change = page.locator("#tab-history .history-change[data-action=merge]")
    expect(change).to_have_count(1)
    expect(change.locator(".history-action")).to_have_text("Merged")
    expect(change.locator("tr[data-field=merged_from] .history-new")).to_have_text(merged_number)
    expect(change.locator("tr[data-field=last_name] .history-old")).to_have_text("Kowalczyk")
    expect(change.locator("tr[data-field=last_name] .history-new")).to_have_text("Kowalczyk-Nowak")
    shoot(page, "14-merge-survivor-history")

    # The notes came along: the Activity tab lists both records' notes, and the merge.
    page.click("a[data-tab=activity]")
    activity = page.locator("#tab-activity")
    expect(activity.locator(".activity-entry[data-kind=note]")).to_have_count(3)
    for body in ("Prefers the oat latte.", "Married in May; new surname.",
                 "Loyalty card 4411 lost, replaced."):
        expect(activity.locator(".activity-entry[data-kind=note]", has_text=body)).to_have_count(1)
    expect(activity.locator(".activity-entry[data-kind=system]").first) \
        .to_contain_text(f"Merged {merged_number} into this record")
    expect(page.locator(".pinned-notes")).to_contain_text("Loyalty card 4411 lost")

    # The old record's page leads to the survivor, saying why.
    page.goto(f"{live_server}/customers/{merged_id}")
    expect(page).to_have_url(re.compile(rf"/customers/{survivor_id}(\?tab=\w+)?$"))
    expect(page.locator(".alert-info")).to_contain_text(
        f"was merged into {survivor_number}; you are looking at {survivor_number}")
    expect(page.locator(".alert-info")).to_contain_text(merged_number)
    expect(page.locator(".customer-number")).to_have_text(survivor_number)
    shoot(page, "14-merged-record-redirects")

    # The pair is settled: the Duplicates screen no longer offers it.
    page.goto(live_server + "/duplicates/")
    expect(page.locator("tr.duplicate-pair")).to_have_count(0)
