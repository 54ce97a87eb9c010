"""Data protection screens: download everything held about a customer (JSON), and erase a
customer's personal data after the user types the customer number to confirm."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import NotFound, ValidationError
from core.security import may_reveal_identity_numbers
from core.services import customers as customer_service
from core.services import exporter, privacy


def _customer_or_404(customer_id):
    try:
        return customer_service.get(customer_id)
    except NotFound:
        abort(404)


class PrivacyView(BaseView):
    route_base = "/customers"
    class_permission_name = "CustomerPrivacy"
    base_permissions = ["can_export", "can_erase"]

    @expose("/<int:customer_id>/export.json")
    @has_access
    @permission_name("export")
    def export_json(self, customer_id):
        customer = _customer_or_404(customer_id)
        data = exporter.export_customer(customer, actor=current_user,
                                        clear_identity=may_reveal_identity_numbers())
        return Response(exporter.as_json(data), mimetype="application/json",
                        headers={"Content-Disposition":
                                 f'attachment; filename="{exporter.export_filename(customer)}"'})

    @expose("/<int:customer_id>/erase", methods=["GET", "POST"])
    @has_access
    @permission_name("erase")
    def erase(self, customer_id):
        customer = _customer_or_404(customer_id)
        error = None
        if request.method == "POST":
            try:
                privacy.erase(customer, actor=current_user,
                              confirm_number=request.form.get("confirm_number", ""))
            except ValidationError as exc:
                error = exc.errors.get("confirm_number") or " ".join(
                    str(m) for m in exc.errors.values())
            else:
                flash(_("The personal data of %(number)s was erased.", number=customer.number),
                      "success")
                return redirect(url_for("CustomerView.overview", customer_id=customer.id))
        else:  # already erased, or a plugin that cannot run would leave its data behind
            error = " ".join(str(m) for m in _refusal(customer).errors.values()) or None
        return self.render_template("regulars/privacy/erase.html", customer=customer, error=error,
                                    already=customer.erased_at is not None)


def _refusal(customer) -> ValidationError:
    try:
        privacy.check_erasable(customer)
    except ValidationError as exc:
        return exc
    return ValidationError({})
