"""The sdk's documented list is the sdk: every name core.sdk exports is named in the list at
the top of its docstring, importable, and documented where it is defined."""

from __future__ import annotations

import inspect
import re

import core.sdk as sdk

# The list of what is importable: from "Everything importable:" to the first "::" example.
LISTED = set(re.findall(r"``(\w+)``",
                        sdk.__doc__.split("Everything importable:", 1)[1].split("::", 1)[0]))


def test_every_exported_name_is_in_the_sdks_documented_list():
    missing = sorted(set(sdk.__all__) - LISTED)

    assert missing == [], f"add {missing} to the list at the top of core/sdk.py"


def test_every_listed_name_is_exported():
    assert sorted(LISTED - set(sdk.__all__)) == []


def test_every_exported_name_can_be_imported_and_has_a_docstring():
    undocumented = [name for name in sdk.__all__ if not inspect.getdoc(getattr(sdk, name))]

    assert undocumented == []
