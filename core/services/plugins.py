"""Switching plugins on and off for this shop. Installed is not enabled: the table
``plugin_state`` says what runs, and a version counter tells every process to re-read it."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from core.db import db, utcnow, write_transaction
from core.errors import ValidationError
from core.models import PluginState, SettingsVersion
from core.plugins import NEEDS_UPGRADE, SETTINGS_KEY, current_host


def set_enabled(name: str, enabled: bool, actor=None) -> None:
    """Enable or disable plugin ``name``. Enabling checks its requirements and upgrades its
    migrations first (enabling one that is enabled but waits for ``regulars db upgrade``
    upgrades it: "Upgrade now"); disabling refuses while an enabled plugin requires it. Data
    is kept. An upgrade writes the plugin's own permissions and grants (see
    ``sync_plugin_permissions``), leaving every other permission of the built-in
    roles as the administrator set it.

    After the commit, ``plugin_enabled(name)`` is called on the active plugins when the
    plugin was switched on, or became active (an enabled plugin that waited for its
    upgrade), and ``plugin_disabled(name)`` when it was switched off (on the plugin switched
    off as well)."""
    host = current_host()
    host.refresh(db.session)
    plugin = host.plugins.get(name)
    was_active = host.is_active(name)
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
        first_time = host.needs_upgrade(name)
        try:
            migrate.upgrade([name], host=host)
        except migrate.MigrationError as exc:
            raise ValidationError({"name": str(exc)}) from exc
        if first_time:
            # Its views' permissions were written before its tables existed, or never.
            sync_plugin_permissions(name)
    else:
        dependents = [p.name for p in host.plugins.values()
                      if name in p.info.requires and host.is_enabled(p.name) and not p.error]
        if dependents:
            raise ValidationError({"name": _("%(deps)s requires %(name)s; disable that first.",
                                             name=name, deps=", ".join(dependents))})
    with write_transaction():
        state = db.session.get(PluginState, name)
        was_enabled = state.enabled if state is not None else True
        if state is None:
            state = PluginState(name=name)
            db.session.add(state)
        state.enabled = enabled
        state.changed_at = utcnow()
        state.changed_by_fk = getattr(actor, "id", None)
        bump_version(SETTINGS_KEY)
    host.refresh(db.session, force=True)
    # After commit, each plugin isolated; the plugin switched off hears it too (it is no
    # longer active), so it can tidy up.
    if enabled and (not was_enabled or (not was_active and host.is_active(name))):
        host.notify("plugin_enabled", name=name)
    elif not enabled and was_enabled:
        host.notify_including("plugin_disabled", [name], name=name)


def cannot_run(plugin, why: str) -> str:
    """Why a plugin's hooks cannot run, for a message: "The plugin Hello could not be loaded
    (missing required settings: x)" or "The plugin Hello needs `regulars db upgrade`"."""
    if why == NEEDS_UPGRADE:
        return _("The plugin %(label)s needs `regulars db upgrade`", label=plugin.info.label)
    return _("The plugin %(label)s could not be loaded (%(why)s)", label=plugin.info.label,
             why=why)


def refuse_if_data_left_behind() -> None:
    """Raise ValidationError when a plugin whose tables exist cannot run its hooks (it could
    not be loaded, or its migrations wait for ``regulars db upgrade``): a merge or an erase now
    would leave its data of the customer behind."""
    blocked = current_host().data_left_behind()
    if blocked:
        raise ValidationError({"_": " ".join(
            _("%(problem)s: its data of this customer would be left behind. Fix it, then try "
              "again.", problem=cannot_run(plugin, why)) for plugin, why in blocked)})


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


# -- permissions ---------------------------------------------------------------------------------


def sync_permissions() -> None:
    """Write every view's permissions and rewrite the built-in roles (Admin, Manager, ...)."""
    _write_permissions()
    current_app.appbuilder.sm.sync_builtin_roles()


def sync_plugin_permissions(name: str) -> None:
    """Write every view's permissions, and give the built-in roles plugin ``name``'s: on the
    views that are its own alone, and on whatever permission did not exist before (its
    menu items), exactly what its ``grants`` or the core's rule say. Every other permission
    of every role stays as it is, so an administrator's changes to the built-in roles are
    kept (enabling a plugin, or "Upgrade now", never undoes them)."""
    appbuilder = current_app.appbuilder
    sm = appbuilder.sm
    model = sm.permissionview_model
    before = {pvm.id for pvm in sm.session.query(model)}
    _write_permissions()
    host = current_host()
    mine, others = set(), set()
    for view in appbuilder.baseviews:
        blueprint = getattr(getattr(view, "blueprint", None), "name", None)
        (mine if host.owner_of_blueprint(blueprint) == name else others).add(
            view.class_permission_name)
    own = mine - others  # a view name it shares with the core (or another plugin) is not its
    sm.sync_builtin_roles(only=[
        pvm for pvm in sm.session.query(model)
        if pvm.id not in before or (pvm.view_menu is not None and pvm.view_menu.name in own)])


def _write_permissions() -> None:
    from core.roles import BUILTIN_ROLES

    appbuilder = current_app.appbuilder
    for role in (*BUILTIN_ROLES, current_app.config["AUTH_ROLE_PUBLIC"]):
        appbuilder.sm.add_role(role)
    appbuilder.add_permissions(update_perms=True)
