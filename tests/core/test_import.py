"""A shop moves its customer list in from a spreadsheet: it maps the columns, tries a dry run,
reads the report of bad rows, then imports; good rows land, bad rows never half-write."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.errors import ValidationError
from core.models import AuditEntry, Customer
from core.services import importer


def csv_bytes(*lines: str, encoding="utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_headers_people_write_are_mapped_to_fields():
    mapping = importer.guess_mapping(["First name", "last_name", "E-mail", "Phone number",
                                      "Customer No.", "Favourite colour"])

    assert mapping == {"First name": "first_name", "last_name": "last_name", "E-mail": "email",
                       "Phone number": "phone", "Customer No.": "number"}


def test_import_creates_customers_with_generated_numbers(ctx, count_rows):
    data = csv_bytes("First name,Last name,Email", "Ada,Lovelace,ada@example.com",
                     "Alan,Turing,alan@example.com")

    result = importer.import_csv(data)

    assert (result.created, result.updated, result.errors) == (2, 0, [])
    names = db.session.execute(select(Customer.last_name, Customer.number)
                               .order_by(Customer.id)).all()
    assert [n for n, _ in names] == ["Lovelace", "Turing"]
    assert all(number.startswith("C-") for _, number in names)
    assert names[0][1] != names[1][1]


def test_dry_run_reports_bad_rows_and_writes_nothing(ctx, count_rows):
    data = csv_bytes("First name,Last name,Email,Phone", "Ada,Lovelace,ada@example.com,",
                     "Bob,Bad,not-an-email,", ",,,", "Cy,Phone,cy@example.com,12")

    result = importer.import_csv(data, dry_run=True)

    assert count_rows(Customer) == 0
    assert (result.rows, result.created, result.dry_run) == (3, 1, True)
    assert [(e.row, e.column) for e in result.errors] == [(3, "Email"), (5, "Phone")]


def test_a_row_without_any_name_is_reported_with_its_row_number(ctx):
    data = csv_bytes("First name,Last name,Email", "Ada,Lovelace,ada@example.com",
                     ",,nobody@example.com")

    result = importer.import_csv(data)

    assert [(e.row, e.column) for e in result.errors] == [(3, "First name")]
    assert result.created == 1


def test_import_by_email_updates_the_existing_customer(ctx, make_customer):
    cid = make_customer(first_name="Ada", last_name="Byron", email="ada@example.com")
    data = csv_bytes("Email,Last name,Phone", "ADA@example.com,Lovelace,")

    result = importer.import_csv(data, key="email")

    customer = db.session.get(Customer, cid)
    assert (result.created, result.updated) == (0, 1)
    assert (customer.first_name, customer.last_name) == ("Ada", "Lovelace")
    audit = db.session.execute(select(AuditEntry).where(AuditEntry.action == "import")).scalars().all()
    assert ("last_name", "Byron", "Lovelace") in [(a.field, a.old_value, a.new_value) for a in audit]


def test_import_by_number_creates_unknown_numbers_and_updates_known_ones(ctx, make_customer):
    cid = make_customer(number="OLD-1", first_name="Ada", email="ada@example.com")
    data = csv_bytes("Number,First name", "OLD-1,Augusta", "OLD-2,Charles")

    result = importer.import_csv(data, key="number")

    assert (result.created, result.updated) == (1, 1)
    assert db.session.get(Customer, cid).first_name == "Augusta"
    assert customers_by_number("OLD-2").first_name == "Charles"


def customers_by_number(number):
    return db.session.execute(select(Customer).where(Customer.number == number)).scalar()


def test_the_same_customer_twice_in_a_file_is_reported_on_the_second_row(ctx):
    data = csv_bytes("Email,First name", "ada@example.com,Ada", "ada@example.com,Ada again")

    result = importer.import_csv(data, key="email")

    assert result.created == 1
    assert [(e.row, e.column) for e in result.errors] == [(3, "Email")]


def test_an_imported_customer_gets_one_import_audit_row(ctx):
    importer.import_csv(csv_bytes("First name", "Ada"))

    rows = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert rows == ["import"]


def test_progress_is_reported_batch_by_batch(ctx):
    lines = ["First name"] + [f"Person {i}" for i in range(25)]
    seen = []
    csv_file = importer.read_csv(csv_bytes(*lines))

    importer.run(csv_file, {"First name": "first_name"}, progress=lambda done, total: seen.append(
        (done, total)), batch_size=10)

    assert seen == [(10, 25), (20, 25), (25, 25)]


def test_mapping_without_a_name_column_is_refused(ctx):
    csv_file = importer.read_csv(csv_bytes("Email", "a@example.com"))

    with pytest.raises(ValidationError) as exc:
        importer.run(csv_file, {"Email": "email"})

    assert "mapping" in exc.value.errors


def test_yes_no_columns_become_true_and_false(ctx):
    importer.import_csv(csv_bytes("First name,Go green", "Ada,yes", "Bob,no"))

    assert db.session.execute(select(Customer.go_green).order_by(Customer.id)).scalars().all() == [
        True, False]


def test_numbers_drawn_for_a_batch_skip_a_number_typed_earlier(ctx, make_customer, app):
    pattern = app.config["CUSTOMER_NUMBER_PATTERN"]
    from core.services import numbering

    typed = numbering.format_number(pattern, numbering.peek("customer") + 1)
    make_customer(number=typed)

    result = importer.import_csv(csv_bytes("First name", "Ada", "Bob", "Cy"))

    assert result.created == 3 and result.errors == []
    assert db.session.execute(select(Customer.number).where(Customer.number == typed)).scalars().all() == [typed]


@pytest.mark.parametrize("yes, no", [("ja", "nein"), ("oui", "non"), ("t", "f"), ("on", "off"),
                                     ("Y", "N")])
def test_yes_no_words_of_other_languages_and_systems_are_read(ctx, yes, no):
    result = importer.import_csv(csv_bytes("First name,Go green", f"Ada,{yes}", f"Bob,{no}"))

    assert result.errors == []
    assert db.session.execute(select(Customer.go_green).order_by(Customer.id)).scalars().all() == [
        True, False]


def test_a_word_that_is_neither_yes_nor_no_is_reported_on_its_row(ctx):
    result = importer.import_csv(csv_bytes("First name,Go green", "Ada,perhaps"))

    assert [(e.row, e.column) for e in result.errors] == [(2, "Go green")]


def test_an_empty_yes_no_cell_leaves_the_stored_value_alone(ctx, make_customer):
    from core.services import customers

    number = customers.get(make_customer(go_green=True)).number

    result = importer.import_csv(csv_bytes("Customer number,First name,Go green",
                                           f"{number},Ada,"))

    assert (result.updated, result.errors) == (1, [])
    assert customers.get_by_number(number).first_name == "Ada"
    assert customers.get_by_number(number).go_green is True
