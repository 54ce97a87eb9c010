"""End-to-end tests: a real Regulars server on 127.0.0.1 and Debian's Chromium driven by
Playwright (with executable_path; the browser is never downloaded)."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("REGULARS_TEST_CHROMIUM") or shutil.which("chromium") or ""
REQUIRE = os.environ.get("REGULARS_TEST_REQUIRE_CHROMIUM") == "1"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path):
    """The browser tests run on SQLite only; the database behaviour is covered elsewhere."""
    template = request.getfixturevalue("sqlite_template")
    path = tmp_path / "regulars.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def live_server(app, users):
    from core.devserver import RequestHandler

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=RequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM or not os.path.exists(CHROMIUM):
        if REQUIRE:
            pytest.fail("REGULARS_TEST_REQUIRE_CHROMIUM=1 but no Chromium was found")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shoot():
    """Save a screenshot under tests/e2e/screenshots/ and return its path."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
