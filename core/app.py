"""The application factory: config → database → plugin host → FAB → core views and API →
plugins' views and API → jobs → startup."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from types import ModuleType
from typing import Iterable

from flask import Flask, abort, redirect, request, url_for
from flask_appbuilder import AppBuilder, IndexView, expose
from flask_wtf.csrf import CSRFProtect

from core.db import db
from core.plugins import PluginHost

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "REGULARS_"


class HomeView(IndexView):
    """The start page: the customer list for signed-in staff, the login page for everyone else."""

    @expose("/")
    def index(self):
        from flask_login import current_user

        if current_user.is_authenticated:
            return redirect(url_for("CustomerView.list"))
        return redirect(url_for(self.appbuilder.sm.auth_view.endpoint + ".login"))


def create_app(config: dict | str | None = None, extra_plugins: Iterable[ModuleType] = ()) -> Flask:
    """Build a Regulars app. ``config`` is a dict of settings or the name of a module under
    ``config/`` ("testing"); ``extra_plugins`` registers plugin modules that are not installed
    as distributions (tests use it)."""
    instance = os.environ.get(ENV_PREFIX + "INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask("core", instance_path=instance, instance_relative_config=True)
    _configure(app, config)
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client's address as the trusted proxies saw it (the sign-in throttle counts by it).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["TRUSTED_PROXIES"]))

    db.init_app(app)
    # Every form POST carries a CSRF token; FAB exempts its API blueprints, which take JSON only.
    CSRFProtect(app)
    # Bad input (bodies too large, text that is not Unicode, unknown list actions) is answered
    # before any view, CSRF check or plugin reads the request.
    from core import input_checks

    input_checks.install(app)
    import core.models  # noqa: F401  (the core's tables)

    host = PluginHost(app.config)
    from core import default_plugin

    host.register_hookimpls(default_plugin, name="core")
    host.discover(extra_plugins)
    app.extensions["regulars.plugins"] = host

    from core.security import RegularsSecurityManager

    # The core registers the OpenAPI views itself (core/api/openapi.py): FAB's would describe
    # the APIs of disabled plugins too.
    app.config["FAB_ADD_OPENAPI_VIEWS"] = False
    appbuilder = AppBuilder(
        indexview=HomeView,
        security_manager_class=RegularsSecurityManager,
        base_template="regulars/base.html",
        update_perms=False,
    )
    with app.app_context():
        appbuilder.init_app(app, db.session)
        from core.api import register_core_api
        from core.views import register_core_views

        register_core_views(appbuilder)
        register_core_api(appbuilder)
        _register_plugin_surfaces(app, appbuilder, host)
        _security_menu_last(appbuilder)
        appbuilder.post_init()
    _honour_menu_conditions(app)
    _add_plugin_templates(app, host)
    _add_plugin_static(app, host)

    _install_request_guards(app, host)
    from core import cli, scheduler

    cli.register(app)
    if app.config.get("SCHEDULER_IN_PROCESS"):
        scheduler.start_in_thread(app)
    if app.config.get("WORKER_IN_PROCESS"):
        from core import tasks

        tasks.start_in_thread(app)
    with app.app_context():
        host.notify("startup", app=app)
    return app


def _configure(app: Flask, config) -> None:
    app.config.from_object("config.default")
    if isinstance(config, str):
        app.config.from_object(f"config.{config}")
    elif isinstance(config, dict):
        app.config.update(config)
    extra_file = os.environ.get(ENV_PREFIX + "CONFIG")
    if extra_file:
        app.config.from_pyfile(os.path.abspath(extra_file))
    for key, value in os.environ.items():
        if key.startswith(ENV_PREFIX) and key not in (ENV_PREFIX + "CONFIG",):
            app.config[key[len(ENV_PREFIX):]] = _parse_env(value)
    if isinstance(config, dict):  # explicit arguments win over the environment
        app.config.update(config)

    os.makedirs(app.instance_path, exist_ok=True)
    url = app.config.get("DATABASE_URL") or "sqlite:///" + os.path.join(app.instance_path, "regulars.db")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app.config["DATABASE_URL"] = url
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    app.config["SQLALCHEMY_TRACK_MODIFICATIONS"] = False
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)


def _parse_env(value: str):
    low = value.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if value.isdigit():
        return int(value)
    return value


def _instance_secret(instance_path: str) -> str:
    """A secret key generated once into instance/ (never committed), kept across restarts."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    with open(path) as f:
        return f.read().strip()


def _register_plugin_surfaces(app: Flask, appbuilder: AppBuilder, host: PluginHost) -> None:
    """Each plugin's views and API, noting which blueprints and menu items are its own so the
    host can hide them (404, no menu) while the plugin is disabled."""
    for hook_name in ("register_views", "register_api"):
        for impl in reversed(host.pm.hook.__dict__[hook_name].get_hookimpls()):
            name = host.pm.get_name(impl.plugin)
            plugin = host.plugins.get(name)
            if plugin is None or plugin.error:
                continue
            blueprints_before = set(app.blueprints)
            menu_before = {id(m) for m in _menu_items(appbuilder.menu.menu)}
            try:
                impl.function(**{a: appbuilder for a in impl.argnames})
            except Exception as exc:
                log.exception("Plugin %s failed in %s", name, hook_name)
                plugin.error = f"failed in {hook_name}: {exc}"
            # Also after a failure: what it did register stays hidden (404, no menu).
            plugin.blueprints |= set(app.blueprints) - blueprints_before
            for item in _menu_items(appbuilder.menu.menu):
                if id(item) in menu_before:
                    continue
                if _is_category(item):
                    # Other plugins may add items to it later: it follows its items, not the
                    # plugin that happened to create it.
                    item.cond = _any_item_shown(item, item.cond)
                else:
                    item.cond = _menu_condition(host, name, item.cond)


def _honour_menu_conditions(app: Flask) -> None:
    """FAB's navbar asks only the security manager whether to show a menu item and ignores the
    item's ``cond``; ask both, so a disabled plugin's menu items disappear."""
    permitted = app.jinja_env.filters["is_menu_visible"]
    app.jinja_env.filters["is_menu_visible"] = lambda item: item.should_render() and permitted(item)


def _security_menu_last(appbuilder: AppBuilder) -> None:
    items = appbuilder.menu.menu
    items.sort(key=lambda item: item.name == "Security")


def _add_plugin_templates(app: Flask, host: PluginHost) -> None:
    """Each plugin's ``templates/`` folder joins the app's template search path."""
    from jinja2 import ChoiceLoader, FileSystemLoader

    folders = []
    for plugin in host.plugins.values():
        if plugin.module is not None and getattr(plugin.module, "__file__", None):
            folder = Path(plugin.module.__file__).resolve().parent / "templates"
            if folder.is_dir():
                folders.append(str(folder))
    if folders:
        app.jinja_loader = ChoiceLoader([app.jinja_loader, FileSystemLoader(folders)])


def _add_plugin_static(app: Flask, host: PluginHost) -> None:
    """Each plugin's ``static/`` folder is served at /static/plugins/<name>/ (in a template:
    ``url_for('<name>_static.static', filename='x.js')``): the way to ship a script, since the
    Content-Security-Policy runs no inline one. Hidden (404) while the plugin is disabled."""
    from flask import Blueprint

    for plugin in host.plugins.values():
        if plugin.module is None or not getattr(plugin.module, "__file__", None):
            continue
        folder = Path(plugin.module.__file__).resolve().parent / "static"
        name = f"{plugin.name}_static"
        if folder.is_dir() and name not in app.blueprints:
            app.register_blueprint(Blueprint(
                name, plugin.module.__name__, static_folder=str(folder),
                static_url_path=f"/static/plugins/{plugin.name}"))
            plugin.blueprints.add(name)


def _menu_items(items):
    for item in items:
        yield item
        yield from _menu_items(item.childs or [])


def _is_category(item) -> bool:
    """A dropdown heading rather than a link (FAB's add_category makes one without a target)."""
    return bool(item.childs) or not (item.href or item.baseview)


def _any_item_shown(category, previous):
    def cond():
        return (previous is None or bool(previous())) and any(
            child.should_render() for child in category.childs if child.name != "-")

    return cond


def _menu_condition(host: PluginHost, name: str, previous):
    def cond():
        return host.is_active(name) and (previous is None or bool(previous()))

    return cond


def _install_request_guards(app: Flask, host: PluginHost) -> None:
    @app.before_request
    def plugin_state_and_guard():
        # The request's one query (sign-in, user, settings versions) tells the host too.
        access = app.appbuilder.sm.request_access()
        if access.known:
            host.refresh(db.session, version=access.plugins_version)
        else:
            host.refresh(db.session)
        owner = host.owner_of_blueprint(request.blueprint)
        if owner and not host.is_active(owner):
            if host.is_enabled(owner) and host.needs_upgrade(owner) and not host.plugins[owner].error:
                from core.views.common import plugin_needs_upgrade

                raise plugin_needs_upgrade(host.plugins[owner])
            abort(404)

    from core.input_checks import check_list_action

    app.before_request(check_list_action)  # FAB's list actions: only those the view has
    from core.security import refuse_cross_site_api_calls, refuse_throttled_sign_ins

    # FAB exempts its API blueprints from CSRFProtect; this holds them to the same rule.
    app.before_request(refuse_cross_site_api_calls)
    app.before_request(refuse_throttled_sign_ins)

    @app.after_request
    def run_eager_tasks(response):
        from core import tasks

        tasks.run_committed()  # TASKS_EAGER only: what the request's commits enqueued
        return response

    from core import csp

    csp.install(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint and request.endpoint.endswith(".login"):
            response.headers["Cache-Control"] = "no-store"
        return response
