"""Schema migrations with Alembic: the core is the branch "core"; each plugin has its own branch
labelled with its name in its own folder. All branches share one ``alembic_version`` table."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app

CORE_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(host=None) -> Config:
    """An Alembic config whose version locations are the core's and every loaded plugin's
    (disabled ones too: their revisions stay in the database's history)."""
    host = host or current_app.extensions["regulars.plugins"]
    cfg = Config()
    cfg.set_main_option("script_location", str(CORE_MIGRATIONS))
    locations = [str(CORE_MIGRATIONS / "versions")]
    for plugin in host.plugins.values():
        if plugin.info.migrations and not plugin.error:
            locations.append(str(plugin.info.migrations))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    return cfg


def branches(cfg: Config) -> set[str]:
    script = ScriptDirectory.from_config(cfg)
    labels: set[str] = set()
    for rev in script.walk_revisions():
        labels |= set(rev.branch_labels or ())
    return labels


def upgrade(plugins: list[str] | None = None, host=None) -> list[str]:
    """Upgrade the core and the given plugins' branches (default: every active plugin's).
    Returns the branch names upgraded."""
    host = host or current_app.extensions["regulars.plugins"]
    cfg = alembic_config(host)
    known = branches(cfg)
    targets = ["core"]
    names = plugins if plugins is not None else [p.name for p in host.active_plugins()]
    for name in names:
        if name in known:
            targets.append(name)
    for target in targets:
        command.upgrade(cfg, f"{target}@head")
    return targets
