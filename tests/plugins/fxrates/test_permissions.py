"""Who may see and change FX rates: ReadOnly looks, Accounts manages, the Cashier only looks."""

from __future__ import annotations


def rate_form(**fields):
    data = {"base": "GBP", "quote": "EUR", "rate": "1.18", "valid_from": "2026-01-01"}
    data.update(fields)
    return data


def test_readonly_cannot_add_a_shop_rate(client_for):
    response = client_for("ReadOnly").post("/fxrates/add", data=rate_form())

    assert response.status_code == 403


def test_readonly_cannot_add_a_rate_for_a_customer(client_for, make_customer):
    customer_id = make_customer()

    response = client_for("ReadOnly").post(f"/fxrates/customers/{customer_id}/add",
                                           data=rate_form())

    assert response.status_code == 403


def test_readonly_cannot_delete_a_shop_rate(client_for, make_rate, rate_row):
    rate_id = make_rate()

    response = client_for("ReadOnly").post(f"/fxrates/{rate_id}/delete")

    assert response.status_code == 403
    assert rate_row(rate_id) is not None


def test_readonly_sees_the_rates_without_buttons_to_change_them(client_for, make_rate):
    make_rate()

    page = client_for("ReadOnly").get("/fxrates/").get_data(as_text=True)

    assert "1.1675" in page
    assert "/fxrates/add" not in page
    assert "Delete" not in page


def test_readonly_sees_the_tab_without_the_form(client_for, make_customer, make_rate):
    customer_id = make_customer()
    make_rate(customer_id=customer_id)

    tab = client_for("ReadOnly").get(f"/fxrates/customers/{customer_id}/tab").get_data(as_text=True)

    assert "1.1675" in tab
    assert "fxrates-tab-form" not in tab


def test_accounts_adds_a_rate_for_a_customer(client_for, make_customer):
    customer_id = make_customer()

    response = client_for("Accounts").post(f"/fxrates/customers/{customer_id}/add",
                                           data=rate_form())

    assert response.status_code == 302


def test_accounts_adds_a_shop_rate(client_for):
    response = client_for("Accounts").post("/fxrates/add", data=rate_form())

    assert response.status_code == 302


def test_a_cashier_cannot_change_rates(client_for, make_customer):
    response = client_for("Cashier").post(f"/fxrates/customers/{make_customer()}/add",
                                          data=rate_form())

    assert response.status_code == 403


def test_readonly_cannot_add_a_rate_through_the_api(api_token, app):
    response = app.test_client().post(
        "/api/v1/fxrates/", headers={"Authorization": f"Bearer {api_token('ReadOnly')}"},
        json=rate_form())

    assert response.status_code == 403
    assert "message" in response.get_json()


def test_readonly_may_ask_for_a_rate_through_the_api(api_token, app, make_rate):
    make_rate()

    response = app.test_client().get(
        "/api/v1/fxrates/rate?base=GBP&quote=EUR&on=2026-02-01",
        headers={"Authorization": f"Bearer {api_token('ReadOnly')}"})

    assert response.status_code == 200
