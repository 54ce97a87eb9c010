"""A manager rewords the emails plugins send, on Settings > Email templates: the registered
wording is there after `regulars db upgrade`, a template with a Jinja mistake or an unknown
placeholder is refused with its line, the preview shows the unsaved wording for a chosen
customer, and "Reset to default" brings the plugin's wording back."""

from __future__ import annotations

import types

import pytest
from sqlalchemy import select

GOOD_HTML = "<p>Hi {{ customer.first_name }},</p>\n<p>Thanks for {{ sale.total }}.</p>"
RECEIPT_SUBJECT = "Your receipt {{ sale.number }} from {{ shop.name }}"  # the plugin's wording


@pytest.fixture
def app(make_app, mail_plugin, smtp_server):
    app = make_app(extra_plugins=[mail_plugin])
    smtp_server.use(app)
    return app


@pytest.fixture
def template_id(app):
    """``template_id(key)``: the stored template's id (seeded on first use)."""

    def find(key):
        from core.db import db
        from core.services import email_templates

        with app.app_context():
            template = email_templates.get_by_key(key)
            db.session.commit()
            return template.id

    return find


@pytest.fixture
def stored(app):
    def load(key):
        from core.db import db
        from core.models import EmailTemplate

        with app.app_context():
            row = db.session.execute(select(EmailTemplate).where(EmailTemplate.key == key)).scalar()
            return {"subject": row.subject, "html": row.html, "text": row.text,
                    "customised": row.is_customised}

    return load


def edit(client, template_id, **fields):
    data = {"subject": "Your receipt {{ sale.number }}", "html": GOOD_HTML, "text": ""}
    data.update(fields)
    return client.post(f"/settings/email/templates/{template_id}/edit", data=data)


def test_db_upgrade_seeds_the_templates_plugins_register(app, stored):
    result = app.test_cli_runner().invoke(args=["regulars", "db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert stored("shop.receipt")["subject"] == RECEIPT_SUBJECT
    assert stored("shop.news")["customised"] is False


def test_the_list_shows_every_template_with_its_kind(admin_client, page):
    doc = page(admin_client.get("/settings/email/templates/"))

    rows = {row.attrs["data-key"]: row.text for row in doc.find_all("tr", cls=None)
            if "data-key" in row.attrs}
    assert set(rows) == {"shop.receipt", "shop.news", "shop.reminder"}
    assert "Marketing" in rows["shop.news"]
    assert "only to customers who accept email" in rows["shop.news"]


def test_a_manager_rewords_the_receipt_and_it_is_sent_that_way(
        app, client_for, template_id, make_customer, smtp_server):
    receipt = template_id("shop.receipt")

    response = edit(client_for("Manager"), receipt, subject="Thanks! Receipt {{ sale.number }}")

    assert response.status_code == 302
    from core.sdk import send_email, write_transaction

    ola = make_customer(first_name="Ola")
    with app.app_context(), write_transaction():
        send_email(template="shop.receipt", customer=ola,
                   context={"sale": {"number": "S-7", "total": "£3"}})
    (mail,) = smtp_server.messages
    assert mail["Subject"] == "Thanks! Receipt S-7"
    assert "Hi Ola," in mail.get_body(("html",)).get_content()


def test_a_jinja_syntax_error_is_refused_with_its_line(admin_client, template_id, stored, page,
                                                       errors_beside):
    receipt = template_id("shop.receipt")
    before = stored("shop.receipt")

    response = edit(admin_client, receipt, html="<p>Hi</p>\n<p>\n{{ customer.first_name }</p>")

    assert response.status_code == 422
    assert errors_beside(page(response), "html") == ["Line 3: unexpected '}'"]
    assert stored("shop.receipt") == before


def test_a_template_nested_too_deeply_is_refused_not_a_server_error(
        admin_client, template_id, stored, page, errors_beside):
    receipt = template_id("shop.receipt")
    before = stored("shop.receipt")

    response = edit(admin_client, receipt, html="{{ " + "(" * 400 + "1" + ")" * 400 + " }}")

    assert response.status_code == 422
    assert errors_beside(page(response), "html") == [
        "Line 1: the template is nested too deeply to read."]
    assert stored("shop.receipt") == before


def test_an_unknown_placeholder_is_refused_with_its_line(admin_client, template_id, stored,
                                                         page, errors_beside):
    receipt = template_id("shop.receipt")
    before = stored("shop.receipt")

    response = edit(admin_client, receipt,
                    html="<p>Hello</p>\n\n<p>{{ customer.frist_name }}</p>")

    assert response.status_code == 422
    assert errors_beside(page(response), "html") == [
        "Line 3: unknown placeholder 'customer.frist_name'."]
    assert stored("shop.receipt") == before


def test_a_placeholder_another_email_has_is_unknown_here(admin_client, template_id, page,
                                                         errors_beside):
    news = template_id("shop.news")

    response = edit(admin_client, news, subject="News", html="<p>{{ sale.total }}</p>")

    assert errors_beside(page(response), "html") == ["Line 1: unknown placeholder 'sale'."]


def test_the_subject_and_text_are_checked_too(admin_client, template_id, page, errors_beside):
    receipt = template_id("shop.receipt")

    response = edit(admin_client, receipt, subject="Receipt {{ sale.numbr }}",
                    text="Hello\n{% for x in sale.total %}")

    doc = page(response)
    assert errors_beside(doc, "subject") == ["Line 1: unknown placeholder 'sale.numbr'."]
    assert errors_beside(doc, "text")[0].startswith("Line 2: Unexpected end of template.")


def test_the_sandbox_refuses_what_a_template_must_not_reach(admin_client, template_id, page,
                                                            errors_beside):
    receipt = template_id("shop.receipt")

    response = edit(admin_client, receipt, html="{{ customer.__class__.__mro__ }}")

    assert errors_beside(page(response), "html") == [
        "Line 1: unknown placeholder 'customer.__class__'."]


def test_a_template_that_would_make_a_huge_value_is_refused(admin_client, template_id, page,
                                                          errors_beside):
    receipt = template_id("shop.receipt")

    response = edit(admin_client, receipt, html="<p>Hi</p>\n{{ 'spam ' * 10000000 }}")

    assert errors_beside(page(response), "html") == [
        "Line 2: That would make a value too long for an email."]


def test_the_preview_renders_the_unsaved_wording_for_a_chosen_customer(
        app, admin_client, template_id, make_customer, stored):
    from core.services import customers

    make_customer(first_name="Priya")
    with app.app_context():
        number = customers.get_by_number("C-000001").number
    receipt = template_id("shop.receipt")
    before = stored("shop.receipt")

    shown = admin_client.post(f"/settings/email/templates/{receipt}/preview", data={
        "subject": "For {{ customer.display_name }}", "html": GOOD_HTML, "text": "",
        "customer": number}).get_json()

    assert shown["errors"] == {}
    assert shown["subject"] == "For Priya Tester1"
    assert "Hi Priya," in shown["html"] and "Thanks for £12.50." in shown["html"]
    assert "Hi Priya," in shown["text"]
    assert stored("shop.receipt") == before


def test_the_preview_shows_what_is_wrong_as_you_type(admin_client, template_id):
    receipt = template_id("shop.receipt")

    shown = admin_client.post(f"/settings/email/templates/{receipt}/preview", data={
        "subject": "Receipt", "html": "<p>\n{{ customer.frist_name }}</p>", "text": "",
        "customer": "C-999999"}).get_json()

    assert shown["errors"] == {"html": "Line 2: unknown placeholder 'customer.frist_name'.",
                               "customer": "There is no customer C-999999."}
    assert shown["html"] == ""


def test_reset_to_default_brings_the_plugins_wording_back(admin_client, template_id, stored):
    receipt = template_id("shop.receipt")
    edit(admin_client, receipt, subject="Reworded")
    assert stored("shop.receipt")["customised"] is True

    response = admin_client.post(f"/settings/email/templates/{receipt}/reset")

    assert response.status_code == 302
    assert stored("shop.receipt")["subject"] == RECEIPT_SUBJECT
    assert stored("shop.receipt")["customised"] is False


def test_a_new_default_wording_reaches_templates_the_shop_never_reworded(
        make_app, mail_plugin, stored, template_id, admin_client):
    from core.sdk import EmailTemplateDefault, hookimpl

    reworded = template_id("shop.receipt")
    template_id("shop.news")
    edit(admin_client, reworded, subject="Ours")
    upgraded = types.ModuleType("regulars_shop_mail_test_v2")
    upgraded.PLUGIN = mail_plugin.PLUGIN

    @hookimpl
    def email_templates():
        return [EmailTemplateDefault(key=key, name=key, subject="New wording", text="New")
                for key in ("shop.receipt", "shop.news")]

    upgraded.email_templates = email_templates
    app = make_app(extra_plugins=[upgraded])
    app.test_cli_runner().invoke(args=["regulars", "db", "upgrade"])

    assert stored("shop.receipt")["subject"] == "Ours"
    assert stored("shop.news")["subject"] == "New wording"


def test_a_plugin_adds_a_placeholder_to_another_plugins_email(
        make_app, mail_plugin, users, page):
    from core.sdk import Placeholder, PluginInfo, hookimpl
    from core.services import email_templates

    loyalty = types.ModuleType("regulars_loyalty_mail_test")
    loyalty.PLUGIN = PluginInfo(name="loyalty_test", label="Loyalty", version="1.0")

    @hookimpl
    def email_placeholders(template_key):
        if template_key == "shop.receipt":
            return {"loyalty.balance": Placeholder("Points after this sale", 1250)}

    loyalty.email_placeholders = email_placeholders
    app = make_app(extra_plugins=[mail_plugin, loyalty])
    with app.app_context():
        receipt = email_templates.get_by_key("shop.receipt")
        shown = email_templates.preview(
            {"subject": "Receipt", "html": "<p>{{ loyalty.balance }} points</p>"}, receipt.key)
        elsewhere = email_templates.preview(
            {"subject": "News", "html": "<p>{{ loyalty.balance }}</p>"}, "shop.news")

    assert shown["errors"] == {} and shown["html"] == "<p>1250 points</p>"
    assert elsewhere["errors"] == {"html": "Line 1: unknown placeholder 'loyalty'."}


def test_the_edit_page_lists_the_placeholders_and_loads_no_inline_script(
        admin_client, template_id, page):
    response = admin_client.get(f"/settings/email/templates/{template_id('shop.receipt')}/edit")

    doc = page(response)
    listed = doc.find(id="email-placeholders").text
    assert "{{ sale.total }}" in listed and "{{ customer.first_name }}" in listed
    assert doc.find("iframe", id="email-preview-html").attrs["sandbox"] == ""
    scripts = [s for s in doc.find(cls="email-template-edit").parent.find_all("script")]
    assert scripts and all(s.attrs.get("src") for s in scripts)


def test_a_test_of_a_template_arrives_marked_test(admin_client, template_id, smtp_server,
                                                  make_customer, page):
    make_customer(first_name="Tara")
    receipt = template_id("shop.receipt")

    response = admin_client.post(f"/settings/email/templates/{receipt}/test",
                                 data={"to": "me@corner.example", "customer": "C-000001"},
                                 follow_redirects=True)

    (mail,) = smtp_server.messages
    assert mail["Subject"] == "[Test] Your receipt S-0001 from Corner Shop"
    assert "Hello Tara," in mail.get_body(("plain",)).get_content()
    assert page(response).find(id="email-test-result").attrs["data-status"] == "sent"
