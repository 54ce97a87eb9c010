"""Installed is not migrated: a plugin whose migrations are not at head (pip-installed, and
``regulars db upgrade`` not run yet) is not active, whatever its switch says, and says why;
``regulars db upgrade`` makes it active in every process. And a migration that names a revision
that does not exist is reported in one line naming the plugin, the file and the revision."""

from __future__ import annotations

import re
import textwrap
import types

import pytest
from sqlalchemy import inspect, text

from core.sdk import PluginInfo, hookimpl

PASSWORD = "correct horse battery staple"

MIGRATION = '''\
"""stamps: the stamps_card table"""
import sqlalchemy as sa
from alembic import op

revision = "0001_stamps"
down_revision = None
branch_labels = ("stamps",)
depends_on = "{depends_on}"


def upgrade():
    op.create_table("stamps_card", sa.Column("customer_id", sa.Integer(), primary_key=True),
                    sa.Column("stamps", sa.Integer(), nullable=False))


def downgrade():
    op.drop_table("stamps_card")
'''


def stamps_plugin(tmp_path, depends_on="0001_core"):
    """A plugin with its own table (one migration) whose form hook reads that table."""
    folder = tmp_path / "stamps_migrations"
    folder.mkdir(exist_ok=True)
    (folder / "0001_stamps.py").write_text(MIGRATION.format(depends_on=depends_on))
    module = types.ModuleType("throwaway_stamps")
    module.PLUGIN = PluginInfo(name="stamps", label="Stamps", version="1.0",
                               migrations=str(folder))

    def customer_form_initial(customer):
        from core.sdk import db

        stamps = db.session.execute(text("SELECT stamps FROM stamps_card WHERE customer_id = :c"),
                                    {"c": customer.id}).scalar()
        return {"stamps_count": stamps or 0}

    module.customer_form_initial = hookimpl(customer_form_initial)
    return module


def sign_in(app, username="admin"):
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def upgrade(app):
    from core.cli import upgrade_all

    with app.app_context():
        return upgrade_all()


def tables(app) -> list[str]:
    from core.db import db

    with app.app_context():
        db.engine.dispose()
        return inspect(db.engine).get_table_names()


def _first_cell(line: str) -> str | None:
    cells = re.split(r"[│|]", line)
    return cells[1].strip() if len(cells) > 2 else None


def plugins_list_row(app, name) -> str:
    """The plugin's row of ``regulars plugins list``, its cells' wrapped lines put together."""
    result = app.test_cli_runner().invoke(args=["regulars", "plugins", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if f" {name} " in line)
    end = start + 1
    while end < len(lines) and _first_cell(lines[end]) == "":  # its cells' wrapped lines
        end += 1
    return " ".join(re.sub(r"[│|\s]+", " ", line).strip() for line in lines[start:end])


@pytest.fixture
def hello_unmigrated(app, users, unmigrate):
    """Hello pip-installed but never upgraded: its revisions and its table are not there. The
    app returned is a process started after that."""
    unmigrate(app, "hello")
    return app


# -- before the upgrade ------------------------------------------------------------------------


def test_an_unmigrated_plugin_is_not_active(hello_unmigrated, make_app):
    host = make_app().extensions["regulars.plugins"]

    assert host.is_enabled("hello") and not host.is_active("hello")
    assert host.inactive_reason("hello") == "needs `regulars db upgrade`"


def test_the_edit_form_opens_while_a_plugin_waits_for_its_upgrade(hello_unmigrated, make_app,
                                                                  make_customer):
    customer_id = make_customer()
    client = sign_in(make_app())

    response = client.get(f"/customers/{customer_id}/edit")

    assert response.status_code == 200
    assert "hello_greeting" not in response.get_data(as_text=True)
    assert 'data-tab="hello"' not in client.get(f"/customers/{customer_id}").get_data(as_text=True)


def test_a_plugin_with_its_own_migration_is_inactive_until_upgraded(make_app, tmp_path, users,
                                                                    make_customer):
    customer_id = make_customer()
    app = make_app(extra_plugins=[stamps_plugin(tmp_path)])

    response = sign_in(app).get(f"/customers/{customer_id}/edit")

    assert response.status_code == 200  # not 500 "no such table: stamps_card"
    assert not app.extensions["regulars.plugins"].is_active("stamps")
    assert "stamps_card" not in tables(app)


def test_the_plugins_page_says_it_needs_an_upgrade(hello_unmigrated, make_app):
    page = sign_in(make_app()).get("/plugins/").get_data(as_text=True)

    row = page[page.index('id="plugin-hello"'):]
    row = row[:row.index("</tr>")]
    assert "needs `regulars db upgrade`" in row


def test_regulars_plugins_list_says_it_needs_an_upgrade(hello_unmigrated, make_app):
    row = plugins_list_row(make_app(), "hello")

    assert row.startswith("hello 1.0.0 yes no - needs `regulars db upgrade`")


def test_its_pages_answer_404_saying_an_upgrade_is_needed(hello_unmigrated, make_app):
    response = sign_in(make_app()).get("/hello/")

    assert response.status_code == 404
    assert "needs to run `regulars db upgrade`" in response.get_data(as_text=True)


def test_its_hooks_do_not_run_before_the_upgrade(hello_unmigrated, make_app, make_customer):
    from core.services import customers

    customer_id = make_customer()
    app = make_app()
    with app.app_context():
        badges = app.extensions["regulars.plugins"].collect(
            "customer_badges", customer=customers.get(customer_id))
        # Nor with the hooks that reach disabled plugins (its fields are merged, erased and
        # exported through them): it has no tables to act on.
        fields = app.extensions["regulars.plugins"].caller(
            "customer_fields", include_disabled=True).get_hookimpls()
        exporting = app.extensions["regulars.plugins"].caller(
            "customer_export", include_disabled=True).get_hookimpls()

    assert all(b.title != "Preferred greeting" for b in badges)
    assert "hello" not in [impl.plugin_name for impl in fields]
    assert "fxrates" in [impl.plugin_name for impl in exporting]


def test_erasing_goes_ahead_while_a_plugin_has_no_tables_yet(hello_unmigrated, make_app,
                                                             make_customer):
    from core.services import customers, privacy

    customer_id = make_customer()
    app = make_app()
    with app.app_context():
        privacy.erase(customers.get(customer_id))
        assert customers.get(customer_id).erased_at is not None


# -- the upgrade -----------------------------------------------------------------------------


def test_regulars_db_upgrade_makes_it_active_in_every_worker(hello_unmigrated, make_app):
    worker, other = make_app(), make_app()
    client = sign_in(other)
    assert client.get("/hello/").status_code == 404

    result = worker.test_cli_runner().invoke(args=["regulars", "db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert "hello_greeting" in tables(worker)
    assert worker.extensions["regulars.plugins"].is_active("hello")
    assert client.get("/hello/").status_code == 200  # the other process noticed


def test_upgrading_a_plugin_with_its_own_migration_makes_it_active(make_app, tmp_path, users,
                                                                   make_customer):
    customer_id = make_customer()
    app = make_app(extra_plugins=[stamps_plugin(tmp_path)])

    assert "stamps" in upgrade(app)

    assert "stamps_card" in tables(app)
    assert app.extensions["regulars.plugins"].is_active("stamps")
    assert sign_in(app).get(f"/customers/{customer_id}/edit").status_code == 200


def test_upgrade_now_on_the_plugins_page_makes_it_active(hello_unmigrated, make_app):
    app = make_app()
    client = sign_in(app)
    page = client.get("/plugins/").get_data(as_text=True)
    assert "Upgrade now" in page

    response = client.post("/plugins/hello/toggle", data={"enabled": "1"})

    assert response.status_code == 302
    assert app.extensions["regulars.plugins"].is_active("hello")
    assert client.get("/hello/").status_code == 200  # its permissions are written too


def test_a_disabled_plugin_whose_tables_exist_is_upgraded_too(make_app, tmp_path):
    """Its code must find the tables it expects when erase, merge or export call it."""
    from core.db import db
    from core.services import plugins

    first = make_app(extra_plugins=[stamps_plugin(tmp_path)])
    upgrade(first)
    with first.app_context():
        plugins.set_enabled("stamps", False)
    folder = tmp_path / "stamps_migrations"
    (folder / "0002_stamps.py").write_text(textwrap.dedent('''\
        import sqlalchemy as sa
        from alembic import op

        revision = "0002_stamps"
        down_revision = "0001_stamps"
        branch_labels = None
        depends_on = None


        def upgrade():
            op.add_column("stamps_card", sa.Column("note", sa.String(40), nullable=True))


        def downgrade():
            op.drop_column("stamps_card", "note")
        '''))
    later = make_app(extra_plugins=[stamps_plugin(tmp_path)])
    assert later.extensions["regulars.plugins"].migration_state("stamps") == "behind"

    assert "stamps" in upgrade(later)

    with later.app_context():
        db.engine.dispose()
        columns = [c["name"] for c in inspect(db.engine).get_columns("stamps_card")]
    assert "note" in columns
    assert not later.extensions["regulars.plugins"].is_enabled("stamps")


# -- broken migrations ---------------------------------------------------------------------


TYPO = ("migration 0001_stamps.py: depends_on '0001_cor' is not a known revision "
        "(did you mean '0001_core'?)")


def test_a_typo_in_depends_on_skips_the_plugin_naming_the_file_and_the_revision(make_app,
                                                                                tmp_path):
    app = make_app(extra_plugins=[stamps_plugin(tmp_path, depends_on="0001_cor")])

    host = app.extensions["regulars.plugins"]
    assert host.plugins["stamps"].error == f"its migrations cannot run: {TYPO}"
    assert not host.is_active("stamps")


def test_regulars_db_upgrade_ends_in_one_line_naming_the_plugin_and_the_file(make_app,
                                                                             tmp_path):
    app = make_app(extra_plugins=[stamps_plugin(tmp_path, depends_on="0001_cor")])

    result = app.test_cli_runner().invoke(args=["regulars", "db", "upgrade"],
                                          terminal_width=300)

    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"Error: Plugin stamps cannot be upgraded: {TYPO}")
    assert "stamps_card" not in tables(app)


def test_a_broken_plugin_does_not_hold_back_the_upgrade_of_the_core_and_the_others(
        hello_unmigrated, make_app, tmp_path):
    app = make_app(extra_plugins=[stamps_plugin(tmp_path, depends_on="0001_cor")])

    result = app.test_cli_runner().invoke(args=["regulars", "db", "upgrade"],
                                          terminal_width=300)

    assert result.exit_code == 1
    upgraded, error = result.output.strip().splitlines()
    assert upgraded.startswith("Upgraded: core, ") and "hello" in upgraded.split(", ")
    assert "stamps" not in upgraded
    assert error == f"Error: Plugin stamps cannot be upgraded: {TYPO}"
    assert "hello_greeting" in tables(app)
    host = app.extensions["regulars.plugins"]
    assert host.is_active("hello") and not host.is_active("stamps")


def test_a_plugin_with_a_typo_in_its_migration_cannot_be_enabled(make_app, tmp_path):
    from core.errors import ValidationError
    from core.services import plugins

    app = make_app(extra_plugins=[stamps_plugin(tmp_path, depends_on="0001_cor")])

    with app.app_context(), pytest.raises(ValidationError) as refused:
        plugins.set_enabled("stamps", True)

    assert TYPO in refused.value.errors["name"]


def test_a_disabled_plugin_with_a_typo_does_not_stop_the_upgrade(make_app, tmp_path):
    from core.services import plugins

    app = make_app(extra_plugins=[stamps_plugin(tmp_path, depends_on="0001_cor")])
    with app.app_context():
        plugins.set_enabled("stamps", False)

    result = app.test_cli_runner().invoke(args=["regulars", "db", "upgrade"])

    assert result.exit_code == 0, result.output


# -- the cost of noticing a change -----------------------------------------------------------


def test_a_request_after_a_plugin_change_elsewhere_reads_the_new_state_in_one_more_query(
        make_app, users):
    from sqlalchemy import event

    from core.db import db
    from core.services.plugins import set_enabled

    app, elsewhere = make_app(), make_app()
    client = sign_in(app)
    lookup = "/api/v1/customers/lookup?q="  # answered 422 before any search runs
    client.get(lookup)  # this process reads roles and plugin state once
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(
                ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    with elsewhere.app_context():
        set_enabled("hello", False)
    event.listen(engine, "before_cursor_execute", note)
    try:
        changed = client.get(lookup)
        after_change = list(seen)
        seen.clear()
        steady = client.get(lookup)
    finally:
        event.remove(engine, "before_cursor_execute", note)

    assert (changed.status_code, steady.status_code) == (422, 422)
    assert not app.extensions["regulars.plugins"].is_enabled("hello")  # noticed at once
    # The request's one query, then one statement for the enabled set and the migrations.
    assert len(after_change) == 2, after_change
    assert "plugin_state" in after_change[1] and "alembic_version" in after_change[1]
    assert len(seen) == 1, seen
