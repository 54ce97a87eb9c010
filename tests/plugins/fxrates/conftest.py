"""Factories for the FX rates plugin's tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def make_rate(app):
    """Add a rate through the service (the shop's, or a customer's with ``customer_id``) and
    return its id. Defaults: GBP → EUR at 1.1675 from 1 Jan 2026, open-ended."""

    def make(customer_id=None, **fields):
        from core.sdk import get_customer
        from plugins.fxrates import services

        data = {"base": "GBP", "quote": "EUR", "rate": "1.1675", "valid_from": "2026-01-01"}
        data.update(fields)
        with app.app_context():
            customer = get_customer(customer_id) if customer_id is not None else None
            return services.create(data, customer=customer).id

    return make


@pytest.fixture
def rate_row(app):
    """Read a rate back as a plain dict (None once it is gone)."""

    def read(rate_id):
        from core.sdk import NotFound
        from plugins.fxrates import services

        with app.app_context():
            try:
                rate = services.get(rate_id)
            except NotFound:
                return None
            return {"base": rate.base, "quote": rate.quote, "rate": rate.rate,
                    "valid_from": rate.valid_from, "valid_to": rate.valid_to,
                    "customer_id": rate.customer_id}

    return read
