"""Customer imports run from the Import screen: one row per dry run or import, so the page can
show how far it got while the work goes on in the background, and the Runs list what was done."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from core.db import Model, utcnow


class ImportRun(Model):
    """One dry run or import of one uploaded file: who, what, how far, and the outcome.

    ``status`` goes queued -> running -> done or failed; ``heartbeat_at`` moves while the work
    is alive, so a run whose process died shows as interrupted instead of "running" forever.
    ``errors`` keeps the first problems only (see the service); the counts cover every row.
    It also keeps the file's columns kept for later (see ``kept_columns``), so what the import
    could not take yet is on record with the run."""

    __tablename__ = "import_run"

    id = Column(Integer, primary_key=True)
    user_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)
    file_name = Column(String(255), nullable=False)
    upload_token = Column(String(64), nullable=False)  # the uploaded file waiting (StoredFile.token)
    encoding = Column(String(20), nullable=False, default="auto")
    mapping = Column(JSON, nullable=False, default=list)  # [[column, field or ""], ...] in file order
    key = Column(String(10), nullable=False, default="number")
    dry_run = Column(Boolean, nullable=False, default=True)
    status = Column(String(12), nullable=False, default="queued")  # queued running done failed
    total_rows = Column(Integer, nullable=True)  # known once the file is read
    rows_done = Column(Integer, nullable=False, default=0)
    created = Column(Integer, nullable=False, default=0)
    updated = Column(Integer, nullable=False, default=0)
    unchanged = Column(Integer, nullable=False, default=0)
    failed_rows = Column(Integer, nullable=False, default=0)
    error_count = Column(Integer, nullable=False, default=0)
    errors = Column(JSON, nullable=False, default=list)  # [{"row", "column", "message"}, ...]
    message = Column(Text, nullable=True)  # why a run failed
    queued_at = Column(DateTime, nullable=False, default=utcnow)
    started_at = Column(DateTime, nullable=True)
    finished_at = Column(DateTime, nullable=True)
    heartbeat_at = Column(DateTime, nullable=False, default=utcnow)

    user = relationship("User")

    # The names the import report (regulars/import/_report.html) reads, as on ImportResult.
    @property
    def rows(self) -> int:
        return self.total_rows or 0

    @property
    def failed(self) -> int:
        return self.failed_rows

    @property
    def problems(self) -> list[dict]:
        """The rows' problems kept with the run (``errors`` also lists the columns kept for
        later, see ``kept_columns``)."""
        return [e for e in self.errors or () if "kept_for" not in e]

    @property
    def kept_columns(self) -> list[dict]:
        """Columns of the file kept for later: {"column", "kept_for", "filled", "message"}."""
        return [e for e in self.errors or () if "kept_for" in e]

    __table_args__ = (Index("ix_import_run_user_queued", "user_fk", "queued_at"),)
