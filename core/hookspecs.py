"""Every hook the Regulars core calls. This module is the plugin author's reference:
the hook reference in docs/plugins.md is generated from these docstrings (``regulars hook-docs``).

Conventions
-----------
* Every hook is called with keyword arguments. New arguments may be added later, so an
  implementation takes only the ones it uses.
* A hook that returns things may return one item, a list of them, or None.
* ``*_ed`` hooks run after the transaction committed; an exception in one is logged and the
  plugin isolated, the user's request never fails because of it.
* ``*_ing`` hooks (and ``customer_form_saved``) run inside the service's transaction and may
  veto it by raising ``core.sdk.ValidationError``.
* A disabled plugin is hidden, not absent. Its hooks are not called, with these exceptions:
  ``customer_merging``, ``customer_erasing``, ``customer_export`` and ``merge_panels`` are
  called on every plugin that loaded and whose tables are migrated, enabled or not (its data
  is still the customer's), and so is ``customer_fields`` when a merge, an erasure or the data
  export reads the fields; ``addhooks``, ``register_views``, ``register_api`` and
  ``register_jobs`` are called at start-up for every plugin that loaded (its URLs then answer
  404 and its jobs are skipped while it is off); ``plugin_disabled`` reaches the plugin
  switched off.

Each docstring says when the hook is called, what its arguments are, what to return, and
ends with an example taken from examples/hello_plugin where it can be.
"""

from pluggy import HookspecMarker

hookspec = HookspecMarker("regulars")


# -- plugin set-up ---------------------------------------------------------------------------


@hookspec(historic=True)
def addhooks(pm):
    """Publish this plugin's own hookspecs for other plugins, with ``pm.add_hookspecs(module)``;
    each spec in that module is marked with ``core.sdk.hookspec``.

    ``pm`` is the app's pluggy PluginManager. Called once for every loaded plugin, before the
    host checks that every hook implementation matches a spec, so plugins that implement your
    hooks load whatever their order. Call your hooks with ``plugin_host().notify(name, ...)``
    after your commit, or ``plugin_host().hook.NAME(...)`` inside your transaction: either
    reaches the active plugins only. Return value ignored.

    Example::

        # regulars_sales/hookspecs.py
        @hookspec
        def sale_recorded(sale):
            "A sale was recorded and committed."

        # regulars_sales/plugin.py
        @hookimpl
        def addhooks(pm):
            from regulars_sales import hookspecs
            pm.add_hookspecs(hookspecs)
    """


@hookspec
def startup(app):
    """One-time work when an app starts, after every plugin, view, API and job is registered.

    ``app`` is the Flask app; the call runs inside its app context. Called for enabled plugins
    only. Return value ignored; an exception is logged and never stops start-up.

    Example::

        @hookimpl
        def startup(app):
            app.logger.info("hello plugin ready")
    """


@hookspec
def register_views(appbuilder):
    """Add Flask-AppBuilder views and menu items with ``appbuilder.add_view(...)``.

    ``appbuilder`` is the app's ``AppBuilder``. Called once at start-up for every loaded
    plugin, enabled or not: while the plugin is disabled its menu items are hidden and its
    URLs answer 404, with no work on your side. Each exposed method is guarded by FAB's
    ``@has_access``; its permission shows up in the roles screen. Return value ignored; an
    exception skips the plugin.

    Example::

        @hookimpl
        def register_views(appbuilder):
            appbuilder.add_view(HelloView, "Greetings", label=_l("Greetings"),
                                icon="fa-hand-paper-o")
    """


@hookspec
def register_api(appbuilder):
    """Add REST endpoints with ``appbuilder.add_api(...)``.

    Called like ``register_views``. Give each API a ``resource_name`` so it lives under
    ``/api/v1/<plugin>/``; a disabled plugin's endpoints answer 404.

    Example::

        @hookimpl
        def register_api(appbuilder):
            appbuilder.add_api(GreetingApi)  # resource_name = "hello/greetings"
    """


@hookspec
def register_jobs(scheduler):
    """Add scheduled jobs with ``scheduler.add_job(func, trigger, **trigger_args)``.

    ``scheduler`` takes APScheduler's ``add_job`` arguments. The job ``id`` defaults to
    ``"<plugin>.<function name>"`` and ``replace_existing`` to True, so registering is
    idempotent. Cron triggers keep the shop's time (``hour=8`` is 08:00 in the shop). One
    process keeps the time (``regulars scheduler``); when a job falls due it is enqueued as the
    background task ``scheduled:<job id>``, which a worker runs in an app context, as nobody
    (``current_actor()`` is None), retrying it if it raises. A job whose plugin is not active
    is skipped when it falls due. Return value ignored (tests get it from ``run_job``).

    Example::

        @hookimpl
        def register_jobs(scheduler):
            scheduler.add_job(birthday_greetings, "cron", hour=8,
                              id="hello.birthdays")  # 08:00 in the shop's time zone
    """


@hookspec
def register_group_rules():
    """Offer rule types for rule-based groups: return ``core.sdk.GroupRule`` objects (one or a
    list).

    Asked whenever the rule editor, a preview or a recompute needs the rule types, for active
    plugins only. A group whose rule uses the type of a plugin that is off keeps its members
    and is not recomputed until the plugin is back.

    Example::

        @hookimpl
        def register_group_rules():
            return GroupRule(key="hello_greeted", label=_l("Has a greeting"),
                             customer_ids=lambda params, only: greeted_ids(only),
                             describe=lambda params: _("has a greeting"))
    """


# -- the customer overview -------------------------------------------------------------------


@hookspec
def customer_tabs(customer):
    """Return a ``Tab`` (or a list of them) for the overview of ``customer``.

    Each tab is loaded from its own ``url`` when it is opened, so a slow or failing tab never
    blocks the page; the URL answers an HTML fragment, not a whole page. Core tabs have
    orders 10 (Details) and 20 (Groups); plugins' tabs use 100 and up. A tab with a
    ``permission`` (``(permission, view)``) is shown only to users who hold it.

    Example::

        @hookimpl
        def customer_tabs(customer):
            return Tab(key="hello", label=_("Hello"), order=100,
                       url=url_for("HelloView.tab", customer_id=customer.id))
    """


@hookspec
def customer_actions(customer):
    """Return an ``Action`` (or a list) for the quick actions in the header of ``customer``'s
    overview.

    An action is a link, or a small POST form (with its CSRF token) when ``method="post"``:
    use POST for anything that changes data. Actions with a ``permission`` the user lacks
    are not shown; your view must still check it.

    Example::

        @hookimpl
        def customer_actions(customer):
            return Action(label=_("Say hello"), method="post", icon="fa-hand-paper-o",
                          url=url_for("HelloView.say", customer_id=customer.id),
                          permission=("can_say", "HelloView"))
    """


@hookspec
def customer_badges(customer):
    """Return a ``Badge`` (or a list, or None) to show beside ``customer``'s name in the header.

    Keep it to a word or two; ``title`` is the tooltip. Called on every overview, so keep it
    to one cheap query.

    Example::

        @hookimpl
        def customer_badges(customer):
            greeting = greeting_of(customer)
            if greeting:
                return Badge(label=greeting, style="info", title=_("Preferred greeting"))
    """


@hookspec
def customer_summary(customer):
    """Return a ``SummaryItem`` (or a list): small labelled facts about ``customer`` for the
    overview's info box, sorted by ``order`` (the core's "Registered" is 10).

    Example::

        @hookimpl
        def customer_summary(customer):
            return SummaryItem(label=_("Points"), value="1,250", order=50)
    """


# -- the customer form -----------------------------------------------------------------------


@hookspec
def customer_fields():
    """Return ``CustomerField`` objects (or one): fields of the customer record kept in this
    plugin's own table, which the core carries like its own fields, with no other hook: the
    add/edit form (in the field's ``section``, the stored value filled in, an error beside
    it), the customer API (GET answers them, null when empty; POST and PUT accept them; a bad
    value answers 422 naming the field) and its OpenAPI, the CSV export of the customer list
    and the CSV import (a column headed like the field's name or label maps to it), the
    data-portability export (beside the core's fields), the merge screen (a choice between the
    two records' values; the merged record keeps none) and erasure (``personal`` fields are
    cleared). Values are checked by the field's ``type``, ``required``, ``max_length`` and
    ``choices`` before anything is stored; see ``CustomerField`` for storage (``column=`` or
    ``get``/``set``).

    Called often (every form, API answer, export and import), so build the objects and
    return them; query nothing here. Merge, erasure and the data-portability export ask
    disabled plugins too; everything else asks the active ones only.

    Example::

        @hookimpl
        def customer_fields():
            return CustomerField(name="hello_greeting", label=_l("Preferred greeting"),
                                 column=Greeting.text, max_length=60, section="Basic")
    """


@hookspec
def customer_form_fields(kind):
    """Return ``FormField`` objects to add to the customer form; ``kind`` is ``"add"`` or
    ``"edit"``. For a field that simply holds a value of the customer, return a
    ``CustomerField`` from ``customer_fields`` instead: it reaches the API, the import and
    export and the merge screen too. This hook is for what only a form can ask.

    ``field`` is an unbound WTForms field; ``section`` names the form's step it appears in
    ("Basic", "Business profile", "Addresses & contacts", "Identity", "Preferences", "Segment &
    tags"; any other name lands under "More"). Prefix the name with your plugin's name: a field named
    like a core field is ignored. Store the value in ``customer_form_saved``.

    Example::

        @hookimpl
        def customer_form_fields(kind):
            return FormField(name="hello_greeting", section="Basic",
                             field=StringField(_l("Preferred greeting"),
                                               validators=[Optional(), Length(max=60)]))
    """


@hookspec
def customer_form_initial(customer):
    """Return a dict of initial values for this plugin's form fields when the form edits
    ``customer`` (field name to value).

    Example::

        @hookimpl
        def customer_form_initial(customer):
            return {"hello_greeting": services.greeting_of(customer)}
    """


@hookspec
def customer_form_saved(customer, data):
    """Store this plugin's fields from the submitted customer form.

    ``customer`` is the customer just created or changed (flushed, so it has an ``id``);
    ``data`` maps every plugin field's name to its submitted value; a field may be absent when
    the save did not come from the form with your fields on it. Runs inside the save's
    transaction: write with ``db.session`` and never commit; raise
    ``ValidationError({field: message})`` to refuse the whole save, and the message is shown
    beside your field. Return value ignored.

    Example::

        @hookimpl
        def customer_form_saved(customer, data):
            if "hello_greeting" in data:
                services.set_greeting(customer, data["hello_greeting"])
    """


# -- the customer list and the merge screen --------------------------------------------------


@hookspec
def customer_list_columns():
    """Return ``ListColumn`` objects (or one): columns this plugin adds to the customer list,
    after the core's columns, sorted by ``order``.

    Called on every list request (keep it cheap: no query here). Each column's
    ``values(customer_ids)`` is then called once per page with the ids shown and returns
    ``{customer_id: text}``: one query for the page, never one per row. Ids left out show
    empty. A ``values`` (or this hook) that raises is logged and its column shows empty; the
    list still answers. Like the core's optional columns, a plugin's column is hidden at
    phone width and can be switched off in the list's Columns menu.

    Example::

        @hookimpl
        def customer_list_columns():
            return ListColumn(key="hello_greeting", label=_l("Greeting"),
                              values=services.greetings_of)  # {id: text} in one query
    """


@hookspec
def customer_list_filters():
    """Return ``ListFilter`` objects (or one): filters this plugin adds to the customer list,
    offered as drop-downs beside its status, type, group and segment filters.

    The chosen value travels in the list's URL under the filter's ``key``
    (``/customers/?hello_greeted=yes``), so the Next/Previous links, the sort links, the CSV
    export of the list and the list API (``GET /api/v1/customers/?hello_greeted=yes``) keep
    it. ``apply(value)`` returns a SELECT of customer ids; the core adds
    ``Customer.id IN (that SELECT)`` to the list's query. A value not among ``choices`` is
    refused with a message (400 on the screen and the export, 422 in the API), never a
    server error; so is a value whose ``apply`` raises (the error is logged).

    Example::

        @hookimpl
        def customer_list_filters():
            return ListFilter(key="hello_greeted", label=_l("Greeting"),
                              choices=[("yes", _l("Has a greeting"))],
                              apply=lambda value: select(Greeting.customer_id))
    """


@hookspec
def merge_panels(survivor, merged):
    """Return ``MergePanel`` objects (or one) for the merge screen of ``survivor`` (the record
    kept) and ``merged`` (the one merged away): what the merge will do with this plugin's
    data, before anyone confirms it.

    Called for every plugin whose tables exist, enabled or not, since a disabled plugin's
    data is merged too (``customer_merging``). Only read here; the merge itself happens in
    ``customer_merging``. Titles, rows and text are shown as plain text, escaped. A plugin
    that raises is logged, and its panel says it could not be shown; the merge screen still
    works.

    Example::

        @hookimpl
        def merge_panels(survivor, merged):
            return MergePanel(title=_("Greetings"),
                              rows=[(_("Greeting"), greeting_of(survivor), greeting_of(merged))],
                              text=_("The kept customer's greeting stays."))
    """


# -- customer life cycle (after commit) -------------------------------------------------------


@hookspec
def customer_created(customer):
    """``customer`` was created, and the transaction committed.

    React (send a welcome, start a stamp card); to store the plugin's form fields use
    ``customer_form_saved``, which runs inside the transaction. Return value ignored; an
    exception is logged, the plugin isolated, and the user's request still succeeds.

    Example::

        @hookimpl
        def customer_created(customer):
            log.info("hello: say hello to %s", customer.display_name)
    """


@hookspec
def customer_updated(customer, changes):
    """``customer`` was changed, and the transaction committed. ``changes`` maps each changed
    field's name (the core's, and the plugins' ``CustomerField`` names) to ``(old, new)``.
    Not called when nothing changed.

    Return value ignored; exceptions are logged and isolated as in ``customer_created``.

    Example::

        @hookimpl
        def customer_updated(customer, changes):
            if "email" in changes:
                newsletter.resubscribe(customer, old=changes["email"][0])
    """


@hookspec
def customer_deactivated(customer):
    """``customer`` was set Inactive, and the transaction committed. Their history stays in
    place; stop anything that runs for active customers only.

    Return value ignored; exceptions are logged and isolated as in ``customer_created``.

    Example::

        @hookimpl
        def customer_deactivated(customer):
            reminders.pause(customer)
    """


@hookspec
def customer_reactivated(customer):
    """An inactive ``customer`` was set Active again, and the transaction committed.

    Return value ignored; exceptions are logged and isolated as in ``customer_created``.

    Example::

        @hookimpl
        def customer_reactivated(customer):
            reminders.resume(customer)
    """


# -- merging, erasing, exporting (inside the service's transaction) ------------------------


@hookspec
def customer_merging(survivor, merged, actor):
    """Move this plugin's rows from ``merged`` to ``survivor``; runs inside the merge's
    transaction, before it commits. Nothing may stay attached to ``merged``: the merge moves
    every row and keeps ``merged`` only as a pointer. Raise ``ValidationError`` to refuse the
    merge (for example when two open loyalty accounts cannot be combined). Return value ignored.
    ``actor`` is who merged (the user who confirmed it, on the screen or through the API), or
    None for the system.

    Called on every plugin that is installed and whose tables exist, **enabled or not**: a
    disabled plugin's rows follow the customer too. While a plugin whose tables exist cannot
    run (it fails to load, or waits for ``regulars db upgrade``), merges are refused, naming it.

    Example::

        @hookimpl
        def customer_merging(survivor, merged, actor):
            move_greetings(from_customer=merged, to_customer=survivor)
    """


@hookspec
def customer_erasing(customer, actor):
    """Delete or anonymise this plugin's personal data of ``customer`` (a GDPR erasure), inside
    the erasure's transaction. Keep what the law requires (an invoice keeps its totals, not the
    name). Raise ``ValidationError`` to refuse. Return value ignored. ``actor`` is who erased
    (the user who confirmed it, on the screen or through the API), or None for the system.

    The core erases its own data and the plugins' ``CustomerField`` values only; the
    customer's row stays, so ``ON DELETE CASCADE`` never fires. Rows in this plugin's other
    tables (a history of visits, messages) stay as they are unless this hook deletes or
    anonymises them.

    Called on every plugin that is installed and whose tables exist, **enabled or not**. While
    a plugin whose tables exist cannot run (it fails to load, or waits for ``regulars db
    upgrade``), erasures are refused, naming it.

    Example::

        @hookimpl
        def customer_erasing(customer, actor):
            delete_greeting(customer)
    """


@hookspec
def customer_export(customer):
    """Return this plugin's section of the customer's data-portability export: a
    ``(section_name, data)`` pair whose data is JSON-serialisable (Decimals as strings). It
    lands in the export under ``"plugins"``: ``{"plugins": {section_name: data}}``.

    Called on every plugin that is installed and whose tables exist, **enabled or not**. A
    plugin that raises, or that cannot run while its tables exist, appears under its name as
    ``{"error": "..."}`` instead, and the rest of the export goes out.

    Example::

        @hookimpl
        def customer_export(customer):
            return ("hello", {"greeting": greeting_of(customer)})
    """


@hookspec
def search_providers():
    """Return ``SearchProvider`` objects: extra things the customer search box finds customers
    by (a loyalty card number, an invoice number). Each has a ``label`` and a ``lookup(query,
    limit)`` function returning matching customer ids, best first.

    Example::

        @hookimpl
        def search_providers():
            return SearchProvider(label="Loyalty card", lookup=customers_by_card)
    """


# -- the plugin itself -----------------------------------------------------------------------


@hookspec
def plugin_enabled(name):
    """The plugin ``name`` was switched on (on the Plugins page or with ``regulars plugins
    enable``), or an enabled plugin that waited for its upgrade became active through "Upgrade
    now" on the Plugins page: its migrations are upgraded and the change committed. Called
    after the commit on every active plugin, the one switched on included, each on its own:
    one that raises is logged and the others still hear it. Not called when the plugin was
    active already, nor by ``regulars db upgrade``, nor at start-up (use ``startup`` for
    that).

    Example::

        @hookimpl
        def plugin_enabled(name):
            if name == "hello":
                log.info("Hello is on")
    """


@hookspec
def plugin_disabled(name):
    """The plugin ``name`` was switched off (on the Plugins page or with ``regulars plugins
    disable``), and the change committed. Called after the commit on every plugin still active
    and on the one switched off, so it can tidy up (its data stays: a disabled plugin is hidden,
    not absent), each on its own: one that raises is logged and the others still hear it.

    Example::

        @hookimpl
        def plugin_disabled(name):
            if name == "hello":
                log.info("Hello is off")
    """


# -- email -----------------------------------------------------------------------------------


@hookspec
def email_templates():
    """Return the emails this plugin sends: an ``EmailTemplateDefault`` (or a list of them)
    with a ``key`` (start it with your plugin's name), a ``name`` for the Email templates
    screen, the ``subject``, ``html`` and ``text`` in Jinja, the ``category`` and the
    ``placeholders`` they may use besides the core's (``customer.first_name``,
    ``customer.last_name``, ``customer.display_name``, ``customer.company_name``,
    ``customer.number``, ``customer.email``, ``customer.phone``, ``shop.name``, ``shop.email``).

    The wording is copied into the database on ``regulars db upgrade`` (and on first use), where
    the shop may reword it; "Reset to default" brings yours back, and a new version of your
    wording replaces the old one wherever the shop had not reworded it. A template that does not
    parse or names an unknown placeholder cannot be saved, so sending never finds one.
    Send with ``send_email(template=key, customer=..., context={...})``, giving a value for
    each of your placeholders in ``context``.

    ``category="marketing"``: never sent to a customer whose "Contact by email" is off (the
    refusal is recorded on their Activity timeline). ``category="service"`` (receipts,
    invoices, what the customer asked for) goes whatever that choice, so a Go Green customer
    gets their receipt by email; set ``respects_preferences=True`` for a service email that
    should follow it too.

    Example::

        @hookimpl
        def email_templates():
            return EmailTemplateDefault(
                key="hello.greeting", name=_("Greeting"), category="service",
                subject="{{ greeting }}, {{ customer.first_name }}!",
                html="<p>{{ greeting }}, {{ customer.first_name }}!</p>",
                placeholders={"greeting": Placeholder(_("The greeting"), "Morning")})
    """


@hookspec
def email_placeholders(template_key):
    """Return a dict of extra placeholders the email template ``template_key`` may use,
    name to ``Placeholder(description, sample)`` (or just a description): for a plugin that
    adds values to another plugin's emails, such as a loyalty balance on the receipt. The
    ``sample`` is what the preview and the check on saving use.

    The values themselves reach the template through the ``context`` of the ``send_email``
    call, so add placeholders only to emails whose sender passes them (your own, or through a
    hook the sending plugin offers). Return None for templates you have nothing for.

    Example::

        @hookimpl
        def email_placeholders(template_key):
            if template_key == "sales.receipt":
                return {"loyalty.balance": Placeholder(_("Points after this sale"), 1250)}
    """


# -- services other plugins ask --------------------------------------------------------------


@hookspec(firstresult=True)
def fx_rate(base, quote, on, customer):
    """Return the ``Decimal`` rate that converts one unit of ``base`` into ``quote`` (ISO 4217
    codes) on date ``on``, for ``customer`` (None for the shop's own rate), or None when you
    have none.

    Stops at first non-None result.

    Example::

        rate = plugin_host().hook.fx_rate(base="EUR", quote="GBP", on=date.today(),
                                          customer=None)
    """


@hookspec
def load_demo_data(seed):
    """Add this plugin's demo rows (``regulars demo`` and the first ``make run``), after the
    core's demo customers and groups exist.

    Use ``seed`` with Faker or ``random.Random`` so the demo is the same on every machine.
    Runs once, on an empty shop, in the demo's transaction (do not commit). Return value
    ignored.

    Example::

        @hookimpl
        def load_demo_data(seed):
            services.add_demo_greetings(random.Random(seed))
    """
