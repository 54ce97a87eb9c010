"""A large import checks emails and phone numbers in worker processes ahead of the rows it writes;
the shop sees the same report either way, the imported customers are found like any others, and
plugins hear of each customer the import creates or changes."""

from __future__ import annotations

import types

import pytest
from sqlalchemy import select

from core.db import db
from core.models import Customer
from core.plugins import PluginInfo
from core.sdk import hookimpl
from core.services import importer, normalize, search


def csv_bytes(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def shop_file(rows: int) -> bytes:
    """``rows`` customers; every 97th email and every 89th phone number is bad."""
    lines = ["First name,Last name,Email,Phone"]
    for i in range(rows):
        email = f"bad-{i}@" if i % 97 == 0 else f"p{i}@example.com"
        phone = "12" if i % 89 == 0 else f"+44 7400 {i:06d}"
        lines.append(f"P{i},Person,{email},{phone}")
    return csv_bytes(lines)


@pytest.fixture
def in_process_checks(monkeypatch):
    """How many emails the importing process checked itself."""
    calls = []
    real = normalize._email_result

    def counting(value):
        calls.append(value)
        return real(value)

    monkeypatch.setattr(normalize, "_email_result", counting)
    return calls


def report(result):
    return [(e.row, e.column, e.message) for e in result.errors]


def test_checks_in_worker_processes_give_the_report_checks_in_process_give(app, ctx,
                                                                         in_process_checks):
    data = shop_file(1_200)
    csv_file = importer.read_csv(data)
    mapping = importer.guess_mapping(csv_file.headers)

    app.config["IMPORT_WORKERS"] = 0
    alone = importer.run(csv_file, mapping, dry_run=True, batch_size=300)
    checked_alone = len(in_process_checks)
    in_process_checks.clear()
    app.config["IMPORT_WORKERS"] = 1
    ahead = importer.run(csv_file, mapping, dry_run=True, batch_size=300)

    assert checked_alone == 1_200
    # The worker checked the first batches at least; the process may check later ones itself.
    assert len(in_process_checks) <= 1_200 - 2 * 300
    assert report(ahead) == report(alone)
    assert (ahead.created, ahead.failed) == (alone.created, alone.failed) == (1_200 - 26, 26)
    assert ahead.errors[0].message.startswith("Enter a valid email address")


def test_an_import_checked_ahead_writes_the_good_rows_and_reports_the_bad(app, ctx, count_rows):
    app.config["IMPORT_WORKERS"] = 1

    result = importer.run(importer.read_csv(shop_file(900)),
                          {"First name": "first_name", "Last name": "last_name",
                           "Email": "email", "Phone": "phone"}, batch_size=200)

    assert result.failed == 20
    assert count_rows(Customer) == result.created == 880
    phone = db.session.execute(select(Customer.phone, Customer.phone_e164)
                               .where(Customer.email_normalized == "p1@example.com")).one()
    assert phone == ("+44 7400 000001", "+447400000001")


def test_a_batch_the_workers_have_not_started_is_checked_in_the_process():
    from concurrent.futures import Future

    checks = importer._ContactChecks.__new__(importer._ContactChecks)
    waiting, running, finished = Future(), Future(), Future()
    running.set_running_or_notify_cancel()
    finished.set_result({("email", "ada@example.com"): ("ok", "ada@example.com", "ada@example.com")})
    checks.futures = [finished, waiting, running]

    assert checks.results(0) == finished.result()
    assert checks.results(1) is None and waiting.cancelled()  # taken back, checked here
    assert not running.cancel()  # a worker has it: the importer waits for its answer
    assert checks.results(3) is None  # past the last batch sent out


def test_imported_customers_are_found_by_the_phone_number_as_people_dial_it(app, ctx):
    importer.import_csv(csv_bytes(["First name,Last name,Phone",
                                   "Nell,Gwynne,+44 7400 123456", "Sam,Pepys,"]))

    ids = search.ranked_ids("07400 123456")

    nell = db.session.execute(select(Customer.id).where(Customer.last_name == "Gwynne")).scalar()
    assert ids[:1] == [nell]


def test_results_checked_for_another_region_are_not_used(app, ctx):
    known = {("phone", "7946 0958"): ("ok", "+44 20 7946 0958", "+442079460958", ())}

    with normalize.known_contacts(known, "GB"):
        assert normalize.normalize_phone("7946 0958", "GB") == ("+44 20 7946 0958", "+442079460958")
        with pytest.raises(ValueError):
            normalize.normalize_phone("7946 0958", "US")


def test_checks_made_ahead_are_those_made_in_process():
    emails, phones = ["ada@example.com", "not-an-email"], ["+44 7400 123456", "12", "abc"]

    known = normalize.check_contacts(emails, phones, "GB")

    assert known == {**{("email", e): normalize._email_result(e) for e in emails},
                     **{("phone", p): normalize._phone_result(p, "GB") for p in phones}}
    assert known[("phone", "+44 7400 123456")][3] == ("447400123456", "7400123456", "07400123456")


def listening_plugin(heard):
    module = types.ModuleType("throwaway_listener")
    module.PLUGIN = PluginInfo(name="listener", label="Listener", version="1.0")
    module.customer_created = hookimpl(lambda customer: heard.append(("created", customer.email)))
    module.customer_updated = hookimpl(
        lambda customer, changes: heard.append(("updated", customer.email, sorted(changes))))
    return module


def test_plugins_hear_of_each_customer_an_import_creates_or_changes(make_app):
    heard = []
    app = make_app(extra_plugins=[listening_plugin(heard)])
    with app.app_context():
        importer.import_csv(csv_bytes(["First name,Last name,Email",
                                       "Ada,Lovelace,ada@example.com",
                                       "Alan,Turing,alan@example.com"]))
        importer.import_csv(csv_bytes(["First name,Last name,Email",
                                       "Ada,King,ada@example.com",
                                       "Alan,Turing,alan@example.com"]), key="email")

    assert heard == [("created", "ada@example.com"), ("created", "alan@example.com"),
                     ("updated", "ada@example.com", ["last_name"])]


def test_a_dry_run_tells_plugins_nothing(make_app):
    heard = []
    app = make_app(extra_plugins=[listening_plugin(heard)])
    with app.app_context():
        importer.import_csv(csv_bytes(["First name,Email", "Ada,ada@example.com"]), dry_run=True)

    assert heard == []
