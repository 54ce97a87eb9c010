"""Rates keep every one of their digits, whichever way they were entered, on SQLite as on
PostgreSQL; and a shop's rates saved before rates were exact on SQLite survive the upgrade."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

LONG_RATE = "123456789.1234567891"  # 19 significant digits: more than a float keeps


def test_a_long_rate_added_through_the_service_comes_back_exactly(ctx):
    from core.sdk import db
    from plugins.fxrates import services

    rate = services.create({"base": "GBP", "quote": "IDR", "rate": LONG_RATE,
                            "valid_from": "2026-01-01"})
    db.session.expire_all()  # read it from the database, not from the session's memory

    assert services.get(rate.id).rate == Decimal(LONG_RATE)


def test_a_long_rate_typed_on_the_screen_is_shown_exactly(admin_client):
    response = admin_client.post("/fxrates/add", data={
        "base": "GBP", "quote": "IDR", "rate": LONG_RATE, "valid_from": "2026-01-01",
        "valid_to": ""})

    page = admin_client.get("/fxrates/").get_data(as_text=True)
    assert response.status_code == 302
    assert f"<strong>{LONG_RATE}</strong>" in page


def test_a_long_rate_sent_to_the_api_comes_back_exactly(app, api_token):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token('Admin')}"}

    created = client.post("/api/v1/fxrates/", headers=headers, json={
        "base": "GBP", "quote": "IDR", "rate": LONG_RATE, "valid_from": "2026-01-01"})
    listed = client.get("/api/v1/fxrates/", headers=headers).get_json()
    asked = client.get("/api/v1/fxrates/rate?base=GBP&quote=IDR&on=2026-02-01",
                       headers=headers).get_json()

    assert created.status_code == 201, created.get_json()
    assert [r["rate"] for r in listed["result"]] == [LONG_RATE]
    assert asked["rate"] == LONG_RATE


def test_a_long_rate_sent_as_a_json_number_comes_back_exactly(app, api_token):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token('Admin')}",
               "Content-Type": "application/json"}
    body = ('{"base": "GBP", "quote": "IDR", "rate": %s, "valid_from": "2026-01-01"}'
            % LONG_RATE)

    created = client.post("/api/v1/fxrates/", headers=headers, data=body)

    assert created.status_code == 201, created.get_json()
    assert created.get_json()["result"]["rate"] == LONG_RATE


def test_a_rate_too_large_to_keep_exactly_is_refused_by_the_api(app, api_token):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token('Admin')}"}

    response = client.post("/api/v1/fxrates/", headers=headers, json={
        "base": "GBP", "quote": "IRR", "rate": "1234567890.1234567891",
        "valid_from": "2026-01-01"})

    assert response.status_code == 422
    assert response.get_json()["errors"] == {"rate": "The rate must be less than 900,000,000."}
    assert client.get("/api/v1/fxrates/", headers=headers).get_json()["count"] == 0


# -- the upgrade of a shop's existing rates ------------------------------------------------

# What the plugin's first revision stored: NUMERIC(20, 10), which SQLAlchemy hands to SQLite as a
# float. Rates of at most 15 significant digits, as the plugin then accepted.
OLD_RATES = ["1.1675", "190.25", "21345.1234567891", "123456789.123456", "0.0000000001",
             "9999999.99"]
old_rate_table = sa.table(
    "fxrates_rate", sa.column("id", sa.Integer), sa.column("base", sa.String),
    sa.column("quote", sa.String), sa.column("rate", sa.Numeric(20, 10)),
    sa.column("valid_from", sa.Date), sa.column("created_at", sa.DateTime),
    sa.column("updated_at", sa.DateTime))


def at_first_revision(ctx, rates) -> list[int]:
    """Take the plugin's branch back to its first revision and save ``rates`` as it did."""
    from alembic import command

    from core import migrate
    from core.sdk import db

    db.session.remove()
    command.downgrade(migrate.alembic_config(), "0001_fxrates")
    now = datetime(2026, 1, 1)
    with db.engine.begin() as conn:
        for number, rate in enumerate(rates, start=1):
            conn.execute(old_rate_table.insert().values(
                id=number, base="GBP", quote=f"X{number:02d}"[:3], rate=Decimal(rate),
                valid_from=date(2026, 1, 1), created_at=now, updated_at=now))
    return list(range(1, len(rates) + 1))


def upgrade_the_plugin():
    from alembic import command

    from core import migrate

    command.upgrade(migrate.alembic_config(), "fxrates@head")


def test_rates_saved_before_the_upgrade_read_back_as_the_same_decimals(ctx):
    from core.sdk import db
    from plugins.fxrates import services

    ids = at_first_revision(ctx, OLD_RATES)

    upgrade_the_plugin()

    db.session.remove()
    assert [services.get(i).rate for i in ids] == [Decimal(r) for r in OLD_RATES]


def test_after_the_upgrade_rates_still_compare_in_sql(ctx):
    from core.sdk import db
    from plugins.fxrates.models import ExchangeRate

    at_first_revision(ctx, OLD_RATES)

    upgrade_the_plugin()

    db.session.remove()
    above = db.session.execute(sa.select(ExchangeRate.rate).where(
        ExchangeRate.rate > Decimal("190.25")).order_by(ExchangeRate.rate)).scalars().all()
    assert above == [Decimal("21345.1234567891"), Decimal("9999999.99"),
                     Decimal("123456789.123456")]


@pytest.mark.sqlite_only
def test_the_upgrade_stores_rates_as_scaled_integers_on_sqlite(ctx):
    from core.sdk import db

    at_first_revision(ctx, ["1.1675"])

    upgrade_the_plugin()

    with db.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT rate, typeof(rate) FROM fxrates_rate")).one()
    assert tuple(stored) == (11675000000, "integer")


@pytest.mark.sqlite_only
def test_the_upgrade_keeps_the_rules_of_the_table(ctx):
    from core.sdk import db

    at_first_revision(ctx, [])

    upgrade_the_plugin()

    with db.engine.connect() as conn:
        table_sql = conn.execute(sa.text(
            "SELECT sql FROM sqlite_master WHERE name = 'fxrates_rate'")).scalar_one()
        indexes = set(conn.execute(sa.text(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'fxrates_rate'"
        )).scalars())
    assert "ck_fxrates_rate_positive" in table_sql and "ck_fxrates_rate_period" in table_sql
    assert "REFERENCES customer" in table_sql
    assert {"ix_fxrates_rate_pair", "ix_fxrates_rate_customer"} <= indexes


@pytest.mark.sqlite_only
def test_a_rate_too_large_to_keep_exactly_stops_the_upgrade_and_names_the_rate(ctx):
    from core.sdk import db

    at_first_revision(ctx, ["1.1675", "5000000000"])

    with pytest.raises(RuntimeError, match=r"id 2 \(5000000000\)"):
        upgrade_the_plugin()

    db.session.remove()
    with db.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT rate FROM fxrates_rate ORDER BY id")).scalars().all()
    assert stored == [1.1675, 5000000000]


@pytest.mark.sqlite_only
def test_downgrading_gives_the_old_schema_its_floats_back(ctx):
    from alembic import command

    from core import migrate
    from core.sdk import db

    at_first_revision(ctx, ["1.1675", "190.25"])
    upgrade_the_plugin()

    command.downgrade(migrate.alembic_config(), "0001_fxrates")

    with db.engine.connect() as conn:
        stored = conn.execute(sa.text(
            "SELECT rate, typeof(rate) FROM fxrates_rate ORDER BY id")).all()
    assert [tuple(r) for r in stored] == [(1.1675, "real"), (190.25, "real")]
