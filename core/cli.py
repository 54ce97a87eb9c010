"""``regulars ...`` (also ``flask --app core.app regulars ...``): database, demo, plugins, scheduler."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from core import devserver
from core.plugins import current_host

console = Console()


def _create_app():
    from core.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True,
             help="Regulars: customer management for shops.")
def main():
    pass


def register(app) -> None:
    """Attach the Regulars commands to ``flask`` as well (``flask regulars ...``)."""
    group = click.Group("regulars", help="Regulars commands.")
    for command in COMMANDS:
        group.add_command(command)
    app.cli.add_command(group)


# -- db -------------------------------------------------------------------------------------


@click.group("db", help="Database schema.")
def db_group():
    pass


@db_group.command("upgrade", help="Upgrade the core and every enabled plugin, then sync roles.")
@with_appcontext
def db_upgrade():
    from core.migrate import MigrationError

    try:
        upgraded = upgrade_all()
    except MigrationError as exc:
        if exc.upgraded:
            console.print(f"Upgraded: {', '.join(exc.upgraded)}")
        raise click.ClickException(str(exc)) from None
    console.print(f"Upgraded: {', '.join(upgraded)}")


def upgrade_all() -> list[str]:
    """Upgrade the core and the plugins (see ``migrate.upgrade``), then tell every running
    process: a plugin that needed ``regulars db upgrade`` becomes active at once. A plugin
    whose migrations cannot run does not hold the others back: what could be upgraded is,
    and made known, before its MigrationError is raised."""
    from core import migrate
    from core.db import db, write_transaction
    from core.plugins import SETTINGS_KEY
    from core.services import email_templates
    from core.services.plugins import bump_version, sync_permissions

    try:
        upgraded, broken = migrate.upgrade(), None
    except migrate.MigrationError as exc:
        if not exc.upgraded:  # the core's own migrations could not run
            raise
        upgraded, broken = exc.upgraded, exc
    with write_transaction():
        bump_version(SETTINGS_KEY)
    current_host().refresh(db.session, force=True)
    sync_permissions()
    email_templates.seed()  # the emails the core and enabled plugins register, for rewording
    if broken is not None:
        raise broken
    return upgraded


@db_group.command("heads", help="Show each branch's head revision.")
@with_appcontext
def db_heads():
    from alembic.script import ScriptDirectory

    from core import migrate

    script = ScriptDirectory.from_config(migrate.alembic_config())
    for rev in script.get_revisions("heads"):
        console.print(f"{','.join(rev.branch_labels or ()) or '-'}: {rev.revision}  {rev.doc}")


# -- set-up ---------------------------------------------------------------------------------


@click.command("create-admin", help="Create an administrator account.")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--email", default=None)
@click.option("--first-name", default="Shop")
@click.option("--last-name", default="Admin")
@with_appcontext
def create_admin(username, password, email, first_name, last_name):
    ensure_user(username, password, email or f"{username}@example.com", first_name, last_name, "Admin")
    console.print(f"Administrator [bold]{username}[/bold] is ready.")


def ensure_user(username, password, email, first_name, last_name, role_name):
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is None:
        user = sm.add_user(username, first_name, last_name, email, sm.find_role(role_name),
                           password=password)
        if not user:
            raise click.ClickException(f"Could not create user {username}")
    return user


@click.command("demo", help="Load the demo shop (customers, groups, plugins' demo data) if empty.")
@click.option("--count", type=int, default=None, help="How many customers.")
@with_appcontext
def demo(count):
    load_demo(count)


def load_demo(count=None) -> int:
    from core.services import demo as demo_service

    if not demo_service.is_empty():
        console.print("The shop already has customers; demo data not loaded.")
        return 0
    count = count or current_app.config["DEMO_CUSTOMERS"]
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Loading demo customers", total=count)
        made = demo_service.load(count, current_app.config["DEMO_SEED"],
                                 progress=lambda n: progress.update(task, completed=n))
    console.print(f"Loaded {made} demo customers.")
    return made


@click.command("setup", help="Upgrade the database; on first start load the demo and its admin.")
@click.option("--demo/--no-demo", default=True)
@click.option("--url", default="http://127.0.0.1:5000", show_default=True,
              help="The address the server will answer on, for the closing message.")
@with_appcontext
def setup(demo, url):
    upgrade_all()
    cfg = current_app.config
    if demo:
        load_demo()
        ensure_user(cfg["DEMO_ADMIN_USERNAME"], cfg["DEMO_ADMIN_PASSWORD"], "admin@example.com",
                    "Shop", "Admin", "Admin")
        console.print(
            f"\n[bold green]Regulars is ready[/bold green] at {escape(url)}  "
            f"(log in as [bold]{cfg['DEMO_ADMIN_USERNAME']}[/bold] / "
            f"[bold]{cfg['DEMO_ADMIN_PASSWORD']}[/bold])\n"
        )


# -- plugins --------------------------------------------------------------------------------


@click.group("plugins", help="List, enable and disable plugins.")
def plugins_group():
    pass


@plugins_group.command("list")
@with_appcontext
def plugins_list():
    from core.db import db

    host = current_host()
    host.refresh(db.session, force=True)
    table = Table("name", "version", "enabled", "active", "requires", "description / problem")
    for plugin in sorted(host.plugins.values(), key=lambda p: p.name):
        active = host.is_active(plugin.name)
        table.add_row(
            plugin.name, plugin.info.version, "yes" if host.is_enabled(plugin.name) else "no",
            "yes" if active else "no", ", ".join(plugin.info.requires) or "-",
            plugin.info.description if active else host.inactive_reason(plugin.name),
        )
    console.print(table)


def _switch(name: str, enabled: bool):
    from core.errors import ValidationError
    from core.services import plugins as plugin_service

    try:
        plugin_service.set_enabled(name, enabled)
    except ValidationError as exc:
        raise click.ClickException(" ".join(exc.errors.values())) from exc
    console.print(f"{name}: {'enabled' if enabled else 'disabled'}")


@plugins_group.command("enable")
@click.argument("name")
@with_appcontext
def plugins_enable(name):
    _switch(name, True)


@plugins_group.command("disable")
@click.argument("name")
@with_appcontext
def plugins_disable(name):
    _switch(name, False)


@plugins_group.command("new", help="Write a new plugin distribution, regulars-NAME/, ready to "
                                   "pip install and test: a tab, a customer field in the "
                                   "plugin's own table, its first migration, tests on the kit.")
@click.argument("name")
@click.option("--dir", "parent", type=click.Path(file_okay=False), default=".",
              show_default=True, metavar="PATH",
              help="An existing folder; the plugin is written to PATH/regulars-NAME/ "
                   "(regulars-stamp-card/ for stamp_card).")
@click.option("--label", default=None, help="The name people see (default: from NAME).")
@click.option("--description", default=None, help="One line on what the plugin does.")
def plugins_new(name, parent, label, description):
    from core import scaffold

    try:
        path = scaffold.create(name, parent, label=label, description=description)
    except scaffold.ScaffoldError as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(f"Wrote the plugin [bold]{escape(name)}[/bold] to {escape(str(path))}")
    console.print(escape(f'Next:  cd {path} && pip install -e ".[test]" && regulars db upgrade'
                         " && pytest"), soft_wrap=True)


# `regulars plugin new NAME` reads better; the same commands as `regulars plugins ...`.
plugin_alias = click.Group("plugin", commands=plugins_group.commands, hidden=True,
                           help=plugins_group.help)


# -- scheduler ------------------------------------------------------------------------------


@click.command("scheduler", help="Run the scheduled jobs (exactly one such process per shop).")
@with_appcontext
def scheduler_command():
    from core import scheduler

    sched = scheduler.build(current_app._get_current_object(), blocking=True)
    console.print(f"Scheduler running {len(sched.get_jobs())} job(s). Ctrl+C stops it.")
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        pass


# -- background tasks -----------------------------------------------------------------------


@click.command("worker", help="Run background tasks (emails, imports, recomputes). Start as many "
                              "as you like, on any machine that reaches the database.")
@click.option("--max-tasks", type=int, default=None, help="Stop after this many tasks.")
@click.option("--until-idle", is_flag=True, help="Stop when no task is due (for scripts).")
@click.option("--name", default=None, help="How this worker is named on the Background tasks "
                                           "screen (default host:pid).")
@with_appcontext
def worker_command(max_tasks, until_idle, name):
    import logging
    import signal

    from core import tasks

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    worker = tasks.Worker(current_app._get_current_object(), name=name)
    # SIGTERM (systemd, Kubernetes) lets the task in hand finish, then stops.
    signal.signal(signal.SIGTERM, worker.stop)
    console.print(f"Worker {worker.name} taking tasks. Ctrl+C stops it.")
    try:
        done = worker.run(max_tasks=max_tasks, until_idle=until_idle)
    except KeyboardInterrupt:
        done = worker.done
    console.print(f"Worker {worker.name} ran {done} task(s).")


@click.group("tasks", help="Background tasks.")
def tasks_group():
    pass


@tasks_group.command("list", help="How many tasks are in each state, and the failed ones.")
@with_appcontext
def tasks_list():
    from core import tasks

    table = Table("state", "tasks")
    for state, count in tasks.counts().items():
        table.add_row(state, f"{count:,}")
    console.print(table)
    for row in tasks.listed(("failed",), limit=20):
        first_line = (row.last_error or "").splitlines()[0] if row.last_error else ""
        console.print(f"[red]failed[/red] #{row.id} {escape(row.name)}: {escape(first_line)}")


@tasks_group.command("retry", help="Give a failed task a new set of attempts.")
@click.argument("task_id", type=int)
@with_appcontext
def tasks_retry(task_id):
    from core import tasks

    tasks.retry(task_id)
    console.print(f"Task {task_id} is queued again.")


# -- encryption keys ------------------------------------------------------------------------


@click.group("keys", help="Encryption keys of the sensitive numbers.")
def keys_group():
    pass


@keys_group.command("rotate", help="Re-encrypt every sensitive value with the first key of "
                                   "ENCRYPTION_KEYS; afterwards the older keys can be removed.")
@with_appcontext
def keys_rotate():
    from core.services import record

    count = record.rotate_keys()
    console.print(f"Re-encrypted {count} value(s) with the newest key.")


# -- search ---------------------------------------------------------------------------------


@click.group("search", help="The customer search index.")
def search_group():
    pass


@search_group.command("reindex", help="Rebuild every customer's search document and the index.")
@with_appcontext
def search_reindex():
    from core.services import search

    with Progress(console=console) as progress:
        task = progress.add_task("Indexing customers", total=None)
        count = search.reindex_all(lambda done, total: progress.update(task, completed=done, total=total))
    console.print(f"Indexed {count:,} customer(s).")


# -- customers: import and export --------------------------------------------------------------


@click.group("customers", help="Import and export customers.")
def customers_group():
    pass


@customers_group.command("import", help="Import customers from a CSV file (header row first).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and report; save nothing.")
@click.option("--key", type=click.Choice(["number", "email"]), default="number",
              help="Match rows to existing customers by customer number or by email.")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD",
              help="Map a column to a field (repeatable): a customer field (first_name, email, "
                   "phone...), name, address.line1/line2/city/region/postal_code/country, "
                   "shipping.*, phone.mobile/home/work/other, tags, notes or a plugin's field "
                   "(hello_greeting...); COLUMN= skips it. "
                   "The other columns are mapped from the headers (exports of Shopify, Square, "
                   "WooCommerce, Lightspeed, Vend, Odoo and ERPNext are recognised).")
@click.option("--encoding", default="auto", help="auto (UTF-8, else Windows-1252), utf-8, cp1252...")
@with_appcontext
def customers_import(path, dry_run, key, maps, encoding):
    from pathlib import Path

    from core.errors import ValidationError
    from core.services import importer

    try:
        csv_file = importer.read_csv(Path(path).read_bytes(), encoding)
        mapping = importer.guess_mapping(csv_file.headers)
        for item in maps:
            column, sep, field = item.partition("=")
            if not sep:
                raise click.BadParameter(f"{item!r}: write COLUMN=FIELD", param_hint="--map")
            mapping[column.strip()] = field.strip()
        recognition = importer.recognise(csv_file.headers)
        if recognition is not None:
            console.print(f"Recognised as a {escape(str(recognition.label))}.")
        table = Table("column", "field", "note")
        for column in importer.describe(csv_file.headers,
                                        {h: f for h, f in mapping.items() if f}):
            table.add_row(escape(column.column), escape(column.target) or "[dim](skipped)[/dim]",
                          "" if column.status == "imported" else escape(column.reason))
        console.print(table)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Checking" if dry_run else "Importing",
                                     total=len(csv_file.rows))
            result = importer.run(csv_file, mapping, key=key, dry_run=dry_run,
                                  progress=lambda done, total: progress.update(task, completed=done))
    except ValidationError as exc:
        raise click.ClickException(" ".join(f"{k}: {v}" if k not in ("file", "_", "mapping") else str(v)
                                            for k, v in exc.errors.items())) from exc
    if result.errors:
        report = Table("row", "column", "problem", title="Rows not imported")
        for error in result.errors[:200]:
            report.add_row(str(error.row), error.column or "-", error.message)
        console.print(report)
        if len(result.errors) > 200:
            console.print(f"... and {len(result.errors) - 200} more problems.")
    if result.kept:
        kept = Table("column", "kept for", "rows that fill it",
                     title="Kept for later: skipped columns (no plugin takes them from an import yet)")
        for column in result.kept:
            kept.add_row(escape(column.column), escape(column.kept_for), str(column.filled or 0))
        console.print(kept)
    summary = Table("rows", "new", "updated", "unchanged", "with errors",
                    title="Dry run (nothing saved)" if dry_run else "Imported")
    summary.add_row(str(result.rows), str(result.created), str(result.updated),
                    str(result.unchanged), str(result.failed))
    console.print(summary)
    if result.failed:
        sys.exit(1)


@customers_group.command("export", help="Export customers to a CSV file that spreadsheets open safely.")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--q", default="", help="Search, as in the customer list.")
@click.option("--status", type=click.Choice(["active", "inactive"]), default=None)
@click.option("--kind", type=click.Choice(["individual", "business"]), default=None)
@click.option("--group", "group_id", type=int, default=None, help="Only members of this group id.")
@with_appcontext
def customers_export(path, q, status, kind, group_id):
    from core.services import exporter

    with open(path, "w", encoding="utf-8", newline="") as stream:
        # Audited like every export, with no user: it was taken on the server itself.
        count = exporter.write_csv({"q": q, "status": status, "kind": kind, "group_id": group_id},
                                   stream)
    console.print(f"Exported {count} customer(s) to {path}.")


# -- docs -----------------------------------------------------------------------------------


@click.command("hook-docs", help="Rewrite the hook reference in docs/plugins.md from core/hookspecs.py.")
@click.option("--check", is_flag=True, help="Exit 1 if docs/plugins.md is out of date.")
def hook_docs(check):
    from core import hookdocs

    changed = hookdocs.write(check=check)
    if check and changed:
        console.print("docs/plugins.md is out of date: run `regulars hook-docs`.")
        sys.exit(1)
    console.print("docs/plugins.md is up to date." if not changed else "docs/plugins.md rewritten.")


COMMANDS = [db_group, create_admin, demo, setup, plugins_group, plugin_alias, scheduler_command,
            worker_command, tasks_group, hook_docs, keys_group, search_group]
COMMANDS.append(customers_group)
for _command in COMMANDS:
    main.add_command(_command)
# `regulars run`: Flask's development server, without a Server header naming Werkzeug.
main.add_command(devserver.run_command)
