"""plugin reads: who a task runs for, and birthdays found by index

Revision ID: 0010_plugin_reads
Revises: 0009_search_speed

A task remembers the user who enqueued it (``task.actor_fk``, None for the system), so the
worker can act as that user while it runs it. The customers whose birthday falls in a window
(a daily birthday job) are found by an index on the month and day of ``date_of_birth``: the
expression is ``core.db.month_day`` itself, so the index is written in exactly the SQL that
queries use (otherwise the database would not use it). On PostgreSQL it is built CONCURRENTLY,
outside the migration's transaction, so a big customer table stays writable meanwhile."""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010_plugin_reads"
down_revision: Union[str, Sequence[str], None] = "0009_search_speed"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    from core.db import month_day

    birthday = month_day(sa.column("date_of_birth"))
    if op.get_bind().dialect.name == "postgresql":
        # First, so that nothing of this revision is committed before it: the autocommit
        # block commits the migrations run so far. A build that failed half-way leaves an
        # invalid index behind, which is dropped and built again when the upgrade is re-run.
        with op.get_context().autocommit_block():
            op.drop_index("ix_customer_birthday", table_name="customer",
                          postgresql_concurrently=True, if_exists=True)
            op.create_index("ix_customer_birthday", "customer", [birthday],
                            postgresql_concurrently=True)
    else:
        op.create_index("ix_customer_birthday", "customer", [birthday])
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("actor_fk", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_task_actor", "ab_user", ["actor_fk"], ["id"],
                                 ondelete="SET NULL")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_customer_birthday")
    with op.batch_alter_table("task") as batch:
        batch.drop_constraint("fk_task_actor", type_="foreignkey")
        batch.drop_column("actor_fk")
