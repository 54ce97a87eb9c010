"""hello: the hello_greeting table

The first revision of the plugin's own Alembic branch: labelled "hello", with no parent in
its branch, and depending on the core revision that created the customer table.

Revision ID: 0001_hello
Revises:
Create Date: 2026-11-24 03:33:19

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001_hello"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = ("hello",)
depends_on: Union[str, Sequence[str], None] = "0001_core"


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
