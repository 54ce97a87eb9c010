"""What happened to a customer, on the overview: the History tab (every change, from the audit
trail), the Activity tab (every contact, from the activity table) with "+ Add note" and
"Log a call", and the internal notes pinned to the top of the overview."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import NamedTuple

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.decorators import permission_name
from flask_babel import format_datetime, format_timedelta, to_user_timezone, to_utc
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import Optional

from core.db import utcnow
from core.errors import NotFound, ValidationError
from core.services import customers as customer_service
from core.services import history
from core.services import notes as note_service
from core.services import record as record_service
from core.views.common import allowed, country_name, language_name, render_tab
from core.views.forms import show_errors

VIEW = "CustomerHistoryView"

KIND_LABELS = {
    "note": _l("Note"), "call": _l("Call"), "email": _l("Email"), "sms": _l("SMS"),
    "task": _l("Task"), "payment": _l("Payment"), "points": _l("Points"),
    "document": _l("Document"), "system": _l("System"),
}
KIND_ICONS = {
    "note": "fa-sticky-note-o", "call": "fa-phone", "email": "fa-envelope-o", "sms": "fa-comment-o",
    "task": "fa-check-square-o", "payment": "fa-money", "points": "fa-star-o",
    "document": "fa-file-o", "system": "fa-cog",
}
ACTION_LABELS = {
    "create": _l("Created"), "update": _l("Changed"), "deactivate": _l("Deactivated"),
    "reactivate": _l("Reactivated"), "merge": _l("Merged"), "erase": _l("Erased"),
    "reveal": _l("Revealed"), "export": _l("Exported personal data"), "note_add": _l("Note added"),
    "note_edit": _l("Note edited"), "note_pin": _l("Note pinned"),
    "note_unpin": _l("Note unpinned"), "note_delete": _l("Note deleted"),
    "group_add": _l("Added to group"), "group_remove": _l("Removed from group"),
    "delete": _l("Removed"), "import": _l("Imported"),
}
FIELD_LABELS = {
    "number": _l("Customer number"), "kind": _l("Type"), "first_name": _l("First name"),
    "last_name": _l("Last name"), "company_name": _l("Company name"), "email": _l("Email"),
    "phone": _l("Phone"), "status": _l("Status"), "reason": _l("Reason"),
    "date_of_birth": _l("Date of birth"), "tax_id": _l("Tax ID"),
    "driver_licence": _l("Driver's licence"), "national_id": _l("ID/SSN"),
    "note": _l("Note"), "pinned": _l("Pinned"), "group": _l("Group"), "tag": _l("Tag"),
    "merged_into": _l("Merged into"), "segment_id": _l("Segment"),
    "reseller_id": _l("Reseller"), "language": _l("Language"), "currency": _l("Currency"),
    "go_green": _l("Go Green"), "payment_terms": _l("Payment terms"),
    "merged_from": _l("Merged from"), "tax_country": _l("Tax country"),
    "registration_number": _l("Registration number"), "business_type": _l("Business type"),
    "industry": _l("Industry"), "contact_email": _l("Contact by email"),
    "contact_sms": _l("Contact by SMS"), "contact_phone": _l("Contact by phone"),
    "contact_post": _l("Contact by post"),
    # What an erasure removed with the record's parts.
    "phones": _l("Other phones"), "addresses": _l("Addresses"), "contacts": _l("Contacts"),
    "tags": _l("Tags"), "notes": _l("Notes"),
}
# The fields of the record's parts, which share names with the customer's own ("number").
PART_FIELD_LABELS = {
    "phone": {"number": _l("Other phone"), "label": _l("Other phone: label")},
    "address": {
        "kind": _l("Address kind"), "is_default": _l("Default address"),
        "line1": _l("Street and number"), "line2": _l("Address line 2"),
        "city": _l("Town or city"), "region": _l("State / region"),
        "postal_code": _l("Postal code"), "country": _l("Country"), "latitude": _l("Latitude"),
        "longitude": _l("Longitude"),
    },
    "contact": {"name": _l("Contact name"), "role": _l("Contact role"),
                "email": _l("Contact email"), "phone": _l("Contact phone"),
                "is_billing": _l("Billing contact")},
}
# Yes/no fields, which the trail keeps as "yes" and "no".
YES_NO = {"yes": _l("Yes"), "no": _l("No")}
# Stored codes shown in words, by (entity, field).
VALUE_LABELS = {
    ("customer", "kind"): {"individual": _l("Individual"), "business": _l("Business")},
    ("customer", "status"): {"active": _l("Active"), "inactive": _l("Inactive")},
    ("customer", "business_type"): customer_service.BUSINESS_TYPES,
    ("address", "kind"): record_service.ADDRESS_KINDS,
    ("phone", "label"): record_service.PHONE_LABELS,
    **{("customer", name): YES_NO for name in customer_service.BOOLEAN_FIELDS},
    ("note", "pinned"): YES_NO, ("address", "is_default"): YES_NO,
    ("contact", "is_billing"): YES_NO,
}
DIRECTIONS = [("out", _l("Outgoing")), ("in", _l("Incoming"))]


# -- how times and people read on screen -----------------------------------------------------


def ago(moment: datetime | None) -> str:
    """'3 minutes ago' for a UTC time, in the user's language (Babel)."""
    if moment is None:
        return ""
    delta = moment - utcnow()
    if abs(delta) < timedelta(minutes=1):
        return _("just now")
    return format_timedelta(delta, granularity="minute", add_direction=True)


def exact_time(moment: datetime | None) -> str:
    """The full date and time in the shop's time zone, for a tooltip beside ``ago``."""
    return format_datetime(moment, "medium") if moment is not None else ""


def person(user) -> str:
    """Who did something: the user's name, or "System" for jobs and imports."""
    if user is None:
        return _("System")
    name = " ".join(p for p in (user.first_name, user.last_name) if p)
    return name or user.username


def activity_headline(entry) -> str:
    """The subject an entry of the Activity tab shows in bold: its subject, except on a note
    whose subject is only the first line of its body (the core's notes), which the body shows
    in full anyway."""
    subject = entry.subject or ""
    if entry.kind == "note" and subject and entry.body:
        first_line = entry.body.split("\n", 1)[0]
        cut = subject.endswith("…") and first_line.startswith(subject[:-1])
        if subject == first_line or cut:
            return ""
    return subject


# -- how the audit trail reads on screen ------------------------------------------------------


class ShownRow(NamedTuple):
    """One changed field of a save as the History tab shows it."""

    field: str
    label: str
    old: str | None
    new: str | None


def field_label(entity: str, field: str) -> str:
    """A field of the trail in words: the customer's own, one of a part of the record, or a
    plugin's field (``CustomerField``, by its label)."""
    label = PART_FIELD_LABELS.get(entity, {}).get(field) or FIELD_LABELS.get(field)
    if not label and entity == "customer":
        label = _plugin_field_labels().get(field)
    return str(label) if label else field.replace("_", " ").capitalize()


def _plugin_field_labels() -> dict[str, str]:
    """{name: label} of every installed plugin's field, read once per request."""
    from flask import g

    from core.services import plugin_fields

    labels = g.get("regulars_plugin_field_labels")
    if labels is None:
        labels = {f.name: f.label for f in plugin_fields.installed_fields()}
        g.regulars_plugin_field_labels = labels
    return labels


def filter_key(entity: str, field: str) -> str:
    """The History filter's value for a field: "email", or "phone.number" for a part's."""
    return field if entity == "customer" else f"{entity}.{field}"


def shown_value(entity: str, field: str, value: str | None, names: dict) -> str | None:
    """A stored value in words: a segment or reseller by name, a language or country by its
    name in the user's language, codes by their labels."""
    if value is None:
        return None
    if (field, value) in names:
        return names[(field, value)]
    if field == "language" and entity == "customer":
        return language_name(value)
    if field in ("tax_country", "country"):
        return country_name(value)
    if field == "payment_terms" and entity == "customer" and value.isdigit():
        return _("Net %(days)d", days=int(value))
    return str(VALUE_LABELS.get((entity, field), {}).get(value, value))


def readable(trail) -> list[tuple]:
    """The trail's changes, each with its rows in words: [(change, [ShownRow])]."""
    names = history.reference_names([r for c in trail.items for r in c.rows])
    return [(c, [ShownRow(r.field, field_label(r.entity, r.field),
                          shown_value(r.entity, r.field, r.old_value, names),
                          shown_value(r.entity, r.field, r.new_value, names)) for r in c.rows])
            for c in trail.items]


def register(appbuilder) -> None:
    """Add the History/Activity views (no menu: they live on the overview) and the template
    helpers the overview uses for "Last updated by" and the pinned notes."""
    app = current_app
    app.add_template_filter(ago, "ago")
    app.add_template_filter(exact_time, "exact_time")
    app.add_template_filter(person, "person")
    app.add_template_global(note_service.pinned, "pinned_notes")
    appbuilder.add_view_no_menu(CustomerHistoryView)


# -- forms -----------------------------------------------------------------------------------


class NoteForm(DynamicForm):
    body = TextAreaField(_l("Note"), render_kw={"rows": 3, "maxlength": note_service.BODY_MAX})
    pinned = BooleanField(_l("Pin to the top of the overview"))


class CallForm(DynamicForm):
    # Choices are checked by the service, so its message shows beside the field.
    direction = SelectField(_l("Direction"), choices=DIRECTIONS, default="out",
                            validate_choice=False)
    subject = StringField(_l("Subject"), render_kw={"maxlength": history.CALL_SUBJECT_MAX})
    notes = TextAreaField(_l("Notes"), render_kw={"rows": 3})
    occurred_at = DateTimeLocalField(_l("When"), validators=[Optional()],
                                     format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
                                             "%Y-%m-%d %H:%M"])


def _local_now() -> datetime:
    return to_user_timezone(utcnow()).replace(tzinfo=None, second=0, microsecond=0)


def _new_call_form(formdata=None) -> CallForm:
    form = CallForm(formdata=formdata) if formdata is not None else CallForm()
    if formdata is None:
        form.occurred_at.data = _local_now()
    return form


def _shop_date(value: str | None, next_day: bool = False) -> datetime | None:
    """A yyyy-mm-dd filter as the UTC start of that day (or of the day after) in the shop."""
    try:
        day = datetime.strptime((value or "").strip(), "%Y-%m-%d")
    except ValueError:
        return None
    if day.year < 1900:
        return None
    if next_day:
        day += timedelta(days=1)
    return to_utc(datetime.combine(day.date(), time.min)).replace(tzinfo=None)


# -- the view --------------------------------------------------------------------------------


class CustomerHistoryView(BaseView):
    route_base = "/customers"
    default_view = "tab_activity"
    # Each permission shows in the roles screen as "<permission> on CustomerHistoryView".
    base_permissions = ["can_show", "can_add_note", "can_log_call", "can_edit_note"]

    def _customer(self, customer_id):
        try:
            return customer_service.get(customer_id)
        except NotFound:
            abort(404)

    def _note(self, customer, note_id):
        try:
            return note_service.get(customer, note_id)
        except NotFound:
            abort(404)

    def _back(self, customer):
        return redirect(url_for("CustomerView.overview", customer_id=customer.id, tab="activity"))

    # -- History tab -----------------------------------------------------------------------

    @expose("/<int:customer_id>/tabs/history")
    @has_access
    @permission_name("show")
    def tab_history(self, customer_id):
        customer = self._customer(customer_id)
        fields = {filter_key(entity, name): (entity, name)
                  for entity, name in history.audited_fields(customer.id)}
        actions = history.audited_actions(customer.id)
        field = request.args.get("field") if request.args.get("field") in fields else None
        action = request.args.get("action") if request.args.get("action") in actions else None
        entity, name = fields[field] if field else (None, None)
        trail = history.changes_page(customer.id, field=name, entity=entity, action=action,
                                     cursor=request.args.get("cursor"))
        filters = {k: v for k, v in {"field": field, "action": action}.items() if v}
        field_choices = sorted(((key, field_label(*pair)) for key, pair in fields.items()),
                               key=lambda choice: choice[1].casefold())
        return render_tab(
            "regulars/customers/tab_history.html", customer=customer, trail=trail,
            changes=readable(trail), field_choices=field_choices, actions=actions, field=field,
            action=action, filters=filters, action_labels=ACTION_LABELS,
        )

    # -- Activity tab ----------------------------------------------------------------------

    @expose("/<int:customer_id>/tabs/activity")
    @has_access
    @permission_name("show")
    def tab_activity(self, customer_id):
        customer = self._customer(customer_id)
        args = request.args
        kind = args.get("kind") if args.get("kind") in history.ACTIVITY_KINDS else None
        since, until = _shop_date(args.get("since")), _shop_date(args.get("until"), next_day=True)
        timeline = history.activity_page(customer.id, kind=kind, since=since, until=until,
                                         cursor=args.get("cursor"))
        filters = {k: v for k, v in {"kind": kind,
                                     "since": args.get("since") if since else None,
                                     "until": args.get("until") if until else None}.items() if v}
        note_ids = [e.ref_id for e in timeline.items if e.ref_type == "note"]
        return render_tab(
            "regulars/customers/tab_activity.html", customer=customer, timeline=timeline,
            kind=kind, filters=filters, kinds=history.ACTIVITY_KINDS, kind_labels=KIND_LABELS,
            kind_icons=KIND_ICONS, notes=note_service.by_ids(customer, note_ids),
            headline=activity_headline,
            note_form=NoteForm(formdata=None), call_form=_new_call_form(),
            can_add_note=allowed("can_add_note", VIEW), can_log_call=allowed("can_log_call", VIEW),
            can_edit_note=allowed("can_edit_note", VIEW),
        )

    # -- + Add note / Log a call -----------------------------------------------------------

    def _form_page(self, customer, template, title, status=200, **context):
        return self.render_template("regulars/customers/activity_form.html", customer=customer,
                                    partial=template, title=title, **context), status

    @expose("/<int:customer_id>/notes/add", methods=["GET", "POST"])
    @has_access
    @permission_name("add_note")
    def add_note(self, customer_id):
        customer = self._customer(customer_id)
        form = NoteForm()
        if request.method == "POST" and form.validate():
            try:
                note_service.add(customer, form.body.data, actor=current_user,
                                 pinned=form.pinned.data)
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                flash(_("Note added."), "success")
                return self._back(customer)
        status = 422 if request.method == "POST" else 200
        return self._form_page(customer, "regulars/customers/_note_form.html", _("Add note"),
                               status, note_form=form)

    @expose("/<int:customer_id>/calls/add", methods=["GET", "POST"])
    @has_access
    @permission_name("log_call")
    def log_call(self, customer_id):
        customer = self._customer(customer_id)
        form = _new_call_form(request.form if request.method == "POST" else None)
        if request.method == "POST" and form.validate():
            when = form.occurred_at.data
            try:
                history.log_call(customer, form.direction.data, form.subject.data,
                                 form.notes.data, occurred_at=to_utc(when).replace(tzinfo=None)
                                 if when else None, actor=current_user)
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                flash(_("Call logged."), "success")
                return self._back(customer)
        status = 422 if request.method == "POST" else 200
        return self._form_page(customer, "regulars/customers/_call_form.html", _("Log a call"),
                               status, call_form=form)

    # -- editing notes ---------------------------------------------------------------------

    @expose("/<int:customer_id>/notes/<int:note_id>/edit", methods=["GET", "POST"])
    @has_access
    @permission_name("edit_note")
    def edit_note(self, customer_id, note_id):
        customer = self._customer(customer_id)
        note = self._note(customer, note_id)
        form = NoteForm() if request.method == "POST" else NoteForm(obj=note)
        if request.method == "POST" and form.validate():
            try:
                note_service.edit(note, form.body.data, actor=current_user)
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                flash(_("Note saved."), "success")
                return self._back(customer)
        status = 422 if request.method == "POST" else 200
        return self._form_page(customer, "regulars/customers/_note_form.html", _("Edit note"),
                               status, note_form=form, note=note)

    @expose("/<int:customer_id>/notes/<int:note_id>/pin", methods=["POST"])
    @has_access
    @permission_name("edit_note")
    def pin_note(self, customer_id, note_id):
        customer = self._customer(customer_id)
        note = self._note(customer, note_id)
        pinned = request.form.get("pinned") == "1"
        if note_service.set_pinned(note, pinned, actor=current_user):
            flash(_("Note pinned.") if pinned else _("Note unpinned."), "success")
        return self._back(customer)

    @expose("/<int:customer_id>/notes/<int:note_id>/delete", methods=["POST"])
    @has_access
    @permission_name("edit_note")
    def delete_note(self, customer_id, note_id):
        customer = self._customer(customer_id)
        note = self._note(customer, note_id)
        note_service.delete(note, actor=current_user)
        flash(_("Note deleted."), "success")
        return self._back(customer)
