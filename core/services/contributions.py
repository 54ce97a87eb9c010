"""What plugins add to the customer list (columns and filters) and to the merge screen (panels).

Each plugin is asked on its own: a plugin whose hook or ``values``/``apply`` function raises is
logged and isolated (``PluginHost.failures``), and the screen still answers: its column shows
empty, its panel says it could not be shown. A filter value the plugin does not offer is
refused with a ValidationError naming the filter.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any, Callable, Iterator

from flask_babel import gettext as _

from core.declarations import ListColumn, ListFilter, MergePanel
from core.errors import ValidationError
from core.models import Customer
from core.plugins import current_host, each, isolated
from core.services.plugin_fields import text

log = logging.getLogger(__name__)

# A column's or filter's key names a CSS class and a query-string parameter.
KEY = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
# Parameters of the customer list's own URL, which no plugin filter may take.
RESERVED = frozenset({"q", "status", "kind", "group", "segment", "tag", "created_from",
                      "created_to", "sort", "dir", "per_page", "page", "page_size", "after",
                      "before", "partial"})



def _declared(hook_name: str, kind: type):
    """``(plugin, item)`` for each ``kind`` the active plugins answer ``hook_name`` with;
    anything else is logged and skipped (a raising plugin is isolated by ``each``)."""
    for plugin, item, _exc in each(hook_name):
        if item is None:
            continue
        if not isinstance(item, kind):
            log.warning("Plugin %s: %s returned %r, not a %s", plugin, hook_name, item,
                        kind.__name__)
            continue
        yield plugin, item


def _usable_key(plugin: str, hook: str, key: Any, taken: set[str]) -> bool:
    if not isinstance(key, str) or not KEY.match(key) or key in RESERVED or key in taken:
        log.warning("Plugin %s: %s key %r is not usable (lower-case letters, digits and _, "
                    "unique, not a core parameter); skipped", plugin, hook, key)
        return False
    taken.add(key)
    return True


# -- columns -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Column:
    """A plugin's column as the list shows it."""

    plugin: str
    key: str
    label: str
    order: int
    values: Callable

    @property
    def css(self) -> str:
        """The value of the cells' ``data-col`` (and of the Columns menu's toggle)."""
        return f"p-{self.key}"


def list_columns() -> list[Column]:
    """The active plugins' columns, sorted by order then label."""
    columns, taken = [], set()
    for plugin, item in _declared("customer_list_columns", ListColumn):
        if _usable_key(plugin, "customer_list_columns", item.key, taken):
            columns.append(Column(plugin, item.key, str(item.label), item.order, item.values))
    return sorted(columns, key=lambda c: (c.order, c.label))


def column_values(columns: list[Column], customer_ids: list[int]) -> dict[str, dict[int, str]]:
    """``{column key: {customer id: text}}`` for the customers of one page: each column's
    ``values`` called once, with every id shown. A column whose function raises (or answers
    something that is not a dict) is logged and left empty."""
    out: dict[str, dict[int, str]] = {}
    if not customer_ids:
        return {c.key: {} for c in columns}
    for column in columns:
        try:
            got = column.values(list(customer_ids))
            if got is None:
                got = {}
            if not isinstance(got, dict):
                raise TypeError(f"values() returned {type(got).__name__}, not a dict")
            out[column.key] = {k: text(v) for k, v in got.items()}
        except Exception as exc:  # the list never fails because of a column
            isolated(column.plugin, f"ListColumn {column.key!r} values", exc)
            out[column.key] = {}
    return out


# -- filters -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Filter:
    """A plugin's filter as the list offers it: ``choices`` as text pairs."""

    plugin: str
    key: str
    label: str
    choices: tuple[tuple[str, str], ...]
    apply: Callable
    narrow: bool = True

    def label_of(self, value: str) -> str:
        return next((label for v, label in self.choices if v == value), value)


@dataclasses.dataclass(frozen=True)
class Chosen:
    """A plugin filter in use: its key, the value chosen, and the ids it lets through."""

    key: str
    value: str
    ids: Any  # a SELECT of customer ids
    narrow: bool = True

    def condition(self):
        return Customer.id.in_(self.ids)


def list_filters() -> list[Filter]:
    """The active plugins' filters, in the order the plugins answered."""
    filters, taken = [], set()
    for plugin, item in _declared("customer_list_filters", ListFilter):
        if not _usable_key(plugin, "customer_list_filters", item.key, taken):
            continue
        try:
            choices = item.choices() if callable(item.choices) else item.choices
            pairs = tuple((str(v), str(label)) for v, label in (choices or ()))
        except Exception as exc:
            isolated(plugin, f"ListFilter {item.key!r} choices", exc)
            continue
        filters.append(Filter(plugin, item.key, str(item.label), pairs, item.apply,
                              bool(getattr(item, "narrow", True))))
    return filters


def chosen_filters(args, filters: list[Filter]) -> tuple[Chosen, ...]:
    """The plugin filters ``args`` (a request's query string) asks for, each applied. Raises
    ValidationError ``{key: message}`` for a value the filter does not offer, or one its
    plugin could not apply."""
    chosen, errors = [], {}
    for f in filters:
        value = (args.get(f.key) or "").strip()
        if not value:
            continue
        if value not in {v for v, _label in f.choices}:
            errors[f.key] = _("%(filter)s: choose one of %(choices)s.", filter=f.label,
                              choices=", ".join(f"“{label}”" for _v, label in f.choices))
            continue
        try:
            ids = f.apply(value)
            if ids is None:
                raise TypeError("apply() returned None, not a SELECT of customer ids")
        except Exception as exc:
            isolated(f.plugin, f"ListFilter {f.key!r} apply", exc)
            errors[f.key] = _("%(filter)s could not be applied; try again without it.",
                              filter=f.label)
            continue
        chosen.append(Chosen(f.key, value, ids, f.narrow))
    if errors:
        raise ValidationError(errors)
    return tuple(chosen)


# -- merge panels ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Panel:
    """A plugin's panel on the merge screen; ``failed`` when the plugin could not answer."""

    plugin: str
    title: str
    rows: tuple[tuple[str, str, str], ...] = ()
    text: str = ""
    order: int = 100
    failed: bool = False


def merge_panels(survivor, merged) -> list[Panel]:
    """Every plugin's panels for merging ``merged`` into ``survivor``, disabled plugins' too
    (their data is merged as well), sorted by order then title. A plugin that raises, or
    answers something unreadable, gets a panel saying it could not be shown."""

    host = current_host()
    panels = []
    for plugin, item, exc in each("merge_panels", include_disabled=True,
                                   survivor=survivor, merged=merged):
        label = host.plugins[plugin].info.label if plugin in host.plugins else plugin
        if exc is None:
            try:
                if not isinstance(item, MergePanel):
                    raise TypeError(f"merge_panels returned {item!r}, not a MergePanel")
                rows = tuple((text(label_), text(s), text(m))
                             for label_, s, m in (item.rows or ()))
                panels.append(Panel(plugin, text(item.title), rows, text(item.text),
                                    item.order))
                continue
            except Exception as bad:  # isolated like a raising plugin
                isolated(plugin, "merge_panels", bad)
        panels.append(Panel(plugin, label, failed=True, order=10**6,
                            text=_("%(plugin)s could not show what the merge does with its "
                                   "data.", plugin=label)))
    return sorted(panels, key=lambda p: (p.order, p.title))
