"""Dry runs and imports started from the Import screen, run in the background.

A 100,000-row file takes a while to check and to import; doing that inside the web request
would keep the browser waiting with no sign of life (and a proxy may give up). So the request
records an ``ImportRun`` and starts a thread; the thread gets its own app context and database
session, calls ``importer.run`` and writes how far it got to the run's row in short
transactions of its own, which the page polls. Nothing here changes what an import does: the
importer's rules (a bad row never half-writes, good rows land) hold as on the command line.

The uploaded file waits in the instance folder between the steps (it is too big for the
session cookie), under a random name that only its uploader's steps open.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db import db, record_id, utcnow, write_transaction
from core.errors import NotFound, ValidationError
from core.models import ImportRun
from core.services import importer
from core.services.normalize import clean_text

log = logging.getLogger(__name__)

REPORT_LIMIT = 500  # problems kept with a run; its counts cover them all
PROGRESS_EVERY = 0.5  # seconds between two writes of rows done
DEFAULT_STALE_AFTER = 60  # seconds without a heartbeat before a run counts as interrupted
ACTIVE = ("queued", "running")
_TOKEN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


# -- the uploaded file ---------------------------------------------------------------------------


def _uploads() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_upload(user_id: int, data: bytes) -> str:
    """Keep an uploaded file for its uploader's next steps; returns the token that names it."""
    token = secrets.token_urlsafe(24)
    (_uploads() / f"{user_id}-{token}.csv").write_bytes(data)
    return token


def stored_upload(user_id: int, token: str) -> Path | None:
    """The file ``user_id`` uploaded under ``token``, or None (another user's, gone, or a
    token we never made)."""
    if not token or not 20 <= len(token) <= 60 or not set(token) <= _TOKEN_CHARS:
        return None
    path = _uploads() / f"{user_id}-{token}.csv"
    return path if path.exists() else None


# -- starting a run ----------------------------------------------------------------------------


def start(user_id: int, file_name: str, token: str, encoding: str,
          columns: list[tuple[str, str]], key: str, dry_run: bool) -> ImportRun:
    """Record a dry run or import of an uploaded file and set it going (in the background
    unless the app says ``IMPORT_IN_BACKGROUND = False``). ``columns`` is the file's header
    with the field each column fills ("" for none), in file order. A mapping that cannot work
    is refused here, with ValidationError, before anything runs."""
    if stored_upload(user_id, token) is None:
        raise ValidationError({"file": _("The uploaded file is no longer here; upload it again.")})
    importer.check_mapping([c for c, _f in columns], {c: f for c, f in columns}, key)
    with write_transaction():
        run = ImportRun(user_fk=user_id, file_name=(clean_text(file_name) or "import.csv")[:255],
                        upload_token=token, encoding=encoding,
                        mapping=[[c, f or ""] for c, f in columns], key=key, dry_run=dry_run,
                        status="queued", queued_at=utcnow(), heartbeat_at=utcnow())
        db.session.add(run)
    launch(run.id)
    return run


def launch(run_id: int) -> None:
    """Carry out a recorded run: in a thread of its own, or right here when the app is
    configured to (tests and one-off scripts) — the same work either way."""
    app = current_app._get_current_object()
    if app.config.get("IMPORT_IN_BACKGROUND", True):
        thread = threading.Thread(target=_work, args=(app, run_id), daemon=True,
                                  name=f"import-run-{run_id}")
        thread.start()
    else:
        _work(app, run_id)


def _work(app, run_id: int) -> None:
    # A fresh app context gives this work its own database session: the request's session
    # must never be used from another thread.
    with app.app_context():
        try:
            execute(run_id)
        finally:
            db.session.remove()


# -- carrying it out ---------------------------------------------------------------------------


def _write_run(run_id: int, **values) -> None:
    """Update the run's row in a short transaction of its own, beside whatever the importer's
    session is doing, so the page sees it at once."""
    values.setdefault("heartbeat_at", utcnow())
    with Session(db.engine) as session, session.begin():
        session.execute(update(ImportRun).where(ImportRun.id == run_id).values(**values))


def execute(run_id: int) -> None:
    """Do the work of a queued run and record its outcome. Never raises: whatever goes wrong
    ends the run as failed with a sentence for the person who started it."""
    run = db.session.get(ImportRun, run_id)
    if run is None or run.status != "queued":
        return
    user_id, token, dry_run = run.user_fk, run.upload_token, run.dry_run
    encoding, key = run.encoding, run.key
    mapping = {column: field for column, field in run.mapping}
    db.session.rollback()  # end the read: the importer starts its own transactions
    _write_run(run_id, status="running", started_at=utcnow())
    done_so_far = 0
    total = 0
    try:
        path = stored_upload(user_id, token) if user_id is not None else None
        if path is None:
            raise ValidationError({"file": _("The uploaded file is no longer here; upload it "
                                             "again.")})
        csv_file = importer.read_csv(path.read_bytes(), encoding)
        unreadable = len(csv_file.errors)
        total = len(csv_file.rows) + unreadable
        _write_run(run_id, total_rows=total, rows_done=unreadable)
        last_write = time.monotonic()

        def progress(done: int, _rows: int) -> None:
            nonlocal last_write, done_so_far
            done_so_far = done + unreadable
            now = time.monotonic()
            if now - last_write >= PROGRESS_EVERY:
                _write_run(run_id, rows_done=done_so_far)
                last_write = now

        result = importer.run(csv_file, mapping, key=key, dry_run=dry_run, actor=user_id,
                              progress=progress)
    except ValidationError as exc:
        db.session.rollback()
        _write_run(run_id, status="failed", finished_at=utcnow(),
                   message=" ".join(str(m) for m in exc.errors.values()))
        return
    except Exception:  # noqa: BLE001 - the run must end, and the page must say so
        log.exception("Import run %s failed", run_id)
        db.session.rollback()
        _write_run(run_id, status="failed", finished_at=utcnow(),
                   rows_done=done_so_far, message=_failure_message(dry_run, done_so_far, total))
        return
    _write_run(run_id, status="done", finished_at=utcnow(), total_rows=result.rows,
               rows_done=result.rows, created=result.created, updated=result.updated,
               unchanged=result.unchanged, failed_rows=result.failed,
               error_count=len(result.errors),
               errors=[{"row": e.row, "column": e.column, "message": str(e.message)}
                       for e in result.errors[:REPORT_LIMIT]])
    if not dry_run:
        # Imported: the file has served its purpose (importing it again starts from a new upload).
        stored_upload(user_id, token).unlink(missing_ok=True)


def _failure_message(dry_run: bool, done: int, total: int) -> str:
    if dry_run:
        return _("The check stopped because of an unexpected error; nothing was saved. Try "
                 "again; if it happens again, tell your administrator (the details are in the "
                 "server log).")
    return _("The import stopped because of an unexpected error after %(done)d of %(total)d "
             "rows. The rows before that are saved, the others are not; no customer is half "
             "saved. Import the file again: rows already imported are updated, not doubled.",
             done=done, total=total)


# -- looking at runs ---------------------------------------------------------------------------


def get(run_id, user_id: int, see_all: bool = False) -> ImportRun:
    """A run its uploader (or someone allowed to see every run) may look at; NotFound otherwise,
    so another user's runs are not even confirmed to exist."""
    pk = record_id(run_id)
    run = db.session.get(ImportRun, pk) if pk else None
    if run is None or not (see_all or run.user_fk == user_id):
        raise NotFound(run_id)
    return run


def recent(user_id: int, see_all: bool = False, limit: int = 50) -> list[ImportRun]:
    """The latest runs, newest first: the user's own, or everyone's."""
    query = select(ImportRun).order_by(ImportRun.queued_at.desc(), ImportRun.id.desc()).limit(limit)
    if not see_all:
        query = query.where(ImportRun.user_fk == user_id)
    return list(db.session.execute(query).scalars())


def status_of(run: ImportRun) -> str:
    """queued, running, done, failed — or interrupted: still marked active, but nothing has
    moved for longer than ``IMPORT_STALE_AFTER`` seconds (the process doing it has died)."""
    if run.status in ACTIVE:
        stale_after = current_app.config.get("IMPORT_STALE_AFTER", DEFAULT_STALE_AFTER)
        if run.heartbeat_at < utcnow() - timedelta(seconds=stale_after):
            return "interrupted"
    return run.status


def percent(run: ImportRun) -> int:
    """How far the run got, 0-100 (100 once it is done)."""
    if run.status == "done":
        return 100
    if not run.total_rows:
        return 0
    return min(100, int(run.rows_done * 100 / run.total_rows))


def progress(run: ImportRun) -> dict:
    """What the progress bar needs, as JSON."""
    status = status_of(run)
    return {
        "id": run.id,
        "status": status,
        "finished": status not in ACTIVE,
        "dry_run": run.dry_run,
        "total": run.total_rows,
        "done": run.rows_done,
        "percent": percent(run),
        "counts": {"created": run.created, "updated": run.updated, "unchanged": run.unchanged,
                   "failed": run.failed_rows, "problems": run.error_count},
        "message": run.message,
    }


def import_of(run: ImportRun) -> ImportRun | None:
    """The latest import started from this dry run's file, if there is one."""
    if not run.dry_run:
        return None
    return db.session.execute(
        select(ImportRun).where(ImportRun.upload_token == run.upload_token,
                                ImportRun.dry_run.is_(False))
        .order_by(ImportRun.id.desc()).limit(1)).scalar()


def file_waiting(run: ImportRun) -> bool:
    """Whether the run's uploaded file is still there to import (after a dry run)."""
    return run.user_fk is not None and stored_upload(run.user_fk, run.upload_token) is not None
