"""What the shop's browsers are told to trust: a Content-Security-Policy that runs only the
app's own script files (so a script slipped into a customer's name can never run), pages that
need nothing more, and a server that does not advertise its software."""

from __future__ import annotations

import re
import threading
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_FOLDERS = [ROOT / "core" / "templates", *ROOT.glob("plugins/*/templates"),
                    *ROOT.glob("examples/*/*/templates")]
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def script_src(policy: str) -> list[str]:
    for directive in policy.split(";"):
        name, *values = directive.split()
        if name == "script-src":
            return values
    return []


def test_pages_are_sent_a_policy_that_runs_only_the_apps_own_scripts(admin_client, make_customer):
    customer_id = make_customer()

    for path in ("/customers/", f"/customers/{customer_id}", "/customers/add", "/plugins/"):
        policy = admin_client.get(path).headers.get("Content-Security-Policy", "")
        sources = script_src(policy)
        assert "'self'" in sources, path
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(sources), path
        assert "object-src 'none'" in policy and "frame-ancestors 'self'" in policy


def test_the_api_is_sent_the_policy_too(admin_client):
    response = admin_client.get("/api/v1/customers/")

    assert "default-src 'self'" in response.headers.get("Content-Security-Policy", "")


def template_files():
    for folder in TEMPLATE_FOLDERS:
        yield from sorted(folder.rglob("*.html"))


def test_no_template_of_regulars_or_its_plugins_has_an_inline_script_or_handler():
    offenders = []
    for path in template_files():
        text = path.read_text(encoding="utf-8")
        if INLINE_SCRIPT.search(text) or EVENT_HANDLER.search(text) or "javascript:" in text:
            offenders.append(str(path.relative_to(ROOT)))

    assert offenders == []


def test_fabs_admin_lists_run_their_inline_scripts_by_the_responses_nonce(admin_client):
    response = admin_client.get("/roles/list/")

    nonces = set(re.findall(r'<script nonce="([^"]+)">', response.get_data(as_text=True)))
    policy_nonces = {s[len("'nonce-"):-1] for s in
                     script_src(response.headers.get("Content-Security-Policy", ""))
                     if s.startswith("'nonce-")}
    assert nonces and nonces == policy_nonces


def test_each_response_gets_a_nonce_of_its_own(admin_client):
    first = admin_client.get("/roles/list/").headers["Content-Security-Policy"]
    second = admin_client.get("/roles/list/").headers["Content-Security-Policy"]

    assert first != second


def test_the_development_server_does_not_name_werkzeug_or_python(app):
    from werkzeug.serving import make_server

    from core.devserver import RequestHandler

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=RequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/login/") as answer:
            headers = answer.headers
    finally:
        server.shutdown()
        thread.join(timeout=5)

    assert headers.get("Server") is None
    assert headers.get("Date")


# -- a plugin's own scripts -----------------------------------------------------------------


@pytest.fixture
def stamps_plugin(tmp_path, monkeypatch):
    """A plugin package on disk with a script in its ``static/`` folder."""
    import importlib
    import sys

    package = tmp_path / "regulars_stamps"
    (package / "static").mkdir(parents=True)
    (package / "__init__.py").write_text(
        "from core.sdk import PluginInfo\n"
        "PLUGIN = PluginInfo(name='stamps', label='Stamps', version='1.0')\n")
    (package / "static" / "stamps.js").write_text("document.title = 'Stamps';\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("regulars_stamps")
    yield module
    sys.modules.pop("regulars_stamps", None)


def test_a_plugin_ships_its_scripts_in_its_static_folder(make_app, stamps_plugin):
    app = make_app(extra_plugins=[stamps_plugin])

    with app.test_request_context():
        from flask import url_for

        url = url_for("stamps_static.static", filename="stamps.js")
    response = app.test_client().get(url)

    assert url == "/static/plugins/stamps/stamps.js"
    assert response.status_code == 200 and b"Stamps" in response.data


def test_a_disabled_plugins_scripts_are_not_served(make_app, stamps_plugin):
    from core.services import plugins

    app = make_app(extra_plugins=[stamps_plugin])
    with app.app_context():
        plugins.set_enabled("stamps", False)

    response = app.test_client().get("/static/plugins/stamps/stamps.js")

    assert response.status_code == 404
