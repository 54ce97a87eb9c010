"""Group screens: list, create, edit, delete, and the members of a group."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from core.db import db
from core.errors import NotFound, ValidationError
from core.models import Customer, CustomerGroup, group_membership
from core.services import customers as customer_service
from core.services import groups as group_service
from core.views.common import allowed, int_arg, int_args
from core.views.forms import GroupForm, show_errors


def _group_or_404(group_id):
    try:
        return group_service.get(group_id)
    except NotFound:
        abort(404)


class GroupView(BaseView):
    route_base = "/groups"
    default_view = "list"
    class_permission_name = "GroupView"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_members"]

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        counts = dict(db.session.execute(
            select(group_membership.c.group_id, func.count()).group_by(group_membership.c.group_id)
        ).all())
        groups = group_service.all_groups()
        return self.render_template("regulars/groups/list.html", groups=groups, counts=counts,
                                    can_add=allowed("can_add", "GroupView"),
                                    can_edit=allowed("can_edit", "GroupView"))

    @expose("/<int:group_id>")
    @has_access
    @permission_name("show")
    def show(self, group_id):
        group = _group_or_404(group_id)
        page_no = int_arg("page") or 1
        page = customer_service.page(group_id=group.id, page=page_no, per_page=50,
                                     after=request.args.get("after"),
                                     before=request.args.get("before"))
        q = request.args.get("q", "").strip()[:200]
        candidates = group_service.candidates(group, q) if q else []
        return self.render_template(
            "regulars/groups/show.html", group=group, page=page, q=q, candidates=candidates,
            page_url=lambda n, **cursor: url_for("GroupView.show", group_id=group.id, page=n,
                                                 **cursor),
            can_edit=allowed("can_edit", "GroupView"),
            can_delete=allowed("can_delete", "GroupView"),
            can_members=allowed("can_members", "GroupView"),
        )

    @expose("/add", methods=["GET", "POST"])
    @has_access
    @permission_name("add")
    def add(self):
        form = GroupForm()
        if form.validate_on_submit():
            try:
                group = group_service.create(form.core_data())
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                flash(_("Group %(name)s created.", name=group.name), "success")
                return redirect(url_for("GroupView.show", group_id=group.id))
        return self.render_template("regulars/groups/form.html", form=form,
                                    title=_("Create Group"), group=None)

    @expose("/<int:group_id>/edit", methods=["GET", "POST"])
    @has_access
    @permission_name("edit")
    def edit(self, group_id):
        group = _group_or_404(group_id)
        form = GroupForm() if request.method == "POST" else GroupForm(obj=group)
        if form.validate_on_submit():
            try:
                group_service.update(group, form.core_data())
            except ValidationError as exc:
                show_errors(form, exc)
            else:
                flash(_("Group %(name)s saved.", name=group.name), "success")
                return redirect(url_for("GroupView.show", group_id=group.id))
        return self.render_template("regulars/groups/form.html", form=form,
                                    title=_("Edit Group"), group=group)

    @expose("/<int:group_id>/delete", methods=["POST"])
    @has_access
    @permission_name("delete")
    def delete(self, group_id):
        group = _group_or_404(group_id)
        name = group.name
        group_service.delete_group(group)
        flash(_("Group %(name)s deleted; its members are still customers.", name=name), "success")
        return redirect(url_for("GroupView.list"))

    @expose("/<int:group_id>/members", methods=["POST"])
    @has_access
    @permission_name("members")
    def add_member(self, group_id):
        group = _group_or_404(group_id)
        ids = int_args("customer_id")
        customers = list(db.session.execute(select(Customer).where(Customer.id.in_(ids))).scalars())
        if not customers:
            flash(_("Choose a customer to add."), "danger")
        else:
            added = group_service.add_members(group, customers, actor=current_user)
            flash(_("%(n)d added to %(group)s.", n=added, group=group.name), "success")
        return redirect(url_for("GroupView.show", group_id=group.id))

    @expose("/<int:group_id>/members/<int:customer_id>/remove", methods=["POST"])
    @has_access
    @permission_name("members")
    def remove_member(self, group_id, customer_id):
        group = _group_or_404(group_id)
        try:
            customer = customer_service.get(customer_id)
        except NotFound:
            abort(404)
        group_service.remove_member(group, customer, actor=current_user)
        flash(_("%(name)s removed from %(group)s.", name=customer.display_name, group=group.name),
              "success")
        return redirect(url_for("GroupView.show", group_id=group.id))
