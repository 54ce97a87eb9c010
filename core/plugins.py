"""The plugin host: finds plugins by entry point, checks them, registers their hooks, and
knows at every request which of them this shop has switched on.

Installed is not enabled: pip installs a plugin; the ``plugin_state`` table says whether it
runs. Every process compares a settings version in the database with its cached copy on each
request, so enabling or disabling takes effect at once in every worker, without a restart.
"""

from __future__ import annotations

import dataclasses
import logging
from importlib import import_module
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any, Iterable

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

import core
from core import hookspecs
from core.errors import PluginError, StartupError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "regulars.plugins"
PROJECT_NAME = "regulars"
SETTINGS_KEY = "plugins"
_READ_IT = object()  # PluginHost.refresh: read the settings version itself


@dataclasses.dataclass
class PluginInfo:
    """What a plugin says about itself: the ``PLUGIN`` attribute of its entry-point module."""

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
        self._callers: dict[str, Any] = {}
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
        return ""

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
                    self.pm.unregister(impl.plugin)

    def register_hookimpls(self, obj, name: str) -> None:
        """Register a plain hook-implementing object (the core's default plugin)."""
        self.pm.register(obj, name=name)

    # -- state -----------------------------------------------------------------------------

    def refresh(self, session, force: bool = False, version: Any = _READ_IT) -> None:
        """Re-read the enabled set when another process changed it (one cheap SELECT, or none
        when the caller read the settings ``version`` already: see core.access)."""
        from sqlalchemy import select

        from core.models import PluginState, SettingsVersion

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
        rows = session.execute(select(PluginState.name, PluginState.enabled)).all()
        self._disabled = {name for name, enabled in rows if not enabled}
        self._state_version = version
        self._callers.clear()

    def is_enabled(self, name: str) -> bool:
        """Switched on by the shop (whether or not it could be loaded)."""
        return name not in self._disabled

    def is_active(self, name: str) -> bool:
        """Loaded, enabled, and every plugin it requires active too: its hooks run."""
        plugin = self.plugins.get(name)
        if plugin is None or plugin.error or not self.is_enabled(name):
            return False
        return all(self.is_active(req) for req in plugin.info.requires)

    def inactive_reason(self, name: str) -> str:
        plugin = self.plugins[name]
        if plugin.error:
            return plugin.error
        if not self.is_enabled(name):
            return "disabled"
        for req in plugin.info.requires:
            if not self.is_active(req):
                return f"requires {req!r}, which is disabled"
        return ""

    def active_plugins(self) -> list[LoadedPlugin]:
        return [p for p in self.plugins.values() if self.is_active(p.name)]

    def caller(self, hook_name: str):
        caller = self._callers.get(hook_name)
        if caller is None:
            # Inactive includes a plugin that failed after registering (in register_views, say).
            remove = [
                self.pm.get_plugin(p.name) for p in self.plugins.values()
                if not self.is_active(p.name) and self.pm.get_plugin(p.name) is not None
            ]
            caller = (
                self.pm.subset_hook_caller(hook_name, remove_plugins=remove)
                if remove else getattr(self.pm.hook, hook_name)
            )
            self._callers[hook_name] = caller
        return caller

    # -- calling ---------------------------------------------------------------------------

    def collect(self, hook_name: str, **kwargs) -> list:
        """Call a hook on the active plugins and flatten the results (a hook may return one
        item or a list), dropping None."""
        items: list = []
        for result in self.caller(hook_name)(**kwargs):
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
        for impl in self.caller(hook_name).get_hookimpls():
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

    def owner_of_blueprint(self, blueprint: str | None) -> str | None:
        if not blueprint:
            return None
        for plugin in self.plugins.values():
            if blueprint in plugin.blueprints:
                return plugin.name
        return None


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
