"""sign-in: server-side sessions, login throttling

Revision ID: 0008_sign_in
Revises: 0007_email
"""
from typing import Sequence, Union

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0008_sign_in"
down_revision: Union[str, Sequence[str], None] = "0007_email"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Failed sign-ins per account and per address (the login throttle), seen by every worker.
    op.create_table(
        "sign_in_failures",
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key"),
    )
    op.create_index("ix_sign_in_failures_last_failure_at", "sign_in_failures",
                    ["last_failure_at"])
    # Browser sign-ins kept on the server, and each user's API-token generation.
    op.create_table(
        "sign_in_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("user_agent", sa.String(length=255), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sign_in_session_user", "sign_in_session", ["user_id", "ended_at"])
    op.create_table(
        "sign_in_token_generation",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    # The version every worker's cache of roles and permissions is keyed by.
    settings_version = sa.table("settings_version", sa.column("key", sa.String),
                                sa.column("version", sa.Integer))
    op.bulk_insert(settings_version, [{"key": "access", "version": 0}])


def downgrade() -> None:
    op.execute("DELETE FROM settings_version WHERE key = 'access'")
    op.drop_table("sign_in_token_generation")
    op.drop_index("ix_sign_in_session_user", table_name="sign_in_session")
    op.drop_table("sign_in_session")
    op.drop_index("ix_sign_in_failures_last_failure_at", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
