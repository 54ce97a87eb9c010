"""Dry runs and imports started from the Import screen, run as background tasks.

A 100,000-row file takes a while to check and to import; doing that inside the web request
would keep the browser waiting with no sign of life (and a proxy may give up). So the request
records an ``ImportRun`` and, in the same transaction, enqueues the task ``core.import.run``;
whichever worker takes it calls ``importer.run`` and writes how far it got to the run's row in
short transactions of its own, which the page polls. Nothing here changes what an import does:
the importer's rules (a bad row never half-writes, good rows land) hold as on the command line.

The uploaded file waits in the database between the steps (``StoredFile``: too big for the
session cookie, and every worker on every machine can read it there), under a random token that
only its uploader's steps open. It goes when its import is done, or when it expires.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core.db import db, record_id, utcnow, write_transaction
from core.errors import NotFound, ValidationError
from core.models import ImportRun
from core.models.tasks import StoredFile
from core.services import importer
from core.services.normalize import clean_text
from core.tasks import enqueue, task, task_progress

log = logging.getLogger(__name__)

REPORT_LIMIT = 500  # problems kept with a run; its counts cover them all
PROGRESS_EVERY = 0.5  # seconds between two writes of rows done
DEFAULT_STALE_AFTER = 60  # seconds without a heartbeat before a run counts as interrupted
ACTIVE = ("queued", "running")
UPLOAD_PURPOSE = "customer-import"
_TOKEN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


# -- the uploaded file ---------------------------------------------------------------------------


def store_upload(user_id: int, data: bytes, name: str = "import.csv") -> str:
    """Keep an uploaded file for its uploader's next steps; returns the token that names it."""
    token = secrets.token_urlsafe(24)
    hours = int(current_app.config.get("UPLOAD_KEEP_HOURS", 24))
    with write_transaction():
        db.session.add(StoredFile(token=token, user_fk=user_id, purpose=UPLOAD_PURPOSE,
                                  name=(clean_text(name) or "import.csv")[:255], size=len(data),
                                  data=data, created_at=utcnow(),
                                  expires_at=utcnow() + timedelta(hours=hours)))
    return token


def _valid_token(token) -> bool:
    return bool(token) and 20 <= len(token) <= 60 and set(token) <= _TOKEN_CHARS


def stored_upload(user_id: int, token: str) -> bytes | None:
    """The file ``user_id`` uploaded under ``token``, or None (another user's, expired, gone, or
    a token we never made)."""
    if not _valid_token(token):
        return None
    return db.session.execute(select(StoredFile.data).where(
        StoredFile.token == token, StoredFile.user_fk == user_id,
        StoredFile.purpose == UPLOAD_PURPOSE, StoredFile.expires_at > utcnow())).scalar()


def has_upload(user_id: int, token: str) -> bool:
    """Whether the file is still there, without reading it."""
    if not _valid_token(token):
        return False
    return db.session.execute(select(StoredFile.id).where(
        StoredFile.token == token, StoredFile.user_fk == user_id,
        StoredFile.purpose == UPLOAD_PURPOSE, StoredFile.expires_at > utcnow())).first() is not None


def remove_upload(user_id: int, token: str) -> None:
    """Let an uploaded file go (its import is done)."""
    with write_transaction():
        db.session.execute(delete(StoredFile).where(StoredFile.token == token,
                                                    StoredFile.user_fk == user_id))


def remove_expired_uploads() -> int:
    """Forget uploaded files past their time (abandoned after the upload or the check)."""
    with write_transaction():
        result = db.session.execute(delete(StoredFile).where(StoredFile.expires_at <= utcnow()))
    return result.rowcount or 0


# -- starting a run ----------------------------------------------------------------------------


def start(user_id: int, file_name: str, token: str, encoding: str,
          columns: list[tuple[str, str]], key: str, dry_run: bool) -> ImportRun:
    """Record a dry run or import of an uploaded file and, in the same transaction, enqueue the
    task that carries it out. ``columns`` is the file's header with the field each column fills
    ("" for none), in file order. A mapping that cannot work is refused here, with
    ValidationError, before anything runs."""
    if not has_upload(user_id, token):
        raise ValidationError({"file": _("The uploaded file is no longer here; upload it again.")})
    importer.check_mapping([c for c, _f in columns], {c: f for c, f in columns}, key)
    with write_transaction():
        run = ImportRun(user_fk=user_id, file_name=(clean_text(file_name) or "import.csv")[:255],
                        upload_token=token, encoding=encoding,
                        mapping=[[c, f or ""] for c, f in columns], key=key, dry_run=dry_run,
                        status="queued", queued_at=utcnow(), heartbeat_at=utcnow())
        db.session.add(run)
        db.session.flush()
        enqueue("core.import.run", {"run_id": run.id}, key=f"import-run:{run.id}")
    return run


@task("core.import.run", max_attempts=3)
def run_task(run_id: int) -> None:
    """The background task of one recorded run."""
    execute(run_id)


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
    if run is None or run.status not in ACTIVE:
        return
    if run.status == "running" and not run.dry_run:
        # The worker doing it died and its task was taken again. Starting over would create
        # again every row that had no customer number or email to match it by: end the run
        # and say how far it got (a dry run saves nothing, so it simply starts over).
        done, total = run.rows_done, run.total_rows or 0
        db.session.rollback()
        _write_run(run_id, status="failed", finished_at=utcnow(),
                   message=_failure_message(False, done, total))
        return
    user_id, token, dry_run = run.user_fk, run.upload_token, run.dry_run
    encoding, key = run.encoding, run.key
    mapping = {column: field for column, field in run.mapping}
    db.session.rollback()  # end the read: the importer starts its own transactions
    _write_run(run_id, status="running", started_at=utcnow())
    done_so_far = 0
    total = 0
    try:
        data = stored_upload(user_id, token) if user_id is not None else None
        db.session.rollback()
        if data is None:
            raise ValidationError({"file": _("The uploaded file is no longer here; upload it "
                                             "again.")})
        csv_file = importer.read_csv(data, encoding)
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
                task_progress(done_so_far, total)
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
                       for e in result.errors[:REPORT_LIMIT]] + importer.kept_for_run(result))
    if not dry_run:
        # Imported: the file has served its purpose (importing it again starts from a new upload).
        remove_upload(user_id, token)


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
    return run.user_fk is not None and has_upload(run.user_fk, run.upload_token)
