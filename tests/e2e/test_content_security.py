"""The shop's main screens under their Content-Security-Policy, in a real Chromium: none of them
trips the policy, and their scripts still work (search as you type, tabs loading in place, the
wizard following the customer's type, confirm before deleting a group, Swagger UI)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_first_customer import sign_in

pytestmark = pytest.mark.e2e


def assert_under_policy(response):
    policy = response.headers.get("content-security-policy", "")
    script_src = next((d.split()[1:] for d in policy.split(";")
                       if d.split()[:1] == ["script-src"]), [])
    assert "'self'" in script_src and "'unsafe-inline'" not in script_src, policy


@pytest.fixture
def make_group(app):
    def make(name, members=()):
        from core.services import customers, groups

        with app.app_context():
            group = groups.create({"name": name})
            if members:
                groups.add_members(group, [customers.get(i) for i in members])
            return group.id

    return make


@pytest.fixture
def refused(page):
    """Every console message and page error about the Content Security Policy, as they come."""
    seen = []
    page.on("console", lambda m: "Content Security Policy" in m.text and seen.append(m.text))
    page.on("pageerror", lambda e: seen.append(str(e)))
    return seen


def test_the_customer_list_searches_as_you_type_under_the_policy(
        page, live_server, make_customer, refused):
    make_customer(first_name="Mirela", last_name="Kowalczyk")
    make_customer(first_name="Ida", last_name="Lund")
    sign_in(page, live_server)
    assert_under_policy(page.goto(f"{live_server}/customers/"))

    page.fill("#q", "kowal")

    expect(page.locator("#customer-results .customer-link")).to_have_text(["Mirela Kowalczyk"])
    assert refused == []


def test_the_overview_loads_each_tab_in_place_under_the_policy(
        page, live_server, make_customer, make_group, refused):
    customer_id = make_customer(first_name="Mirela", last_name="Kowalczyk")
    make_group("Newsletter", members=[customer_id])
    sign_in(page, live_server)

    assert_under_policy(page.goto(f"{live_server}/customers/{customer_id}"))
    expect(page.locator(".tab-pane.active")).not_to_contain_text("Loading")
    page.click(".nav-tabs a[data-tab=groups]")

    expect(page.locator("#tab-groups")).to_contain_text("Newsletter")
    for tab in page.locator(".nav-tabs a[data-tab]").all():
        tab.click()
        expect(page.locator(".tab-pane.active .tab-loading")).to_have_count(0)
    assert refused == []


def test_the_wizard_follows_the_customers_type_under_the_policy(page, live_server, refused):
    sign_in(page, live_server)

    assert_under_policy(page.goto(f"{live_server}/customers/add"))
    page.select_option("#kind", "business")

    expect(page.locator(".business-only").first).to_be_visible()
    assert refused == []


def test_the_import_and_plugins_pages_open_under_the_policy(page, live_server, refused):
    sign_in(page, live_server)

    assert_under_policy(page.goto(f"{live_server}/customers/import/"))
    expect(page.locator("input[type=file]")).to_have_count(1)
    assert_under_policy(page.goto(f"{live_server}/plugins/"))
    expect(page.locator("h1")).to_contain_text("Plugins")

    assert refused == []


def test_deleting_a_group_asks_first_under_the_policy(page, live_server, make_group, refused):
    group_id = make_group("Newsletter")
    sign_in(page, live_server)
    assert_under_policy(page.goto(f"{live_server}/groups/{group_id}"))
    questions = []
    page.on("dialog", lambda d: (questions.append(d.message), d.dismiss()))

    page.click("button:text('Delete')")

    expect(page.locator("h1")).to_have_text("Newsletter")  # dismissed: still there
    assert questions == ["Delete this group? Its members stay customers."]
    assert refused == []


def test_swagger_ui_shows_the_api_under_the_policy(page, live_server, refused):
    sign_in(page, live_server)

    assert_under_policy(page.goto(f"{live_server}/swagger/v1"))

    expect(page.locator("#swagger-ui .opblock-tag", has_text="Customers")).to_be_visible()
    assert refused == []


def test_the_server_names_no_software(page, live_server):
    response = page.goto(f"{live_server}/login/")

    assert "werkzeug" not in (response.headers.get("server") or "").lower()
