"""``regulars plugin new NAME``: write a new plugin distribution from the files under
``core/scaffold/plugin/``.

In those files ``@name@``, ``@label@``, ``@package@`` ... stand for the new plugin's values;
in their paths ``PACKAGE`` and ``NAME`` do, and a ``.tmpl`` ending goes (``dot-`` becomes
``.``). The distribution is written into a temporary folder beside the target and renamed
into place at the end, so a failure leaves nothing half-written."""

from __future__ import annotations

import keyword
import re
import shutil
import tempfile
from importlib.metadata import entry_points
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "plugin"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
NAME_MAX = 40
# Names the core uses itself: "core" is the core's Alembic branch.
RESERVED = {"core", "regulars", "test", "tests"}
UNSAFE_TEXT = re.compile(r"[\"'\\{}%<>@\x00-\x1f\x7f]")
PLACEHOLDER = re.compile(r"@([A-Za-z_]+)@")


class ScaffoldError(ValueError):
    """Why the plugin cannot be written, in words for the person who asked."""


def check_name(name: str) -> None:
    """Refuse a plugin name that is not lower-case letters, digits and _ (starting with a
    letter), that is reserved, or that an installed plugin has."""
    if not NAME_RE.match(name or ""):
        raise ScaffoldError(
            f"{name!r} is not a plugin name: use lower-case letters, digits and _, starting "
            "with a letter (e.g. loyalty or gift_cards).")
    if len(name) > NAME_MAX:
        raise ScaffoldError(f"{name!r} is too long for a plugin name (at most {NAME_MAX} "
                            "characters: it prefixes the plugin's table names).")
    if name in RESERVED or keyword.iskeyword(name):
        raise ScaffoldError(f"{name!r} is reserved; choose another plugin name.")
    installed = {ep.name for ep in entry_points(group="regulars.plugins")}
    if name in installed:
        raise ScaffoldError(f"A plugin called {name!r} is installed already; choose another "
                            "name.")


def _check_text(what: str, value: str, limit: int) -> None:
    if not value.strip():
        raise ScaffoldError(f"The {what} is empty.")
    if len(value) > limit:
        raise ScaffoldError(f"The {what} is longer than {limit} characters.")
    bad = UNSAFE_TEXT.search(value)
    if bad:
        raise ScaffoldError(f"The {what} may not contain {bad.group()!r}.")


def core_revision() -> str:
    """The core revision a new plugin's first migration depends on: the one that created the
    customer table (the root of the branch "core"), so the plugin fits every database of
    Regulars 1.x."""
    from alembic.script import ScriptDirectory

    from core.migrate import CORE_MIGRATIONS

    script = ScriptDirectory(str(CORE_MIGRATIONS),
                             version_locations=[str(CORE_MIGRATIONS / "versions")])
    roots = [rev.revision for rev in script.walk_revisions()
             if rev.down_revision is None and "core" in (rev.branch_labels or ())]
    return roots[0]


def values(name: str, label: str | None = None, description: str | None = None) -> dict:
    """The placeholders' values for plugin ``name``."""
    label = label or name.replace("_", " ").strip().title()
    description = description or f"{label}: a note and a tab for every customer."
    _check_text("label", label, 60)
    _check_text("description", description, 200)
    return {
        "name": name,
        "label": label,
        "description": description,
        "package": f"regulars_{name}",
        "dist": "regulars-" + name.replace("_", "-"),
        "Name": "".join(part.title() for part in name.split("_") if part),
        "core_revision": core_revision(),
    }


def _fill(text: str, vals: dict) -> str:
    return PLACEHOLDER.sub(lambda m: vals.get(m.group(1), m.group(0)), text)


def _target_path(relative: Path, vals: dict) -> Path:
    parts = []
    for part in relative.parts:
        part = part.replace("PACKAGE", vals["package"]).replace("NAME", vals["name"])
        if part.endswith(".tmpl"):
            part = part[: -len(".tmpl")]
        if part.startswith("dot-"):
            part = "." + part[len("dot-"):]
        parts.append(part)
    return Path(*parts)


def create(name: str, parent: Path | str = ".", label: str | None = None,
           description: str | None = None) -> Path:
    """Write the distribution ``regulars-NAME/`` of a new plugin into ``parent`` (an existing
    folder: the plugin lands in ``parent/regulars-NAME/``) and return its path. Raises ScaffoldError (nothing written) for a bad name or label, or when the
    folder exists."""
    check_name(name)
    vals = values(name, label, description)
    parent = Path(parent)
    if not parent.is_dir():
        raise ScaffoldError(f"{parent} is not an existing folder: --dir names the folder the "
                            f"plugin is written into, as {vals['dist']}/ (create it first).")
    target = parent / vals["dist"]
    if target.exists():
        raise ScaffoldError(f"{target} exists already; nothing was written. Remove it or "
                            "choose another --dir.")
    staging = Path(tempfile.mkdtemp(prefix=f".{vals['dist']}-", dir=parent))
    try:
        for source in sorted(TEMPLATE.rglob("*")):
            if not source.is_file() or "__pycache__" in source.parts:
                continue
            out = staging / _target_path(source.relative_to(TEMPLATE), vals)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(_fill(source.read_text(encoding="utf-8"), vals), encoding="utf-8")
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
