from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String

from core.db import Model, utcnow


class PluginState(Model):
    """Which installed plugins this shop has switched on. No row: the plugin's default (on)."""

    __tablename__ = "plugin_state"

    name = Column(String(64), primary_key=True)
    enabled = Column(Boolean, nullable=False, default=True)
    changed_at = Column(DateTime, nullable=False, default=utcnow)
    changed_by_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)


class SettingsVersion(Model):
    """One counter per settings area; workers compare it to their cached copy on every request,
    so a change made in one process is seen by all of them without a restart."""

    __tablename__ = "settings_version"

    key = Column(String(64), primary_key=True)
    version = Column(Integer, nullable=False, default=0)


class NumberSequence(Model):
    """Counters for generated numbers (customer numbers, later invoice numbers).

    Advanced with one conditional UPDATE ... RETURNING, so two tills never get the same value.
    """

    __tablename__ = "number_sequence"

    name = Column(String(64), primary_key=True)
    next_value = Column(Integer, nullable=False, default=1)
