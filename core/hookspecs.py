"""Every hook the Regulars core calls. This module is the plugin author's reference:
docs/plugins.md is generated from these docstrings (``regulars docs hooks``).

Conventions
-----------
* Every hook is called with keyword arguments. New arguments may be added later, so an
  implementation takes only the ones it uses.
* ``*_ed`` hooks run after the transaction committed; an exception in one is logged and the
  plugin isolated, the user's request never fails because of it.
* ``*_ing`` hooks run inside the service's transaction and may veto it by raising
  ``core.sdk.ValidationError``.
* Hooks of disabled plugins are never called.
"""

from pluggy import HookspecMarker

hookspec = HookspecMarker("regulars")


# -- plugin set-up ---------------------------------------------------------------------------


@hookspec(historic=True)
def addhooks(pm):
    """Publish this plugin's own hookspecs for other plugins, with ``pm.add_hookspecs(module)``.

    Called once for every plugin, including those registered later.

    Example::

        @hookimpl
        def addhooks(pm):
            from plugins.sales import hookspecs
            pm.add_hookspecs(hookspecs)
    """


@hookspec
def startup(app):
    """One-time work after every plugin, view and API is registered. Return value ignored.

    Example::

        @hookimpl
        def startup(app):
            app.logger.info("hello plugin ready")
    """


@hookspec
def register_views(appbuilder):
    """Add Flask-AppBuilder views and menu items with ``appbuilder.add_view(...)``.

    Menus and URLs of a disabled plugin are hidden and answer 404 without any work on your side.

    Example::

        @hookimpl
        def register_views(appbuilder):
            appbuilder.add_view(HelloView, "Hello", category="Plugins")
    """


@hookspec
def register_api(appbuilder):
    """Add REST endpoints with ``appbuilder.add_api(...)``; use ``resource_name`` under
    ``/api/v1/<plugin>/``.

    Example::

        @hookimpl
        def register_api(appbuilder):
            appbuilder.add_api(HelloApi)
    """


@hookspec
def register_jobs(scheduler):
    """Add APScheduler jobs with ``scheduler.add_job(func, trigger, id=..., replace_existing=True)``.

    Jobs run in the scheduler process (``regulars scheduler``), inside an app context; a job of a
    disabled plugin is skipped when it fires.

    Example::

        @hookimpl
        def register_jobs(scheduler):
            scheduler.add_job(say_hello, "interval", hours=1, id="hello.say_hello")
    """


# -- the customer overview -------------------------------------------------------------------


@hookspec
def customer_tabs(customer):
    """Return a ``Tab`` (or a list of them) for the customer overview.

    Each tab is loaded from its own URL, so a slow or failing tab never blocks the page.
    Core tabs have orders 10 (Details) and 20 (Groups); plugins' tabs come after them.

    Example::

        @hookimpl
        def customer_tabs(customer):
            return Tab(key="hello", label="Hello", order=100,
                       url=url_for("HelloView.tab", customer_id=customer.id))
    """


@hookspec
def customer_actions(customer):
    """Return an ``Action`` (or a list) for the quick actions in the overview's header.

    Example::

        @hookimpl
        def customer_actions(customer):
            return Action(label="Say hello", url="/hello/say/%d" % customer.id,
                          icon="fa-hand-paper-o", permission=("can_say", "HelloView"))
    """


@hookspec
def customer_badges(customer):
    """Return a ``Badge`` (or a list) shown beside the customer's name in the header.

    Example::

        @hookimpl
        def customer_badges(customer):
            return Badge(label="VIP", style="warning")
    """


@hookspec
def customer_summary(customer):
    """Return a ``SummaryItem`` (or a list): small labelled facts for the overview's info box.

    Example::

        @hookimpl
        def customer_summary(customer):
            return SummaryItem(label="Points", value="1,250")
    """


# -- the customer form -----------------------------------------------------------------------


@hookspec
def customer_form_fields(kind):
    """Return ``FormField`` objects to add to the customer form; ``kind`` is ``"add"`` or ``"edit"``.

    Example::

        @hookimpl
        def customer_form_fields(kind):
            return FormField(name="hello_nickname",
                             field=StringField("Nickname", validators=[Optional(), Length(max=40)]),
                             section="Basic")
    """


@hookspec
def customer_form_initial(customer):
    """Return a dict of initial values for this plugin's form fields when the form edits ``customer``.

    Example::

        @hookimpl
        def customer_form_initial(customer):
            return {"hello_nickname": nickname_of(customer)}
    """


@hookspec
def customer_form_saved(customer, data):
    """Store this plugin's fields from the submitted form. ``data`` holds every field's value.

    Runs inside the save's transaction: raise ``ValidationError({field: message})`` to refuse
    the whole save, with the message beside your field.

    Example::

        @hookimpl
        def customer_form_saved(customer, data):
            save_nickname(customer, data.get("hello_nickname"))
    """


# -- customer life cycle (after commit) -------------------------------------------------------


@hookspec
def customer_created(customer):
    """A customer was created and committed. Return value ignored; exceptions are logged."""


@hookspec
def customer_updated(customer, changes):
    """A customer was changed and committed; ``changes`` maps field name to ``(old, new)``."""


@hookspec
def customer_deactivated(customer):
    """A customer was set Inactive and committed. Its history stays in place."""


@hookspec
def customer_reactivated(customer):
    """An inactive customer was set Active again and committed."""


# -- services other plugins ask --------------------------------------------------------------


@hookspec(firstresult=True)
def fx_rate(base, quote, on, customer):
    """Return the ``Decimal`` rate that converts one unit of ``base`` into ``quote`` on date ``on``,
    for ``customer`` (which may be None for the shop's own rate), or None when you have none.

    Stops at first non-None result.

    Example::

        rate = host.hook.fx_rate(base="EUR", quote="GBP", on=date.today(), customer=None)
    """


@hookspec
def load_demo_data(seed):
    """Add this plugin's demo rows (``regulars demo`` and the first ``make run``). Use ``seed``
    with Faker or random so the demo is the same on every machine. Runs once, on an empty shop.

    Example::

        @hookimpl
        def load_demo_data(seed):
            add_shop_rates(seed)
    """
