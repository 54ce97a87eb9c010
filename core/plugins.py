"""The plugin host: finds plugins by entry point, checks them, registers their hooks, and
knows at every request which of them this shop has switched on.

Installed is not enabled: pip installs a plugin; the ``plugin_state`` table says whether it
runs, and a plugin whose migrations are not at head (installed, but ``regulars db upgrade`` not
run yet) does not run either. Every process compares a settings version in the database with its
cached copy on each request, so enabling, disabling or upgrading takes effect at once in every
worker, without a restart.

A disabled plugin is hidden, not absent: the hooks that protect people and records
(``customer_merging``, ``customer_erasing``, ``customer_export``) are called with
``include_disabled=True`` and reach every loaded plugin whose tables exist, enabled or not.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import logging
from importlib import import_module
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any, Iterable, Iterator

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

import core
from core import hookspecs
from core.errors import PluginError, StartupError
from core.host import current_host  # noqa: F401 - the host of the running app, offered here too

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "regulars.plugins"
PROJECT_NAME = "regulars"
SETTINGS_KEY = "plugins"
NEEDS_UPGRADE = "needs `regulars db upgrade`"
_READ_IT = object()  # PluginHost.refresh: read the settings version itself


@dataclasses.dataclass
class PluginInfo:
    """What a plugin says about itself: the ``PLUGIN`` attribute of its entry-point module.

    ``grants``: which built-in roles get a permission of this plugin's views when the database
    is upgraded, e.g. ``{"can_say": ["Manager", "Cashier"]}`` (every view of the plugin with a
    ``can_say``) or ``{"HelloView.can_say": [...]}`` (that view only; it wins over the plain
    key). Exactly the roles listed get it, and Admin always. A permission not named follows the
    core's rule: every role reads (``can_list``, ``can_show``, ``can_tab``, ...), the Manager
    does everything else, the Cashier and Accounts only read. A role name that is not a
    built-in role (Admin, Manager, Cashier, Accounts, ReadOnly) skips the plugin at start-up.
    """

    name: str
    label: str
    version: str
    description: str = ""
    requires: list[str] = dataclasses.field(default_factory=list)
    core_version: str = ">=1,<2"
    # Keys of ``settings`` that must have a value, set as REGULARS_PLUGIN_<NAME>_<KEY>.
    required_settings: list[str] = dataclasses.field(default_factory=list)
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)
    # Folder of this plugin's Alembic revisions (its own branch, labelled with its name).
    migrations: str | None = None
    author: str = ""
    # {"can_say": ["Manager", "Cashier"]} or {"HelloView.can_say": [...]}: see above.
    grants: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if not self.name or not self.name.replace("_", "").isalnum() or not self.name.islower():
            raise PluginError(f"Plugin name {self.name!r} must be lower-case letters, digits and _")


@dataclasses.dataclass
class LoadedPlugin:
    """A plugin the host found, whether it could be registered or not."""

    info: PluginInfo
    module: ModuleType | None
    distribution: str = ""
    error: str = ""  # why it is skipped; empty when it loaded
    tables: list[str] = dataclasses.field(default_factory=list)
    blueprints: set[str] = dataclasses.field(default_factory=set)
    # Its Alembic branch, read from its migrations folder once: every revision, and the head(s).
    revisions: frozenset[str] = frozenset()
    heads: frozenset[str] = frozenset()
    migration_error: str = ""  # its migrations cannot run (also in ``error``)

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def loaded(self) -> bool:
        return not self.error


class PluginHost:
    """Owns the pluggy PluginManager of one app. Built in ``create_app``, never at import time."""

    def __init__(self, app_config: dict | None = None):
        self.config = app_config or {}
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, LoadedPlugin] = {}
        self._state_version: int | None = None
        self._disabled: set[str] = set()
        # Revisions applied to the database (alembic_version and their ancestors); None until
        # read. Read with the enabled set, so an upgrade elsewhere is seen with the next refresh.
        self._applied: set[str] | None = None
        self._unknown_revisions: set[str] = set()  # in alembic_version, in no folder we know
        self._parents: dict[str, tuple[str, ...]] = {}
        self._state_tried = False
        self._callers: dict[tuple[str, bool], Any] = {}
        self.hook = _ActiveHooks(self)
        self.failures: list[tuple[str, str, str]] = []  # (plugin, hook, error) of isolated calls

    # -- loading ---------------------------------------------------------------------------

    def discover(self, extra: Iterable[ModuleType] = ()) -> None:
        """Find plugins by entry point (built-ins are declared the same way) plus ``extra``
        modules, then check and register them. Raises StartupError for duplicate names and
        cycles; anything else wrong with one plugin skips that plugin with a warning."""
        # (entry-point name, module, info, error, tables, distribution, source for messages)
        found: list[tuple] = []
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist else ""
            module, error, tables = _import_plugin_module(ep.value)
            info = getattr(module, "PLUGIN", None) if module else None
            source = f"{dist} ({ep.value})" if dist else ep.value
            found.append((ep.name, module, info, error or "", tables, dist, source))
        for module in extra:
            found.append((module.PLUGIN.name, module, module.PLUGIN, "", [], "(given)",
                          module.__name__))

        sources: dict[str, str] = {}
        for ep_name, module, info, error, tables, dist, source in found:
            name = info.name if isinstance(info, PluginInfo) else ep_name
            if name in sources:
                raise StartupError(
                    f"Two plugins are called {name!r} ({sources[name]} and {source}); "
                    "uninstall one of them."
                )
            sources[name] = source
            if not error and not isinstance(info, PluginInfo):
                error = f"{module.__name__ if module else ep_name} has no PLUGIN = PluginInfo(...)"
            if not isinstance(info, PluginInfo):
                info = PluginInfo(name=name, label=name, version="?")
            self.plugins[name] = LoadedPlugin(info, module, dist, error, tables)

        self._check_cycles()
        for plugin in self.plugins.values():
            if not plugin.error:
                plugin.error = self._compatibility_error(plugin)
        self._skip_plugins_missing_requirements()
        for plugin in self.plugins.values():
            if not plugin.error:
                try:
                    self.pm.register(plugin.module, name=plugin.name)
                except pluggy.PluginValidationError as exc:
                    plugin.error = f"invalid hook implementation: {exc}"
        self.pm.hook.addhooks.call_historic(kwargs={"pm": self.pm})
        self._drop_unknown_hooks()
        self._read_migrations()
        # Registration may have skipped a plugin that others require.
        self._skip_plugins_missing_requirements()
        self.pm.check_pending()
        for plugin in self.plugins.values():
            if plugin.error:
                log.warning("Plugin %s is skipped: %s", plugin.name, plugin.error)

    def _compatibility_error(self, plugin: LoadedPlugin) -> str:
        info = plugin.info
        try:
            if Version(core.__version__) not in SpecifierSet(info.core_version):
                return f"needs Regulars {info.core_version}, this is {core.__version__}"
        except InvalidSpecifier:
            return f"core_version {info.core_version!r} is not a version range"
        missing = [k for k in info.required_settings if self._setting(info, k) in (None, "")]
        if missing:
            return "missing required settings: " + ", ".join(missing)
        return _grants_error(info.grants)

    def _setting(self, info: PluginInfo, key: str):
        """One of a plugin's settings, read the way ``core.sdk.plugin_settings`` reads it."""
        return self.config.get(f"PLUGIN_{info.name.upper()}_{key.upper()}", info.settings.get(key))

    def _skip_plugins_missing_requirements(self) -> None:
        """A plugin whose requirement is missing or could not load cannot load either (repeated
        for chains); one already registered is unregistered again."""
        changed = True
        while changed:
            changed = False
            for plugin in self.plugins.values():
                if plugin.error:
                    continue
                for req in plugin.info.requires:
                    dep = self.plugins.get(req)
                    if dep is None:
                        plugin.error = f"requires plugin {req!r}, which is not installed"
                    elif dep.error:
                        plugin.error = f"requires plugin {req!r}, which could not be loaded"
                    if plugin.error:
                        changed = True
                        if self.pm.get_plugin(plugin.name) is not None:
                            self.pm.unregister(name=plugin.name)
                        break

    def _check_cycles(self) -> None:
        visiting: list[str] = []
        done: set[str] = set()

        def visit(name: str):
            if name in done or name not in self.plugins:
                return
            if name in visiting:
                cycle = visiting[visiting.index(name):] + [name]
                raise StartupError("Plugins require each other in a cycle: " + " -> ".join(cycle))
            visiting.append(name)
            for req in self.plugins[name].info.requires:
                visit(req)
            visiting.pop()
            done.add(name)

        for name in self.plugins:
            visit(name)

    def _drop_unknown_hooks(self) -> None:
        """A hookimpl that matches no spec (a typo, usually) skips its plugin with a clear reason."""
        for hook_name in list(vars(self.pm.hook)):
            caller = getattr(self.pm.hook, hook_name)
            if not isinstance(caller, pluggy.HookCaller) or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                name = self.pm.get_name(impl.plugin)
                plugin = self.plugins.get(name)
                if plugin and not plugin.error:
                    plugin.error = f"implements {hook_name!r}, which is not a Regulars hook"
                    close = difflib.get_close_matches(hook_name, self._hook_names(), n=1)
                    if close:
                        plugin.error += f"; did you mean {close[0]!r}?"
                    self.pm.unregister(impl.plugin)

    def _hook_names(self) -> list[str]:
        return sorted(name for name in vars(self.pm.hook)
                      if isinstance(getattr(self.pm.hook, name), pluggy.HookCaller)
                      and getattr(self.pm.hook, name).has_spec())

    def _read_migrations(self) -> None:
        """Read each plugin's migrations folder once: its revisions and head(s). A plugin whose
        migrations name a revision that does not exist is skipped, with the file and the name."""
        from core import migrate

        files: dict[str, list[migrate.RevisionFile]] = {
            "core": migrate.read_revisions(migrate.CORE_VERSIONS)}
        for plugin in self.plugins.values():
            if not plugin.info.migrations:
                continue
            try:
                files[plugin.name] = migrate.read_revisions(plugin.info.migrations)
            except migrate.MigrationError as exc:
                plugin.migration_error = str(exc)
        owner_of: dict[str, str] = {}
        for name, revisions in list(files.items()):
            for rev in revisions:
                if rev.revision in owner_of and name != "core":
                    self.plugins[name].migration_error = (
                        f"migration {rev.filename}: revision {rev.revision!r} is also one of "
                        f"{owner_of[rev.revision]}'s")
                    break
                owner_of.setdefault(rev.revision, name)
        known = {r.revision for revs in files.values() for r in revs}
        known |= {label for revs in files.values() for r in revs for label in r.labels}
        for name, revisions in files.items():
            if name == "core":
                continue
            plugin = self.plugins[name]
            if not plugin.migration_error:
                plugin.migration_error = migrate.unknown_reference(revisions, known)
            plugin.revisions = frozenset(r.revision for r in revisions)
            plugin.heads = migrate.heads_of(revisions)
        labelled = {label: r.revision for revs in files.values() for r in revs
                    for label in r.labels}
        for name, revisions in files.items():
            if name != "core" and self.plugins[name].migration_error:
                continue
            for rev in revisions:
                self._parents[rev.revision] = tuple(
                    labelled.get(d, d) for d in (*rev.down, *rev.depends))
        for plugin in self.plugins.values():
            if plugin.migration_error and not plugin.error:
                plugin.error = f"its migrations cannot run: {plugin.migration_error}"
                if self.pm.get_plugin(plugin.name) is not None:
                    self.pm.unregister(name=plugin.name)

    def migration_folders(self) -> list[str]:
        """The migrations folders Alembic reads: every plugin's whose migrations can run,
        disabled or not (their revisions stay in the database's history)."""
        return [str(p.info.migrations) for p in self.plugins.values()
                if p.info.migrations and not p.migration_error]

    def migration_error(self, name: str) -> str:
        plugin = self.plugins.get(name)
        return plugin.migration_error if plugin else ""

    def plugins_to_upgrade(self) -> list[str]:
        """What ``regulars db upgrade`` upgrades: every enabled plugin (the plugins it requires
        enabled too), and every disabled one whose tables exist already, so the code that
        erases, merges and exports its data always finds the schema it expects."""
        names = []
        for plugin in self.plugins.values():
            if not plugin.info.migrations or (plugin.error and not plugin.migration_error):
                continue
            enabled = self.is_enabled(plugin.name) and all(
                self.is_enabled(r) for r in plugin.info.requires)
            if enabled or self.migration_state(plugin.name) == "behind":
                names.append(plugin.name)
        return names

    def register_hookimpls(self, obj, name: str) -> None:
        """Register a plain hook-implementing object (the core's default plugin)."""
        self.pm.register(obj, name=name)

    # -- state -----------------------------------------------------------------------------

    def refresh(self, session, force: bool = False, version: Any = _READ_IT) -> None:
        """Re-read the enabled set and the applied migrations when another process changed
        them (one cheap SELECT, or none when the caller read the settings ``version`` already:
        see core.access), then both in one more statement when the version moved (enabling,
        disabling and ``regulars db upgrade`` all move it). ``session`` may be a Session or
        a Connection."""
        from sqlalchemy import select

        from core.models import SettingsVersion

        self._state_tried = True
        if version is _READ_IT:
            try:
                version = session.execute(
                    select(SettingsVersion.version).where(SettingsVersion.key == SETTINGS_KEY)
                ).scalar()
            except Exception:  # the database is not migrated yet
                session.rollback()
                return
        version = version or 0
        if not force and version == self._state_version:
            return
        rows = session.execute(_state_statement()).all()
        # plugin_state.enabled is never NULL: a NULL marks a row of alembic_version.
        versions = {name for name, enabled in rows if enabled is None}
        self._disabled = {name for name, enabled in rows if enabled is not None and not enabled}
        self._applied = self._ancestors(versions)
        self._unknown_revisions = {v for v in versions if v not in self._parents}
        self._state_version = version
        self._callers.clear()

    def _ancestors(self, revisions: set[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(revisions)
        while todo:
            rev = todo.pop()
            if rev not in seen:
                seen.add(rev)
                todo.extend(self._parents.get(rev, ()))
        return seen

    def _ensure_state(self) -> None:
        """Read the state once if nothing has yet (a CLI command, a job): on a connection of
        its own, so a transaction the caller has open is left alone."""
        if self._state_tried:
            return
        self._state_tried = True
        try:
            from core.db import db

            with db.engine.connect() as conn:
                self.refresh(conn)
        except Exception:  # no app context, or no database yet
            log.debug("Could not read the plugin state", exc_info=True)

    def migration_state(self, name: str) -> str:
        """"none" (it has no migrations), "head" (its tables are as its code expects), "behind"
        (its tables exist but a newer revision is waiting) or "missing" (never upgraded)."""
        plugin = self.plugins.get(name)
        if plugin is None or not plugin.revisions:
            return "none"
        applied = self._applied or set()
        if plugin.heads <= applied:
            return "head"
        return "behind" if plugin.revisions & applied else "missing"

    def needs_upgrade(self, name: str) -> bool:
        return self.migration_state(name) in ("behind", "missing")

    def is_enabled(self, name: str) -> bool:
        """Switched on by the shop (whether or not it could be loaded)."""
        return name not in self._disabled

    def is_active(self, name: str) -> bool:
        """Loaded, enabled, its migrations at head, and every plugin it requires active too:
        its hooks run."""
        plugin = self.plugins.get(name)
        if plugin is None or plugin.error or not self.is_enabled(name):
            return False
        if self.needs_upgrade(name):
            return False
        return all(self.is_active(req) for req in plugin.info.requires)

    def inactive_reason(self, name: str) -> str:
        plugin = self.plugins[name]
        if plugin.error:
            return plugin.error
        if not self.is_enabled(name):
            return "disabled"
        if self.needs_upgrade(name):
            return NEEDS_UPGRADE
        for req in plugin.info.requires:
            if not self.is_active(req):
                return f"requires {req!r}, which is {self.inactive_reason(req) or 'inactive'}"
        return ""

    def runs_data_hooks(self, name: str) -> bool:
        """Whether the plugin's ``include_disabled`` hooks run: it is registered (it loaded)
        and its tables are as its code expects, enabled or not."""
        plugin = self.plugins.get(name)
        return (plugin is not None and self.pm.get_plugin(name) is not None
                and self.migration_state(name) in ("none", "head"))

    def data_left_behind(self) -> list[tuple[LoadedPlugin, str]]:
        """Plugins whose tables exist but whose hooks cannot run, each with why: a merge or an
        erase would leave their data behind, so those acts are refused while this is not
        empty. A plugin that could not be imported at all counts when the database holds
        revisions no loaded plugin knows."""
        self._ensure_state()
        found = []
        for plugin in self.plugins.values():
            if self.runs_data_hooks(plugin.name):
                continue
            state = self.migration_state(plugin.name)
            registered = self.pm.get_plugin(plugin.name) is not None
            if registered and state == "behind":
                found.append((plugin, NEEDS_UPGRADE))
            elif not registered and state in ("head", "behind"):
                found.append((plugin, plugin.error))
            elif not registered and plugin.module is None and self._unknown_revisions:
                found.append((plugin, plugin.error))
        return found

    def active_plugins(self) -> list[LoadedPlugin]:
        return [p for p in self.plugins.values() if self.is_active(p.name)]

    def caller(self, hook_name: str, include_disabled: bool = False):
        """The hook caller of the active plugins (and the core). ``include_disabled=True``:
        of every plugin that loaded and whose tables are migrated, enabled or not (what
        ``customer_merging``, ``customer_erasing`` and ``customer_export`` are called with)."""
        key = (hook_name, include_disabled)
        caller = self._callers.get(key)
        if caller is None:
            self._ensure_state()
            runs = self.runs_data_hooks if include_disabled else self.is_active
            # Inactive includes a plugin that failed after registering (in register_views, say).
            remove = [
                self.pm.get_plugin(p.name) for p in self.plugins.values()
                if not runs(p.name) and self.pm.get_plugin(p.name) is not None
            ]
            caller = (
                self.pm.subset_hook_caller(hook_name, remove_plugins=remove)
                if remove else getattr(self.pm.hook, hook_name)
            )
            self._callers[key] = caller
        return caller

    # -- calling ---------------------------------------------------------------------------

    def collect(self, hook_name: str, include_disabled: bool = False, **kwargs) -> list:
        """Call a hook on the active plugins (``include_disabled``: see ``caller``) and
        flatten the results (a hook may return one item or a list), dropping None."""
        items: list = []
        for result in self.caller(hook_name, include_disabled)(**kwargs):
            if result is None:
                continue
            if isinstance(result, (list, tuple)):
                items.extend(r for r in result if r is not None)
            else:
                items.append(result)
        return items

    def notify(self, hook_name: str, **kwargs) -> None:
        """Call an after-commit (``*_ed``) hook: each plugin on its own, a failing one logged
        and isolated so the user's request never fails because of it."""
        self._notify(hook_name, self.caller(hook_name).get_hookimpls(), kwargs)

    def notify_including(self, hook_name: str, names: Iterable[str], **kwargs) -> None:
        """``notify``, and the plugins ``names`` too though they are not active (as
        ``plugin_disabled`` reaches the plugin switched off)."""
        impls = list(self.caller(hook_name).get_hookimpls())
        wanted = {self.pm.get_plugin(n) for n in names} - {None}
        impls += [i for i in getattr(self.pm.hook, hook_name).get_hookimpls()
                  if i.plugin in wanted and i not in impls]
        self._notify(hook_name, impls, kwargs)

    def _notify(self, hook_name: str, impls, kwargs: dict) -> None:
        for impl in impls:
            args = {a: kwargs[a] for a in impl.argnames if a in kwargs}
            try:
                impl.function(**args)
            except Exception as exc:  # isolate the plugin; never fail the caller
                plugin_name = self.pm.get_name(impl.plugin)
                log.exception("Plugin %s failed in %s", plugin_name, hook_name)
                self.failures.append((plugin_name, hook_name, repr(exc)))

    def implemented_hooks(self, name: str) -> list[str]:
        plugin = self.pm.get_plugin(name)
        if plugin is None:
            return []
        return sorted(c.name for c in (self.pm.get_hookcallers(plugin) or []))

    def permission_grants(self, baseviews) -> dict[tuple[str, str], frozenset[str]]:
        """{(permission, view name): the built-in roles that get it} for the permissions of
        plugins' views that their ``PluginInfo.grants`` names (Admin always among them)."""
        found: dict[tuple[str, str], frozenset[str]] = {}
        for view in baseviews:
            blueprint = getattr(view, "blueprint", None)
            owner = self.owner_of_blueprint(getattr(blueprint, "name", None))
            grants = self.plugins[owner].info.grants if owner else None
            if not grants:
                continue
            name = view.class_permission_name
            for permission in view.base_permissions or ():
                roles = grants.get(f"{name}.{permission}", grants.get(permission))
                if roles is not None:
                    found[(permission, name)] = frozenset({"Admin", *roles})
        return found

    def owner_of_blueprint(self, blueprint: str | None) -> str | None:
        if not blueprint:
            return None
        for plugin in self.plugins.values():
            if blueprint in plugin.blueprints:
                return plugin.name
        return None


@functools.lru_cache(maxsize=1)
def _state_statement():
    """The enabled set and the applied revisions, in one statement: (plugin name, enabled)
    rows of ``plugin_state``, then (revision, NULL) rows of ``alembic_version``."""
    from sqlalchemy import String, column, null, select, table, union_all

    from core.models import PluginState

    applied = table("alembic_version", column("version_num", String))
    return union_all(select(PluginState.name, PluginState.enabled),
                     select(applied.c.version_num, null()))


def _grants_error(grants) -> str:
    """Why ``PluginInfo.grants`` cannot be used, or ""."""
    from core.roles import BUILTIN_ROLES

    if not isinstance(grants, dict):
        return "grants must be a dict of permission: [role, ...]"
    for key, roles in grants.items():
        if not isinstance(key, str) or not key.rsplit(".", 1)[-1].startswith("can_"):
            return (f"grants key {key!r} is not a permission (\"can_say\", or "
                    f"\"HelloView.can_say\" for one view)")
        if isinstance(roles, str) or not isinstance(roles, (list, tuple, set, frozenset)):
            return f"grants {key!r} must be a list of role names, not {roles!r}"
        for role in roles:
            if role not in BUILTIN_ROLES:
                close = difflib.get_close_matches(str(role), BUILTIN_ROLES, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                return (f"grants {key!r} to {role!r}, which is not a built-in role{hint}; the "
                        f"built-in roles are {', '.join(BUILTIN_ROLES)}")
    return ""


class _ActiveHooks:
    """``host.hook.NAME(**kwargs)``: like ``pm.hook`` but only the active plugins answer."""

    def __init__(self, host: PluginHost):
        self._host = host

    def __getattr__(self, name: str):
        return self._host.caller(name)


_MODULE_TABLES: dict[str, list[str]] = {}


def _import_plugin_module(target: str) -> tuple[ModuleType | None, str, list[str]]:
    """Import an entry point's module, noting which tables it defined. A module whose table
    name collides with one already defined is refused with the name of that table."""
    from core.db import Model

    module_name = target.split(":")[0]
    before = set(Model.metadata.tables)
    try:
        module = import_module(module_name)
    except Exception as exc:
        msg = str(exc).splitlines()[0]
        if "is already defined" in msg:
            return None, f"a table it defines collides with an existing one ({msg})", []
        log.exception("Could not import plugin module %s", module_name)
        return None, f"could not be imported: {type(exc).__name__}: {msg}", []
    if module_name not in _MODULE_TABLES:
        _MODULE_TABLES[module_name] = sorted(set(Model.metadata.tables) - before)
    return module, "", _MODULE_TABLES[module_name]


# -- calling plugins one by one, each on its own ----------------------------------------------


def isolated(plugin: str, hook: str, exc: Exception) -> None:
    """Log what a plugin's ``hook`` (or function) raised and note it in
    ``PluginHost.failures``; the caller carries on without that plugin's answer."""
    log.exception("Plugin %s failed in %s", plugin, hook, exc_info=exc)
    current_host().failures.append((plugin, hook, repr(exc)))


def each(hook_name: str, include_disabled: bool = False,
          **kwargs) -> Iterator[tuple[str, Any, Exception | None]]:
    """Call ``hook_name`` plugin by plugin (``include_disabled``: see ``PluginHost.caller``):
    ``(plugin, item, None)`` for each item returned (None dropped), ``(plugin, None,
    exception)`` for a plugin that raised, which is logged and isolated (``isolated``)."""
    host = current_host()
    for impl in host.caller(hook_name, include_disabled=include_disabled).get_hookimpls():
        if impl.hookwrapper or getattr(impl, "wrapper", False):
            continue
        plugin = host.pm.get_name(impl.plugin)
        try:
            result = impl.function(**{a: kwargs[a] for a in impl.argnames if a in kwargs})
        except Exception as exc:  # isolate the plugin; the screen still answers
            isolated(plugin, hook_name, exc)
            yield plugin, None, exc
            continue
        for item in result if isinstance(result, (list, tuple)) else [result]:
            if item is not None:
                yield plugin, item, None
