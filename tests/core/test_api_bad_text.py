"""A till or an integration sends text that is not Unicode — a lone surrogate, the JSON escape
"\\ud800" — in any string field of any endpoint that takes a JSON body: the API refuses it with a
4xx naming the field, never a 500 from deep in the database driver.

The cases come from the API's own OpenAPI description, so a new endpoint or field is covered the
day it is documented."""

from __future__ import annotations

import json
import os
import shutil
import tempfile

import pytest

LONE_SURROGATE = "\ud800"


# -- the cases, read from the OpenAPI description ------------------------------------------


def _api_description() -> dict:
    """The description every test app publishes, built once at collection from an app that
    needs no database (nothing is read from it)."""
    from config import testing
    from core.api.openapi import api_description
    from core.app import create_app
    from core.db import db

    folder = tempfile.mkdtemp()
    previous = os.environ.get("REGULARS_INSTANCE_PATH")
    os.environ["REGULARS_INSTANCE_PATH"] = folder
    try:
        config = {k: getattr(testing, k) for k in dir(testing) if k.isupper()}
        config["DATABASE_URL"] = f"sqlite:///{folder}/unused.db"
        app = create_app(config)
        with app.test_request_context():
            description = api_description("v1")
        with app.app_context():
            db.engine.dispose()
        return description
    finally:
        if previous is None:
            os.environ.pop("REGULARS_INSTANCE_PATH", None)
        else:
            os.environ["REGULARS_INSTANCE_PATH"] = previous
        shutil.rmtree(folder, ignore_errors=True)


def _resolve(schema: dict, spec: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _variants(schema: dict, spec: dict) -> list[tuple[str, dict]]:
    """A body schema's alternatives (oneOf/anyOf), each with its schema's name ("Address")."""
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if not alternatives:
        return [("", schema)]
    return [(alt.get("$ref", "").rsplit("/", 1)[-1], alt) for alt in alternatives]


def _takes_text(schema: dict, spec: dict) -> bool:
    schema = _resolve(schema, spec)
    if schema.get("type") == "string":
        return True
    return any(_takes_text(alt, spec) for alt in schema.get("oneOf", []) + schema.get("anyOf", []))


def string_fields(schema: dict, spec: dict, path: tuple = (), depth: int = 0) -> list[tuple]:
    """The path of every string the schema describes: ("first_name",), ("tags", 0), ..."""
    schema = _resolve(schema, spec)
    if depth > 8:
        return []
    if path and _takes_text(schema, spec):
        return [path]
    found: list[tuple] = []
    for part in schema.get("allOf", []):
        found += string_fields(part, spec, path, depth + 1)
    if schema.get("type") == "array" and "items" in schema:
        found += string_fields(schema["items"], spec, path + (0,), depth + 1)
    for name, prop in sorted(schema.get("properties", {}).items()):
        found += string_fields(prop, spec, path + (name,), depth + 1)
    return list(dict.fromkeys(found))


def _cases():
    spec = _api_description()
    cases = []
    for url, operations in sorted(spec["paths"].items()):
        for method in ("post", "put"):
            operation = operations.get(method)
            body = ((operation or {}).get("requestBody") or {}).get("content", {}).get(
                "application/json")
            if not body:
                continue
            parameters = operation.get("parameters", [])
            for variant, schema in _variants(body["schema"], spec):
                fields = string_fields(schema, spec)
                if fields:
                    label = f"{method.upper()} {url}{' ' + variant if variant else ''}"
                    cases.append(pytest.param(method, url, parameters, variant, fields,
                                              sorted(operation.get("responses", {})), id=label))
    return cases


CASES = _cases()


def _body_with(field: tuple, text: str):
    value = text
    for key in reversed(field):
        value = [value] if isinstance(key, int) else {key: value}
    return value


def _url(url: str, parameters: list, variant: str, record_id: int) -> str:
    """The path with its parameters filled in: an enum by the body's variant ("Address" ->
    "addresses"), ids with a record that exists."""
    for parameter in parameters:
        if parameter.get("in") != "path":
            continue
        choices = parameter.get("schema", {}).get("enum")
        if choices:
            stem = variant.lower().removesuffix("changes")
            value = next((c for c in choices if stem and c.startswith(stem)), choices[0])
        else:
            value = record_id
        url = url.replace("{" + parameter["name"] + "}", str(value))
    return url


# -- the test --------------------------------------------------------------------------------


def test_every_endpoint_with_a_json_body_is_covered():
    covered = {(case.values[0], case.values[1]) for case in CASES}
    fields = {".".join(map(str, f)) for case in CASES for f in case.values[4]}

    assert ("post", "/api/v1/customers/") in covered
    assert ("put", "/api/v1/customers/{pk}/{part}/{item_id}") in covered
    assert ("post", "/api/v1/security/login") in covered
    assert {"first_name", "tags.0", "city", "username"} <= fields


@pytest.mark.parametrize("method, url, parameters, variant, fields, described", CASES)
def test_text_that_is_not_unicode_is_refused_naming_the_field(
        app, api_token, make_customer, method, url, parameters, variant, fields, described):
    """One endpoint (one body variant), each of its string fields in turn; the answer is one
    its description lists."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_token('Admin')}"
    target = _url(url, parameters, variant, make_customer())
    wrong = {}

    for field in fields:
        name = ".".join(map(str, field))
        response = client.open(target, method=method.upper(),
                               data=json.dumps(_body_with(field, f"Ada{LONE_SURROGATE}")),
                               content_type="application/json")
        errors = (response.get_json(silent=True) or {}).get("errors") or {}
        if not (400 <= response.status_code < 500 and name in errors
                and str(response.status_code) in described):
            wrong[name] = (response.status_code, response.get_data(as_text=True)[:200])

    assert wrong == {}
