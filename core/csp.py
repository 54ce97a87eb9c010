"""The Content-Security-Policy sent with every response (``CONTENT_SECURITY_POLICY``).

Regulars' pages, the core's and the plugins', carry no inline script and no ``on…=`` handler:
their scripts are files under ``static/`` (a plugin's under its own ``static/``), so the
policy allows scripts from the app itself and nothing else. Markup that wants behaviour says
so with data- attributes (``data-confirm``) that those files act on.

FAB's own admin screens (the lists of users, roles and permissions, their search and action
forms, the user statistics chart) still render inline scripts, each tagged with FAB's
``baselib.get_nonce()``. For those, a page that asks for a nonce gets a fresh one per
response, named in its policy: they run, a script injected into a page cannot. Styles may be
inline (FAB's and Bootstrap's markup sets ``style=`` attributes)."""

from __future__ import annotations

import secrets

from flask import Flask, current_app, g

# "{nonce}" is where the page's nonce goes ("'nonce-…'" when the page used one, else nothing).
DEFAULT_POLICY = (
    "default-src 'self'; script-src 'self'{nonce}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)


def nonce() -> str:
    """This response's script nonce, made on first use (FAB's templates call it as
    ``csp_nonce()``)."""
    value = g.get("regulars_csp_nonce")
    if value is None:
        value = g.regulars_csp_nonce = secrets.token_urlsafe(18)
    return value


def policy() -> str:
    """The policy for this response: the configured one with the nonce, if a page used one."""
    template = current_app.config.get("CONTENT_SECURITY_POLICY") or DEFAULT_POLICY
    used = g.get("regulars_csp_nonce")
    return template.replace("{nonce}", f" 'nonce-{used}'" if used else "")


def install(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = nonce

    @app.after_request
    def content_security_policy(response):
        response.headers.setdefault("Content-Security-Policy", policy())
        return response
