"""Files people really upload: the wrong encoding, missing columns, ragged rows, empty files,
binary junk, thousands of rows with a few bad ones, and hostile strings. Each gets a clear
message naming the row; none gives a 500 or half-writes a customer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import db
from core.errors import ValidationError
from core.models import Customer
from core.services import importer


def csv_bytes(*lines: str, encoding="utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def file_error(data: bytes, **kwargs) -> str:
    with pytest.raises(ValidationError) as exc:
        importer.import_csv(data, **kwargs)
    return exc.value.errors["file"]


def test_an_empty_file_is_refused_clearly(ctx):
    assert "empty" in file_error(b"")


def test_a_header_without_rows_is_refused_clearly(ctx):
    assert "no customers" in file_error(csv_bytes("First name,Email"))


def test_binary_junk_is_refused_as_not_a_csv(ctx, count_rows):
    junk = bytes(range(256)) * 20

    assert "binary" in file_error(junk)
    assert count_rows(Customer) == 0


def test_a_utf8_file_with_a_bom_reads_its_first_header(ctx):
    result = importer.import_csv(b"\xef\xbb\xbf" + csv_bytes("First name", "Zoë"))

    assert result.created == 1
    assert db.session.execute(select(Customer.first_name)).scalar() == "Zoë"


def test_a_windows_1252_file_is_detected_and_read(ctx):
    result = importer.import_csv(csv_bytes("First name,Last name", "Zoë,Müller", encoding="cp1252"))

    assert result.created == 1
    assert db.session.execute(select(Customer.last_name)).scalar() == "Müller"


def test_declared_utf8_that_is_not_names_the_row(ctx, count_rows):
    data = csv_bytes("First name", "Ada", "Zoë", encoding="cp1252")

    message = file_error(data, encoding="utf-8")

    assert "Row 3" in message
    assert count_rows(Customer) == 0


def test_a_declared_latin1_file_is_read_as_such(ctx):
    result = importer.import_csv(csv_bytes("First name", "Sørensen", encoding="latin-1"),
                                 encoding="latin-1")

    assert result.created == 1


def test_a_file_without_a_name_column_is_refused_before_any_row(ctx, count_rows):
    with pytest.raises(ValidationError) as exc:
        importer.import_csv(csv_bytes("Email,Phone", "a@example.com,"))

    assert "mapping" in exc.value.errors
    assert count_rows(Customer) == 0


def test_ragged_rows_are_reported_and_the_others_imported(ctx):
    data = csv_bytes("First name,Last name,Email", "Ada,Lovelace,ada@example.com",
                     "Bob,Short", "Cy,Long,cy@example.com,extra", "Di,Fine,di@example.com")

    result = importer.import_csv(data)

    assert [(e.row, e.column) for e in result.errors] == [(3, ""), (4, "")]
    assert result.created == 2


def test_semicolon_separated_files_from_european_excel_are_read(ctx):
    result = importer.import_csv(csv_bytes("Vorname;Nachname;E-Mail", "Jörg;Schmidt;js@example.com"))

    assert result.created == 1 and result.errors == []


def test_ten_thousand_rows_with_some_bad_report_exactly_the_bad_ones(ctx, count_rows):
    lines = ["First name,Last name,Email"]
    bad_rows = set()
    for i in range(10_000):
        row = i + 2  # the header is row 1
        if i % 997 == 0:
            lines.append(f"P{i},Bad,not-an-email-{i}")
            bad_rows.add(row)
        elif i % 1999 == 1:
            lines.append(f",,nobody{i}@example.com")
            bad_rows.add(row)
        else:
            lines.append(f"P{i},Good,p{i}@example.com")

    result = importer.import_csv(csv_bytes(*lines))

    assert {e.row for e in result.errors} == bad_rows
    assert result.created == 10_000 - len(bad_rows)
    assert count_rows(Customer) == 10_000 - len(bad_rows)


def test_very_long_values_are_refused_without_writing(ctx, count_rows):
    result = importer.import_csv(csv_bytes("First name,Last name", "A" * 5000 + ",Long"))

    assert [(e.row, e.column) for e in result.errors] == [(2, "First name")]
    assert count_rows(Customer) == 0


def test_a_cell_larger_than_the_csv_reader_takes_names_its_row(ctx):
    result = importer.import_csv(csv_bytes("First name,Notes", "Ada,ok", 'Bob,"' + "x" * 200_000 + '"',
                                           "Cy,ok"))

    assert 3 in {e.row for e in result.errors}
    assert result.created == 2


def test_control_characters_are_stripped_from_names(ctx):
    importer.import_csv(csv_bytes("First name,Last name", "Ada\x07\x1b,Love\x08lace"))

    assert db.session.execute(select(Customer.first_name, Customer.last_name)).one() == ("Ada", "Lovelace")


# -- the screen -------------------------------------------------------------------------------


def upload(client, data: bytes, name="customers.csv"):
    import io

    return client.post("/customers/import/", data={"file": (io.BytesIO(data), name),
                                                   "encoding": "auto"},
                       content_type="multipart/form-data")


def test_a_manager_uploads_checks_and_imports(client_for, count_rows, page):
    client = client_for("Manager")
    response = upload(client, csv_bytes("First name,E-mail", "Ada,ada@example.com",
                                        "Bob,not-an-email"))
    assert response.status_code == 302
    mapping_url = response.headers["Location"]

    checked = client.post(mapping_url, data={"map-0": "first_name", "map-1": "email", "key": "number"},
                          follow_redirects=True)
    rows = page(checked).find(cls="import-report").find_all("tr")
    assert [r.text for r in rows[1:]] == ["3 E-mail " + rows[1].find_all("td")[2].text]
    assert count_rows(Customer) == 0

    import_url = page(checked).find(id="import-start").attrs["action"]
    done = client.post(import_url, follow_redirects=True)
    assert done.status_code == 200
    assert page(done).find(id="import-run").attrs["data-status"] == "done"
    assert count_rows(Customer) == 1


def test_the_mapping_step_guesses_columns_from_headers(client_for, page):
    client = client_for("Manager")
    response = upload(client, csv_bytes("Customer No.,First name,Phone number", "X1,Ada,"))

    doc = page(client.get(response.headers["Location"]))

    chosen = [[o.attrs["value"] for o in s.find_all("option") if "selected" in o.attrs]
              for s in doc.find_all("select") if (s.attrs.get("name") or "").startswith("map-")]
    assert chosen == [["number"], ["first_name"], ["phone"]]


def test_the_report_escapes_hostile_strings(client_for, page):
    client = client_for("Manager")
    hostile = "<script>alert(1)</script>"
    response = upload(client, csv_bytes(f"First name,{hostile}", f"{hostile},x"))

    html = client.get(response.headers["Location"]).get_data(as_text=True)

    assert hostile not in html
    assert "&lt;script&gt;" in html


def test_an_upload_that_cannot_be_read_shows_why(client_for, page):
    response = upload(client_for("Manager"), b"")

    assert response.status_code == 200
    assert "empty" in page(response).find(cls="import-error").text


@pytest.mark.parametrize("role", ["Cashier", "ReadOnly", "Accounts"])
def test_only_managers_and_admins_may_import(client_for, count_rows, role):
    response = upload(client_for(role), csv_bytes("First name", "Ada"))

    assert response.status_code in (302, 403)
    assert "/mapping" not in response.headers.get("Location", "")
    assert count_rows(Customer) == 0


def test_another_users_upload_cannot_be_opened(client_for):
    response = upload(client_for("Manager"), csv_bytes("First name", "Ada"))

    other = client_for("Admin").get(response.headers["Location"])

    assert other.status_code == 404


def test_cli_imports_with_a_summary_and_fails_on_bad_rows(app, tmp_path, count_rows):
    from core.cli import customers_import

    path = tmp_path / "in.csv"
    path.write_bytes(csv_bytes("Forename,Surname,Mail", "Ada,Lovelace,ada@example.com", "Bob,,bad"))

    result = app.test_cli_runner().invoke(customers_import, [str(path), "--map", "Mail=email"])

    assert result.exit_code == 1, result.output
    assert "Rows not imported" in result.output
    assert count_rows(Customer) == 1


def test_cli_dry_run_saves_nothing(app, tmp_path, count_rows):
    from core.cli import customers_import

    path = tmp_path / "in.csv"
    path.write_bytes(csv_bytes("First name", "Ada"))

    result = app.test_cli_runner().invoke(customers_import, [str(path), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert count_rows(Customer) == 0
