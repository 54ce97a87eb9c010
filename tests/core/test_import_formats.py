"""A shop moves in from the system it leaves: it exports its customers there and imports the
file here as it is. Regulars recognises the export by its headers, maps the columns itself,
and brings the names, emails, phones (read as dialled in each customer's own country), the
address, tags and notes; it says which columns it left out and why, and lists the columns it
keeps for later (a plugin will own them) with how many rows fill them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import db
from core.errors import ValidationError
from core.models import Address, Customer, CustomerPhone, ImportRun, Note
from core.services import import_parts, importer

FIXTURES = Path(__file__).parent / "fixtures" / "imports"


def export_of(system: str) -> bytes:
    return (FIXTURES / f"{system}_customers.csv").read_bytes()


def csv_bytes(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def customer(**where) -> Customer:
    (column, value), = where.items()
    found = db.session.execute(select(Customer).where(getattr(Customer, column) == value)).scalar()
    assert found is not None, f"no customer with {column} = {value!r}"
    return found


def addresses_of(c: Customer) -> list[tuple]:
    return [(a.kind, a.line1, a.line2, a.city, a.region, a.postal_code, a.country)
            for a in c.addresses]


def other_phones_of(c: Customer) -> list[tuple]:
    return [(p.label, p.e164) for p in c.phones]


def tags_of(c: Customer) -> set[str]:
    return {t.name for t in c.tags}


def notes_of(c: Customer) -> list[str]:
    return list(db.session.execute(select(Note.body).where(Note.customer_id == c.id)
                                   .order_by(Note.id)).scalars())


def statuses(result) -> dict[str, set[str]]:
    by_status: dict[str, set[str]] = {}
    for column in result.columns:
        by_status.setdefault(column.status, set()).add(column.column)
    return by_status


# -- recognising the export ----------------------------------------------------------------------


@pytest.mark.parametrize("system, key", [
    ("shopify", "shopify"), ("square", "square"), ("woocommerce", "woocommerce"),
    ("lightspeed", "lightspeed_r"), ("odoo", "odoo"), ("erpnext", "erpnext"), ("vend", "vend"),
])
def test_each_systems_customer_export_is_recognised_by_its_headers(system, key):
    headers = importer.read_csv(export_of(system)).headers

    assert importer.recognise(headers).format.key == key


def test_a_file_of_no_known_system_is_not_taken_for_one():
    assert importer.recognise(["Customer number", "First name", "Last name", "Company", "Type",
                               "E-mail", "Phone number"]) is None


DRY_RUNS = {
    "shopify": ("Shopify customers export",
                {"Customer ID": "number", "Default Address Zip": "address.postal_code",
                 "Default Address Phone": "phone.other", "Tags": "tags", "Note": "notes"},
                {"Accepts Email Marketing", "Accepts SMS Marketing", "Tax Exempt"},
                {"Total Spent", "Total Orders"}),
    "square": ("Square customer directory export",
               {"Reference ID": "number", "Email Address": "email", "State": "address.region",
                "Memo": "notes"},
               {"Email Subscription Status"},
               {"Square Customer ID", "Nickname", "Birthday", "Creation Source", "First Visit",
                "Last Visit", "Transaction Count", "Lifetime Spend", "Instant Profile",
                "Blocked from online booking"}),
    "woocommerce": ("WooCommerce customers export",
                    {"customer_id": "number", "billing_postcode": "address.postal_code",
                     "shipping_address_1": "shipping.line1", "billing_company": "company_name"},
                    set(),
                    {"user_login", "date_registered", "billing_first_name", "billing_last_name",
                     "billing_email", "shipping_first_name", "shipping_last_name",
                     "shipping_company", "total_spent", "order_count"}),
    "lightspeed": ("Lightspeed Retail (R-Series) customers export",
                   {"Customer ID": "number", "Customer Type": "tags", "Mobile": "phone",
                    "Home": "phone.home", "Zip": "address.postal_code", "Notes": "notes"},
                   {"Tax Category", "Discount"},
                   {"Title", "Fax", "Pager", "Email 2", "Website", "Created"}),
    "odoo": ("Odoo contacts export",
             {"Name": "name", "Is a Company": "is_company", "Related Company": "company_name",
              "Mobile": "phone.mobile", "Tax ID": "tax_id", "Notes": "notes"},
             set(),
             {"Job Position", "Website Link"}),
    "erpnext": ("ERPNext customers export",
                {"ID": "number", "Customer Name": "name", "Customer Type": "kind",
                 "Customer Group": "tags", "Mobile No": "phone", "Customer Details": "notes"},
                {"Tax Category"},
                {"Territory", "Primary Address", "Disabled"}),
    "vend": ("Vend / Lightspeed Retail (X-Series) customers export",
             {"customer_code": "number", "postal_address1": "address.line1",
              "postal_suburb": "address.suburb", "physical_address1": "shipping.line1",
              "mobile": "phone.mobile", "note": "notes"},
             {"enable_loyalty", "loyalty_balance", "store_credit_balance", "do_not_email"},
             {"id", "date_of_birth", "sex", "fax", "website", "twitter", "year_to_date",
              "balance", "custom_field_1", "custom_field_2", "custom_field_3", "custom_field_4",
              "created_at", "updated_at"}),
}


@pytest.mark.parametrize("system", DRY_RUNS)
def test_a_dry_run_of_an_export_says_what_each_column_fills_and_why_others_are_left_out(
        ctx, count_rows, system):
    label, imported, kept, left_out = DRY_RUNS[system]

    result = importer.import_csv(export_of(system), dry_run=True)

    assert result.errors == []
    assert result.format_label == label
    targets = {c.column: c.target for c in result.columns if c.status == "imported"}
    assert imported.items() <= targets.items()
    assert statuses(result).get("kept", set()) == kept
    assert statuses(result).get("left_out", set()) == left_out
    assert all(c.reason for c in result.columns)
    assert count_rows(Customer) == 0


# -- what each system's export brings ------------------------------------------------------------


def test_a_shopify_export_brings_people_with_their_default_address_tags_and_note(ctx):
    result = importer.import_csv(export_of("shopify"))

    assert (result.created, result.errors) == (5, [])
    zoe = customer(number="7198418567402")  # Shopify's quote before the id is not part of it
    assert (zoe.first_name, zoe.last_name, zoe.email) == (
        "Zoë", "Ångström", "zoe.angstrom@example.co.uk")
    assert zoe.phone_e164 == "+447400123456"
    assert addresses_of(zoe) == [("billing", "221B Baker Street", "Flat 2", "London", "",
                                  "NW1 6XE", "GB")]
    assert zoe.addresses[0].is_default
    assert tags_of(zoe) == {"VIP", "Newsletter"}
    assert notes_of(zoe) == ["Prefers oat milk, no sugar"]


def test_a_shopify_customer_abroad_has_the_phone_read_as_dialled_in_their_country(ctx):
    importer.import_csv(export_of("shopify"))

    juergen = customer(email="juergen@mueller-soehne.example")
    assert (juergen.phone_e164, juergen.company_name) == ("+4930901820", "Müller & Söhne GmbH")
    ana = customer(email="ana.garcia@example.com")
    assert ana.phone_e164 == "+12125550142"
    assert addresses_of(ana) == [("billing", "350 Fifth Avenue, Suite 3100", "", "New York",
                                  "NY", "10001", "US")]
    assert tags_of(ana) == {"VIP", "Events"}  # "vip" is the VIP tag an earlier row named


def test_a_shopify_customer_without_an_address_or_phone_is_imported_without_them(ctx):
    importer.import_csv(export_of("shopify"))

    tomas = customer(email="tomas@example.ie")
    assert (tomas.phone, tomas.addresses, tomas.tags, notes_of(tomas)) == (None, [], [], [])
    priya = customer(email="priya.shah@example.co.uk")
    assert priya.phone_e164 == "+447911123456"  # her only number was on her address
    assert priya.phones == []


def test_a_shopify_import_keeps_the_columns_for_later_with_how_many_rows_fill_them(ctx):
    result = importer.import_csv(export_of("shopify"))

    assert {(c.column, c.kept_for, c.filled) for c in result.kept} == {
        ("Accepts Email Marketing", "consent to marketing by email", 5),
        ("Accepts SMS Marketing", "consent to marketing by SMS", 5),
        ("Tax Exempt", "tax exemption", 5)}


def test_a_square_export_brings_its_customers_and_makes_a_company_without_a_person_a_business(
        ctx):
    result = importer.import_csv(export_of("square"))

    assert (result.created, result.errors) == (4, [])
    siobhan = customer(number="LOY-1001")
    assert (siobhan.first_name, siobhan.last_name, siobhan.phone_e164) == (
        "Siobhán", "O'Brien", "+447400123456")
    # Square exports no country: the address is in the shop's own.
    assert addresses_of(siobhan) == [("billing", "10 Downing Street", "", "London", "",
                                      "SW1A 2AA", "GB")]
    assert notes_of(siobhan) == ["Likes the window seat, Tuesdays"]
    brasserie = customer(company_name="Brasserie Zédé, Ltd")
    assert brasserie.kind == "business"
    assert brasserie.number.startswith("C-")  # no Reference ID: a number of the shop's own
    assert customer(email="emilie.lefevre@example.fr").phone_e164 == "+33612345678"


def test_a_woocommerce_export_brings_the_billing_and_a_different_shipping_address(ctx):
    result = importer.import_csv(export_of("woocommerce"))

    assert (result.created, result.errors) == (4, [])
    grace = customer(number="15")
    assert (grace.first_name, grace.company_name, grace.email) == (
        "Grace", "Café Olé Ltd", "grace@cafe-ole.example")
    assert addresses_of(grace) == [
        ("billing", "22 Oldham Street", "", "Manchester", "", "M1 1JN", "GB"),
        ("shipping", "Unit 4, Riverside Park", "Water Lane", "Salford", "", "M3 5EL", "GB")]
    assert [a.is_default for a in grace.addresses] == [True, True]
    assert len(customer(number="12").addresses) == 1  # shipping to the billing address
    camille = customer(number="21")
    assert (camille.phone_e164, addresses_of(camille)[0][-1]) == ("+33612345678", "FR")


def test_a_lightspeed_export_brings_the_home_work_and_mobile_numbers(ctx):
    result = importer.import_csv(export_of("lightspeed"))

    assert (result.created, result.errors) == (4, [])
    soren = customer(number="103")
    assert soren.phone_e164 == "+447911123456"
    assert other_phones_of(soren) == [("home", "+441614960123")]
    mathieu = customer(number="102")
    assert mathieu.phone_e164 == "+16135550199"  # his work number, read as dialled in Canada
    assert addresses_of(mathieu) == [("billing", "200 Elgin Street", "Suite 405", "Ottawa",
                                      "ON", "K1P 1J1", "CA")]
    assert tags_of(mathieu) == {"Wholesale"}
    assert tags_of(customer(number="104")) == {"Staff", "Retail"}
    assert notes_of(customer(number="101")) == ["Bikes serviced every spring, reminds by text"]


def test_an_odoo_export_brings_companies_as_businesses_and_their_people(ctx):
    result = importer.import_csv(export_of("odoo"))

    assert (result.created, result.errors) == (5, [])
    brasserie = customer(number="ODOO-0042")
    assert (brasserie.kind, brasserie.company_name) == ("business", "Brasserie Höflich GmbH")
    assert (brasserie.tax_country, brasserie.tax_id) == ("DE", "136695976")
    assert addresses_of(brasserie) == [("billing", "Schönhauser Allee 36", "", "Berlin",
                                        "Berlin", "10435", "DE")]
    assert tags_of(brasserie) == {"Wholesale", "Restaurant"}
    assert notes_of(brasserie) == ["Deliveries before 10am, side door"]  # Odoo's HTML, as text
    greta = customer(number="ODOO-0043")
    assert (greta.kind, greta.first_name, greta.last_name, greta.company_name) == (
        "individual", "Greta", "Höflich", "Brasserie Höflich GmbH")
    assert greta.phone_e164 == "+4915123456789"


def test_an_odoo_name_written_last_name_first_is_split_so(ctx):
    importer.import_csv(export_of("odoo"))

    ada = customer(number="ODOO-0044")
    assert (ada.first_name, ada.last_name, ada.phone_e164) == ("Ada", "Lovelace", "+442079460018")
    assert customer(number="ODOO-0045").phone_e164 == "+33142685300"


def test_an_erpnext_export_brings_companies_groups_as_tags_and_details_as_a_note(ctx):
    result = importer.import_csv(export_of("erpnext"))

    assert (result.created, result.errors) == (4, [])
    orsted = customer(number="CUST-2024-00001")
    assert (orsted.kind, orsted.company_name, orsted.currency) == (
        "business", "Ørsted Bikes ApS", "DKK")
    assert (orsted.tax_country, orsted.phone_e164) == ("DK", "+4532123456")
    assert tags_of(orsted) == {"Commercial"}
    assert notes_of(orsted) == ["Pays by bank transfer, 30 days"]
    hannah = customer(number="CUST-2024-00003")
    assert (hannah.first_name, hannah.last_name, hannah.phone_e164) == (
        "Hannah", "Schmidt", "+447400123456")
    assert tags_of(hannah) == set()  # ERPNext's root group is no tag
    assert customer(number="CUST-2024-00004").email is None


def test_a_vend_export_brings_the_postal_and_physical_address_with_the_suburb(ctx):
    result = importer.import_csv(export_of("vend"))

    assert (result.created, result.errors) == (3, [])
    aroha = customer(number="ARO-0002")
    assert addresses_of(aroha) == [
        ("billing", "Level 2", "12 Ponsonby Road, Unit 3, Ponsonby", "Auckland", "", "1011", "NZ"),
        ("shipping", "88 Great North Road", "Grey Lynn", "Auckland", "", "1021", "NZ")]
    assert aroha.phone_e164 == "+6493794561"  # dialled in New Zealand
    assert other_phones_of(aroha) == [("mobile", "+64211234567")]
    assert tags_of(aroha) == {"Trade"}
    hugo = customer(number="HUGO-0001")
    assert (hugo.phone_e164, tags_of(hugo)) == ("+447984555123", set())  # "All Customers": no tag


def test_a_woocommerce_analytics_download_splits_its_single_name(ctx):
    data = csv_bytes("Name,Username,Last active,Date registered,Email,Orders,Total spend,AOV,"
                     "Country / Region,City,Region,Postal code",
                     "Vincent van Gogh,vincent,2024-05-01,2021-02-03,vincent@example.nl,3,"
                     "120.00,40.00,NL,Amsterdam,,1012 AB")

    result = importer.import_csv(data)

    assert result.format == "woocommerce_report"
    vincent = customer(email="vincent@example.nl")
    assert (vincent.first_name, vincent.last_name, vincent.addresses) == ("Vincent", "van Gogh", [])


# -- importing again, and bad rows ---------------------------------------------------------------


def test_importing_the_same_export_again_doubles_no_address_phone_tag_or_note(ctx, count_rows):
    importer.import_csv(export_of("vend"))

    again = importer.import_csv(export_of("vend"))

    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert (count_rows(Address), count_rows(CustomerPhone), count_rows(Note)) == (3, 1, 2)
    assert tags_of(customer(number="ARO-0002")) == {"Trade"}


def test_a_customer_who_moved_gets_the_new_address_beside_the_old_one(ctx):
    importer.import_csv(export_of("shopify"))
    moved = export_of("shopify").replace(b"221B Baker Street", b"1 Abbey Road").replace(
        b"NW1 6XE", b"NW8 9AY")

    result = importer.import_csv(moved)

    assert (result.updated, result.unchanged) == (1, 4)
    zoe = customer(number="7198418567402")
    assert [(a.line1, a.is_default) for a in zoe.addresses] == [
        ("221B Baker Street", True), ("1 Abbey Road", False)]


def test_a_dry_run_counts_a_customer_the_file_gives_a_new_tag_as_updated(ctx):
    importer.import_csv(export_of("shopify"))
    tagged = export_of("shopify").replace(b'"VIP, Newsletter"', b'"VIP, Newsletter, Local"')

    result = importer.import_csv(tagged, dry_run=True)

    assert (result.updated, result.unchanged) == (1, 4)
    assert tags_of(customer(number="7198418567402")) == {"VIP", "Newsletter"}


def test_an_address_in_a_country_regulars_does_not_know_fails_its_row_on_that_column(
        ctx, count_rows):
    data = csv_bytes("First name,Street,Town,Land", "Ada,1 Main St,Springfield,Freedonia",
                     "Bob,2 High St,Oxford,GB")
    mapping = {"First name": "first_name", "Street": "address.line1", "Town": "address.city",
               "Land": "address.country"}

    result = importer.import_csv(data, mapping=mapping)

    assert [(e.row, e.column) for e in result.errors] == [(2, "Land")]
    assert "Freedonia" in result.errors[0].message
    assert result.created == 1 and count_rows(Address) == 1


def test_an_address_without_its_street_column_is_refused_before_any_row(ctx):
    csv_file = importer.read_csv(csv_bytes("First name,Town", "Ada,Oxford"))

    with pytest.raises(ValidationError) as exc:
        importer.run(csv_file, {"First name": "first_name", "Town": "address.city"})

    assert "street" in exc.value.errors["mapping"]


def test_a_file_of_no_known_system_is_still_mapped_from_its_headers(ctx):
    data = csv_bytes("First name,Surname,E-mail,Favourite colour",
                     "Ada,Lovelace,ada@example.com,green")

    result = importer.import_csv(data)

    assert (result.format, result.created, result.errors) == ("", 1, [])
    assert customer(email="ada@example.com").last_name == "Lovelace"
    assert {c.column: c.status for c in result.columns}["Favourite colour"] == "left_out"


def test_a_file_of_the_customers_own_fields_never_reaches_the_rest_of_the_record(
        ctx, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a plain file must go row by row as before")

    monkeypatch.setattr(import_parts.RowPlan, "apply", refuse)

    result = importer.import_csv(csv_bytes("Customer number,First name,Phone number",
                                           "X1,Ada,07400 123456"))

    assert result.created == 1


# -- the command line and the Import screen ------------------------------------------------------


def test_the_command_line_maps_a_column_to_an_address_field(app, tmp_path):
    from core.cli import customers_import

    path = tmp_path / "in.csv"
    path.write_bytes(csv_bytes("First name,Strasse,Ort,PLZ,Land",
                               "Jürgen,Friedrichstraße 43,Berlin,10117,Deutschland"))

    result = app.test_cli_runner().invoke(customers_import, [
        str(path), "--map", "Strasse=address.line1", "--map", "Ort=address.city",
        "--map", "PLZ=address.postal_code", "--map", "Land=address.country"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert addresses_of(customer(first_name="Jürgen")) == [
            ("billing", "Friedrichstraße 43", "", "Berlin", "", "10117", "DE")]


def test_the_command_line_names_the_system_and_the_columns_kept_for_later(app, tmp_path,
                                                                          count_rows):
    from core.cli import customers_import

    path = tmp_path / "shopify.csv"
    path.write_bytes(export_of("shopify"))

    result = app.test_cli_runner().invoke(customers_import, [str(path), "--dry-run"],
                                          terminal_width=200)

    assert result.exit_code == 0, result.output
    assert "Recognised as a Shopify customers export." in result.output
    assert "Kept for later" in result.output and "Tax Exempt" in result.output
    assert count_rows(Customer) == 0


def upload(client, data: bytes, name="customers_export.csv") -> str:
    response = client.post("/customers/import/", data={"file": (io.BytesIO(data), name),
                                                       "encoding": "auto"},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


def chosen_targets(doc) -> dict[str, str]:
    chosen = {}
    for row in doc.find(cls="import-mapping").find_all("tr")[1:]:
        selected = [o.attrs["value"] for o in row.find("select").find_all("option")
                    if "selected" in o.attrs]
        chosen[row.attrs["data-column"]] = selected[0] if selected else ""
    return chosen


def test_the_columns_screen_recognises_a_shopify_export_and_chooses_its_columns(
        client_for, page):
    client = client_for("Manager")

    doc = page(client.get(upload(client, export_of("shopify"))))

    assert "Recognised as a Shopify customers export." in doc.find(cls="import-recognised").text
    chosen = chosen_targets(doc)
    assert (chosen["Default Address Zip"], chosen["Tags"], chosen["Note"]) == (
        "address.postal_code", "tags", "notes")
    assert chosen["Tax Exempt"] == ""
    note = doc.find("tr", data_column="Tax Exempt").find(cls="import-column-note")
    assert "Kept for later" in note.text


def test_the_columns_screen_offers_address_fields_tags_and_notes(client_for, page):
    client = client_for("Manager")

    doc = page(client.get(upload(client, csv_bytes("First name,Street", "Ada,1 Main St"))))

    offered = {o.attrs["value"] for o in doc.find("select").find_all("option")}
    assert {"address.line1", "address.line2", "address.city", "address.region",
            "address.postal_code", "address.country", "tags", "notes"} <= offered


def test_a_checked_export_lists_its_columns_kept_for_later_and_the_run_keeps_them(
        client_for, page, app):
    client = client_for("Manager")
    mapping_url = upload(client, export_of("shopify"))
    doc = page(client.get(mapping_url))
    form = {f"map-{i}": target for i, target in enumerate(chosen_targets(doc).values())}
    form.update(key="number", name="shopify.csv")

    response = client.post(mapping_url, data=form)

    run_page = page(client.get(response.headers["Location"]))
    assert run_page.find(id="import-run").attrs["data-status"] == "done"
    assert "Recognised as a Shopify customers export." in run_page.find(
        cls="import-recognised").text
    kept = run_page.find(cls="import-kept")
    assert "Tax Exempt (tax exemption): 5 rows fill it" in kept.text
    with app.app_context():
        run = db.session.execute(select(ImportRun)).scalar_one()
        assert {(k["column"], k["filled"]) for k in run.kept_columns} == {
            ("Accepts Email Marketing", 5), ("Accepts SMS Marketing", 5), ("Tax Exempt", 5)}
        assert run.problems == []
        assert db.session.execute(select(func.count()).select_from(Customer)).scalar() == 0
