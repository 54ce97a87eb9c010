"""The hook reference in docs/plugins.md is generated from core/hookspecs.py; a plugin author
reading the guide reads exactly what the hookspecs say."""

from __future__ import annotations

import inspect

from click.testing import CliRunner

from core import cli, hookdocs, hookspecs


def hookspec_functions():
    return [func for _, func in inspect.getmembers(hookspecs, inspect.isfunction)
            if getattr(func, "regulars_spec", None) is not None]


def test_plugin_guide_hook_reference_matches_the_hookspecs():
    out_of_date = hookdocs.write(check=True)

    assert not out_of_date, "docs/plugins.md is out of date: run `regulars hook-docs`"


def test_every_hook_appears_in_the_plugin_guide():
    guide = hookdocs.DOC.read_text()

    missing = [f.__name__ for f in hookspec_functions() if f"### `{f.__name__}(" not in guide]

    assert missing == []


def test_every_hook_is_documented_with_an_example():
    undocumented = [f.__name__ for f in hookspec_functions()
                    if "Example::" not in (inspect.getdoc(f) or "")]

    assert undocumented == []


def test_a_hook_reference_edited_by_hand_is_noticed(tmp_path, monkeypatch):
    guide = tmp_path / "plugins.md"
    guide.write_text(hookdocs.DOC.read_text().replace("Stops at first non-None result.",
                                                      "Returns every rate it finds."))
    monkeypatch.setattr(hookdocs, "DOC", guide)

    result = CliRunner().invoke(cli.hook_docs, ["--check"])

    assert result.exit_code == 1
    assert "out of date" in result.output


def test_hook_docs_command_rewrites_only_the_generated_section(tmp_path, monkeypatch):
    guide = tmp_path / "plugins.md"
    guide.write_text(f"# My guide\n\n{hookdocs.BEGIN}\nstale\n{hookdocs.END}\n\nThe end.\n")
    monkeypatch.setattr(hookdocs, "DOC", guide)

    CliRunner().invoke(cli.hook_docs, [])

    text = guide.read_text()
    assert text.startswith("# My guide\n\n") and text.endswith("\n\nThe end.\n")
    assert "stale" not in text
    assert "### `customer_tabs(customer)`" in text
