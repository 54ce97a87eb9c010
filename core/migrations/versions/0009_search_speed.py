"""search speed: the digits people type, indexed on PostgreSQL

Revision ID: 0009_search_speed
Revises: 0008_sign_in

A till types the last four digits of a phone. Trigrams of digits ("000", "740"...) are common
to most documents, so the pg_trgm index answers such a search by reading most of the table.
PostgreSQL gets the document's digit keys beside it, with a GIN index: every four digits in a
row ("0007"), and, marked "e", the last four of a word ending in digits ("e0007"). Most keys
are shared by few customers, so four typed digits read one short list, and the customers whose
phone (or number) ends with them are found first. The keys are a generated column, computed
by PostgreSQL from the document whenever it is written: nothing for the code that writes
documents to keep in step, and a key common to most customers ("0740" of every 07400 number)
is checked row by row as cheaply as the text. Like the trigram index, the column is
PostgreSQL's own and not part of the model. Adding it rewrites customer_search (about a
minute at a million customers).

SQLite needs nothing: its FTS5 trigram table matches digits well enough at a shop's size."""
from typing import Sequence, Union

from alembic import op

revision: str = "0009_search_speed"
down_revision: Union[str, Sequence[str], None] = "0008_sign_in"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

POSTGRESQL_UPGRADE = (
    # Each run of four digits or more: its four-digit windows, and "e" and its last four
    # digits when a space, a bar or the end follows it (the end of a word of the document).
    # OR REPLACE: like the pg_trgm extension, the function outlives a shop's dropped tables.
    r"""CREATE OR REPLACE FUNCTION customer_search_digit_keys(document text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT pg_catalog.array_to_tsvector(ARRAY(
    SELECT CASE WHEN i = 0 THEN 'e' || pg_catalog.right(r[1], 4)
                ELSE pg_catalog.substr(r[1], i, 4) END
    FROM pg_catalog.regexp_matches(document, '([0-9]{4,})([^0-9]|$)', 'g') AS r,
         pg_catalog.generate_series(CASE WHEN r[2] IN ('', ' ', '|') THEN 0 ELSE 1 END,
                                    pg_catalog.length(r[1]) - 3) AS i))
$$""",
    "ALTER TABLE customer_search ADD COLUMN digit_keys tsvector "
    "GENERATED ALWAYS AS (customer_search_digit_keys(document)) STORED",
    "CREATE INDEX ix_customer_search_digit_keys ON customer_search USING gin (digit_keys)",
    # the keys' statistics, so that the planner tells a rare key from a common one
    "ANALYZE customer_search",
)
POSTGRESQL_DOWNGRADE = (
    "DROP INDEX IF EXISTS ix_customer_search_digit_keys",
    "ALTER TABLE customer_search DROP COLUMN IF EXISTS digit_keys",
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
