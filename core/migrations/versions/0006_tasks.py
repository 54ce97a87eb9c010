"""background tasks and stored files

Revision ID: 0006_tasks
Revises: 0005_list_order_indexes

Work that outlives a request (emails, imports, recomputes) is a row in ``task``, enqueued in
the same transaction as the change that asks for it and taken by any ``regulars worker``.
Uploaded files waiting for that work live in ``stored_file``, where every worker can read them."""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006_tasks"
down_revision: Union[str, Sequence[str], None] = "0005_list_order_indexes"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("plugin", sa.String(length=60), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("locked_by", sa.String(length=120), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("progress_done", sa.Integer(), nullable=True),
        sa.Column("progress_total", sa.Integer(), nullable=True),
        sa.Column("progress_message", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_task_state_priority_run_at", "task", ["state", "priority", "run_at", "id"])
    op.create_index("ix_task_state_locked_until", "task", ["state", "locked_until"])
    op.create_table(
        "stored_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_fk", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_fk"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    op.create_index("ix_stored_file_expires_at", "stored_file", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_stored_file_expires_at", table_name="stored_file")
    op.drop_table("stored_file")
    op.drop_index("ix_task_state_locked_until", table_name="task")
    op.drop_index("ix_task_state_priority_run_at", table_name="task")
    op.drop_table("task")
