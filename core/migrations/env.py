"""Alembic environment: runs inside the Flask app context and uses the app's engine."""

from alembic import context
from flask import current_app

import core.models  # noqa: F401
from core.db import Model, db

config = context.config


def include_object(obj, name, type_, reflected, compare_to):
    # Tables of plugins that are not loaded belong to no metadata here; leave them alone.
    if type_ == "table" and reflected and compare_to is None:
        return False
    # The search index's dialect-specific half (migration 0003_search), which no model describes:
    # SQLite's FTS5 table with its shadow tables, PostgreSQL's GIN trigram index.
    if type_ == "table" and name.startswith("customer_search_fts"):
        return False
    if type_ == "index" and name == "ix_customer_search_document_trgm":
        return False
    return True


def run_migrations_online():
    engine = db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Model.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=current_app.config["SQLALCHEMY_DATABASE_URI"],
                      target_metadata=Model.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
