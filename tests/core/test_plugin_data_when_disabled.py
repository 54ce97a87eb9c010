"""A disabled plugin is hidden, not absent: erasing, merging and exporting a customer reach its
data too; and a plugin whose tables exist but which cannot run refuses erase and merge, naming
it, so nothing of the customer is left behind (the Hello example plugin here; FX rates in
tests/plugins/fxrates/test_disabled_data.py)."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest
from sqlalchemy import func, select, text

from core.errors import ValidationError

SAM = {"first_name": "Sam", "last_name": "Smith", "email": "sam@example.com"}
ALEX = {"first_name": "Alex", "last_name": "Smith", "email": "alex@example.com"}


def greeting_rows(app, customer_id=None) -> int:
    from core.db import db
    from regulars_hello.models import Greeting

    query = select(func.count()).select_from(Greeting)
    if customer_id is not None:
        query = query.where(Greeting.customer_id == customer_id)
    with app.app_context():
        return db.session.execute(query).scalar()


def greeted(app, data, greeting) -> int:
    from core.services import customers

    with app.app_context():
        return customers.create(dict(data), extra={"hello_greeting": greeting}).id


def erase(app, customer_id):
    from core.services import customers, privacy

    with app.app_context():
        privacy.erase(customers.get(customer_id))


def merge(app, keep, gone):
    from core.services import customers, merge as merging

    with app.app_context():
        merging.merge(customers.get(keep), customers.get(gone))


def export(app, customer_id) -> dict:
    from core.services import customers, exporter

    with app.app_context():
        return exporter.customer_data(customers.get(customer_id))


# -- a disabled plugin still obeys erase, merge and export ------------------------------------


def test_erasing_a_customer_clears_a_disabled_plugins_rows(app, disable_plugin):
    sam = greeted(app, SAM, "Morning, Sam!")
    alex = greeted(app, ALEX, "Hi Alex")
    disable_plugin("hello")
    assert greeting_rows(app, sam) == 1

    erase(app, sam)

    assert greeting_rows(app, sam) == 0
    assert greeting_rows(app, alex) == 1


def test_merging_moves_a_disabled_plugins_rows_to_the_survivor(app, disable_plugin):
    from core.db import db
    from regulars_hello.models import Greeting

    keep = greeted(app, SAM, "")
    gone = greeted(app, ALEX, "Hi Alex")
    disable_plugin("hello")

    merge(app, keep, gone)

    assert greeting_rows(app, gone) == 0
    with app.app_context():
        assert db.session.execute(select(Greeting.text).where(
            Greeting.customer_id == keep)).scalar() == "Hi Alex"


def test_the_export_keeps_a_disabled_plugins_fields(app, disable_plugin):
    sam = greeted(app, SAM, "Morning, Sam!")
    disable_plugin("hello")

    assert export(app, sam)["customer"]["hello_greeting"] == "Morning, Sam!"


def test_a_disabled_plugins_other_hooks_stay_silent(app, disable_plugin):
    sam = greeted(app, SAM, "Morning, Sam!")
    disable_plugin("hello")
    host = app.extensions["regulars.plugins"]

    with app.app_context():
        from core.services import customers

        badges = host.collect("customer_badges", customer=customers.get(sam))
        every_loaded = host.collect("customer_badges", include_disabled=True,
                                    customer=customers.get(sam))

    assert "Morning, Sam!" not in [b.label for b in badges]
    assert "Morning, Sam!" in [b.label for b in every_loaded]


def test_the_erase_screen_still_promises_plugins_erase_their_data(client_for, disable_plugin,
                                                                  app):
    sam = greeted(app, SAM, "Morning, Sam!")
    disable_plugin("hello")

    page = client_for("Admin").get(f"/customers/{sam}/erase").get_data(as_text=True)

    assert "Plugins erase their own data" in page
    assert "erase-error" not in page


# -- a plugin whose tables exist but which cannot run -----------------------------------------


@pytest.fixture
def hello_missing_a_setting(monkeypatch, make_app):
    """An app in which Hello, migrated already, cannot load: a required setting is missing."""
    from regulars_hello.plugin import PLUGIN

    monkeypatch.setattr(PLUGIN, "required_settings", ["api_key"])
    return make_app()


HELLO_LEFT_BEHIND = ("The plugin Hello could not be loaded (missing required settings: api_key): "
                     "its data of this customer would be left behind. Fix it, then try again.")


def test_erasing_is_refused_naming_a_plugin_that_cannot_load(app, hello_missing_a_setting):
    sam = greeted(app, SAM, "Morning, Sam!")
    broken = hello_missing_a_setting

    with pytest.raises(ValidationError) as refused:
        erase(broken, sam)

    assert refused.value.errors == {"_": HELLO_LEFT_BEHIND}
    assert greeting_rows(app, sam) == 1
    with app.app_context():
        from core.services import customers

        assert customers.get(sam).erased_at is None


def test_merging_is_refused_naming_a_plugin_that_cannot_load(app, hello_missing_a_setting,
                                                             load_customer):
    keep = greeted(app, SAM, "")
    gone = greeted(app, ALEX, "Hi Alex")

    with pytest.raises(ValidationError) as refused:
        merge(hello_missing_a_setting, keep, gone)

    assert refused.value.errors == {"_": HELLO_LEFT_BEHIND}
    assert load_customer(gone)["merged_into_id"] is None
    assert greeting_rows(app, gone) == 1


def test_the_erase_screen_says_why_it_cannot_erase_yet(app, hello_missing_a_setting, users):
    from core.testing import login

    sam = greeted(app, SAM, "Morning, Sam!")
    client = hello_missing_a_setting.test_client()
    login(client, "admin")

    page = client.get(f"/customers/{sam}/erase").get_data(as_text=True)

    assert "The plugin Hello could not be loaded (missing required settings: api_key)" in page


def test_the_export_says_a_plugin_that_cannot_load_is_missing(app, hello_missing_a_setting):
    sam = greeted(app, SAM, "Morning, Sam!")

    data = export(hello_missing_a_setting, sam)

    assert data["plugins"]["hello"] == {"error": (
        "The plugin Hello could not be loaded (missing required settings: api_key): its data "
        "is missing from this export.")}


def test_a_plugin_that_cannot_be_imported_refuses_erase_while_unknown_revisions_exist(
        app, make_app, monkeypatch):
    from core import plugins
    from core.db import db

    sam = greeted(app, SAM, "")
    real = plugins.entry_points

    def with_a_broken_one(group):
        found = list(real(group=group))
        return [*found, EntryPoint("stamps", "regulars_no_such_module.plugin", group)]

    monkeypatch.setattr(plugins, "entry_points", with_a_broken_one)
    with app.app_context():  # the tables of a plugin no loaded one knows
        db.session.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0001_stamps')"))
        db.session.commit()
    broken = make_app()

    with pytest.raises(ValidationError) as refused:
        erase(broken, sam)

    assert refused.value.errors["_"].startswith(
        "The plugin stamps could not be loaded (could not be imported: ModuleNotFoundError")


def test_a_plugin_that_cannot_be_imported_and_has_no_tables_refuses_nothing(app, make_app,
                                                                            monkeypatch):
    from core import plugins

    sam = greeted(app, SAM, "")
    real = plugins.entry_points
    monkeypatch.setattr(plugins, "entry_points", lambda group: [
        *real(group=group), EntryPoint("stamps", "regulars_no_such_module.plugin", group)])
    other = make_app()

    erase(other, sam)

    with other.app_context():
        from core.services import customers

        assert customers.get(sam).erased_at is not None
