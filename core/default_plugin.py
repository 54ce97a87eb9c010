"""The core's own contributions to the customer overview, made through the same hooks a
third-party plugin uses (so the core is the first proof of the contract)."""

from flask import url_for
from flask_babel import lazy_gettext as _l

from core.sdk import Badge, SummaryItem, Tab, hookimpl


@hookimpl
def customer_tabs(customer):
    return [
        Tab(key="details", label=str(_l("Details")), order=10,
            url=url_for("CustomerView.tab_details", customer_id=customer.id)),
        Tab(key="groups", label=str(_l("Groups")), order=20,
            url=url_for("CustomerView.tab_groups", customer_id=customer.id),
            badge=str(len(customer.groups)) if customer.groups else None),
    ]


@hookimpl
def customer_badges(customer):
    badges = []
    if not customer.is_active:
        badges.append(Badge(label=str(_l("Inactive")), style="default"))
    if customer.kind == "business":
        badges.append(Badge(label=str(_l("Business")), style="info"))
    return badges


@hookimpl
def customer_summary(customer):
    return [
        SummaryItem(label=str(_l("Registered")), value=customer.created_at.strftime("%d %b %Y"),
                    order=10),
    ]
