"""hello: drop hello_greeting.updated_at, so a greeting's row holds the greeting alone and goes
when the greeting is emptied or erased. The next revision of the branch: no branch_labels."""
import sqlalchemy as sa
from alembic import op

revision = "0002_hello"
down_revision = "0001_hello"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hello_greeting") as table:  # batch: SQLite rebuilds the table
        table.drop_column("updated_at")


def downgrade() -> None:
    with op.batch_alter_table("hello_greeting") as table:
        table.add_column(sa.Column("updated_at", sa.DateTime(), nullable=False,
                                   server_default=sa.func.current_timestamp()))
