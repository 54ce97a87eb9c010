"""Switched off, FX rates is hidden, not absent: a customer's agreed rates still follow a merge,
still go out in their export, and an erasure still asks the plugin (which keeps the rates: an
agreed exchange rate is a commercial term, not personal data)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from core.services.plugins import set_enabled


def customer_rates(app, customer_id) -> int:
    from core.db import db
    from plugins.fxrates.models import ExchangeRate

    with app.app_context():
        return db.session.execute(select(func.count()).select_from(ExchangeRate).where(
            ExchangeRate.customer_id == customer_id)).scalar()


def test_merging_moves_the_agreed_rates_while_the_plugin_is_off(app, make_customer, make_rate):
    from core.services import customers, merge

    keep, gone = make_customer(), make_customer()
    make_rate(customer_id=gone, rate="1.18")
    with app.app_context():
        set_enabled("fxrates", False)
    assert (customer_rates(app, keep), customer_rates(app, gone)) == (0, 1)

    with app.app_context():
        merge.merge(customers.get(keep), customers.get(gone))

    assert (customer_rates(app, keep), customer_rates(app, gone)) == (1, 0)


def test_the_export_has_the_rates_section_while_the_plugin_is_off(app, make_customer, make_rate):
    from core.services import customers, exporter

    customer_id = make_customer()
    make_rate(customer_id=customer_id, rate="1.18")
    with app.app_context():
        set_enabled("fxrates", False)
        data = exporter.customer_data(customers.get(customer_id))

    rates = data["plugins"]["fxrates"]["rates"]
    assert [Decimal(r["rate"]) for r in rates] == [Decimal("1.18")]


def test_erasing_asks_the_plugin_while_it_is_off_and_it_keeps_the_rates(app, make_customer,
                                                                        make_rate, monkeypatch):
    from core.services import customers, privacy

    customer_id = make_customer()
    make_rate(customer_id=customer_id)
    asked = []
    host = app.extensions["regulars.plugins"]
    impl = next(i for i in host.pm.hook.customer_erasing.get_hookimpls()
                if i.plugin_name == "fxrates")
    real = impl.function
    monkeypatch.setattr(impl, "function", lambda customer: asked.append(customer.id) or real(
        customer))
    with app.app_context():
        set_enabled("fxrates", False)
        privacy.erase(customers.get(customer_id))

    assert asked == [customer_id]
    assert customer_rates(app, customer_id) == 1
