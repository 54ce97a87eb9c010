"""The demo shop's rates, and the plugin's own migration branch."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa


def test_the_demo_shop_has_rates_and_a_few_customers_with_their_own(ctx):
    from core.sdk import db, plugin_host
    from core.services import demo
    from plugins.fxrates.models import ExchangeRate

    demo.load(12, seed=4242)

    owners = db.session.execute(sa.select(ExchangeRate.customer_id).distinct()).scalars().all()
    assert len([o for o in owners if o is not None]) == 3
    answer = plugin_host().hook.fx_rate(base="GBP", quote="EUR", on=date(2026, 2, 1),
                                        customer=None)
    assert answer == Decimal("1.1675")


def test_the_plugins_tables_match_its_models_after_migrating(ctx):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.sdk import Model, db

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Model.metadata)

    assert [d for d in differences if "fxrates" in repr(d)] == []


def test_the_branch_goes_down_and_up_again(ctx):
    from alembic import command

    from core import migrate
    from core.sdk import db

    config = migrate.alembic_config()
    db.session.remove()

    command.downgrade(config, "fxrates@base")
    assert "fxrates_rate" not in sa.inspect(db.engine).get_table_names()
    command.upgrade(config, "fxrates@head")

    assert "fxrates_rate" in sa.inspect(db.engine).get_table_names()
