"""Schema migrations with Alembic: the core is the branch "core"; each plugin has its own branch
labelled with its name in its own folder. All branches share one ``alembic_version`` table."""

from __future__ import annotations

import dataclasses
import difflib
import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError

from core.host import current_host

CORE_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
CORE_VERSIONS = CORE_MIGRATIONS / "versions"


class MigrationError(Exception):
    """A plugin's migrations cannot run (a revision names one that does not exist, ...).
    ``upgraded``: the branches upgraded all the same (the core's and the healthy plugins')."""

    def __init__(self, message: str, upgraded: list[str] | None = None):
        super().__init__(message)
        self.upgraded = list(upgraded or ())


@dataclasses.dataclass(frozen=True)
class RevisionFile:
    """What one revision file says about its place in the history."""

    revision: str
    down: tuple[str, ...]  # down_revision(s), within its own branch
    depends: tuple[str, ...]  # depends_on: revisions (or branch labels) of other branches
    labels: tuple[str, ...]
    filename: str


def _tuple(value) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


_FOLDERS: dict[tuple, list[RevisionFile]] = {}


def read_revisions(folder: str | os.PathLike) -> list[RevisionFile]:
    """The revision files of one folder (read once per process while they are unchanged).
    Raises MigrationError naming the file when one cannot be read."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise MigrationError(f"its migrations folder {folder} does not exist")
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.py")))
    key = (str(folder), stamp)
    found = _FOLDERS.get(key)
    if found is None:
        script = ScriptDirectory(str(CORE_MIGRATIONS), version_locations=[str(folder)])
        found = []
        files = iter(script._load_revisions())
        while True:
            try:
                rev = next(files)
            except StopIteration:
                break
            except Exception as exc:  # a revision file that does not even import
                raise MigrationError(
                    f"a file in {folder} cannot be read: {type(exc).__name__}: "
                    f"{str(exc).splitlines()[0] if str(exc) else ''}") from exc
            found.append(RevisionFile(rev.revision, _tuple(rev.down_revision),
                                      _tuple(rev.dependencies), _tuple(rev.branch_labels),
                                      Path(rev.path).name))
        _FOLDERS[key] = found
    return found


def heads_of(revisions: list[RevisionFile]) -> frozenset[str]:
    """The revisions of one branch that no other revision of it builds on."""
    below = {d for r in revisions for d in r.down}
    return frozenset(r.revision for r in revisions if r.revision not in below)


def unknown_reference(revisions: list[RevisionFile], known: set[str]) -> str:
    """The first reference (down_revision or depends_on) in ``revisions`` to no known revision
    or branch label, as one line with a "did you mean", or "" when every one resolves."""
    for rev in sorted(revisions, key=lambda r: r.filename):
        for attr, names in (("down_revision", rev.down), ("depends_on", rev.depends)):
            for name in names:
                if name in known:
                    continue
                close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                return (f"migration {rev.filename}: {attr} {name!r} is not a known revision"
                        f"{hint}")
    return ""


def alembic_config(host=None) -> Config:
    """An Alembic config whose version locations are the core's and every plugin's whose
    migrations can be read (disabled ones too: their revisions stay in the database's
    history)."""
    host = host or current_host()
    cfg = Config()
    cfg.set_main_option("script_location", str(CORE_MIGRATIONS))
    locations = [str(CORE_VERSIONS)]
    for folder in host.migration_folders():
        locations.append(str(folder))
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
    """Upgrade the core and the given plugins' branches (default: every plugin that is loaded
    and enabled, whether or not it is at head yet). Returns the branch names upgraded.

    A plugin whose migrations cannot run (a revision naming one that does not exist, a file
    that does not import) does not stop the others: the core and every healthy plugin are
    upgraded first, then MigrationError is raised, in one line naming each broken plugin and
    its file, with ``upgraded`` saying what was done; the broken plugins stay inactive. When
    the core's own migrations cannot run, nothing else is upgraded."""
    host = host or current_host()
    names = plugins if plugins is not None else host.plugins_to_upgrade()
    problems = [f"Plugin {name} cannot be upgraded: {host.migration_error(name)}"
                for name in names if host.migration_error(name)]
    cfg = alembic_config(host)
    known = branches(cfg)
    targets = ["core"] + [name for name in names
                          if name in known and not host.migration_error(name)]
    done: list[str] = []
    for target in targets:
        try:
            command.upgrade(cfg, f"{target}@head")
        except (KeyError, RevisionError) as exc:  # what Alembic raises for a broken history
            owner = "the core" if target == "core" else f"plugin {target}"
            detail = exc.args[0] if exc.args else type(exc).__name__
            message = (f"The migrations of {owner} cannot run: unknown revision {detail!r}"
                       if isinstance(exc, KeyError) else
                       f"The migrations of {owner} cannot run: {detail}")
            if target == "core":
                raise MigrationError(message) from exc
            problems.append(message)
            continue
        done.append(target)
    if problems:
        raise MigrationError("; ".join(problems), upgraded=done)
    return done
