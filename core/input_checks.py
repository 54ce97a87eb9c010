"""What a request brings in is checked once, before any view reads it, so that every endpoint
(the core's, FAB's own, every plugin's) answers bad input with a clear 4xx and never a 500:

- a body larger than ``MAX_CONTENT_LENGTH``: 413 (JSON on the API);
- a JSON body nested deeper than Python can read is "not valid JSON" to every reader (400, like
  any other body that is not JSON, from the endpoints that read one);
- text that is not valid Unicode, anywhere in a JSON body (a lone surrogate sent as the escape
  ``"\\ud800"``, bytes that are not UTF-8, in a value or a key) or in a form field (bytes that
  are not UTF-8): 422 ``{"message", "errors": {field: message}}``, the field named by its path
  (``first_name``, ``addresses.0.city``). The database could not store such text, and the
  views downstream may assume it never arrives;
- a list action (FAB's ``…/action_post``) the view does not have: 400, a row it does not
  have: 404.

Multipart forms are left to Werkzeug, which reads bytes that are not UTF-8 as U+FFFD.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote_to_bytes

from flask import Flask, abort, current_app, jsonify, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import UnprocessableEntity

from core.db import db, record_id

# What a UTF-8 encoder refuses: lone surrogates, which is also how bytes that are not UTF-8
# show once decoded with "surrogateescape".
_NOT_UNICODE = re.compile("[\ud800-\udfff]")
# Naming every bad field is the house style; a body full of them need not be echoed whole.
_MAX_REPORTED = 50
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class JsonReader(DefaultJSONProvider):
    """Flask's JSON provider (``request.get_json`` and so FAB's ``request.json`` read through
    it), for which JSON nested too deeply is a ValueError like any other bad JSON: Werkzeug
    then answers 400 where it would let a RecursionError through as a 500."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("The JSON is nested too deeply.") from None


def install(app: Flask) -> None:
    """Check every request before anything else reads it (CSRF protection included: once the
    form is parsed its raw bytes are gone)."""
    app.json = JsonReader(app)
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
    # ``check_list_action`` is registered by create_app once FAB has its own hooks in place.


def check_request():
    """The before-request hook: answers bad input itself, or returns None to let the view run."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        abort(413)
    if request.method not in _BODY_METHODS:
        return None
    if request.is_json:
        return _check_json_body()
    if request.mimetype == "application/x-www-form-urlencoded":
        bad = _undecodable_form_fields(request.get_data(cache=True))
        if bad:
            return _refuse_text(bad)
    return None


# -- JSON ---------------------------------------------------------------------------------


def _check_json_body():
    raw = request.get_data(cache=True)  # 413 for a chunked body over the limit
    if not raw.strip():
        return None  # no body: the view says whether it wanted one
    try:
        body = json.loads(_decode_json(raw))
    except (ValueError, RecursionError):
        return None  # not JSON: the endpoints that read a body answer 400, the others ignore it
    bad = invalid_text_paths(body)
    return _refuse_text(bad) if bad else None


def _decode_json(raw: bytes) -> str:
    """The body as text. UTF-8 (RFC 8259) is decoded with "surrogateescape", so bytes that are
    not UTF-8 end up as lone surrogates and are reported by field like an escaped one; UTF-16
    and UTF-32 must decode cleanly (a ValueError otherwise)."""
    encoding = json.detect_encoding(raw)
    if encoding in ("utf-8", "utf-8-sig"):
        return raw.decode(encoding, "surrogateescape")
    return raw.decode(encoding)


def invalid_text_paths(value) -> list[str]:
    """The paths (``name``, ``addresses.0.city``) of every string in a decoded JSON value, key
    or value, that is not valid Unicode; empty when all are. Walks without recursion: the
    body may be as deep as the JSON reader allowed."""
    bad: list[str] = []
    stack: list[tuple[tuple, object]] = [((), value)]
    while stack and len(bad) < _MAX_REPORTED:
        path, item = stack.pop()
        if isinstance(item, str):
            if _NOT_UNICODE.search(item):
                bad.append(_path_name(path))
        elif isinstance(item, dict):
            for key, child in item.items():
                if _NOT_UNICODE.search(key):
                    bad.append(_path_name(path + (key,)))
                else:
                    stack.append((path + (key,), child))
        elif isinstance(item, list):
            stack.extend((path + (i,), child) for i, child in enumerate(item))
    return sorted(bad)


def _path_name(path: tuple) -> str:
    if not path:
        return "_"
    return ".".join(_printable(p) if isinstance(p, str) else str(p) for p in path)


def _printable(text: str) -> str:
    """Text that can be sent back: whatever is not Unicode shown as its escape (\\udc80)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# -- forms --------------------------------------------------------------------------------


def _undecodable_form_fields(raw: bytes) -> list[str]:
    """The names of the fields of a urlencoded body whose name or value is not UTF-8. (Werkzeug
    keeps such a value as "%FF" text, or drops the whole form when raw bytes are not UTF-8.)"""
    bad = []
    for pair in raw.split(b"&"):
        if not pair:
            continue
        name, _sep, value = pair.partition(b"=")
        name_bytes = unquote_to_bytes(name.replace(b"+", b" "))
        try:
            name_bytes.decode("utf-8")
            unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            bad.append(_printable(name_bytes.decode("utf-8", "surrogateescape")) or "_")
            if len(bad) >= _MAX_REPORTED:
                break
    return sorted(set(bad))


def _refuse_text(fields: list[str]):
    message = _("This is not valid text: it holds characters that are not Unicode "
                "(send UTF-8, without lone surrogates).")
    if request.is_json or request.path.startswith("/api/"):
        return jsonify(message=_("Some fields are not valid."),
                       errors={field: message for field in fields}), 422
    raise UnprocessableEntity(description=f"{', '.join(fields)}: {message}")


# -- FAB list actions ---------------------------------------------------------------------


def check_list_action():
    """A before-request hook, run after FAB's (its error pages show the signed-in user's menu):
    FAB's ``action_post`` looks the action and the rows up and uses them without checking that
    they exist."""
    if request.method != "POST" or not (request.endpoint or "").endswith(".action_post"):
        return None
    view_function = current_app.view_functions.get(request.endpoint)
    view = getattr(view_function, "__self__", None)
    actions = getattr(view, "actions", None)
    if actions is None or not hasattr(view, "datamodel"):
        return None
    if not current_app.appbuilder.sm.has_access("can_list", view.class_permission_name):
        return None  # FAB refuses it; whether a row exists is nobody else's business
    name = request.form.get("action", "")
    if name not in actions:
        abort(400, description=_("This list has no action %(name)s.", name=_printable(name)))
    for pk in request.form.getlist("rowid"):
        if _row(view.datamodel, pk) is None:
            abort(404, description=_("One of the chosen rows no longer exists; reload the list."))
    return None


def _row(datamodel, pk: str):
    if datamodel.is_pk_composite():
        return True  # FAB reads composite keys its own way; nothing to check ahead of it
    if datamodel.is_integer(datamodel.get_pk_name()):
        pk = record_id(pk)
        if pk is None:
            return None
    try:
        return datamodel.get(pk)
    except SQLAlchemyError:
        db.session.rollback()
        return None

