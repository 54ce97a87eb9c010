"""The right to erasure (GDPR art. 17): anonymise a customer's personal data in the core and in
every plugin (``customer_erasing``), for good.

Kept, because the law or the books need it: the customer row and its number (invoices and sales
point at it), the dates, status, segment, the activity rows as dated events without their text,
and the audit trail of *what* changed and when — with every personal value in it scrubbed, the
erasure's own rows included, so the trail cannot give back what was erased."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, or_, update

from core.db import db, utcnow, write_transaction
from core.errors import ValidationError
from core.models import Activity, AuditEntry, Customer, CustomerStatus, Note
from core.plugins import current_host
from core.services import history, plugin_fields

ERASED_NAME = "Erased customer"
SCRUBBED = "[erased]"
# The customer's own columns that hold personal data, and what each becomes.
PERSONAL_FIELDS = {
    "first_name": "", "last_name": ERASED_NAME, "company_name": "", "email": None,
    "email_normalized": None, "phone": None, "phone_e164": None, "date_of_birth": None,
    "tax_id": "", "registration_number": "", "driver_licence": None, "national_id": None,
}
# Audit rows of these fields (and of the record's parts: phones, addresses...) carry personal
# values; erasing scrubs them.
AUDITED_PERSONAL = set(PERSONAL_FIELDS) | {"phones", "addresses", "contacts", "tags", "notes",
                                           "name", "tax_country"}



def check_erasable(customer: Customer) -> None:
    """Raise ValidationError when ``customer`` cannot be erased (already erased, or a plugin
    whose tables exist cannot run its ``customer_erasing``)."""
    if customer.erased_at is not None:
        raise ValidationError({"_": _("%(number)s was already erased on %(date)s; an erasure "
                                      "cannot be repeated or undone.", number=customer.number,
                                      date=customer.erased_at.strftime("%Y-%m-%d"))})
    from core.services.plugins import refuse_if_data_left_behind

    refuse_if_data_left_behind()


def erase(customer: Customer, actor=None, confirm_number: str | None = None) -> None:
    """Anonymise ``customer`` for good, in one transaction: personal fields cleared, phones,
    addresses, contacts, notes and tags deleted, activity texts cleared, personal values in
    the audit trail scrubbed, each plugin's data through ``customer_erasing`` (which may refuse
    with a ValidationError: then nothing is erased). ``confirm_number``, when given, must be
    the customer's number (the screen's typed confirmation)."""
    if confirm_number is not None and confirm_number.strip() != customer.number:
        raise ValidationError({"confirm_number": _(
            "Type the customer number %(number)s to confirm.", number=customer.number)})
    with write_transaction():
        db.session.refresh(customer)
        check_erasable(customer)
        changed = [f for f, blank in PERSONAL_FIELDS.items() if getattr(customer, f) != blank]
        parts = {"phones": bool(customer.phones), "addresses": bool(customer.addresses),
                 "contacts": bool(customer.contacts), "tags": bool(customer.tags)}
        # The plugins' personal fields (CustomerField), disabled plugins' too.
        personal_fields = [f.name for f in plugin_fields.installed_fields() if f.spec.personal]
        fields_erased = plugin_fields.erase(customer)
        # Disabled plugins too: their data of this customer goes as well.
        current_host().caller("customer_erasing", include_disabled=True)(
            customer=customer, actor=actor)

        for field, blank in PERSONAL_FIELDS.items():
            setattr(customer, field, blank)
        customer.name_key = customer.sort_key = ERASED_NAME.lower()
        customer.phones.clear()
        customer.addresses.clear()
        customer.contacts.clear()
        customer.tags = []
        had_notes = db.session.execute(
            delete(Note).where(Note.customer_id == customer.id)).rowcount
        db.session.execute(update(Activity).where(Activity.customer_id == customer.id)
                           .values(subject="", body="", data=None))
        customer.status = CustomerStatus.inactive.value
        customer.erased_at = customer.updated_at = utcnow()
        customer.updated_by_fk = getattr(actor, "id", None)
        db.session.flush()

        _scrub_audit(customer.id, personal_fields)
        erased = changed + fields_erased + [p for p, had in parts.items() if had] + (
            ["notes"] if had_notes else [])
        # The erasure's own rows say which fields went, never what they held (a searchable
        # copy of the email or phone went with it and needs no row of its own).
        history.audit(customer.id, "erase", {f: (None, None) for f in erased
                                             if f not in history.DERIVED_FIELDS} or None, actor)
    current_host().notify("customer_updated", customer=customer,
                   changes={f: (None, None) for f in erased})


def _scrub_audit(customer_id: int, plugin_fields_personal=()) -> None:
    """Blank the personal values the audit trail kept for this customer: every value of a
    personal field (the plugins' personal fields too), and every value of an entry about a
    part of the record (phone, address...)."""
    personal = AUDITED_PERSONAL | set(plugin_fields_personal)
    db.session.execute(
        update(AuditEntry)
        .where(AuditEntry.customer_id == customer_id)
        .where(or_(AuditEntry.field.in_(sorted(personal)), AuditEntry.entity != "customer"))
        .where(or_(AuditEntry.old_value.is_not(None), AuditEntry.new_value.is_not(None)))
        .values(old_value=SCRUBBED, new_value=SCRUBBED)
    )


def is_erased(customer: Customer) -> bool:
    return customer.erased_at is not None


