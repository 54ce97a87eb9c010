"""search speed: the digits people type, indexed on PostgreSQL

Revision ID: 0009_search_speed
Revises: 0008_sign_in

A till types the last four digits of a phone. Trigrams of digits ("000", "740"...) are common
to most documents, so the pg_trgm index answers such a search by reading most of the table.
PostgreSQL gets a second GIN index over each document's digit keys: every four digits in a row
("0007"), and, marked "e", the last four of a word ending in digits ("e0007"). A key is shared
by few customers, so four typed digits are one short posting list, and the customers whose
phone (or number) ends with them are found first. The keys are computed by an immutable SQL
function from the document itself: nothing to store, nothing for the code that writes
documents to keep in step. Building the index reads every document (about a minute at a
million customers).

SQLite needs nothing: its FTS5 trigram table matches digits well enough at a shop's size."""
from typing import Sequence, Union

from alembic import op

revision: str = "0009_search_speed"
down_revision: Union[str, Sequence[str], None] = "0008_sign_in"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# PARALLEL RESTRICTED: a query using the keys reads a few hundred rows, and starting parallel
# workers for it costs more than the whole query (PostgreSQL would otherwise choose them for
# the generic plan of a prepared search statement).
POSTGRESQL_UPGRADE = (
    r"""CREATE FUNCTION customer_search_digit_keys(document text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL RESTRICTED AS $$
SELECT pg_catalog.array_to_tsvector(coalesce(pg_catalog.array_agg(DISTINCT k), '{}'::text[]))
FROM (
    SELECT pg_catalog.substr(r[1], i, 4) AS k
    FROM pg_catalog.regexp_matches(document, '[0-9]{4,}', 'g') AS r,
         pg_catalog.generate_series(1, pg_catalog.length(r[1]) - 3) AS i
    UNION ALL
    SELECT 'e' || pg_catalog.right(r[1], 4)
    FROM pg_catalog.regexp_matches(document, '([0-9]{4,})(?=[[:space:]|]|$)', 'g') AS r
) AS keys
$$""",
    "CREATE INDEX ix_customer_search_digits ON customer_search "
    "USING gin (customer_search_digit_keys(document))",
    # the keys' statistics, so that the planner knows a rare key from a common one
    "ANALYZE customer_search",
)
POSTGRESQL_DOWNGRADE = (
    "DROP INDEX IF EXISTS ix_customer_search_digits",
    "DROP FUNCTION IF EXISTS customer_search_digit_keys(text)",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_DOWNGRADE:
            op.execute(statement)
