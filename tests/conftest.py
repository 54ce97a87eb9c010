"""The project's own test set-up. The fixtures (an app on a migrated database, on SQLite and on
PostgreSQL; users, signed-in clients, factories, plugins, jobs, tasks, SMTP) come from the
Regulars test kit, ``core.testing``, which pytest loads from its entry point, as it does for
any plugin's tests. What is left here: the example third-party plugin, installed with pip
before the session starts so its migrations are in the template database.

PostgreSQL runs when REGULARS_TEST_PG_URL names a server we may create databases on
(``postgresql://user:pass@127.0.0.1/postgres``); CI sets it and REGULARS_TEST_REQUIRE_PG=1 so a
missing server fails instead of skipping.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELLO_DIST = ROOT / "examples" / "hello_plugin"


def install_hello_plugin():
    """pip-install the example third-party plugin, as a shop would, once per environment."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution("regulars-hello")
        return
    except PackageNotFoundError:
        pass
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "-e", str(HELLO_DIST)],
        check=True,
    )
    import importlib
    import site
    import sysconfig

    importlib.invalidate_caches()
    # An editable install hooks itself in through a .pth file, which Python reads only at
    # start-up; read the new one now so this very test session can import the plugin.
    site.addsitedir(sysconfig.get_paths()["purelib"])


def pytest_sessionstart(session):
    # With pytest-xdist the controller installs it before the workers start; each worker is a
    # fresh interpreter and finds it installed.
    if (HELLO_DIST / "pyproject.toml").exists():
        install_hello_plugin()
