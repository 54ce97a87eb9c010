"""Switching plugins on and off for this shop. Installed is not enabled: the table
``plugin_state`` says what runs, and a version counter tells every process to re-read it."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from core.db import db, utcnow, write_transaction
from core.errors import ValidationError
from core.models import PluginState, SettingsVersion
from core.plugins import SETTINGS_KEY, PluginHost


def _host() -> PluginHost:
    return current_app.extensions["regulars.plugins"]


def set_enabled(name: str, enabled: bool, actor=None) -> None:
    """Enable or disable plugin ``name``. Enabling checks its requirements and upgrades its
    migrations first; disabling refuses while an enabled plugin requires it. Data is kept."""
    host = _host()
    host.refresh(db.session)
    plugin = host.plugins.get(name)
    if plugin is None:
        raise ValidationError({"name": _("No plugin called %(name)s is installed.", name=name)})
    if enabled:
        if plugin.error:
            raise ValidationError({"name": _("%(name)s cannot be enabled: %(why)s",
                                             name=name, why=plugin.error)})
        off = [r for r in plugin.info.requires if not host.is_enabled(r)]
        if off:
            raise ValidationError({"name": _("%(name)s requires %(deps)s; enable that first.",
                                             name=name, deps=", ".join(off))})
        from core import migrate

        db.session.commit()
        migrate.upgrade([name], host=host)
    else:
        dependents = [p.name for p in host.plugins.values()
                      if name in p.info.requires and host.is_enabled(p.name) and not p.error]
        if dependents:
            raise ValidationError({"name": _("%(deps)s requires %(name)s; disable that first.",
                                             name=name, deps=", ".join(dependents))})
    with write_transaction():
        state = db.session.get(PluginState, name)
        if state is None:
            state = PluginState(name=name)
            db.session.add(state)
        state.enabled = enabled
        state.changed_at = utcnow()
        state.changed_by_fk = getattr(actor, "id", None)
        bump_version(SETTINGS_KEY)
    host.refresh(db.session, force=True)


def bump_version(key: str) -> int:
    """Advance a settings version inside the caller's transaction."""
    result = db.session.execute(
        update(SettingsVersion).where(SettingsVersion.key == key)
        .values(version=SettingsVersion.version + 1).returning(SettingsVersion.version)
    ).scalar()
    if result is None:
        db.session.add(SettingsVersion(key=key, version=1))
        db.session.flush()
        result = 1
    return result


def states() -> dict[str, PluginState]:
    return {s.name: s for s in db.session.execute(select(PluginState)).scalars()}
