"""Correcting what is already on a customer's record: a shop assistant fixes a typo in a street,
gives a contact a new email or relabels a phone from the wizard; an integration does the same
with PUT on the nested endpoints. Every change is audited, a refused change leaves everything as
it was, and the OpenAPI description lists the record's fields."""

from __future__ import annotations

import pytest

from core.models import Address, AuditEntry, Contact, CustomerPhone

HOME = {"kind": "billing", "line1": "1 High Street", "city": "London", "postal_code": "SW1A 1AA",
        "country": "GB"}
SCRIPT = '<script>alert("x")</script>'


@pytest.fixture
def customer_id(make_customer):
    return make_customer()


def add_part(app, customer_id, kind, data):
    """Put a phone, address or contact on the customer's record; returns its id."""
    from core.services import customers, record

    add = {"phone": record.add_phone, "address": record.add_address,
           "contact": record.add_contact}[kind]
    with app.app_context():
        return add(customers.get(customer_id), data).id


def stored(app, model, row_id) -> dict:
    from core.db import db

    with app.app_context():
        row = db.session.get(model, row_id)
        return {c.name: getattr(row, c.name) for c in model.__table__.columns}


def audit_rows(app, entity, entity_id, action="update"):
    from sqlalchemy import select

    from core.db import db

    with app.app_context():
        rows = db.session.execute(select(AuditEntry).where(
            AuditEntry.entity == entity, AuditEntry.entity_id == entity_id,
            AuditEntry.action == action)).scalars()
        return {(r.field, r.old_value, r.new_value) for r in rows}


def edit_form(kind, customer_id, part_id):
    return f"/customers/{customer_id}/{kind}/{part_id}/edit"


def api_client(app, api_token, role="Admin"):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token(role)}"
    return client


@pytest.fixture
def api(app, api_token):
    return api_client(app, api_token)


# -- the wizard: an Edit link on each row, a small pre-filled form ------------------------------


def test_every_address_contact_and_phone_row_has_an_edit_link(app, admin_client, customer_id, page):
    address_id = add_part(app, customer_id, "address", HOME)
    contact_id = add_part(app, customer_id, "contact", {"name": "Ines Ruiz"})
    phone_id = add_part(app, customer_id, "phone", {"label": "work", "number": "020 7946 0958"})

    addresses = page(admin_client.get(f"/customers/{customer_id}/edit?step=addresses"))
    basic = page(admin_client.get(f"/customers/{customer_id}/edit?step=basic"))

    links = {a.attrs["href"] for doc in (addresses, basic) for a in doc.find_all("a")}
    assert {edit_form("addresses", customer_id, address_id),
            edit_form("contacts", customer_id, contact_id),
            edit_form("phones", customer_id, phone_id)} <= links


def test_the_edit_form_shows_the_address_as_stored(app, admin_client, customer_id, page):
    address_id = add_part(app, customer_id, "address", {**HOME, "latitude": "51.5",
                                                        "longitude": "-0.14"})

    doc = page(admin_client.get(edit_form("addresses", customer_id, address_id)))

    assert doc.find("input", id="line1").attrs["value"] == "1 High Street"
    assert doc.find("input", id="latitude").attrs["value"] == "51.5"
    country = doc.find("select", id="country")
    assert [o.attrs["value"] for o in country.find_all("option") if "selected" in o.attrs] == ["GB"]


def test_assistant_corrects_a_typo_in_a_street_and_returns_to_the_step(app, admin_client,
                                                                      customer_id):
    address_id = add_part(app, customer_id, "address", {**HOME, "line1": "1 Hihg Street"})

    response = admin_client.post(edit_form("addresses", customer_id, address_id), data={
        **HOME, "line1": "1 High Street", "is_default": "y"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{customer_id}/edit?step=addresses")
    assert stored(app, Address, address_id)["line1"] == "1 High Street"
    assert ("line1", "1 Hihg Street", "1 High Street") in audit_rows(app, "address", address_id)


def test_a_bad_postal_code_is_shown_beside_its_field_and_nothing_changes(
        app, admin_client, customer_id, page, errors_beside, count_rows):
    address_id = add_part(app, customer_id, "address", HOME)
    before, audited = stored(app, Address, address_id), count_rows(AuditEntry)

    response = admin_client.post(edit_form("addresses", customer_id, address_id), data={
        **HOME, "city": "Leeds", "postal_code": "12345"})

    assert response.status_code == 200
    assert errors_beside(page(response), "postal_code")
    assert stored(app, Address, address_id) == before
    assert count_rows(AuditEntry) == audited


def test_assistant_gives_a_contact_a_new_email(app, admin_client, customer_id):
    contact_id = add_part(app, customer_id, "contact", {"name": "Ines Ruiz", "email": "ines@old.example",
                                                        "is_billing": True})

    admin_client.post(edit_form("contacts", customer_id, contact_id), data={
        "name": "Ines Ruiz", "role": "Accounts", "email": "Ines@New.Example", "phone": "",
        "is_billing": "y"})

    row = stored(app, Contact, contact_id)
    assert (row["email"], row["role"], row["is_billing"]) == ("Ines@new.example", "Accounts", True)
    assert ("email", "ines@old.example", "Ines@new.example") in audit_rows(app, "contact", contact_id)


def test_unticking_the_billing_box_on_a_contact_is_saved(app, admin_client, customer_id):
    contact_id = add_part(app, customer_id, "contact", {"name": "Ines Ruiz", "is_billing": True})

    admin_client.post(edit_form("contacts", customer_id, contact_id), data={"name": "Ines Ruiz"})

    assert stored(app, Contact, contact_id)["is_billing"] is False


def test_a_phone_is_relabelled_and_renormalised_and_the_primary_stays(app, admin_client, make_customer):
    customer_id = make_customer(phone="020 7946 0000")
    phone_id = add_part(app, customer_id, "phone", {"label": "mobile", "number": "020 7946 0958"})

    admin_client.post(edit_form("phones", customer_id, phone_id), data={
        "label": "work", "number": "(020) 7946-0959"})

    row = stored(app, CustomerPhone, phone_id)
    assert (row["label"], row["e164"]) == ("work", "+442079460959")
    assert ("label", "mobile", "work") in audit_rows(app, "phone", phone_id)
    from core.services import customers
    with app.app_context():
        assert customers.get(customer_id).phone_e164 == "+442079460000"


def test_a_wrong_phone_number_is_refused_beside_the_field(app, admin_client, customer_id, page,
                                                        errors_beside):
    phone_id = add_part(app, customer_id, "phone", {"number": "020 7946 0958"})

    response = admin_client.post(edit_form("phones", customer_id, phone_id), data={
        "label": "work", "number": "12"})

    assert errors_beside(page(response), "number")
    assert stored(app, CustomerPhone, phone_id)["label"] == "mobile"


def test_cancel_goes_back_to_the_step_without_saving(app, admin_client, customer_id, page):
    contact_id = add_part(app, customer_id, "contact", {"name": "Ines Ruiz"})

    doc = page(admin_client.get(edit_form("contacts", customer_id, contact_id)))

    cancel = [a for a in doc.find_all("a") if a.text == "Cancel"]
    assert cancel and cancel[0].attrs["href"] == f"/customers/{customer_id}/edit?step=addresses"


def test_an_address_of_another_customer_cannot_be_opened_or_changed(app, admin_client, make_customer):
    owner, other = make_customer(), make_customer()
    address_id = add_part(app, owner, "address", HOME)

    shown = admin_client.get(edit_form("addresses", other, address_id))
    changed = admin_client.post(edit_form("addresses", other, address_id), data={**HOME, "city": "Leeds"})

    assert (shown.status_code, changed.status_code) == (404, 404)
    assert stored(app, Address, address_id)["city"] == "London"


def test_readonly_cannot_change_an_address_by_a_forced_post(app, client_for, customer_id, count_rows):
    address_id = add_part(app, customer_id, "address", HOME)
    audited = count_rows(AuditEntry)

    response = client_for("ReadOnly").post(edit_form("addresses", customer_id, address_id),
                                           data={**HOME, "city": "Leeds"})

    assert response.status_code in (302, 403)
    assert stored(app, Address, address_id)["city"] == "London"
    assert count_rows(AuditEntry) == audited


def test_cashier_corrects_a_contact_at_the_till(app, client_for, customer_id):
    contact_id = add_part(app, customer_id, "contact", {"name": "Ines Ruiz"})

    response = client_for("Cashier").post(edit_form("contacts", customer_id, contact_id),
                                          data={"name": "Inés Ruiz"})

    assert response.status_code == 302
    assert stored(app, Contact, contact_id)["name"] == "Inés Ruiz"


def test_hostile_text_is_shown_as_text_on_the_step_and_the_edit_form(app, admin_client, customer_id):
    contact_id = add_part(app, customer_id, "contact", {"name": SCRIPT, "role": '"><img src=x>'})

    step = admin_client.get(f"/customers/{customer_id}/edit?step=addresses").get_data(as_text=True)
    form = admin_client.get(edit_form("contacts", customer_id, contact_id)).get_data(as_text=True)

    for html in (step, form):
        assert SCRIPT not in html and "<img src=x>" not in html
    assert "&lt;script&gt;" in step and "&lt;script&gt;" in form


# -- keeping one default address per kind -------------------------------------------------------


def test_making_an_address_the_default_by_editing_it_leaves_one_default(app, admin_client,
                                                                       customer_id):
    first = add_part(app, customer_id, "address", HOME)
    second = add_part(app, customer_id, "address", {**HOME, "line1": "2 Low Road"})

    admin_client.post(edit_form("addresses", customer_id, second), data={
        **HOME, "line1": "2 Low Road", "is_default": "y"})

    assert (stored(app, Address, first)["is_default"], stored(app, Address, second)["is_default"]) \
        == (False, True)
    assert ("is_default", "yes", "no") in audit_rows(app, "address", first)


def test_moving_the_default_to_another_kind_gives_the_old_kind_a_new_default(app, customer_id):
    from core.services import customers, record

    first = add_part(app, customer_id, "address", HOME)
    second = add_part(app, customer_id, "address", {**HOME, "line1": "2 Low Road"})

    with app.app_context():
        record.update_address(customers.get(customer_id), first, {"kind": "shipping"})

    assert stored(app, Address, first)["is_default"] is True  # the only shipping address
    assert stored(app, Address, second)["is_default"] is True  # billing's default now


# -- erased customers ------------------------------------------------------------------------------


def test_an_erased_customer_cannot_get_an_address_back(app, customer_id, count_rows):
    from core.errors import ValidationError
    from core.services import customers, privacy, record

    add_part(app, customer_id, "address", HOME)
    with app.app_context():
        privacy.erase(customers.get(customer_id))
        with pytest.raises(ValidationError):
            record.add_address(customers.get(customer_id), HOME)

    assert count_rows(Address) == 0


# -- the API: PUT /api/v1/customers/<id>/<part>/<part_id> ------------------------------------------


def test_put_changes_only_the_fields_sent(app, api, customer_id):
    address_id = add_part(app, customer_id, "address", {**HOME, "line2": "Flat 2", "region": "Greater London"})

    response = api.put(f"/api/v1/customers/{customer_id}/addresses/{address_id}", json={"city": "Westminster"})

    assert response.status_code == 200
    assert response.get_json()["result"]["city"] == "Westminster"
    row = stored(app, Address, address_id)
    assert (row["line1"], row["line2"], row["region"], row["postal_code"]) == (
        "1 High Street", "Flat 2", "Greater London", "SW1A 1AA")
    assert audit_rows(app, "address", address_id) == {("city", "London", "Westminster")}


def test_put_gives_a_contact_a_new_normalised_email(app, api, customer_id):
    contact_id = add_part(app, customer_id, "contact", {"name": "Ines Ruiz", "phone": "020 7946 0000"})

    response = api.put(f"/api/v1/customers/{customer_id}/contacts/{contact_id}",
                       json={"email": "Ines@Example.COM"})

    assert response.status_code == 200
    assert response.get_json()["result"]["email"] == "Ines@example.com"  # the domain normalised
    assert stored(app, Contact, contact_id)["phone_e164"] == "+442079460000"


def test_put_relabels_a_phone(app, api, customer_id):
    phone_id = add_part(app, customer_id, "phone", {"number": "020 7946 0958"})

    response = api.put(f"/api/v1/customers/{customer_id}/phones/{phone_id}", json={"label": "home"})

    assert response.status_code == 200
    assert response.get_json()["result"] == {"id": phone_id, "label": "home",
                                             "number": "+44 20 7946 0958", "e164": "+442079460958"}


@pytest.mark.parametrize("body, fields", [
    ({"postal_code": "12345"}, {"postal_code"}),
    ({"latitude": "91", "longitude": 0}, {"latitude"}),
    ({"kind": ["billing"], "is_default": "yes"}, {"kind", "is_default"}),
    ({"city": "", "colour": "red"}, {"city", "colour"}),
    ({"line1": "x" * 201}, {"line1"}),
])
def test_put_refuses_bad_address_fields_with_422_naming_each(app, api, customer_id, count_rows,
                                                            body, fields):
    address_id = add_part(app, customer_id, "address", HOME)
    before, audited = stored(app, Address, address_id), count_rows(AuditEntry)

    response = api.put(f"/api/v1/customers/{customer_id}/addresses/{address_id}", json=body)

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == fields and response.get_json()["message"]
    assert stored(app, Address, address_id) == before
    assert count_rows(AuditEntry) == audited


@pytest.mark.parametrize("part, body", [
    ("contacts", {"email": "not an email"}), ("contacts", {"name": None}),
    ("phones", {"number": "+1"}), ("phones", {"label": "pager"}),
])
def test_put_refuses_a_bad_contact_or_phone_with_422(app, api, customer_id, part, body):
    kind, data = {"contacts": ("contact", {"name": "Ines Ruiz"}),
                  "phones": ("phone", {"number": "020 7946 0958"})}[part]
    part_id = add_part(app, customer_id, kind, data)

    response = api.put(f"/api/v1/customers/{customer_id}/{part}/{part_id}", json=body)

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == set(body)


def test_put_on_a_part_of_another_customer_is_404_and_changes_nothing(app, api, make_customer):
    owner, other = make_customer(), make_customer()
    contact_id = add_part(app, owner, "contact", {"name": "Ines Ruiz"})

    response = api.put(f"/api/v1/customers/{other}/contacts/{contact_id}", json={"name": "Someone"})

    assert response.status_code == 404
    assert stored(app, Contact, contact_id)["name"] == "Ines Ruiz"


@pytest.mark.parametrize("path", ["/api/v1/customers/{c}/addresses/999999",
                                  "/api/v1/customers/999999/addresses/{a}",
                                  "/api/v1/customers/{c}/addresses/99999999999999999999999"])
def test_put_on_a_missing_customer_or_part_is_404(app, api, customer_id, path):
    address_id = add_part(app, customer_id, "address", HOME)

    response = api.put(path.format(c=customer_id, a=address_id), json={"city": "Leeds"})

    assert response.status_code == 404 and response.is_json


@pytest.mark.parametrize("kwargs", [
    {"json": ["city", "Leeds"]}, {"data": "{not json", "content_type": "application/json"},
    {"data": "city=Leeds"}, {"json": {"city": "Leeds\x00" + SCRIPT * 200}},
])
def test_put_with_a_malformed_body_answers_json_never_500(app, api, customer_id, kwargs):
    address_id = add_part(app, customer_id, "address", HOME)

    response = api.put(f"/api/v1/customers/{customer_id}/addresses/{address_id}", **kwargs)

    assert response.status_code in (400, 422) and "errors" in response.get_json()
    assert stored(app, Address, address_id)["city"] == "London"


def test_put_on_an_erased_customer_is_refused(app, api, customer_id):
    from core.services import customers, privacy

    phone_id = add_part(app, customer_id, "phone", {"number": "020 7946 0958"})
    with app.app_context():
        privacy.erase(customers.get(customer_id))

    response = api.put(f"/api/v1/customers/{customer_id}/phones/{phone_id}", json={"label": "home"})

    assert response.status_code == 400
    assert "erased" in response.get_json()["errors"]["_"]


def test_cashier_token_corrects_a_contact(app, api_token, customer_id):
    contact_id = add_part(app, customer_id, "contact", {"name": "Ines Ruiz"})

    response = api_client(app, api_token, "Cashier").put(
        f"/api/v1/customers/{customer_id}/contacts/{contact_id}", json={"role": "Owner"})

    assert response.status_code == 200
    assert stored(app, Contact, contact_id)["role"] == "Owner"


def test_readonly_token_cannot_change_a_phone(app, api_token, customer_id, count_rows):
    phone_id = add_part(app, customer_id, "phone", {"number": "020 7946 0958"})
    audited = count_rows(AuditEntry)

    response = api_client(app, api_token, "ReadOnly").put(
        f"/api/v1/customers/{customer_id}/phones/{phone_id}", json={"label": "home"})

    assert response.status_code == 403
    assert count_rows(AuditEntry) == audited


def test_phones_are_listed_added_and_deleted_like_the_other_parts(app, api, customer_id, count_rows):
    added = api.post(f"/api/v1/customers/{customer_id}/phones", json={"number": "020 7946 0958"})
    listed = api.get(f"/api/v1/customers/{customer_id}/phones")
    deleted = api.delete(f"/api/v1/customers/{customer_id}/phones/{added.get_json()['id']}")

    assert (added.status_code, listed.status_code, deleted.status_code) == (201, 200, 200)
    assert [p["e164"] for p in listed.get_json()["result"]] == ["+442079460958"]
    assert count_rows(CustomerPhone) == 0


# -- the published description ---------------------------------------------------------------------


def _resolve(spec, schema):
    """Every property a request body schema names, through $ref and allOf."""
    if "$ref" in schema:
        return _resolve(spec, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    properties = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        properties.update(_resolve(spec, part))
    return properties


def body_properties(spec, path, method):
    body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return _resolve(spec, body)


def test_openapi_lists_every_field_of_the_record_on_customer_post_and_put(app, api):
    from core.services import customers

    spec = api.get("/api/v1/_openapi").get_json()

    posted = body_properties(spec, "/api/v1/customers/", "post")
    put = body_properties(spec, "/api/v1/customers/{pk}", "put")
    assert set(customers.EDITABLE) | {"tags"} <= set(put)
    assert set(customers.EDITABLE) | {"tags", "confirm_duplicate"} <= set(posted)
    assert (posted["tax_id"]["type"], posted["date_of_birth"]["format"], posted["go_green"]["type"]) \
        == ("string", "date", "boolean")


def test_openapi_describes_the_put_of_each_part_with_its_fields(app, api):
    from core.services import record

    spec = api.get("/api/v1/_openapi").get_json()

    put = spec["paths"]["/api/v1/customers/{pk}/{part}/{item_id}"]["put"]
    bodies = [_resolve(spec, s) for s in
              put["requestBody"]["content"]["application/json"]["schema"]["oneOf"]]
    assert [set(b) for b in bodies] == [set(record.ADDRESS_FIELDS), set(record.CONTACT_FIELDS),
                                        set(record.PHONE_FIELDS)]
    assert {"404", "422"} <= set(put["responses"])
