"""The schema comes from Alembic migrations, never from create_all: upgrading an empty database
gives exactly the tables the models describe, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

CORE_TABLES = {"customer", "customer_group", "customer_group_member", "number_sequence",
               "plugin_state", "settings_version"}


def is_core_table(name: str) -> bool:
    return name in CORE_TABLES or name.startswith("ab_")


@pytest.fixture
def empty_database(database_url):
    """This test's database with every table dropped, as on a shop's first start."""
    engine = sa.create_engine(database_url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
    with engine.begin() as conn:
        assert sa.inspect(conn).get_table_names() == []
    engine.dispose()
    return database_url


def differences(op) -> set[str]:
    """The core table each autogenerate difference belongs to (modifications come as lists)."""
    if isinstance(op, list):
        return set().union(*(differences(o) for o in op))
    kind, *details = op
    if kind in ("add_table", "remove_table"):
        return {details[0].name}
    if kind in ("add_index", "remove_index"):
        return {details[0].table.name}
    if kind in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        return {details[0].table.name}
    if kind in ("add_column", "remove_column"):
        return {details[1]}
    if kind.startswith("modify_"):
        return {details[1]}
    return {f"?{kind}"}


def test_upgrading_an_empty_database_builds_the_schema_the_models_describe(
        make_app, empty_database):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.cli import upgrade_all
    from core.db import Model, db

    app = make_app()
    with app.app_context():
        upgrade_all()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    Model.metadata)

    core_diff = [op for op in diff if any(is_core_table(t) for t in differences(op))]
    assert core_diff == []


def test_upgrade_creates_every_core_table(make_app, empty_database):
    from core.cli import upgrade_all
    from core.db import db

    app = make_app()
    with app.app_context():
        upgrade_all()
        tables = set(sa.inspect(db.engine).get_table_names())

    assert CORE_TABLES <= tables


def test_regulars_db_upgrade_can_run_again_without_changing_anything(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["regulars", "db", "upgrade"])
    before = snapshot(app)

    again = runner.invoke(args=["regulars", "db", "upgrade"])

    assert (first.exit_code, again.exit_code) == (0, 0), again.output
    assert snapshot(app) == before


def test_regulars_db_upgrade_writes_the_built_in_roles(app):
    result = app.test_cli_runner().invoke(args=["regulars", "db", "upgrade"])

    with app.app_context():
        roles = {r.name for r in app.appbuilder.sm.get_all_roles()}
    assert result.exit_code == 0
    assert {"Admin", "Manager", "Cashier", "Accounts", "ReadOnly"} <= roles


def snapshot(app):
    """The migration versions, roles and permissions a database holds."""
    from core.db import db

    with app.app_context():
        conn = db.session.connection()
        versions = sorted(
            conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
        grants = sorted(tuple(r) for r in conn.execute(sa.text(
            "SELECT r.name, p.name, v.name FROM ab_permission_view_role pvr "
            "JOIN ab_role r ON r.id = pvr.role_id "
            "JOIN ab_permission_view pv ON pv.id = pvr.permission_view_id "
            "JOIN ab_permission p ON p.id = pv.permission_id "
            "JOIN ab_view_menu v ON v.id = pv.view_menu_id")).all())
        db.session.remove()
    return versions, grants


def test_regulars_setup_says_where_the_shop_will_answer_and_how_to_sign_in(app):
    result = app.test_cli_runner().invoke(
        args=["regulars", "setup", "--url", "http://127.0.0.1:5055"])

    assert result.exit_code == 0, result.output
    assert "Regulars is ready at http://127.0.0.1:5055" in result.output
    assert "(log in as admin / admin)" in result.output


def test_the_birthday_index_is_built_without_blocking_writes_and_as_queries_write_it(
        make_app, empty_database):
    from sqlalchemy import event

    from core.cli import upgrade_all
    from core.db import db, month_day

    app = make_app()
    with app.app_context():
        engine = db.engine
        built = []

        def note(conn, cursor, statement, parameters, context, executemany):
            if statement.startswith("CREATE INDEX") and "ix_customer_birthday" in statement:
                built.append(statement)

        event.listen(engine, "before_cursor_execute", note)
        try:
            upgrade_all()
        finally:
            event.remove(engine, "before_cursor_execute", note)
        queried = str(month_day(sa.column("date_of_birth")).compile(dialect=engine.dialect))

    assert len(built) == 1, built
    assert queried in built[0]  # the very SQL a query writes, or the index would go unused
    if engine.dialect.name == "postgresql":
        # PostgreSQL refuses CONCURRENTLY inside a transaction: it ran on its own.
        assert "CREATE INDEX CONCURRENTLY" in built[0]
