"""The administrator sets up outbound email on Settings > Email: the mail server, the sender, the
password (kept encrypted, never shown back), and "Send a test email" says whether it works."""

from __future__ import annotations

import sqlalchemy as sa

SECRET = "hunter2-mail-password"


def settings_form(smtp_server, **overrides):
    form = {"host": smtp_server.host, "port": str(smtp_server.port), "security": "none",
            "username": "", "password": "", "sender_name": "Corner Shop",
            "sender_address": "shop@corner.example", "reply_to": "help@corner.example"}
    form.update(overrides)
    return form


def stored_password(app) -> str | None:
    """The password column as the database holds it."""
    from core.db import db

    with app.app_context():
        return db.session.execute(sa.text("SELECT password FROM email_settings")).scalar()


def test_the_smtp_password_is_stored_encrypted(app, admin_client, smtp_server):
    from core.crypto import cipher

    response = admin_client.post("/settings/email/", data=settings_form(smtp_server,
                                                                        password=SECRET))

    assert response.status_code == 302
    raw = stored_password(app)
    assert SECRET not in raw
    with app.app_context():
        assert cipher().decrypt(raw.encode()).decode() == SECRET


def test_the_settings_page_never_shows_the_password(admin_client, smtp_server, page):
    admin_client.post("/settings/email/", data=settings_form(smtp_server, password=SECRET))

    response = admin_client.get("/settings/email/")

    assert SECRET not in response.get_data(as_text=True)
    field = page(response).find("input", id="email-password")
    assert field.attrs.get("value") == "" and field.attrs["type"] == "password"
    assert "A password is stored" in page(response).find(data_field="password").text


def test_saving_without_a_new_password_keeps_the_stored_one(app, admin_client, smtp_server):
    admin_client.post("/settings/email/", data=settings_form(smtp_server, password=SECRET))
    before = stored_password(app)

    admin_client.post("/settings/email/", data=settings_form(smtp_server, sender_name="Shop"))

    from core.services import email

    with app.app_context():
        assert email.current_settings().password == SECRET
        assert email.current_settings().sender_name == "Shop"
    assert stored_password(app) == before


def test_the_stored_password_can_be_removed(app, admin_client, smtp_server):
    admin_client.post("/settings/email/", data=settings_form(smtp_server, password=SECRET))

    admin_client.post("/settings/email/", data=settings_form(smtp_server, clear_password="1"))

    assert stored_password(app) is None


def test_bad_settings_are_refused_beside_their_fields(app, admin_client, smtp_server, page,
                                                      errors_beside):
    response = admin_client.post("/settings/email/", data=settings_form(
        smtp_server, port="99999", security="ssl3", sender_address="not an address"))

    doc = page(response)
    assert response.status_code == 422
    assert errors_beside(doc, "port") == [
        "Enter a port number from 1 to 65535 (usually 587, or 465 for TLS)."]
    assert errors_beside(doc, "security") == ["Choose none, STARTTLS or TLS."]
    assert errors_beside(doc, "sender_address")[0].startswith("Enter a valid email address")
    assert stored_password(app) is None
    with app.app_context():
        from core.services import email

        assert email.current_settings().saved is False


def test_until_saved_the_page_shows_the_configured_server(make_app, users, page):
    configured = make_app(MAIL_SERVER="smtp.config.example", MAIL_PORT=2525,
                          MAIL_SENDER_ADDRESS="till@corner.example")
    client = configured.test_client()
    client.post("/login/", data={"username": "admin", "password": "correct horse battery staple"})

    doc = page(client.get("/settings/email/"))

    assert doc.find("input", id="email-host").attrs["value"] == "smtp.config.example"
    assert doc.find("input", id="email-port").attrs["value"] == "2525"
    assert doc.find("input", id="email-sender_address").attrs["value"] == "till@corner.example"
    assert doc.find(id="email-settings-from-config") is not None


def test_send_a_test_email_arrives_and_the_page_says_so(admin_client, smtp_server, page):
    admin_client.post("/settings/email/", data=settings_form(smtp_server))

    response = admin_client.post("/settings/email/test", data={"to": "owner@corner.example"},
                                 follow_redirects=True)

    (mail,) = smtp_server.messages
    assert mail["To"] == "owner@corner.example"
    assert mail["Subject"] == "Test email from Corner Shop"
    assert mail["Reply-To"] == "help@corner.example"
    result = page(response).find(id="email-test-result")
    assert result.attrs["data-status"] == "sent"
    assert "The test email was sent to owner@corner.example" in result.text


def test_a_failed_test_email_shows_the_servers_answer_in_words(admin_client, smtp_server, page):
    admin_client.post("/settings/email/", data=settings_form(smtp_server))
    smtp_server.reject("typo@corner.example")

    response = admin_client.post("/settings/email/test", data={"to": "typo@corner.example"},
                                 follow_redirects=True)

    result = page(response).find(id="email-test-result")
    assert result.attrs["data-status"] == "failed"
    assert ("The mail server refused the address typo@corner.example: 550 5.1.1 No such user "
            "here") in result.text


def test_a_test_email_to_a_closed_port_says_nothing_answers(admin_client, smtp_server, page):
    smtp_server.stop()
    admin_client.post("/settings/email/", data=settings_form(smtp_server))

    response = admin_client.post("/settings/email/test", data={"to": "owner@corner.example"},
                                 follow_redirects=True)

    result = page(response).find(id="email-test-result")
    assert result.attrs["data-status"] == "failed"
    assert f"Nothing answers at 127.0.0.1:{smtp_server.port}" in result.text


def test_a_test_email_needs_an_address(admin_client, page, errors_beside):
    response = admin_client.post("/settings/email/test", data={"to": ""})

    assert response.status_code == 422
    assert errors_beside(page(response), "to") == ["Enter the address to send the test to."]
