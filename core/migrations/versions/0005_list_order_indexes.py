"""customer list order indexes

Revision ID: 0005_list_order_indexes
Revises: 0004_import_runs

The customer list shows active customers by default, sorted by name, number or creation. With
the status in front of each sort order, a page (even one jumped to deep in a large shop) reads
one index range instead of visiting every earlier customer's row to check its status."""
from typing import Sequence, Union

from alembic import op

revision: str = "0005_list_order_indexes"
down_revision: Union[str, Sequence[str], None] = "0004_import_runs"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEXES = {
    "ix_customer_status_sort_key": ["status", "sort_key", "id"],
    "ix_customer_status_number": ["status", "number", "id"],
    "ix_customer_status_id": ["status", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "customer", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="customer")
