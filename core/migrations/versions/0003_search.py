"""customer search index

Revision ID: 0003_search
Revises: 0002_record

One folded document per customer in ``customer_search`` (portable), indexed the dialect's own
way: an FTS5 trigram table over it on SQLite (external content, kept in step by
core/services/search.py), a pg_trgm GIN index on PostgreSQL. Existing customers are indexed here, so an upgraded shop finds
them at once."""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003_search"
down_revision: Union[str, Sequence[str], None] = "0002_record"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE customer_search_fts USING fts5("
    "document, content='customer_search', content_rowid='customer_id', tokenize='trigram')",
)
POSTGRESQL_INDEX = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_customer_search_document_trgm ON customer_search "
    "USING gin (document gin_trgm_ops)",
)


def upgrade() -> None:
    op.create_table(
        "customer_search",
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_INDEX if dialect == "sqlite" else POSTGRESQL_INDEX:
        op.execute(statement)
    from core.services.search import index_all_customers

    index_all_customers(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS customer_search_fts")
    op.drop_table("customer_search")
