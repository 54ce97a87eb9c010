"""What a plugin hands the core: tabs, actions, badges, summary items, fields, list columns and
filters, merge panels and search providers. Plugins import these from ``core.sdk``; the core's
own modules import them from here, so the core never depends on the sdk it offers."""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class Tab:
    """A tab of the customer overview, loaded from ``url`` when it is opened.

    ``order``: core tabs use 10-90; plugins use 100 and up. ``permission`` is an optional
    ``(permission_name, view_name)`` pair; users without it do not see the tab.
    """

    key: str
    label: str
    url: str
    order: int = 100
    permission: tuple[str, str] | None = None
    badge: str | None = None


@dataclasses.dataclass(frozen=True)
class Action:
    """A quick action button in the overview's header (a link, or a POST form when ``method``
    is ``"post"``)."""

    label: str
    url: str
    icon: str = ""
    permission: tuple[str, str] | None = None
    method: str = "get"
    style: str = "default"


@dataclasses.dataclass(frozen=True)
class Badge:
    """A small label beside the customer's name. ``style`` is a Bootstrap label style:
    default, primary, success, info, warning, danger."""

    label: str
    style: str = "default"
    title: str = ""


@dataclasses.dataclass(frozen=True)
class SummaryItem:
    """A labelled fact in the overview's info box."""

    label: str
    value: str
    order: int = 100


@dataclasses.dataclass(frozen=True)
class FormField:
    """An extra field on the customer form: ``field`` is an unbound WTForms field,
    ``section`` the heading it appears under."""

    name: str
    field: Any
    section: str = "Other"


@dataclasses.dataclass(frozen=True)
class CustomerField:
    """A field a plugin adds to the customer record, kept in the plugin's own table, that the
    core carries like one of its own: on the add/edit form (in ``section``, with its stored
    value, the error beside it), in the customer API (answered by GET, one and many; accepted
    by POST and PUT; a bad value answers 422 naming it; described in the OpenAPI), as a column
    of the customer list's CSV export and of the CSV import (a column headed like its ``name``
    or ``label`` maps to it by itself), in the data-portability export (beside the core's
    fields in ``"customer"``), on the merge screen (a choice between the two values) and in
    erasure. Return it from the ``customer_fields`` hook::

        CustomerField(name="hello_greeting", label=_l("Preferred greeting"),
                      column=Greeting.text, max_length=60, section="Basic")

    ``name``: its name on the form, in the API, the audit trail and the import's choices;
    lower-case letters, digits and _, starting with your plugin's name (a name the core uses
    is refused, and the field left out with a warning in the log).
    ``label``: what people read (form, CSV header, merge screen); use ``lazy_gettext``.
    ``type`` and the value it holds (None is always "no value"):

    * ``"string"`` (one line; spaces tidied) and ``"text"`` (several lines): ``str``;
    * ``"integer"``: ``int``; ``"decimal"``: ``Decimal`` (sent as a JSON number or string,
      answered as a string; a ``Money`` or ``Numeric(p, s)`` column's places and range are
      checked); ``"boolean"``: ``bool`` (a CSV cell may say yes/no, true/false, y/n, t/f, 1/0,
      on/off, x, ja/nein, oui/non, si: the same words as for the core's yes/no columns);
    * ``"date"``: ``datetime.date`` (``YYYY-MM-DD`` in the API and files);
    * ``"choice"``: one of the values of ``choices``, ``[(value, label), ...]`` (or a
      function returning them); stored and sent as the value's text.

    ``max_length`` (string and text; defaults to a ``String(n)`` column's length),
    ``required`` (refused empty; the API refuses a new customer without it), ``choices``:
    checked before anything is stored; a bad value raises ``ValidationError({name: message})``.
    ``section``: the panel of the form ("Basic", "Business profile", "Addresses & contacts",
    "Identity", "Preferences", "Segment & tags"; any other name goes under "More").
    ``description``: help shown under the field and in the OpenAPI.

    Storage, one of:

    * ``column``: a mapped attribute of your model that has one row per customer, keyed by its
      ``customer_id`` column (``column=Greeting.text``). The core reads it (for a list, one
      query per table for the whole page), inserts the row with the first value (give the
      model's other columns defaults, and the field's column ``nullable=True``), and updates
      it. Emptying a value (clearing it on the form, erasure, a merge) sets its column to
      NULL; the row itself is deleted only when it then holds nothing at all: every column
      but its keys NULL or equal to its plain ``default=``, and no row of another table
      pointing at it. So a row that also keeps a points balance, a ``created_at`` or child
      rows is never deleted by the core, and several fields may share one model.
    * ``get(customer) -> value`` and ``set(customer, value)``: your own functions. ``set`` gets
      the checked value (None to clear), runs inside the save's transaction (never commit) and
      may raise ``ValidationError({name: message})`` to refuse the whole save.

    If your ``choices``, ``get`` or ``set`` function raises anything else, the error is logged
    and noted in ``PluginHost.failures``, and the core carries on without the field: the
    form, the API, the CSV and data-portability exports and the merge screen leave it out
    for that request; a save, a merge or an erasure that needs it is refused with a
    ValidationError naming it, and nothing is written.

    ``personal`` (default True): cleared when the customer is erased (its ``column=`` set to
    NULL, the row deleted when it holds nothing else; or ``set(customer, None)``), and its
    values scrubbed from the audit trail.

    Merge and erasure reach the fields of disabled plugins too (their data is still held);
    the form, the API, the OpenAPI, the CSV import and export show the active plugins' only.
    On a merge the person picks one of the two values (the survivor's by default, the other
    one when the survivor has none); your ``customer_merging`` still runs and sees both
    records as they were, and after it the survivor holds the chosen value and the merged
    record none (its ``column=`` emptied as above; ``set(merged, None)`` for get/set
    fields). A change of a field is a change of the customer: it is written to the audit
    trail and named in ``customer_updated``'s ``changes``.
    """

    name: str
    label: str
    type: str = "string"
    column: Any = None
    get: Any = None
    set: Any = None
    section: str = "Other"
    description: str = ""
    required: bool = False
    max_length: int | None = None
    choices: Any = None
    personal: bool = True


@dataclasses.dataclass(frozen=True)
class ListColumn:
    """A column of the customer list, shown after the core's columns (sorted by ``order``,
    then ``label``).

    ``values(customer_ids) -> {customer_id: text}`` is called once per page shown, with the
    ids of that page's customers (at most 100): answer them with one query, never one per row.
    An id missing from the answer shows an empty cell; a value that is not text is shown with
    ``str()`` (None as empty) and always escaped. If ``values`` raises, the error is logged
    and the column shows empty: the list never fails because of a plugin.

    ``key``: lower-case letters, digits and ``_``, starting with your plugin's name
    (``hello_greeting``); it names the column in the list's Columns menu. Like the core's
    optional columns, a plugin's column is hidden at phone width and can be switched off
    in the Columns menu::

        def greetings_of(customer_ids):
            rows = db.session.execute(select(Greeting.customer_id, Greeting.text)
                                      .where(Greeting.customer_id.in_(customer_ids)))
            return dict(rows.all())

        ListColumn(key="hello_greeting", label=_l("Greeting"), values=greetings_of)
    """

    key: str
    label: str
    values: Any
    order: int = 100


@dataclasses.dataclass(frozen=True)
class ListFilter:
    """A filter of the customer list, offered beside its status, type, group and segment
    filters as a drop-down of ``choices``.

    ``choices``: ``[(value, label), ...]`` (or a function returning them, asked on each list
    request). ``apply(value)`` is called with one of the values (as text) and returns a
    SELECT of the matching customers' ids; the list adds ``Customer.id IN (that SELECT)`` to
    its own conditions, so it combines with the search box, the other filters, the sort, the
    Next/Previous links and the CSV export of the list. Never return customers themselves
    or run the query: the list counts and pages it.

    ``key``: the filter's query-string parameter (``/customers/?hello_greeted=yes``):
    lower-case letters, digits and ``_``, starting with your plugin's name. A value that is
    not among ``choices`` is refused with a message (400 on the screen, 422 in the API).

    ``narrow``: True (the default) when the filter picks a small share of the customers (the
    list sorts just those); set False for one most customers pass (the list then walks its
    sort index, the faster way for a wide set)::

        ListFilter(key="hello_greeted", label=_l("Greeting"),
                   choices=[("yes", _l("Has a greeting"))],
                   apply=lambda value: select(Greeting.customer_id))
    """

    key: str
    label: str
    choices: Any
    apply: Any
    narrow: bool = True


@dataclasses.dataclass(frozen=True)
class MergePanel:
    """A panel on the merge screen saying what the merge will do with this plugin's data of
    the two customers, before anyone confirms it.

    ``rows``: ``(label, survivor_value, merged_value)`` triples, shown as a small table (None
    shows as empty); ``text``: a sentence under them ("The survivor's
    greeting is kept; the other is noted on their timeline."). Everything is shown as plain
    text, escaped (never HTML). Panels are sorted by ``order``, then ``title``.
    """

    title: str
    rows: Any = ()
    text: str = ""
    order: int = 100


@dataclasses.dataclass(frozen=True)
class SearchProvider:
    """Something more the customer search finds customers by. ``lookup(query, limit)`` returns
    matching customer ids, best first; it is asked only for queries of ``min_length`` or more."""

    label: str
    lookup: Any
    min_length: int = 3


@dataclasses.dataclass(frozen=True)
class RuleParam:
    """One value a rule type asks for when someone builds a group's rule ("N", "D days").

    ``type``: ``"integer"`` (a whole number), ``"decimal"`` (a ``Decimal``: money, say),
    ``"text"`` (one line) or ``"choice"`` (one of ``choices``, ``[(value, label), ...]``).
    ``min``/``max``: bounds for numbers, both included; ``max_length`` for text. ``default``:
    what the rule editor offers first. The core checks every value before a rule is saved or
    previewed, and hands ``customer_ids`` and ``describe`` the checked values (``int``,
    ``Decimal`` or ``str``); a bad one is refused beside the field in words."""

    name: str
    label: str
    type: str = "integer"
    min: Any = None
    max: Any = None
    max_length: int = 200
    default: Any = None
    choices: Any = None
    help: str = ""


@dataclasses.dataclass(frozen=True)
class GroupRule:
    """A rule type for rule-based groups ("bought at least N times in the last D days"), offered
    in the group's rule editor while your plugin is active. Return it from
    ``register_group_rules``.

    ``key``: lower-case letters, digits and ``_``, starting with your plugin's name
    (``sales_bought_times``); stored in the groups' rules, so never rename it. ``label``: the
    name in the editor's list. ``params``: the ``RuleParam`` values it asks for.

    ``customer_ids(params, only)`` returns a SELECT of one column, the ids of the customers the
    rule holds for today: ``only`` is None for everyone (a full recompute, a preview) or a list
    of customer ids to check (a sale changed those customers): add ``WHERE customer_id IN
    only`` to your own statement, so the index on it is used. Never run the query and never
    filter on the customer's status: the core counts, pages and combines it (AND is an
    intersection, OR a union) and leaves out inactive, merged and erased customers itself.

    ``describe(params)`` says in words why someone is in the group, as their membership and
    timeline show it: "bought at least 5 times in the last 30 days".

    A rule type whose plugin is switched off stays in the rules that use it; those groups keep
    their members and are not recomputed until it is back (the group page says why)::

        GroupRule(key="sales_bought_times", label=_l("Bought at least N times in the last D days"),
                  params=(RuleParam("times", _l("N (times)"), min=1, default=5),
                          RuleParam("days", _l("D (days)"), min=1, max=3660, default=30)),
                  customer_ids=bought_times, describe=lambda p: _("bought at least %(times)d "
                  "times in the last %(days)d days", **p))
    """

    key: str
    label: str
    params: tuple = ()
    customer_ids: Any = None
    describe: Any = None
    order: int = 100


@dataclasses.dataclass(frozen=True)
class Membership:
    """A customer's place in one group, as ``group_memberships(customer)`` answers it.

    ``group_id``, ``group``: the group's id and name; ``rule_based``: True when the group's
    rule decides who is in it (else people are put in by hand); ``level_id``, ``level``,
    ``level_rank``: the customer's level in it (``None`` when the group has no levels; a higher
    rank is a better level: Bronze 1 < Silver 2 < Gold 3); ``discount_percent``: the level's
    discount (a ``Decimal``, 0 when none); ``reason``: why they are in it ("bought at least 5
    times in the last 30 days", or "added by Sam"); ``entered_at``: since when (UTC)."""

    group_id: int
    group: str
    rule_based: bool
    level_id: int | None = None
    level: str | None = None
    level_rank: int | None = None
    discount_percent: Any = 0
    reason: str = ""
    entered_at: Any = None
