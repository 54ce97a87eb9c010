"""The example third-party plugin, examples/hello_plugin, as a distribution: it builds without a
warning and ships what it needs, and its migration makes the table its model describes. What
the plugin does is tested by its own suite, examples/hello_plugin/tests, on the test kit."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select, text

HELLO_DIST = Path(__file__).resolve().parents[2] / "examples" / "hello_plugin"


@pytest.mark.slow
def test_the_example_builds_without_warnings_and_ships_its_migrations_and_templates(tmp_path):
    # A copy is built (setuptools writes build/ and *.egg-info beside the sources), as pip
    # builds it for an install; -v shows what setuptools says.
    source = tmp_path / "regulars-hello"
    shutil.copytree(HELLO_DIST, source, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path), str(source)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    complaints = [line for line in (result.stdout + result.stderr).splitlines()
                  if re.search(r"warning|would be ignored|deprecated|absent from", line, re.I)
                  and "byte-compiling is disabled" not in line]
    assert complaints == []
    (wheel,) = tmp_path.glob("regulars_hello-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"regulars_hello/migrations/0001_hello.py", "regulars_hello/migrations/0002_hello.py",
            "regulars_hello/templates/hello/tab.html",
            "regulars_hello/templates/hello/birthdays.html"} <= set(names)
    assert not [n for n in names if n.startswith("tests/")]


def test_hello_migration_creates_exactly_the_table_its_model_describes(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.db import Model, db

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, Model.metadata)
                       if "hello_greeting" in repr(d)]

    assert differences == []


def test_greeting_goes_when_its_customer_goes(app, make_customer):
    from core.db import db
    from regulars_hello.models import Greeting

    customer_id = make_customer(hello_greeting="Morning, Sam!")
    with app.app_context():
        assert db.session.get(Greeting, customer_id).text == "Morning, Sam!"
        db.session.execute(text("DELETE FROM customer WHERE id = :id"), {"id": customer_id})
        db.session.commit()
        db.session.expire_all()
        assert db.session.execute(select(Greeting).where(
            Greeting.customer_id == customer_id)).first() is None


def test_a_plugin_view_that_lets_not_found_through_answers_404(admin_client):
    response = admin_client.get("/hello/customers/999999/tab")

    assert response.status_code == 404
    assert "text/html" in response.content_type
