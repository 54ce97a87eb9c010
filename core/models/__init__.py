"""The core's tables. Plugins keep their data in their own tables, keyed by customer_id."""

from core.models.customer import Customer, CustomerStatus, CustomerType
from core.models.email import EmailAttachment, EmailMessage, EmailSettings, EmailTemplate
from core.models.group import CustomerGroup, group_membership
from core.models.history import Activity, AuditEntry
from core.models.imports import ImportRun
from core.models.operations import DuplicateCandidate, IdempotencyKey
from core.models.record import Address, Contact, CustomerPhone, Note, Segment, Tag, customer_tag
from core.models.search import CustomerSearch
from core.models.tasks import StoredFile, Task
from core.models.sessions import SignInSession, TokenGeneration
from core.models.sign_in_throttle import SignInFailures
from core.models.settings import NumberSequence, PluginState, SettingsVersion

__all__ = [
    "Activity",
    "Address",
    "AuditEntry",
    "Contact",
    "CustomerPhone",
    "CustomerSearch",
    "DuplicateCandidate",
    "EmailAttachment",
    "EmailMessage",
    "EmailSettings",
    "EmailTemplate",
    "IdempotencyKey",
    "ImportRun",
    "Note",
    "Segment",
    "StoredFile",
    "Tag",
    "Task",
    "customer_tag",
    "Customer",
    "CustomerStatus",
    "CustomerType",
    "CustomerGroup",
    "group_membership",
    "NumberSequence",
    "PluginState",
    "SettingsVersion",
    "SignInFailures",
    "SignInSession",
    "TokenGeneration",
]
