"""Customer screens: the list, the assembled overview with its tabs, and the add/edit form."""

from __future__ import annotations

import datetime

from flask import (Response, abort, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import NotFound, ValidationError
from core.models import CustomerStatus, CustomerType
from core.services import contributions
from core.services import customers as customer_service
from core.services import exporter
from core.services import record as record_service
from core.services import groups as group_service
from core.services.duplicates import LikelyDuplicates
from core.services.normalize import clean_text
from core.views.common import allowed, host, int_arg, render_tab
from core.views.duplicates import redirect_to_survivor
from core.views.record import CustomerRecordViews, details_context, run_wizard


# The list's status filter: active customers unless the shop assistant asks for others.
STATUS_CHOICES = ("active", "inactive", "all")


def _default_sort(q: str) -> str:
    return "relevance" if q else "name"


def _date_arg(name):
    try:
        return datetime.date.fromisoformat(request.args.get(name, "")[:10])
    except ValueError:
        return None


def _list_query(offered=()):
    """The list's search text, filters and sort from the query string; anything malformed
    falls back to its default, except a value no plugin filter of ``offered`` offers, which
    raises ValidationError."""
    args = request.args
    chosen = contributions.chosen_filters(args, offered) if offered else ()
    q = args.get("q", "").strip()[:200]
    status = args.get("status") if args.get("status") in STATUS_CHOICES else "active"
    filters = customer_service.Filters(
        status=None if status == "all" else status,
        kind=args.get("kind") if args.get("kind") in {t.value for t in CustomerType} else None,
        group_id=int_arg("group"), segment_id=int_arg("segment"),
        tag=clean_text(args.get("tag", ""))[:60] or None,
        created_from=_date_arg("created_from"), created_to=_date_arg("created_to"),
        plugin=chosen)
    sort = args.get("sort")
    if sort not in customer_service.SORTS and not (sort == "relevance" and q):
        sort = _default_sort(q)
    return q, filters, sort, args.get("dir") == "desc"


def _customer_or_404(customer_id):
    try:
        return customer_service.get(customer_id)
    except NotFound:
        abort(404)


class CustomerView(CustomerRecordViews, BaseView):
    route_base = "/customers"
    default_view = "list"
    class_permission_name = "CustomerView"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_export", "can_reveal",
                        "can_members"]

    # -- list ------------------------------------------------------------------------------

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        plugin_filters = contributions.list_filters()
        try:
            q, filters, sort, desc = _list_query(plugin_filters)
            refused = {}
        except ValidationError as exc:  # a plugin filter's value it does not offer
            refused = exc.errors
            q, filters, sort, desc = _list_query()
        per_page = min(max(int_arg("per_page") or 20, 5), 100)
        page = None if refused else customer_service.page(
            q=q, filters=filters, sort=sort, desc=desc, page=int_arg("page") or 1,
            per_page=per_page, after=request.args.get("after"), before=request.args.get("before"))
        rows = page.rows if page else []
        # Plugins' columns: each one's values asked once for the whole page.
        columns = contributions.list_columns()
        column_values = contributions.column_values(columns, [c.id for c in rows]) \
            if columns and rows else {}
        plugin_chosen = {chosen.key: chosen.value for chosen in filters.plugin}
        status_arg = request.args.get("status") if request.args.get("status") in STATUS_CHOICES else ""
        params = {k: v for k, v in {
            "q": q, "status": status_arg, "kind": filters.kind, "group": filters.group_id,
            "segment": filters.segment_id, "tag": filters.tag,
            "created_from": filters.created_from.isoformat() if filters.created_from else None,
            "created_to": filters.created_to.isoformat() if filters.created_to else None,
            "sort": sort if sort != _default_sort(q) else None,
            "dir": "desc" if desc else None,
            "per_page": per_page if per_page != 20 else None, **plugin_chosen}.items() if v}
        hidden = None if refused or rows else customer_service.hidden_by_status(q, filters)

        def page_url(n, **cursor):
            return url_for("CustomerView.list", page=n, **params, **cursor)

        def sort_url(column):
            flip = column == sort and not desc
            p = dict(params, sort=column, dir="desc" if flip else None)
            return url_for("CustomerView.list", **{k: v for k, v in p.items() if v})

        def with_status(value):
            return url_for("CustomerView.list", **dict(params, status=value))

        partial = bool(request.args.get("partial"))
        template = "regulars/customers/_rows.html" if partial else "regulars/customers/list.html"
        # The rows refreshed as one types name a group or segment only when none match; the
        # filter form's choices are the whole page's.
        return self.render_template(
            template, page=page, q=q, filters=filters, status=status_arg, kind=filters.kind or "",
            refused=refused, plugin_filters=plugin_filters, plugin_chosen=plugin_chosen,
            columns=columns, column_values=column_values,
            group_id=filters.group_id, sort=sort, desc=desc, params=params, page_url=page_url,
            sort_url=sort_url, with_status=with_status, hidden=hidden,
            groups=group_service.all_groups()
            if not partial or (filters.group_id and not rows) else [],
            segments=record_service.all_segments()
            if not partial or (filters.segment_id and not rows) else [],
            tag_names=[] if partial else record_service.suggest_tags("", limit=200),
            statuses=list(CustomerStatus), kinds=list(CustomerType),
            # The rows refreshed as one types need neither button (each check is a query).
            can_add=not partial and allowed("can_add", "CustomerView"),
            can_export=not partial and allowed("can_export", "CustomerView"),
            export_url=url_for("CustomerView.export_csv", **{k: v for k, v in params.items()
                                                            if k not in ("sort", "dir", "per_page")}),
        ), 400 if refused else 200

    @expose("/export.csv")
    @has_access
    @permission_name("export")
    def export_csv(self):
        """The current filter as a spreadsheet-safe CSV, streamed row batch by row batch."""
        try:
            q, filters, _sort, _desc = _list_query(contributions.list_filters())
        except ValidationError as exc:
            return Response(" ".join(str(m) for m in exc.errors.values()) + "\n", status=400,
                            mimetype="text/plain; charset=utf-8")
        stmt = customer_service.filtered(q, filters=filters)
        chosen = {k: v for k, v in request.args.items() if k not in ("sort", "dir", "per_page")}
        rows = exporter.iter_csv(stmt, actor=current_user, filters=chosen)  # audited here
        response = Response(stream_with_context(rows),
                            mimetype="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = 'attachment; filename="customers.csv"'
        return response

    # -- overview --------------------------------------------------------------------------

    @expose("/<int:customer_id>")
    @has_access
    @permission_name("show")
    def overview(self, customer_id):
        customer = _customer_or_404(customer_id)
        if customer.merged_into_id is not None:
            return redirect_to_survivor(customer)
        h = host()
        tabs = sorted((t for t in h.collect("customer_tabs", customer=customer)
                       if t.permission is None or allowed(*t.permission)),
                      key=lambda t: (t.order, t.label))
        actions = [a for a in h.collect("customer_actions", customer=customer)
                   if a.permission is None or allowed(*a.permission)]
        badges = h.collect("customer_badges", customer=customer)
        summary = sorted(h.collect("customer_summary", customer=customer), key=lambda s: s.order)
        active_tab = request.args.get("tab") or (tabs[0].key if tabs else "")
        return self.render_template(
            "regulars/customers/overview.html", customer=customer, tabs=tabs, actions=actions,
            badges=badges, summary=summary, active_tab=active_tab,
            # An erased record can no longer be changed: no Edit, Deactivate or Reactivate.
            can_edit=allowed("can_edit", "CustomerView") and customer.erased_at is None,
        )

    @expose("/<int:customer_id>/tabs/details")
    @has_access
    @permission_name("show")
    def tab_details(self, customer_id):
        customer = _customer_or_404(customer_id)
        return render_tab("regulars/customers/tab_details.html", customer=customer,
                          **details_context(customer))

    @expose("/<int:customer_id>/tabs/groups")
    @has_access
    @permission_name("show")
    def tab_groups(self, customer_id):
        customer = _customer_or_404(customer_id)
        member_of = {g.id for g in customer.groups}
        return render_tab(
            "regulars/customers/tab_groups.html", customer=customer,
            other_groups=[g for g in group_service.all_groups() if g.id not in member_of],
            can_members=allowed("can_members", "CustomerView"),
        )

    # -- add / edit ------------------------------------------------------------------------

    @expose("/add", methods=["GET", "POST"])
    @has_access
    @permission_name("add")
    def add(self):
        return run_wizard(self, None)

    @expose("/<int:customer_id>/edit", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def edit(self, customer_id):
        return run_wizard(self, _customer_or_404(customer_id))

    @expose("/<int:customer_id>/status", methods=["POST"])
    @has_access
    @permission_name("edit")
    def set_status(self, customer_id):
        customer = _customer_or_404(customer_id)
        active = request.form.get("active") == "1"
        try:
            changed = customer_service.set_status(customer, active, actor=current_user,
                                                  reason=request.form.get("reason", ""))
        except ValidationError as exc:
            flash(" ".join(str(m) for m in exc.errors.values()), "danger")
            changed = False
        if changed:
            flash(_("%(name)s is active again.", name=customer.display_name) if active else
                  _("%(name)s is now inactive; their history is kept.", name=customer.display_name),
                  "success")
        return redirect(url_for("CustomerView.overview", customer_id=customer.id))

    # -- group membership from the customer's side ------------------------------------------

    @expose("/<int:customer_id>/groups", methods=["POST"])
    @has_access
    @permission_name("members")
    def join_group(self, customer_id):
        customer = _customer_or_404(customer_id)
        try:
            group = group_service.get(request.form.get("group_id"))
        except NotFound:
            flash(_("Choose a group."), "danger")
        else:
            group_service.add_members(group, [customer], actor=current_user)
            flash(_("Added to %(group)s.", group=group.name), "success")
        return redirect(url_for("CustomerView.overview", customer_id=customer.id, tab="groups"))

    @expose("/<int:customer_id>/groups/<int:group_id>/remove", methods=["POST"])
    @has_access
    @permission_name("members")
    def leave_group(self, customer_id, group_id):
        customer = _customer_or_404(customer_id)
        try:
            group = group_service.get(group_id)
        except NotFound:
            abort(404)
        group_service.remove_member(group, customer, actor=current_user)
        flash(_("Removed from %(group)s.", group=group.name), "success")
        return redirect(url_for("CustomerView.overview", customer_id=customer.id, tab="groups"))
