"""Small pieces every screen uses."""

from __future__ import annotations

import babel
from flask import current_app, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, NotFound

from core.db import record_id
from core.plugins import current_host as host  # noqa: F401  (the views' name for it)


def allowed(permission: str, view: str) -> bool:
    return current_app.appbuilder.sm.has_access(permission, view)


def int_arg(name: str, source=None):
    """A positive whole number from the query string (or ``source``), or None."""
    source = source if source is not None else request.args
    return record_id(source.get(name, ""))


def int_args(name: str, source=None) -> list[int]:
    """Every positive whole number sent under ``name``; anything else is dropped."""
    source = source if source is not None else request.form
    return [i for i in (record_id(v) for v in source.getlist(name)) if i is not None]


def render_tab(template: str, **context):
    """A tab's body: an HTML fragment for the overview to load in place."""
    return render_template(template, **context)


def language_name(code: str) -> str:
    """A language code ("en") by its name in the user's language ("English"), via Babel."""
    if not code:
        return ""
    try:
        return babel.Locale.parse(code).get_display_name(str(get_locale() or "en")) or code
    except (ValueError, babel.UnknownLocaleError):
        return code


def country_name(code: str) -> str:
    """An ISO country code ("DE") by its name in the user's language ("Germany"), via Babel."""
    if not code:
        return ""
    locale = get_locale() or babel.Locale.parse("en")
    return locale.territories.get(code.upper(), code) if code.isalpha() else code


# -- error pages -----------------------------------------------------------------------------

ERROR_PAGES = {
    403: (_l("Not allowed"), _l("Your role does not allow this page or action. If you need it, "
                                "ask an administrator.")),
    404: (_l("Page not found"), _l("There is no such page, or what it showed is no longer "
                                   "here.")),
}


def _wants_json() -> bool:
    """The API (and scripts asking for JSON) get JSON errors; people get a page."""
    accept = request.accept_mimetypes
    return request.path.startswith("/api/") or (accept.accept_json and not accept.accept_html)


def error_page(exc: HTTPException):
    """A 403 or 404 inside the app's own layout: the menu, a sentence and a way back."""
    if _wants_json():
        return jsonify(message=exc.description or exc.name), exc.code
    title, sentence = ERROR_PAGES[exc.code]
    sentence = getattr(exc, "sentence", None) or sentence
    appbuilder = current_app.appbuilder
    return render_template("regulars/error.html", appbuilder=appbuilder,
                           base_template=appbuilder.base_template, code=exc.code, title=title,
                           sentence=sentence, back=appbuilder.get_url_for_index), exc.code


def plugin_needs_upgrade(plugin) -> NotFound:
    """The 404 of a plugin's page while its migrations wait for ``regulars db upgrade``."""
    sentence = _("The plugin %(label)s is installed but its tables are not there yet: an "
                 "administrator needs to run `regulars db upgrade` (or upgrade it on the Plugins "
                 "page), then this page is here.", label=plugin.info.label)
    exc = NotFound(description=sentence)
    exc.sentence = sentence
    return exc


def register_error_pages(app) -> None:
    for code in ERROR_PAGES:
        app.register_error_handler(code, error_page)
