"""``regulars plugin new NAME``: a new plugin distribution that builds without a warning, installs,
is found by its entry point and passes its own tests on the test kit at once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile

import pytest
from click.testing import CliRunner

from core.cli import main


def plugin_new(*args):
    return CliRunner().invoke(main, ["plugin", "new", *args])


# -- what is refused --------------------------------------------------------------------------


@pytest.mark.parametrize("name, why", [
    ("Stamp", "lower-case letters"),
    ("stamp-card", "lower-case letters"),
    ("9lives", "starting with a letter"),
    ("stamp card", "lower-case letters"),
    ("core", "reserved"),
    ("hello", "installed already"),
    ("s" * 41, "too long"),
])
def test_a_name_that_cannot_be_a_plugin_name_is_refused_in_words(tmp_path, name, why):
    result = plugin_new(name, "--dir", str(tmp_path))

    assert result.exit_code != 0
    assert why in result.output
    assert list(tmp_path.iterdir()) == []


def test_dir_must_be_an_existing_folder_and_the_plugin_lands_inside_it(tmp_path):
    missing = plugin_new("stamp_card", "--dir", str(tmp_path / "nowhere"))

    assert missing.exit_code != 0
    assert "is not an existing folder" in missing.output and "regulars-stamp-card/" in missing.output
    assert list(tmp_path.iterdir()) == []

    made = plugin_new("stamp_card", "--dir", str(tmp_path))

    assert made.exit_code == 0, made.output
    assert [p.name for p in tmp_path.iterdir()] == ["regulars-stamp-card"]
    # The next steps install the test extra the generated tests need.
    assert f'cd {tmp_path / "regulars-stamp-card"} && pip install -e ".[test]"' in made.output
    assert "PATH/regulars-NAME/" in " ".join(plugin_new("--help").output.split())


def test_an_existing_folder_is_never_overwritten(tmp_path):
    folder = tmp_path / "regulars-stamp"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")

    result = plugin_new("stamp", "--dir", str(tmp_path))

    assert result.exit_code != 0
    assert "exists already" in result.output
    assert [p.name for p in folder.iterdir()] == ["mine.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["regulars-stamp"]


def test_a_label_that_would_break_the_code_is_refused(tmp_path):
    result = plugin_new("stamp", "--dir", str(tmp_path), "--label", 'Stamp "card"')

    assert result.exit_code != 0
    assert "label" in result.output
    assert list(tmp_path.iterdir()) == []


# -- what is written --------------------------------------------------------------------------


def test_the_distribution_has_the_documented_layout(tmp_path):
    result = plugin_new("stamp_card", "--dir", str(tmp_path), "--label", "Stamp cards")

    assert result.exit_code == 0, result.output
    root = tmp_path / "regulars-stamp-card"
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == [
        ".gitignore", "README.md", "pyproject.toml",
        "regulars_stamp_card/__init__.py",
        "regulars_stamp_card/migrations/0001_stamp_card.py",
        "regulars_stamp_card/models.py",
        "regulars_stamp_card/plugin.py",
        "regulars_stamp_card/templates/stamp_card/tab.html",
        "regulars_stamp_card/views.py",
        "tests/test_stamp_card.py",
    ]
    for path in root.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")  # every module is valid Python
    leftovers = [str(p) for p in root.rglob("*") if p.is_file() and re.search(
        r"@(name|label|package|dist|Name|core_revision|description)@", p.read_text())]
    assert leftovers == []
    pyproject = (root / "pyproject.toml").read_text()
    assert 'name = "regulars-stamp-card"' in pyproject
    assert '[project.entry-points."regulars.plugins"]\nstamp_card = "regulars_stamp_card.plugin"' \
        in pyproject
    plugin = (root / "regulars_stamp_card/plugin.py").read_text()
    assert 'name="stamp_card"' in plugin and 'label="Stamp cards"' in plugin
    migration = (root / "regulars_stamp_card/migrations/0001_stamp_card.py").read_text()
    assert 'branch_labels: Union[str, Sequence[str], None] = ("stamp_card",)' in migration
    assert 'depends_on: Union[str, Sequence[str], None] = "0001_core"' in migration


# -- the whole round: build, install, run its own tests ---------------------------------------


def _run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout + result.stderr


@pytest.mark.slow
def test_a_new_plugin_builds_without_warnings_installs_and_passes_its_own_tests(tmp_path):
    assert plugin_new("stamp", "--dir", str(tmp_path)).exit_code == 0
    source = tmp_path / "regulars-stamp"

    # Built as pip builds it for an install; -v shows what setuptools says.
    log = _run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
                "-w", str(tmp_path / "wheels"), str(source)])
    complaints = [line for line in log.splitlines()
                  if re.search(r"warning|would be ignored|deprecated|absent from", line, re.I)
                  and "byte-compiling is disabled" not in line]
    assert complaints == []
    (wheel,) = (tmp_path / "wheels").glob("regulars_stamp-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "regulars_stamp/migrations/0001_stamp.py" in names
    assert "regulars_stamp/templates/stamp/tab.html" in names
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "[regulars.plugins]\nstamp = regulars_stamp.plugin" in entry_points

    # Installed into a folder of its own (not this environment, whose other test sessions
    # would find it), which the plugin's test run puts on its path: the entry point is found.
    site = tmp_path / "site"
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
          "--target", str(site), str(wheel)])
    (source / "regulars_stamp").rename(tmp_path / "moved-away")  # the installed copy is tested
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("REGULARS_TEST_", "PYTEST_", "REGULARS_INSTANCE"))}
    env["PYTHONPATH"] = str(site)
    out = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                "-k", "sqlite"], cwd=source, env=env)

    assert re.search(r"\b11 passed\b", out), out[-3000:]
