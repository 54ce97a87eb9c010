"""The core's tables. Plugins keep their data in their own tables, keyed by customer_id."""

from core.models.customer import Customer, CustomerStatus, CustomerType
from core.models.group import CustomerGroup, group_membership
from core.models.settings import NumberSequence, PluginState, SettingsVersion

__all__ = [
    "Customer",
    "CustomerStatus",
    "CustomerType",
    "CustomerGroup",
    "group_membership",
    "NumberSequence",
    "PluginState",
    "SettingsVersion",
]
