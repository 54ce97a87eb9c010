"""Getting data out: a CSV of the customer list that a spreadsheet opens safely, and the full
JSON export of one customer (data portability) with every enabled plugin's part."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from core.db import db
from core.services import customers, exporter, importer


def exported_rows(filters=None) -> list[list[str]]:
    stream = io.StringIO()
    exporter.write_csv(filters or {}, stream)
    text = stream.getvalue()
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_export_starts_with_a_bom_and_a_header_row(ctx, make_customer):
    make_customer(first_name="Ada")

    rows = exported_rows()

    assert rows[0][:4] == ["Customer number", "Type", "First name", "Last name"]
    assert rows[1][2] == "Ada"


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(ctx, make_customer):
    make_customer(first_name="=HYPERLINK(\"http://evil\")", last_name="@SUM(A1)",
                  phone="+44 20 7946 0958")

    row = exported_rows()[1]

    assert row[2].startswith("'=") and row[3].startswith("'@") and row[6].startswith("'+")


def test_export_follows_the_list_filters(ctx, make_customer):
    make_customer(first_name="Ada", status="inactive")
    make_customer(first_name="Bob")

    rows = exported_rows({"status": "inactive"})

    assert [r[2] for r in rows[1:]] == ["Ada"]


def test_an_exported_file_imports_back_as_updates(ctx, make_customer):
    make_customer(first_name="Ada", last_name="Lovelace", phone="+44 20 7946 0958")
    stream = io.StringIO()
    exporter.write_csv({}, stream)

    result = importer.import_csv(stream.getvalue().encode("utf-8"), key="number", dry_run=True)

    assert (result.created, result.errors) == (0, [])
    assert result.unchanged + result.updated == 1


def test_export_streams_more_customers_than_one_batch(ctx, monkeypatch, make_customer):
    monkeypatch.setattr(exporter, "BATCH", 2)
    for i in range(5):
        make_customer(first_name=f"P{i}")

    assert len(exported_rows()) == 6


def test_json_export_holds_the_record_its_history_and_each_plugins_section(ctx, make_customer):
    cid = make_customer(first_name="Ada", email="ada@example.com", hello_greeting="Hi Ada")
    customer = customers.get(cid)

    data = json.loads(exporter.customer_json(customer))

    assert data["customer"]["first_name"] == "Ada"
    assert data["customer"]["email"] == "ada@example.com"
    assert data["customer"]["hello_greeting"] == "Hi Ada"  # a plugin's field, beside the core's
    assert [a["action"] for a in data["audit"]][:1] == ["create"]
    assert "fxrates" in data["plugins"]  # a plugin's customer_export section
    assert "hello" not in data["plugins"]  # Hello has only a field, no section of its own


def test_json_export_writes_decimals_as_strings_and_dates_as_iso(ctx, make_customer):
    cid = make_customer()
    customer = customers.get(cid)
    import datetime

    customer.date_of_birth = datetime.date(1990, 5, 17)
    db.session.commit()

    data = exporter.customer_data(customer)

    assert data["customer"]["date_of_birth"] == "1990-05-17"
    assert isinstance(data["customer"]["created_at"], str)
    assert exporter.json_value(Decimal("1.10")) == "1.10"


def test_a_manager_downloads_a_customers_json_export(client_for, make_customer):
    cid = make_customer(first_name="Ada")

    response = client_for("Manager").get(f"/customers/{cid}/export.json")

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert json.loads(response.get_data(as_text=True))["customer"]["first_name"] == "Ada"


def test_the_api_exports_one_customer(app, api_token, make_customer):
    cid = make_customer(first_name="Ada")
    client = app.test_client()

    response = client.get(f"/api/v1/customers/{cid}/export",
                          headers={"Authorization": f"Bearer {api_token('Admin')}"})

    assert response.status_code == 200
    assert response.get_json()["result"]["customer"]["first_name"] == "Ada"


def test_cli_exports_the_list_to_a_file(app, make_customer, tmp_path):
    from core.cli import customers_export

    make_customer(first_name="Ada")
    target = tmp_path / "out.csv"

    result = app.test_cli_runner().invoke(customers_export, [str(target)])

    assert result.exit_code == 0, result.output
    assert "Ada" in target.read_text(encoding="utf-8-sig")


def test_a_neutralised_formula_cell_imports_back_as_typed(ctx, make_customer):
    cid = make_customer(first_name="=Ada", last_name="Lovelace", phone="+44 20 7946 0958")
    stream = io.StringIO()
    exporter.write_csv({}, stream)

    result = importer.import_csv(stream.getvalue().encode("utf-8"), key="number")

    assert result.unchanged == 1
    assert customers.get(cid).first_name == "=Ada"


def test_a_plugin_section_of_the_wrong_shape_is_named_in_the_export_not_dropped(make_app):
    import types

    from core.sdk import PluginInfo, hookimpl

    module = types.ModuleType("badly_shaped_export")
    module.PLUGIN = PluginInfo(name="badshape", label="Bad shape", version="1.0")
    module.customer_export = hookimpl(lambda customer: {"greeting": "hi"})  # no section name
    app = make_app(extra_plugins=[module])
    with app.app_context():
        customer = customers.create({"first_name": "Ann", "last_name": "Shape",
                                     "email": "ann.shape@example.com"})
        sections = exporter.customer_data(customer)["plugins"]
    assert sections["badshape"] == {"error": "This plugin could not export its data."}
