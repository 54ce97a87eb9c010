"""The core's own contributions to the customer overview, made through the same hooks a
third-party plugin uses (so the core is the first proof of the contract)."""

from flask import has_request_context, request, url_for
from flask_babel import lazy_gettext as _l

from core.api import idempotency
from core.sdk import Action, Badge, SummaryItem, Tab, hookimpl
from core.services import duplicates, sign_in_throttle


@hookimpl
def customer_tabs(customer):
    return [
        Tab(key="details", label=str(_l("Details")), order=10,
            url=url_for("CustomerView.tab_details", customer_id=customer.id)),
        Tab(key="groups", label=str(_l("Groups")), order=20,
            url=url_for("CustomerView.tab_groups", customer_id=customer.id),
            badge=str(len(customer.groups)) if customer.groups else None),
        Tab(key="activity", label=str(_l("Activity")), order=30,
            url=url_for("CustomerHistoryView.tab_activity", customer_id=customer.id,
                        **_tab_state("activity", ("kind", "since", "until", "cursor"))),
            permission=("can_show", "CustomerHistoryView")),
        Tab(key="history", label=str(_l("History")), order=90,
            url=url_for("CustomerHistoryView.tab_history", customer_id=customer.id,
                        **_tab_state("history", ("field", "action", "cursor"))),
            permission=("can_show", "CustomerHistoryView")),
    ]


def _tab_state(key, names):
    """The filters and page of the open tab, read from the overview's own URL
    (?tab=activity&kind=call), so a filtered or paged tab can be bookmarked and reloaded."""
    if not has_request_context() or request.args.get("tab") != key:
        return {}
    return {name: request.args[name][:100] for name in names if request.args.get(name)}


@hookimpl
def customer_badges(customer):
    badges = []
    if customer.erased_at is not None:
        badges.append(Badge(label=str(_l("Erased")), style="default"))
    elif not customer.is_active:
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


@hookimpl
def register_jobs(scheduler):
    # Nightly, when the tills are quiet: the scan writes in short batches all the same.
    scheduler.add_job(duplicates.scan_job, "cron", hour=3, minute=15, id="core.scan_duplicates")
    # Daily, after the scan: a till retries within minutes, so old answers only take up room.
    scheduler.add_job(idempotency.forget_expired_job, "cron", hour=3, minute=45,
                      id="core.forget_idempotency_keys")
    # Hourly: uploads abandoned after their check expire within a day; finished tasks are kept
    # a week for the Background tasks screen, failed ones until someone deals with them; ended
    # sign-ins a month, for the users' screen.
    scheduler.add_job(_tidy_up, "cron", minute=20, id="core.tidy_tasks")
    # Hourly: failed sign-ins nobody has added to for an hour no longer slow anyone down.
    scheduler.add_job(sign_in_throttle.forget_old, "cron", minute=35,
                      id="core.forget_sign_in_failures")


def _tidy_up():
    from flask import current_app

    from core import tasks
    from core.services import import_runs, sign_in

    import_runs.remove_expired_uploads()
    tasks.purge(int(current_app.config.get("TASKS_KEEP_DAYS", 7)))
    sign_in.purge(int(current_app.config.get("SIGN_IN_KEEP_DAYS", 30)))


@hookimpl
def customer_actions(customer):
    actions = [Action(label=str(_l("Export data")), icon="fa-download",
                      url=url_for("PrivacyView.export_json", customer_id=customer.id),
                      permission=("can_export", "CustomerPrivacy"))]
    if customer.erased_at is None:
        actions.append(Action(label=str(_l("Erase personal data")), icon="fa-eraser",
                              url=url_for("PrivacyView.erase", customer_id=customer.id),
                              permission=("can_erase", "CustomerPrivacy"), style="danger"))
    return actions


# -- the customer's emails follow the record ---------------------------------------------------


@hookimpl
def customer_merging(survivor, merged):
    from core.services import email

    email.move_messages(survivor, merged)


@hookimpl
def customer_erasing(customer):
    from core.services import email

    email.erase_messages(customer)


@hookimpl
def customer_export(customer):
    from core.services import email

    return email.export_messages(customer)
