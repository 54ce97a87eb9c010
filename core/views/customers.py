"""Customer screens: the list, the assembled overview with its tabs, and the add/edit form."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import NotFound, ValidationError
from core.models import CustomerStatus, CustomerType
from core.services import customers as customer_service
from core.services import groups as group_service
from core.views.common import allowed, host, int_arg, render_tab
from core.views.forms import CustomerForm, form_with_plugin_fields, show_errors


def _customer_or_404(customer_id):
    try:
        return customer_service.get(customer_id)
    except NotFound:
        abort(404)


class CustomerView(BaseView):
    route_base = "/customers"
    default_view = "list"
    class_permission_name = "CustomerView"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]

    # -- list ------------------------------------------------------------------------------

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        args = request.args
        q = args.get("q", "").strip()[:200]
        status = args.get("status") if args.get("status") in {s.value for s in CustomerStatus} else ""
        kind = args.get("kind") if args.get("kind") in {t.value for t in CustomerType} else ""
        group_id = int_arg("group")
        sort = args.get("sort") if args.get("sort") in customer_service.SORTS else "name"
        desc = args.get("dir") == "desc"
        per_page = min(max(int_arg("per_page") or 20, 5), 100)
        page = customer_service.page(q=q, status=status or None, kind=kind or None,
                                     group_id=group_id, sort=sort, desc=desc,
                                     page=int_arg("page") or 1, per_page=per_page,
                                     after=args.get("after"), before=args.get("before"))
        params = {k: v for k, v in {"q": q, "status": status, "kind": kind, "group": group_id,
                                    "sort": sort if sort != "name" else None,
                                    "dir": "desc" if desc else None,
                                    "per_page": per_page if per_page != 20 else None}.items() if v}

        def page_url(n, **cursor):
            return url_for("CustomerView.list", page=n, **params, **cursor)

        def sort_url(column):
            flip = column == sort and not desc
            p = dict(params, sort=column, dir="desc" if flip else None)
            return url_for("CustomerView.list", **{k: v for k, v in p.items() if v})

        template = "regulars/customers/_rows.html" if args.get("partial") else "regulars/customers/list.html"
        return self.render_template(
            template, page=page, q=q, status=status, kind=kind, group_id=group_id, sort=sort,
            desc=desc, params=params, page_url=page_url, sort_url=sort_url,
            groups=group_service.all_groups(), statuses=list(CustomerStatus),
            kinds=list(CustomerType), can_add=allowed("can_add", "CustomerView"),
        )

    # -- overview --------------------------------------------------------------------------

    @expose("/<int:customer_id>")
    @has_access
    @permission_name("show")
    def overview(self, customer_id):
        customer = _customer_or_404(customer_id)
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
            can_edit=allowed("can_edit", "CustomerView"),
        )

    @expose("/<int:customer_id>/tabs/details")
    @has_access
    @permission_name("show")
    def tab_details(self, customer_id):
        customer = _customer_or_404(customer_id)
        return render_tab("regulars/customers/tab_details.html", customer=customer)

    @expose("/<int:customer_id>/tabs/groups")
    @has_access
    @permission_name("show")
    def tab_groups(self, customer_id):
        customer = _customer_or_404(customer_id)
        member_of = {g.id for g in customer.groups}
        return render_tab(
            "regulars/customers/tab_groups.html", customer=customer,
            other_groups=[g for g in group_service.all_groups() if g.id not in member_of],
            can_edit=allowed("can_edit", "CustomerView"),
        )

    # -- add / edit ------------------------------------------------------------------------

    def _form_class(self, kind):
        fields = host().collect("customer_form_fields", kind=kind)
        return form_with_plugin_fields(CustomerForm, fields)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    @permission_name("add")
    def add(self):
        form = self._form_class("add")()
        if form.validate_on_submit():
            try:
                customer = customer_service.create(form.core_data(), actor=current_user,
                                                   extra=form.extra_data())
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                flash(_("Customer %(name)s created as %(number)s.", name=customer.display_name,
                        number=customer.number), "success")
                return redirect(url_for("CustomerView.overview", customer_id=customer.id))
        return self.render_template("regulars/customers/form.html", form=form,
                                    title=_("Create Customer"), customer=None)

    @expose("/<int:customer_id>/edit", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def edit(self, customer_id):
        customer = _customer_or_404(customer_id)
        form_class = self._form_class("edit")
        if request.method == "POST":
            form = form_class()
        else:
            initial = {}
            for values in host().collect("customer_form_initial", customer=customer):
                initial.update(values)
            form = form_class(obj=customer, data=initial)
        if form.validate_on_submit():
            try:
                customer_service.update(customer, form.core_data(), actor=current_user,
                                        extra=form.extra_data())
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                flash(_("Changes to %(name)s saved.", name=customer.display_name), "success")
                return redirect(url_for("CustomerView.overview", customer_id=customer.id))
        return self.render_template("regulars/customers/form.html", form=form,
                                    title=_("Edit Customer"), customer=customer)

    @expose("/<int:customer_id>/status", methods=["POST"])
    @has_access
    @permission_name("edit")
    def set_status(self, customer_id):
        customer = _customer_or_404(customer_id)
        active = request.form.get("active") == "1"
        if customer_service.set_status(customer, active, actor=current_user):
            flash(_("%(name)s is active again.", name=customer.display_name) if active else
                  _("%(name)s is now inactive; their history is kept.", name=customer.display_name),
                  "success")
        return redirect(url_for("CustomerView.overview", customer_id=customer.id))

    # -- group membership from the customer's side ------------------------------------------

    @expose("/<int:customer_id>/groups", methods=["POST"])
    @has_access
    @permission_name("edit")
    def join_group(self, customer_id):
        customer = _customer_or_404(customer_id)
        try:
            group = group_service.get(request.form.get("group_id"))
        except NotFound:
            flash(_("Choose a group."), "danger")
        else:
            group_service.add_members(group, [customer])
            flash(_("Added to %(group)s.", group=group.name), "success")
        return redirect(url_for("CustomerView.overview", customer_id=customer.id, tab="groups"))

    @expose("/<int:customer_id>/groups/<int:group_id>/remove", methods=["POST"])
    @has_access
    @permission_name("edit")
    def leave_group(self, customer_id, group_id):
        customer = _customer_or_404(customer_id)
        try:
            group = group_service.get(group_id)
        except NotFound:
            abort(404)
        group_service.remove_member(group, customer)
        flash(_("Removed from %(group)s.", group=group.name), "success")
        return redirect(url_for("CustomerView.overview", customer_id=customer.id, tab="groups"))
