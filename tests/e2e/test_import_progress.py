"""A shop manager moves the old till's customer list into Regulars, in a real browser.

They upload a CSV of a few thousand customers on the Import screen, check the columns Regulars
guessed, start the dry run and watch its progress bar move (the run works in a background
thread; the page asks how far it got with JavaScript and shows the report by itself when the
check is over). The report names every bad row by row number, column and problem; a name that
is really a piece of HTML is shown as the text it is. Import saves the good rows, and only
those, and the page says "Import finished" without anyone pressing reload.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_first_customer import sign_in

pytestmark = pytest.mark.e2e

ROWS = 3000  # data rows in the file; spreadsheet rows 2 .. ROWS + 1
HOSTILE = "<script>alert(1)</script>"
HEADER = ["First name", "Last name", "Email", "Phone"]
# Spreadsheet row -> (cells, column the report must name, words its message must contain).
BAD_ROWS = {
    101: (["Bad", "Row101", "not-an-email", ""], "Email", "must have an @-sign"),
    777: (["Bad", "Row777", "bob@@example.com", ""], "Email", "invalid characters: '@'"),
    1500: (["Bad", "Row1500", "ann smith@example.com", ""], "Email", "before the @-sign"),
    2222: (["", "", "nameless@example.com", ""], "First name", "Enter a first or last name"),
    2800: (["Bad", "Row2800", "bad.phone@example.com", "12345"], "Phone", "valid phone number"),
    3001: (["Bad", "Row3001"], "—", "has 2 cells but the header has 4"),
}
GOOD_ROWS = ROWS - len(BAD_ROWS)


def _csv_cell(value: str) -> str:
    return f'"{value}"' if any(c in value for c in ',"<> ') else value


def _last_name(row: int) -> str:
    return f"Imported{row:05d}"


def make_csv() -> bytes:
    lines = [",".join(HEADER)]
    for row in range(2, ROWS + 2):
        if row in BAD_ROWS:
            cells = BAD_ROWS[row][0]
        elif row == 2:  # among the first values shown on the columns page
            cells = [HOSTILE, "Hostile", "hostile@example.com", ""]
        else:
            cells = ["Anna", _last_name(row), f"anna.{row}@example.com", ""]
        lines.append(",".join(_csv_cell(c) for c in cells))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _customers(app):
    """(last name, first name) of every customer, read straight from the database."""
    from sqlalchemy import select

    from core.db import db
    from core.models import Customer

    with app.app_context():
        return sorted((tuple(r) for r in db.session.execute(
            select(Customer.last_name, Customer.first_name))), key=repr)


@pytest.fixture
def unhurried_imports(monkeypatch):
    """Each batch of 500 rows takes at least 0.4 s more, so on any machine the progress page is
    seen while the run works and the page polls it at least once."""
    import time

    from core.services import importer

    real = importer.run

    def run(*args, progress=None, **kwargs):
        def slowed(done, total):
            time.sleep(0.4)
            if progress is not None:
                progress(done, total)
        return real(*args, progress=slowed, batch_size=500, **kwargs)

    monkeypatch.setattr(importer, "run", run)


def test_manager_imports_a_big_csv_watching_the_dry_run_progress(
        app, page, phone_page, live_server, shoot, unhurried_imports, request):
    # The real thing: the page polls while a worker (on a thread, as under `make run`) does it.
    from core import tasks

    app.config["TASKS_EAGER"] = False
    worker = tasks.start_in_thread(app)
    request.addfinalizer(worker.stop)
    before = _customers(app)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    polls = []  # what the page's polling was told: (HTTP status, JSON)

    def listen(route):
        response = route.fetch()
        polls.append((response.status, response.json()))
        route.fulfill(response=response)

    page.route(re.compile(r"/customers/import/runs/\d+/progress$"), listen)

    sign_in(page, live_server, username="manager")
    page.goto(live_server + "/customers/import/")
    expect(page.locator("h1")).to_have_text("Import customers")
    page.set_input_files("#file", files=[{"name": "old-till-customers.csv",
                                          "mimeType": "text/csv", "buffer": make_csv()}])
    page.click("#import-upload button[type=submit]")

    # The columns page: every column placed by its header, the first values shown as text.
    expect(page.locator("h1")).to_have_text("Import customers: columns")
    expect(page.locator(".regulars-page")).to_contain_text(f"{ROWS} rows read")
    for header, field in zip(HEADER, ["first_name", "last_name", "email", "phone"]):
        expect(page.locator(f'#import-mapping tr[data-column="{header}"] select')).to_have_value(field)
    expect(page.locator('#import-mapping tr[data-column="First name"] td').nth(2)) \
        .to_contain_text(HOSTILE)
    assert page.locator("script", has_text="alert(1)").count() == 0
    shoot(page, "11-import-columns")
    page.click("#import-mapping button[type=submit]")

    # The dry run's own page: a progress bar while the thread works, the page polling it...
    expect(page).to_have_url(re.compile(r"/customers/import/runs/\d+$"))
    dry_run_url = page.url
    bar = page.locator("#import-progress-bar")
    expect(bar).to_be_visible()
    expect(page.locator("#import-run h1")).to_have_text("Checking the file…")
    shoot(page, "11-import-progress")
    # ...then, with no reload by the test, the report.
    report = page.locator(".import-report")
    expect(report).to_be_visible(timeout=25_000)
    assert polls, "the page never asked how far the run got"
    assert all(status == 200 for status, _state in polls), polls
    assert polls[-1][1]["finished"] is True and polls[-1][1]["status"] == "done", polls
    assert polls[-1][1]["total"] == ROWS
    polls.clear()
    expect(page.locator("#import-run")).to_have_attribute("data-status", "done")
    expect(page.locator("#import-run h1")).to_have_text("Dry run: nothing saved yet")
    counts = page.locator(".import-counts")
    expect(counts).to_contain_text(f"{ROWS} rows")
    expect(counts).to_contain_text(f"{GOOD_ROWS} new")
    expect(counts).to_contain_text(f"{len(BAD_ROWS)} with errors")

    problems = report.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.textContent.trim()))")
    assert [int(row) for row, _c, _m in problems] == sorted(BAD_ROWS), problems
    for row, column, message in problems:
        _cells, want_column, want_words = BAD_ROWS[int(row)]
        assert column == want_column, (row, column)
        assert want_words in message, (row, message)
    assert _customers(app) == before, "a dry run saved something"
    assert not dialogs
    shoot(page, "11-import-dry-run-report")

    # Import: a new run of the same file, followed the same way until it is over.
    start = page.locator("#import-start button[type=submit]")
    expect(start).to_have_text(f"Import {GOOD_ROWS} rows")
    start.click()
    expect(page).not_to_have_url(dry_run_url)
    expect(page.locator("#import-run h1")).to_have_text("Import finished", timeout=25_000)
    assert polls and polls[-1][1]["counts"]["created"] == GOOD_ROWS, polls
    expect(page.locator(".import-counts")).to_contain_text(f"{GOOD_ROWS} new")
    expect(page.locator(".import-report tbody tr")).to_have_count(len(BAD_ROWS))
    shoot(page, "12-import-finished")

    after = _customers(app)
    assert len(after) == len(before) + GOOD_ROWS
    last_names = [last for last, _first in after]
    assert len(set(last_names)) == len(last_names), "a row was imported twice"
    assert {_last_name(r) for r in range(3, ROWS + 2) if r not in BAD_ROWS} <= set(last_names)
    assert not {cells[1] for cells, _c, _m in BAD_ROWS.values()} & set(last_names)
    assert not {"", None} & set(last_names)  # the nameless row
    assert ("Hostile", HOSTILE) in after  # stored as typed, neither stripped nor escaped

    # The hostile name on screen: the text itself, never a script that runs.
    page.goto(live_server + "/customers/")
    page.fill("#q", "hostile")
    link = page.locator("#customer-results .customer-link")
    expect(link).to_have_count(1)
    expect(link).to_have_text(f"{HOSTILE} Hostile")
    link.click()
    expect(page.locator(".customer-header h1")).to_contain_text(HOSTILE)
    assert page.locator("script", has_text="alert(1)").count() == 0
    assert not dialogs

    # The report of the dry run still reads on a phone.
    sign_in(phone_page, live_server, username="manager")
    phone_page.goto(dry_run_url)
    expect(phone_page.locator(".import-report tbody tr")).to_have_count(len(BAD_ROWS))
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(phone_page, "12-phone-import-report")
