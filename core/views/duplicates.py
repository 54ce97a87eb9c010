"""The Duplicates screen (pairs found by the scan, scored and explained) and the side-by-side
merge screen. Thin: parse, call core.services.duplicates / merge, render."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.crypto import mask
from core.errors import NotFound, ValidationError
from core.models import CustomerType
from core.services import contributions
from core.services import customers as customer_service
from core.services import duplicates as duplicate_service
from core.services import merge as merge_service
from core.services import plugin_fields
from core.services.history import SENSITIVE
from core.views.common import allowed, int_arg

FIELD_LABELS = {
    "kind": _l("Type"), "first_name": _l("First name"), "last_name": _l("Last name"),
    "company_name": _l("Company"), "email": _l("Email"), "phone": _l("Phone"),
    "date_of_birth": _l("Date of birth"), "tax_id": _l("Tax ID / VAT number"),
    "tax_country": _l("Tax country"), "registration_number": _l("Registration number"),
    "business_type": _l("Business type"), "industry": _l("Industry"),
    "payment_terms": _l("Payment terms (days)"), "driver_licence": _l("Driver's licence"),
    "national_id": _l("ID / SSN"), "language": _l("Language"), "currency": _l("Currency"),
    "contact_email": _l("Email allowed"), "contact_sms": _l("SMS allowed"),
    "contact_phone": _l("Calls allowed"), "contact_post": _l("Post allowed"),
    "go_green": _l("Go Green"), "segment_id": _l("Segment"), "reseller_id": _l("Reseller"),
}


def redirect_to_survivor(customer):
    """The overview of a merged customer: off to the record it now lives on, saying so."""
    survivor = merge_service.final_survivor(customer)
    flash(_("%(name)s (%(number)s) was merged into %(target)s; you are looking at %(target)s.",
            name=customer.display_name, number=customer.number, target=survivor.number), "info")
    return redirect(url_for("CustomerView.overview", customer_id=survivor.id))


def _shown(customer, name) -> str:
    value = getattr(customer, name)
    if value is None or value == "":
        return ""
    if name in SENSITIVE:
        return mask(str(value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if name == "kind" and value in {t.value for t in CustomerType}:
        return str(CustomerType(value).label)
    if name == "segment_id":
        return str(customer.segment.name) if customer.segment else ""
    if name == "reseller_id":
        return str(customer.reseller) if customer.reseller else ""
    return str(value)


class DuplicatesView(BaseView):
    route_base = "/duplicates"
    default_view = "list"
    class_permission_name = "DuplicatesView"
    base_permissions = ["can_list", "can_merge"]

    def _customer(self, customer_id):
        try:
            return customer_service.get(customer_id)
        except NotFound:
            abort(404)

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        page = duplicate_service.open_candidates(page=int_arg("page") or 1)
        customers = {}
        ids = {r.customer_a_id for r in page.rows} | {r.customer_b_id for r in page.rows}
        for customer_id in ids:
            customers[customer_id] = customer_service.get(customer_id)
        return self.render_template(
            "regulars/duplicates/list.html", page=page, customers=customers,
            reason_text=duplicate_service.reason_text, can_merge=allowed("can_merge", "DuplicatesView"),
            page_url=lambda n, **_cursor: url_for("DuplicatesView.list", page=n))

    @expose("/scan", methods=["POST"])
    @has_access
    @permission_name("merge")
    def scan(self):
        found = duplicate_service.scan()
        flash(_("Scan finished: %(n)d new possible duplicates.", n=found) if found
              else _("Scan finished: no new possible duplicates."), "success")
        return redirect(url_for("DuplicatesView.list"))

    @expose("/<int:candidate_id>/dismiss", methods=["POST"])
    @has_access
    @permission_name("merge")
    def dismiss(self, candidate_id):
        try:
            candidate = duplicate_service.get_candidate(candidate_id)
        except NotFound:
            abort(404)
        duplicate_service.dismiss(candidate, actor=current_user)
        flash(_("Marked as not a duplicate; it will not be suggested again."), "success")
        return redirect(url_for("DuplicatesView.list", page=int_arg("page", request.form) or None))

    @expose("/merge/<int:survivor_id>/<int:merged_id>", methods=["GET", "POST"])
    @has_access
    @permission_name("merge")
    def merge(self, survivor_id, merged_id):
        survivor, merged = self._customer(survivor_id), self._customer(merged_id)
        errors = {}
        choices = merge_service.default_choices(survivor, merged)
        field_rows = merge_service.plugin_field_choices(survivor, merged)
        choices.update({r["field"].name: r["choice"] for r in field_rows})
        if request.method == "POST":
            names = list(merge_service.MERGE_FIELDS) + [r["field"].name for r in field_rows]
            sent = {name: request.form[f"choice_{name}"] for name in names
                    if f"choice_{name}" in request.form}
            choices.update({k: v for k, v in sent.items() if v in (merge_service.SURVIVOR,
                                                                    merge_service.MERGED)})
            try:
                merge_service.merge(survivor, merged, sent, actor=current_user)
            except ValidationError as exc:
                errors = exc.errors
            else:
                flash(_("%(merged)s was merged into %(survivor)s.", merged=merged.number,
                        survivor=survivor.number), "success")
                return redirect(url_for("CustomerView.overview", customer_id=survivor.id))
        differing = set(merge_service.differing_fields(survivor, merged))
        rows = [{"name": n, "label": FIELD_LABELS.get(n, n), "survivor": _shown(survivor, n),
                 "merged": _shown(merged, n), "differs": n in differing, "choice": choices[n]}
                for n in merge_service.MERGE_FIELDS
                if n in differing or _shown(survivor, n)]
        # The plugins' fields, chosen between like the core's.
        for r in field_rows:
            field = r["field"]
            shown = {side: plugin_fields.text(r[side], field) for side in ("survivor", "merged")}
            if r["differs"] or shown["survivor"]:
                rows.append({"name": field.name, "label": field.label, **shown,
                             "differs": r["differs"], "choice": choices[field.name]})
        return self.render_template("regulars/duplicates/merge.html", survivor=survivor,
                                    merged=merged, rows=rows, errors=errors,
                                    panels=contributions.merge_panels(survivor, merged))
