"""hello: the hello_greeting table. The first revision of the plugin's Alembic branch "hello",
after the core revision that created the customer table."""
import sqlalchemy as sa
from alembic import op

revision = "0001_hello"
down_revision = None
branch_labels = ("hello",)
depends_on = "0001_core"


def upgrade() -> None:
    op.create_table(
        "hello_greeting",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=60), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id"),
    )


def downgrade() -> None:
    op.drop_table("hello_greeting")
