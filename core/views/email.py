"""Settings > Email: the mail server (administrators), and the wording of each email with a live
preview (administrators and managers)."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.errors import NotFound, ValidationError
from core.services import customers as customer_service
from core.services import email as email_service
from core.services import email_templates as template_service
from core.views.common import allowed, int_arg

SECURITY_LABELS = {"none": _l("None (plain connection)"), "starttls": _l("STARTTLS"),
                   "tls": _l("TLS from the start (SSL)")}
STATUS_LABELS = {"queued": _l("Sending…"), "sent": _l("Sent"), "failed": _l("Failed"),
                 "refused": _l("Not sent")}
CATEGORY_LABELS = {"service": _l("Service"), "marketing": _l("Marketing")}
SETTINGS_FIELDS = ("host", "port", "security", "username", "password", "sender_name",
                   "sender_address", "reply_to", "clear_password")


def register(appbuilder) -> None:
    settings = {"category": "Settings", "category_label": _l("Settings"),
                "category_icon": "fa-cog"}
    appbuilder.add_view(EmailSettingsView, "Email settings", label=_l("Email"),
                        icon="fa-envelope-o", **settings)
    appbuilder.add_view(EmailTemplateView, "Email templates", label=_l("Email templates"),
                        icon="fa-file-text-o", **settings)


def _test_message(arg: str = "test"):
    """The test message named in the query string (?test=42), to show how it went."""
    message_id = int_arg(arg)
    if message_id is None:
        return None
    try:
        message = email_service.get_message(message_id)
    except NotFound:
        return None
    return message if message.customer_id is None else None


def _status_json(message):
    return jsonify(status=message.status, label=str(STATUS_LABELS[message.status]),
                   error=message.last_error or "", to=message.to_address)


class EmailSettingsView(BaseView):
    """How the shop reaches its mail server, and "Send a test email"."""

    route_base = "/settings/email"
    default_view = "edit"
    class_permission_name = "EmailSettingsView"
    base_permissions = ["can_edit", "can_test"]

    def _page(self, values=None, errors=None, test_errors=None, status=200):
        settings = email_service.current_settings()
        if values is None:
            values = {"host": settings.host, "port": str(settings.port),
                      "security": settings.security, "username": settings.username,
                      "sender_name": settings.sender_name,
                      "sender_address": settings.sender_address, "reply_to": settings.reply_to}
        values = {k: v for k, v in values.items() if k != "password"}  # never shown back
        return self.render_template(
            "regulars/email/settings.html", settings=settings, values=values,
            errors=errors or {}, test_errors=test_errors or {},
            security_labels=SECURITY_LABELS, status_labels=STATUS_LABELS,
            test=_test_message(), recent=email_service.recent(),
            test_to=request.form.get("to", "") if test_errors else current_user.email or "",
            can_test=allowed("can_test", "EmailSettingsView")), status

    @expose("/", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def edit(self):
        if request.method == "GET":
            return self._page()
        data = {name: request.form.get(name, "") for name in SETTINGS_FIELDS}
        try:
            email_service.save_settings(data, actor=current_user)
        except ValidationError as exc:
            return self._page(values=data, errors=exc.errors, status=422)
        flash(_("Email settings saved."), "success")
        return redirect(url_for("EmailSettingsView.edit"))

    @expose("/test", methods=["POST"])
    @has_access
    @permission_name("test")
    def test(self):
        try:
            message = email_service.send_test(request.form.get("to", ""), actor=current_user)
        except ValidationError as exc:
            return self._page(test_errors=exc.errors, status=422)
        return redirect(url_for("EmailSettingsView.edit", test=message.id) + "#email-test")

    @expose("/messages/<int:message_id>/status")
    @has_access
    @permission_name("test")
    def status(self, message_id):
        return _status_json(_test_message_or_404(message_id))


class EmailTemplateView(BaseView):
    """The wording of each email: edit with a live preview, send a test, reset to default."""

    route_base = "/settings/email/templates"
    default_view = "list"
    class_permission_name = "EmailTemplateView"
    base_permissions = ["can_list", "can_edit", "can_preview", "can_test"]

    def _template(self, template_id):
        try:
            return template_service.get(template_id)
        except NotFound:
            abort(404)

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        template_service.seed()
        return self.render_template(
            "regulars/email/templates.html", templates=template_service.listed(),
            category_labels=CATEGORY_LABELS, can_edit=allowed("can_edit", "EmailTemplateView"))

    def _customer(self, source):
        """The customer a preview or test is filled in with: typed as a customer number."""
        number = (source.get("customer") or "").strip()
        if not number:
            return None
        customer = customer_service.get_by_number(number[:32])
        if customer is None or customer.erased_at is not None:
            raise ValidationError({"customer": _("There is no customer %(number)s.",
                                                 number=number)})
        return customer

    def _edit_page(self, template, values=None, errors=None, test_errors=None, status=200):
        values = values or {"subject": template.subject, "html": template.html,
                            "text": template.text}
        preview_source = {**values, "customer": request.values.get("customer", "")}
        try:
            customer = self._customer(preview_source)
        except ValidationError:
            customer = None
        shown = template_service.preview(values, template.key, customer=customer,
                                         settings=email_service.current_settings())
        return self.render_template(
            "regulars/email/template_edit.html", email_template=template, values=values,
            errors=errors or {}, test_errors=test_errors or {}, preview=shown,
            placeholders=template_service.placeholders_for(template.key),
            category_labels=CATEGORY_LABELS, status_labels=STATUS_LABELS,
            test=_test_message(), customer_number=preview_source["customer"],
            test_to=request.form.get("to", "") if test_errors else current_user.email or "",
            can_preview=allowed("can_preview", "EmailTemplateView"),
            can_test=allowed("can_test", "EmailTemplateView")), status

    @expose("/<int:template_id>/edit", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def edit(self, template_id):
        template = self._template(template_id)
        if request.method == "GET":
            return self._edit_page(template)
        data = {name: request.form.get(name, "") for name in template_service.FIELDS}
        try:
            template_service.save(template, data, actor=current_user)
        except ValidationError as exc:
            return self._edit_page(template, values=data, errors=exc.errors, status=422)
        flash(_("%(name)s saved.", name=template.name), "success")
        return redirect(url_for("EmailTemplateView.edit", template_id=template.id))

    @expose("/<int:template_id>/reset", methods=["POST"])
    @has_access
    @permission_name("edit")
    def reset(self, template_id):
        template = self._template(template_id)
        template_service.reset(template, actor=current_user)
        flash(_("%(name)s is back to its default wording.", name=template.name), "success")
        return redirect(url_for("EmailTemplateView.edit", template_id=template.id))

    @expose("/<int:template_id>/preview", methods=["POST"])
    @has_access
    @permission_name("preview")
    def preview(self, template_id):
        """The unsaved wording rendered for the edit screen, as JSON: {subject, html, text,
        errors: {field: message}}. The page calls it as the wording is typed."""
        template = self._template(template_id)
        data = {name: request.form.get(name, "") for name in template_service.FIELDS}
        try:
            customer = self._customer(request.form)
        except ValidationError as exc:
            shown = template_service.preview(data, template.key)
            shown["errors"].update(exc.errors)
            return jsonify(shown)
        return jsonify(template_service.preview(data, template.key, customer=customer,
                                                settings=email_service.current_settings()))

    @expose("/<int:template_id>/test", methods=["POST"])
    @has_access
    @permission_name("test")
    def test(self, template_id):
        template = self._template(template_id)
        try:
            customer = self._customer(request.form)
            message = email_service.send_template_test(template, request.form.get("to", ""),
                                                       customer=customer, actor=current_user)
        except ValidationError as exc:
            return self._edit_page(template, test_errors=exc.errors, status=422)
        return redirect(url_for("EmailTemplateView.edit", template_id=template.id,
                                test=message.id) + "#email-test")

    @expose("/messages/<int:message_id>/status")
    @has_access
    @permission_name("test")
    def status(self, message_id):
        return _status_json(_test_message_or_404(message_id))


def _test_message_or_404(message_id):
    try:
        message = email_service.get_message(message_id)
    except NotFound:
        abort(404)
    if message.customer_id is not None:
        abort(404)  # a customer's email is read on their Activity tab, not here
    return message
