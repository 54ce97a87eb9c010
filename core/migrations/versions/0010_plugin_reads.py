"""plugin reads: who a task runs for, and birthdays found by index

Revision ID: 0010_plugin_reads
Revises: 0009_search_speed

A task remembers the user who enqueued it (``task.actor_fk``, None for the system), so the
worker can act as that user while it runs it. The customers whose birthday falls in a window
(a daily birthday job) are found by an index on the month and day of ``date_of_birth``, written
in each database's own SQL, exactly as ``core.db.month_day`` writes it in queries."""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010_plugin_reads"
down_revision: Union[str, Sequence[str], None] = "0009_search_speed"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIRTHDAY = {
    "sqlite": "CAST(strftime('%m%d', date_of_birth) AS INTEGER)",
    "postgresql": "CAST(EXTRACT(MONTH FROM date_of_birth) * 100 + EXTRACT(DAY FROM date_of_birth)"
                  " AS INTEGER)",
}


def upgrade() -> None:
    with op.batch_alter_table("task") as batch:
        batch.add_column(sa.Column("actor_fk", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_task_actor", "ab_user", ["actor_fk"], ["id"],
                                 ondelete="SET NULL")
    dialect = op.get_bind().dialect.name
    if dialect in BIRTHDAY:
        op.execute(f"CREATE INDEX ix_customer_birthday ON customer ({BIRTHDAY[dialect]})")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_customer_birthday")
    with op.batch_alter_table("task") as batch:
        batch.drop_constraint("fk_task_actor", type_="foreignkey")
        batch.drop_column("actor_fk")
