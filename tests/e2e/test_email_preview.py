"""The email template screen in a real Chromium, under the Content-Security-Policy: the preview
follows the wording as it is typed, shows what is wrong with it, and no inline script runs."""

from __future__ import annotations

import types

import pytest
from playwright.sync_api import expect

from tests.e2e.test_first_customer import sign_in

pytestmark = pytest.mark.e2e


def greeting_plugin():
    from core.sdk import EmailTemplateDefault, PluginInfo, hookimpl

    module = types.ModuleType("regulars_greeting_mail_e2e")
    module.PLUGIN = PluginInfo(name="greeting", label="Greeting", version="1.0")

    @hookimpl
    def email_templates():
        return EmailTemplateDefault(key="greeting.hello", name="Hello", subject="Hello",
                                    html="<p>Hello {{ customer.first_name }}</p>")

    module.email_templates = email_templates
    return module


@pytest.fixture
def app(make_app):
    return make_app(extra_plugins=[greeting_plugin()])


@pytest.fixture
def template_url(app, live_server):
    from core.db import db
    from core.services import email_templates

    with app.app_context():
        template = email_templates.get_by_key("greeting.hello")
        db.session.commit()
        return f"{live_server}/settings/email/templates/{template.id}/edit"


def test_the_preview_follows_the_wording_as_it_is_typed(page, live_server, template_url,
                                                        make_customer):
    make_customer(first_name="Mirela")
    refused = []
    page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
    sign_in(page, live_server)
    page.goto(template_url)

    page.fill("#email-customer", "C-000001")
    page.fill("#email-html", "<p>Dear {{ customer.first_name }},</p>\n<p>see you soon</p>")

    preview = page.frame_locator("#email-preview-html")
    expect(preview.locator("p").first).to_have_text("Dear Mirela,")
    page.fill("#email-html", "<p>Dear</p>\n{{ customer.frist_name }}")
    expect(page.locator("#email-preview-errors li")).to_have_text(
        ["HTML: Line 2: unknown placeholder 'customer.frist_name'."])
    assert refused == []
