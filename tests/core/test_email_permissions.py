"""Who may do what on the Email screens: the mail server settings (and their test email) are the
administrator's; the wording of the emails (edit, preview, test) is also the manager's; cashiers,
accounts and read-only staff get neither, whatever request they force."""

from __future__ import annotations

import pytest

SETTINGS_CALLS = {"open settings", "save settings", "send a test email", "test status"}
TEMPLATE_CALLS = {"list templates", "edit template", "save template", "reset template",
                  "preview template", "test template", "template test status"}
ALLOWED = {
    "Admin": SETTINGS_CALLS | TEMPLATE_CALLS,
    "Manager": TEMPLATE_CALLS,
    "Cashier": set(),
    "Accounts": set(),
    "ReadOnly": set(),
}


@pytest.fixture
def app(make_app, mail_plugin, smtp_server):
    app = make_app(extra_plugins=[mail_plugin])
    smtp_server.use(app)
    return app


@pytest.fixture
def targets(app):
    """A template to edit and a test message to ask about."""
    from core.db import db
    from core.services import email, email_templates

    with app.app_context():
        template = email_templates.get_by_key("shop.receipt")
        db.session.commit()
        message = email.send_test("owner@corner.example")
        return {"template": template.id, "message": message.id}


def calls(targets, smtp_server):
    t, m = targets["template"], targets["message"]
    wording = {"subject": "Receipt {{ sale.number }}", "html": "<p>{{ sale.total }}</p>",
               "text": ""}
    return {
        "open settings": ("get", "/settings/email/", None),
        "save settings": ("post", "/settings/email/", {
            "host": smtp_server.host, "port": str(smtp_server.port), "security": "none",
            "sender_address": "shop@corner.example"}),
        "send a test email": ("post", "/settings/email/test", {"to": "me@corner.example"}),
        "test status": ("get", f"/settings/email/messages/{m}/status", None),
        "list templates": ("get", "/settings/email/templates/", None),
        "edit template": ("get", f"/settings/email/templates/{t}/edit", None),
        "save template": ("post", f"/settings/email/templates/{t}/edit", wording),
        "reset template": ("post", f"/settings/email/templates/{t}/reset", {}),
        "preview template": ("post", f"/settings/email/templates/{t}/preview", wording),
        "test template": ("post", f"/settings/email/templates/{t}/test",
                          {"to": "me@corner.example"}),
        "template test status": ("get", f"/settings/email/templates/messages/{m}/status", None),
    }


@pytest.mark.parametrize("role", list(ALLOWED))
def test_each_role_gets_the_right_answer_on_every_email_screen(
        role, client_for, targets, smtp_server):
    client = client_for(role)
    allowed = set()
    for name, (method, url, data) in calls(targets, smtp_server).items():
        response = getattr(client, method)(url, data=data)
        assert response.status_code != 500, (name, response.get_data(as_text=True)[:300])
        if response.status_code != 403:
            assert response.status_code in (200, 302), (name, response.status_code)
            allowed.add(name)

    assert allowed == ALLOWED[role]


@pytest.mark.parametrize("role, links", [
    ("Admin", {"/settings/email/", "/settings/email/templates/"}),
    ("Manager", {"/settings/email/templates/"}),
    ("Cashier", set()),
    ("ReadOnly", set()),
])
def test_the_settings_menu_shows_each_role_only_the_email_screens_it_may_open(
        role, links, client_for, page):
    doc = page(client_for(role).get("/customers/"))

    shown = {a.attrs["href"] for a in doc.find_all("a")
             if a.attrs.get("href", "").startswith("/settings/email")}
    assert shown == links


def test_the_built_in_roles_hold_exactly_these_email_permissions(app):
    from core.cli import upgrade_all

    with app.app_context():
        upgrade_all()
        sm = app.appbuilder.sm
        held = {role: {(pv.permission.name, pv.view_menu.name)
                       for pv in sm.find_role(role).permissions
                       if pv.view_menu.name.startswith("Email")}
                for role in ALLOWED}

    templates = {("can_list", "EmailTemplateView"), ("can_edit", "EmailTemplateView"),
                 ("can_preview", "EmailTemplateView"), ("can_test", "EmailTemplateView"),
                 ("menu_access", "Email templates")}
    assert held["Admin"] == templates | {("can_edit", "EmailSettingsView"),
                                         ("can_test", "EmailSettingsView"),
                                         ("menu_access", "Email settings")}
    assert held["Manager"] == templates
    assert held["Cashier"] == held["Accounts"] == held["ReadOnly"] == set()
