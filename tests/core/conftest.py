"""Helpers for the core's tests: read a rendered page the way a person looks at it, and count
what is in the database."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Element:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children: list[Element | str] = []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    @property
    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        return " ".join(" ".join(parts).split())

    def matches(self, tag=None, cls=None, **attrs) -> bool:
        if tag and self.tag != tag:
            return False
        if cls and cls not in self.classes:
            return False
        return all(self.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())

    def find_all(self, tag=None, cls=None, **attrs) -> list[Element]:
        found = []
        for child in self.children:
            if isinstance(child, Element):
                if child.matches(tag, cls, **attrs):
                    found.append(child)
                found.extend(child.find_all(tag, cls, **attrs))
        return found

    def find(self, tag=None, cls=None, **attrs) -> Element | None:
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#document", {})

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


@pytest.fixture
def page():
    """``page(response)``: the response's HTML as a tree to look things up in."""

    def read(response) -> Element:
        return parse(response.get_data(as_text=True))

    return read


def field_errors(doc: Element, field: str) -> list[str]:
    """The messages shown beside one form field."""
    group = doc.find(data_field=field)
    assert group is not None, f"the form has no field {field!r}"
    return [e.text for e in group.find_all(cls="field-error")]


@pytest.fixture
def errors_beside():
    return field_errors


@pytest.fixture
def count_rows(app):
    """``count_rows(Model)``: how many rows the table holds now."""
    from sqlalchemy import func, select

    from core.db import db

    def count(model) -> int:
        with app.app_context():
            return db.session.execute(select(func.count()).select_from(model)).scalar()

    return count


@pytest.fixture
def load_customer(app):
    """``load_customer(id)``: the stored customer's fields as a dict (None when gone)."""
    from core.db import db
    from core.models import Customer

    def load(customer_id):
        with app.app_context():
            customer = db.session.get(Customer, customer_id)
            if customer is None:
                return None
            data = {c.name: getattr(customer, c.name) for c in Customer.__table__.columns}
            data["groups"] = sorted(g.name for g in customer.groups)
            return data

    return load


@pytest.fixture
def make_group(app):
    import itertools

    seq = itertools.count(1)

    def make(name=None, members=(), **fields):
        from core.services import customers, groups

        with app.app_context():
            group = groups.create({"name": name or f"Group {next(seq)}", **fields})
            if members:
                groups.add_members(group, [customers.get(i) for i in members])
            return group.id

    return make


@pytest.fixture
def mail_plugin():
    """A throwaway plugin "shop" that sends three emails, as a plugin author registers them: a
    receipt (service), a newsletter (marketing) and a reminder (a service email that still
    follows the customer's "contact by email" choice)."""
    import types

    from core.sdk import EmailTemplateDefault, Placeholder, PluginInfo, hookimpl

    module = types.ModuleType("regulars_shop_mail_test")
    module.PLUGIN = PluginInfo(name="shop", label="Shop", version="1.0")
    sale = {"sale.number": Placeholder("The sale's number", "S-0001"),
            "sale.total": Placeholder("What the customer paid", "£12.50")}

    @hookimpl
    def email_templates():
        return [
            EmailTemplateDefault(
                key="shop.receipt", name="Receipt", placeholders=sale,
                subject="Your receipt {{ sale.number }} from {{ shop.name }}",
                html="<p>Hello {{ customer.first_name }},</p>\n<p>You paid {{ sale.total }}.</p>",
                text="Hello {{ customer.first_name }},\nYou paid {{ sale.total }}.\n"),
            EmailTemplateDefault(
                key="shop.news", name="Newsletter", category="marketing",
                subject="News from {{ shop.name }}", html="<p>Hi {{ customer.first_name }}!</p>"),
            EmailTemplateDefault(
                key="shop.reminder", name="Reminder", respects_preferences=True,
                subject="A reminder", text="Dear {{ customer.display_name }}, ..."),
        ]

    module.email_templates = email_templates
    return module


@pytest.fixture
def unmigrate():
    """``unmigrate(app, name)``: plugin ``name``'s revisions and tables gone from the
    database, as when it is pip-installed and ``regulars db upgrade`` has not run yet (an app
    made after this sees it so)."""
    from sqlalchemy import column, delete, table, text

    from core.db import db

    def undo(app, name) -> None:
        plugin = app.extensions["regulars.plugins"].plugins[name]
        with app.app_context():
            db.session.execute(delete(table("alembic_version", column("version_num"))).where(
                column("version_num").in_(sorted(plugin.revisions))))
            for table_name in reversed(plugin.tables):
                db.session.execute(text(f'DROP TABLE IF EXISTS "{table_name}"'))
            db.session.commit()

    return undo
