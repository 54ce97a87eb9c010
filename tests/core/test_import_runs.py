"""Staff check and import a large file from the Import screen and watch it go: the work runs in
the background, the page shows a progress bar fed by a small JSON endpoint, then the report.
Each run is recorded (who, when, file, counts, status); only its uploader (or an Admin) sees it."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import db, utcnow, write_transaction
from core.errors import ValidationError
from core.models import AuditEntry, Customer, ImportRun
from core.services import import_runs, importer


def csv_bytes(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


PEOPLE = csv_bytes("First name,Email", "Ada,ada@example.com", "Bob,not-an-email",
                   "Cy,cy@example.com")
COLUMNS = [("First name", "first_name"), ("Email", "email")]


def queue_run(user_id, data=PEOPLE, dry_run=True, columns=COLUMNS, key="number"):
    """A recorded run of an uploaded file, not yet started (as a request leaves it)."""
    from flask import current_app

    token = import_runs.store_upload(user_id, data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(current_app.config, "TASKS_EAGER", False)  # left for a worker
        run = import_runs.start(user_id, "shop.csv", token, "auto", columns, key, dry_run=dry_run)
    return run.id


def set_run(run_id, **values) -> None:
    """Put a run in a given state, as the background work would have left it."""
    with write_transaction():
        for name, value in values.items():
            setattr(db.session.get(ImportRun, run_id), name, value)


def load(run_id) -> ImportRun:
    db.session.expire_all()
    return db.session.get(ImportRun, run_id)


# -- the run itself (the service) ----------------------------------------------------------------


def test_a_dry_run_goes_from_queued_through_running_to_done_with_counts_and_errors(
        ctx, users, count_rows, monkeypatch):
    run_id = queue_run(users["Manager"])
    seen = [load(run_id).status]
    real_run = importer.run

    def watched(*args, **kwargs):
        seen.append(load(run_id).status)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(importer, "run", watched)

    import_runs.execute(run_id)

    run = load(run_id)
    seen.append(run.status)
    assert seen == ["queued", "running", "done"]
    assert (run.total_rows, run.rows_done, run.created, run.updated, run.failed_rows) == (3, 3, 2, 0, 1)
    assert [(e["row"], e["column"]) for e in run.errors] == [(3, "Email")]
    assert run.started_at is not None and run.finished_at is not None
    assert count_rows(Customer) == 0


def test_an_import_run_saves_the_good_rows_and_lets_the_file_go(ctx, users, count_rows):
    manager = users["Manager"]
    run_id = queue_run(manager, dry_run=False)
    token = load(run_id).upload_token

    import_runs.execute(run_id)

    run = load(run_id)
    assert (run.status, run.created, run.failed_rows) == ("done", 2, 1)
    assert count_rows(Customer) == 2
    assert import_runs.stored_upload(manager, token) is None


def test_only_the_first_problems_are_kept_but_the_counts_cover_every_row(
        ctx, users, monkeypatch):
    monkeypatch.setattr(import_runs, "REPORT_LIMIT", 2)
    data = csv_bytes("First name,Email", *[f"P{i},bad-{i}" for i in range(5)])
    run_id = queue_run(users["Manager"], data=data)

    import_runs.execute(run_id)

    run = load(run_id)
    assert (run.failed_rows, run.error_count, len(run.errors)) == (5, 5, 2)


def test_rows_done_are_written_while_the_run_goes(ctx, users, monkeypatch):
    monkeypatch.setattr(import_runs, "PROGRESS_EVERY", 0)
    monkeypatch.setattr(importer, "BATCH_SIZE", 10)
    data = csv_bytes("First name", *[f"Person {i}" for i in range(25)])
    run_id = queue_run(users["Manager"], data=data, columns=[("First name", "first_name")])
    written = []
    real_write = import_runs._write_run

    def spy(pk, **values):
        real_write(pk, **values)
        if "rows_done" in values and "status" not in values:
            written.append((load(pk).rows_done, load(pk).total_rows))

    monkeypatch.setattr(import_runs, "_write_run", spy)
    real_run = importer.run
    monkeypatch.setattr(importer, "run", lambda *a, **k: real_run(*a, **{**k, "batch_size": 10}))

    import_runs.execute(run_id)

    assert written == [(0, 25), (10, 25), (20, 25), (25, 25)]


def test_a_mapping_that_cannot_work_is_refused_before_anything_runs(ctx, users, count_rows):
    token = import_runs.store_upload(users["Manager"], PEOPLE)

    with pytest.raises(ValidationError) as exc:
        import_runs.start(users["Manager"], "shop.csv", token, "auto",
                          [("First name", ""), ("Email", "email")], "number", dry_run=True)

    assert "mapping" in exc.value.errors
    assert count_rows(ImportRun) == 0


def test_a_run_that_breaks_inside_ends_failed_with_a_message_and_no_half_saved_customer(
        ctx, users, count_rows, monkeypatch):
    run_id = queue_run(users["Manager"], dry_run=False)
    real_insert = importer._insert

    def insert_then_break(*args, **kwargs):
        real_insert(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_insert", insert_then_break)

    import_runs.execute(run_id)

    run = load(run_id)
    assert run.status == "failed"
    assert "unexpected error" in run.message
    assert (count_rows(Customer), count_rows(AuditEntry)) == (0, 0)


def test_a_file_gone_before_the_run_starts_ends_it_failed_saying_so(ctx, users, count_rows):
    manager = users["Manager"]
    run_id = queue_run(manager, dry_run=False)
    import_runs.remove_upload(manager, load(run_id).upload_token)

    import_runs.execute(run_id)

    run = load(run_id)
    assert (run.status, count_rows(Customer)) == ("failed", 0)
    assert "upload it again" in run.message


def test_a_run_left_running_by_a_dead_process_shows_as_interrupted(ctx, users):
    run_id = queue_run(users["Manager"])
    set_run(run_id, status="running", heartbeat_at=utcnow() - timedelta(minutes=5))

    assert import_runs.status_of(load(run_id)) == "interrupted"


def test_a_running_run_with_a_fresh_heartbeat_is_running(ctx, users):
    run_id = queue_run(users["Manager"])
    set_run(run_id, status="running")

    assert import_runs.status_of(load(run_id)) == "running"


# -- the screen ----------------------------------------------------------------------------------


def upload(client, data: bytes, name="customers.csv") -> str:
    response = client.post("/customers/import/", data={"file": (io.BytesIO(data), name),
                                                       "encoding": "auto"},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


def check(client, mapping_url, fields=("first_name", "email")):
    form = {f"map-{i}": f for i, f in enumerate(fields)}
    form.update(key="number", name="customers.csv")
    return client.post(mapping_url, data=form)


def run_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def test_checking_a_file_leads_to_its_run_page_with_the_report(client_for, page, count_rows):
    client = client_for("Manager")

    response = check(client, upload(client, PEOPLE))

    assert "/customers/import/runs/" in response.headers["Location"]
    doc = page(client.get(response.headers["Location"]))
    assert doc.find(id="import-run").attrs["data-status"] == "done"
    rows = doc.find(cls="import-report").find_all("tr")
    assert [r.find_all("td")[0].text for r in rows[1:]] == ["3"]
    assert "Import 2 rows" in doc.find(id="import-start").text
    assert count_rows(Customer) == 0


def test_importing_from_the_dry_run_page_saves_the_checked_rows(client_for, page, count_rows):
    client = client_for("Manager")
    dry_run = run_id_of(check(client, upload(client, PEOPLE)))

    response = client.post(f"/customers/import/runs/{dry_run}/import")

    doc = page(client.get(response.headers["Location"]))
    assert doc.find(id="import-run").attrs["data-status"] == "done"
    assert "Import finished" in doc.find("h1").text
    assert count_rows(Customer) == 2


def test_a_dry_run_page_says_when_its_file_has_been_imported_since(client_for, page):
    client = client_for("Manager")
    dry_run = run_id_of(check(client, upload(client, PEOPLE)))
    imported = run_id_of(client.post(f"/customers/import/runs/{dry_run}/import"))

    doc = page(client.get(f"/customers/import/runs/{dry_run}"))

    notice = doc.find(cls="import-done-already")
    assert "imported since this check" in notice.text
    assert notice.find("a").attrs["href"].endswith(f"/customers/import/runs/{imported}")
    assert doc.find(id="import-start") is None  # the file is gone: nothing more to import
    assert "skipped by the import" not in doc.text


def test_a_mapping_without_a_name_stays_on_the_columns_page_with_the_reason(
        client_for, page, count_rows):
    client = client_for("Manager")

    response = check(client, upload(client, PEOPLE), fields=("", "email"))

    assert response.status_code == 200
    assert "name" in page(response).find(cls="import-error").text
    assert count_rows(ImportRun) == 0


def test_the_progress_endpoint_says_how_far_the_run_got(client_for, app, users):
    client = client_for("Manager")
    with app.app_context():
        run_id = queue_run(users["Manager"])
        set_run(run_id, status="running", total_rows=200, rows_done=50)

    body = client.get(f"/customers/import/runs/{run_id}/progress").get_json()

    assert body == {"id": run_id, "status": "running", "finished": False, "dry_run": True,
                    "total": 200, "done": 50, "percent": 25, "message": None,
                    "counts": {"created": 0, "updated": 0, "unchanged": 0, "failed": 0,
                               "problems": 0}}


def test_a_running_run_page_shows_a_progress_bar_that_polls_and_refreshes_without_js(
        client_for, app, users, page):
    client = client_for("Manager")
    with app.app_context():
        run_id = queue_run(users["Manager"])
        set_run(run_id, status="running", total_rows=200, rows_done=50)

    response = client.get(f"/customers/import/runs/{run_id}")

    doc = page(response)
    bar = doc.find(id="import-progress-bar")
    assert (bar.attrs["aria-valuenow"], bar.attrs["style"]) == ("25", "width: 25%")
    assert doc.find(id="import-run").attrs["data-progress-url"].endswith(f"/{run_id}/progress")
    assert doc.find("script", src="/static/regulars/import_progress.js") is not None
    assert '<meta http-equiv="refresh"' in response.get_data(as_text=True)


def test_a_finished_run_page_neither_polls_nor_refreshes(client_for, page):
    client = client_for("Manager")
    location = check(client, upload(client, PEOPLE)).headers["Location"]

    response = client.get(location)

    assert "data-progress-url" not in page(response).find(id="import-run").attrs
    assert 'http-equiv="refresh"' not in response.get_data(as_text=True)


def test_an_interrupted_run_says_so_on_its_page_and_in_json(client_for, app, users, page):
    client = client_for("Manager")
    with app.app_context():
        run_id = queue_run(users["Manager"])
        set_run(run_id, status="running", heartbeat_at=utcnow() - timedelta(minutes=5))

    doc = page(client.get(f"/customers/import/runs/{run_id}"))
    body = client.get(f"/customers/import/runs/{run_id}/progress").get_json()

    assert doc.find(id="import-run").attrs["data-status"] == "interrupted"
    assert "stopped without finishing" in doc.find(cls="import-failure").text
    assert (body["status"], body["finished"]) == ("interrupted", True)


def test_a_failed_run_page_shows_its_message(client_for, app, users, page):
    client = client_for("Manager")
    with app.app_context():
        run_id = queue_run(users["Manager"])
        set_run(run_id, status="failed", message="The file <b>vanished</b>.")

    html = client.get(f"/customers/import/runs/{run_id}").get_data(as_text=True)

    assert "The file &lt;b&gt;vanished&lt;/b&gt;." in html


@pytest.mark.parametrize("path", ["", "/progress"])
def test_another_users_run_is_not_found(client_for, users, app, path):
    with app.app_context():
        run_id = queue_run(users["Manager"])
    from core.cli import ensure_user
    from core.testing import PASSWORD, login

    with app.app_context():  # the same role, another person
        ensure_user("manager2", PASSWORD, "manager2@example.com", "Other", "Manager", "Manager")
    other = login(app.test_client(), "manager2")

    response = other.get(f"/customers/import/runs/{run_id}{path}")

    assert response.status_code == 404


def test_another_user_cannot_import_a_checked_file(client_for, users, app, count_rows):
    client = client_for("Manager")
    dry_run = run_id_of(check(client, upload(client, PEOPLE)))

    response = client_for("Admin").post(f"/customers/import/runs/{dry_run}/import")

    assert response.status_code == 404
    assert count_rows(Customer) == 0


def test_an_admin_sees_every_users_run(client_for, users, app):
    with app.app_context():
        run_id = queue_run(users["Manager"])

    response = client_for("Admin").get(f"/customers/import/runs/{run_id}")

    assert response.status_code == 200


def test_the_runs_list_shows_a_managers_own_runs_only(client_for, users, app, page):
    with app.app_context():
        own = queue_run(users["Manager"])
        queue_run(users["Admin"])

    doc = page(client_for("Manager").get("/customers/import/runs/"))

    assert [int(r.attrs["data-run"]) for r in doc.find_all("tr") if "data-run" in r.attrs] == [own]


def test_the_runs_list_shows_an_admin_everyones_runs_with_who_and_counts(
        client_for, users, app, page):
    client = client_for("Admin")
    with app.app_context():
        queue_run(users["Manager"])
    check(client, upload(client, PEOPLE))

    doc = page(client.get("/customers/import/runs/"))

    rows = [r for r in doc.find_all("tr") if "data-run" in r.attrs]
    assert len(rows) == 2
    assert [r.attrs["data-status"] for r in rows] == ["done", "queued"]
    assert "manager" in rows[1].text and "customers.csv" in rows[0].text


def test_the_import_screen_links_to_recent_imports(client_for, page):
    doc = page(client_for("Manager").get("/customers/import/"))

    assert doc.find(id="import-runs-link").attrs["href"] == "/customers/import/runs/"


@pytest.mark.parametrize("role", ["Cashier", "ReadOnly", "Accounts"])
def test_roles_without_import_cannot_see_runs(client_for, role):
    response = client_for(role).get("/customers/import/runs/")

    assert response.status_code in (302, 403)


def test_only_the_admin_role_sees_every_import():
    from core.security import role_allows

    assert [r for r in ("Admin", "Manager", "Cashier", "Accounts", "ReadOnly")
            if role_allows(r, "can_see_all_imports", "ImportView")] == ["Admin"]


def test_a_worker_finishes_the_run_the_page_started(client_for, app, count_rows):
    from core import tasks

    app.config["TASKS_EAGER"] = False
    worker = tasks.start_in_thread(app)  # one worker on a thread, as `make run` has
    client = client_for("Manager")
    data = csv_bytes("First name,Email", *[f"P{i},p{i}@example.com" for i in range(1500)])
    dry_run = run_id_of(check(client, upload(client, data)))
    wait_until_over(app, dry_run)

    run_id = run_id_of(client.post(f"/customers/import/runs/{dry_run}/import"))
    wait_until_over(app, run_id)

    body = client.get(f"/customers/import/runs/{run_id}/progress").get_json()
    worker.stop()
    assert (body["status"], body["done"], body["counts"]["created"]) == ("done", 1500, 1500)
    assert count_rows(Customer) == 1500


def wait_until_over(app, run_id, timeout=120):
    deadline = time.monotonic() + timeout
    with app.app_context():
        while time.monotonic() < deadline:
            status = db.session.execute(select(ImportRun.status).where(
                ImportRun.id == run_id)).scalar()
            db.session.rollback()
            if status in ("done", "failed"):
                return status
            time.sleep(0.1)
    raise AssertionError(f"run {run_id} still {status} after {timeout} s")


# -- the schema ----------------------------------------------------------------------------------


def test_the_migration_builds_import_run_as_the_model_describes(ctx):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.db import Model

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Model.metadata)

    assert [d for d in diff if "import_run" in repr(d)] == []


def test_an_import_whose_worker_died_is_not_started_over(ctx, users, count_rows):
    run_id = queue_run(users["Manager"], dry_run=False)
    set_run(run_id, status="running", rows_done=1, total_rows=3)  # as the dead worker left it

    import_runs.execute(run_id)  # its task, taken again by another worker

    run = load(run_id)
    assert run.status == "failed"
    assert "after 1 of 3 rows" in run.message
    assert count_rows(Customer) == 0  # nothing imported a second time


def test_a_dry_run_whose_worker_died_starts_over(ctx, users):
    run_id = queue_run(users["Manager"])
    set_run(run_id, status="running", rows_done=1, total_rows=3)

    import_runs.execute(run_id)

    assert (load(run_id).status, load(run_id).created) == ("done", 2)
