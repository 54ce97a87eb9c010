"""Roles and permissions. FAB's security model guards every view and endpoint; the built-in
roles are (re)written by ``regulars db upgrade`` from the rules below, so a plugin's new
permissions reach the right roles without anyone clicking through the roles screen."""

from __future__ import annotations

import re

from flask import current_app, has_request_context, jsonify, request
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import assoc_permissionview_role
from flask_appbuilder.security.views import UserGroupModelView as FabUserGroupModelView
from flask_babel import lazy_gettext as _

# Views only an administrator touches: whoever can change users, their groups or their
# passwords can make themselves an administrator.
ADMIN_ONLY_VIEWS = re.compile(
    r"^(User\w*ModelView|RoleModelView|PermissionModelView|ViewMenuModelView|"
    r"PermissionViewModelView|UserStatsChartView|RegisterUserModelView|ResetPasswordView|"
    r"Security|List Users|List Roles|List Groups|User's Statistics|Base Permissions|"
    r"Views/Menus|Permission on Views/Menus|PluginsView|Plugins|PluginsApi)$"
)
# Actions only an administrator takes, on whatever view they sit (erasure cannot be undone).
# Seeing every user's imports (others see their own): the files hold a whole customer list.
ADMIN_ONLY_PERMISSIONS = {"can_erase", "can_see_all_imports"}
READ_PERMISSIONS = re.compile(
    r"^(can_list|can_show|can_get|can_info|can_overview|can_tab|can_download|can_export|"
    r"can_userinfo|menu_access|can_this_form_get|can_get_list|can_lookup)$"
)
# Own-account permissions every signed-in role needs (change own password, see own profile).
SELF_SERVICE = re.compile(r"^(can_userinfo|resetmypassword|can_this_form_get|can_this_form_post)$")
SELF_SERVICE_VIEWS = re.compile(r"^(UserDBModelView|ResetMyPasswordView|UserInfoEditView)$")

BUILTIN_ROLES = ("Admin", "Manager", "Cashier", "Accounts", "ReadOnly")


def _is_self_service(perm: str, view: str) -> bool:
    return bool(SELF_SERVICE.match(perm) and SELF_SERVICE_VIEWS.match(view))


def role_allows(role: str, perm: str, view: str) -> bool:
    """Whether a built-in role holds ``perm`` on ``view``."""
    if role == "Admin":
        return True
    if _is_self_service(perm, view):
        return True
    if perm == "can_reveal":
        # Clear identity numbers (ID/SSN, driver's licence): managers only, every reveal audited.
        return role == "Manager"
    if ADMIN_ONLY_VIEWS.match(view):
        return False
    if perm in ADMIN_ONLY_PERMISSIONS:
        return False
    if role == "Manager":
        return True
    if role == "ReadOnly":
        return bool(READ_PERMISSIONS.match(perm))
    if role == "Cashier":
        # Serve customers at the till: find, add, edit contact details; nothing financial.
        if READ_PERMISSIONS.match(perm):
            return True
        if view == "CustomerHistoryView":
            # Jot a note or log a call at the till; editing or deleting notes is a manager's.
            return perm in ("can_add_note", "can_log_call")
        return view in ("CustomerView", "CustomerApi") and perm in (
            "can_add", "can_edit", "can_post", "can_put", "can_quick")
    if role == "Accounts":
        if READ_PERMISSIONS.match(perm):
            return True
        return bool(re.match(r"^(Billing|Invoice|Payment|Collection|Fx|FX)", view))
    return False


class UserGroupModelView(FabUserGroupModelView):
    """FAB's groups of *users* (which grant roles), moved off /groups: that is where the
    customers' groups live."""

    route_base = "/usergroups"


class RegularsSecurityManager(SecurityManager):
    """FAB's database security manager with Regulars' built-in roles."""

    groupmodelview = UserGroupModelView

    def auth_user_db(self, username, password):
        # PostgreSQL refuses NUL in text outright; such a name can only be a failed login.
        if "\x00" in (username or "") or "\x00" in (password or ""):
            return None
        return super().auth_user_db(username, password)

    # Every request pays for these two (a till's lookup most of all): fewer round trips.

    def get_user_by_id(self, pk):
        """The signed-in user with the roles and groups the permission check reads next, in
        one query rather than three."""
        from sqlalchemy.orm import joinedload

        return self.session.get(self.user_model, pk, options=[
            joinedload(self.user_model.roles), joinedload(self.user_model.groups)])

    def is_item_public(self, permission_name, view_name):
        """Whether the public role holds this permission (see ``_permissions_of``)."""
        return (permission_name, view_name) in self._permissions_of(
            self.role_model.name == self.auth_role_public, ("public",))

    def exist_permission_on_roles(self, view_name, permission_name, role_ids) -> bool:
        """Whether one of these roles holds this permission (see ``_permissions_of``)."""
        key = tuple(sorted(role_ids))
        return (permission_name, view_name) in self._permissions_of(
            self.role_model.id.in_(key), key)

    def _permissions_of(self, which_roles, key) -> frozenset:
        """Every (permission, view) the roles picked by ``which_roles`` hold, read once per
        request. A page asks FAB twenty times or more (each menu item, each button), and FAB
        would send one query each time; within one request the answer cannot change. Outside
        a request (the CLI, jobs, tests of the manager) nothing is kept."""
        kept = None
        if has_request_context():
            kept = request.environ.setdefault("regulars.permissions", {})
            if key in kept:
                return kept[key]
        link = assoc_permissionview_role
        found = frozenset(
            self.session.query(self.permission_model.name, self.viewmenu_model.name)
            .select_from(self.permissionview_model)
            .join(link, self.permissionview_model.id == link.c.permission_view_id)
            .join(self.role_model, self.role_model.id == link.c.role_id)
            .join(self.permission_model,
                  self.permission_model.id == self.permissionview_model.permission_id)
            .join(self.viewmenu_model,
                  self.viewmenu_model.id == self.permissionview_model.view_menu_id)
            .filter(which_roles).all())
        if kept is not None:
            kept[key] = found
        return found

    def create_jwt_manager(self, app):
        jwt_manager = super().create_jwt_manager(app)

        @jwt_manager.invalid_token_loader
        def invalid_token(reason):
            # A token we did not sign is missing credentials (401), not bad input (422).
            return jsonify(message=str(_("Sign in again: the token is not valid."))), 401

        return jwt_manager

    def register_views(self):
        super().register_views()
        if self.is_auth_limited and "SecurityApi" in current_app.blueprints:
            # FAB limits the login form only; the API's login must not be a way round it.
            self.limiter.limit(self.auth_rate_limit, methods=["POST"])(
                current_app.blueprints["SecurityApi"])

    def add_permissions_view(self, base_permissions, view_menu):
        """Write the permissions guarding ``view_menu``: those of every class guarded by that
        name, not only of the class at hand.

        FAB calls this once per class and prunes whatever that one class does not list. Several
        API classes share a name on purpose ("CustomerApi" guards the customers API, the till's
        lookup and quick add, and a customer's addresses and contacts, so a role grants them
        together), and each would prune the others' permissions."""
        wanted = set(base_permissions or ()) | {
            permission for view in self.appbuilder.baseviews
            if view.class_permission_name == view_menu
            for permission in view.base_permissions or ()}
        if self.appbuilder.menu and self.appbuilder.menu.find(view_menu):
            wanted.add("menu_access")  # a menu item of the same name keeps its own permission
        self._take_off_roles(view_menu, keep=wanted)
        super().add_permissions_view(sorted(wanted), view_menu)

    def _take_off_roles(self, view_menu: str, keep: set[str]) -> None:
        """Take the permissions on ``view_menu`` that nothing uses any more off every role, so
        FAB can delete them. (FAB means to, but hands ``del_permission_role`` the permission
        instead of the permission-on-view, so roles keep it and FAB logs "Refused to delete
        permission view" at every upgrade instead.)"""
        view = self.find_view_menu(view_menu)
        if view is None:
            return
        unused = [pv for pv in self.find_permissions_view_menu(view)
                  if pv.permission is not None and pv.permission.name not in keep]
        if not unused:
            return
        for role in self.get_all_roles():
            if any(pv in role.permissions for pv in unused):
                role.permissions = [pv for pv in role.permissions if pv not in unused]
        self.session.commit()

    def sync_builtin_roles(self) -> None:
        """Give each built-in role exactly the permissions its rule allows (Admin: all)."""
        all_pvms = self.session.query(self.permissionview_model).all()
        for role_name in BUILTIN_ROLES:
            role = self.find_role(role_name) or self.add_role(role_name)
            role.permissions = [
                pvm for pvm in all_pvms
                if pvm.permission and pvm.view_menu
                and role_allows(role_name, pvm.permission.name, pvm.view_menu.name)
            ]
        self.session.commit()
