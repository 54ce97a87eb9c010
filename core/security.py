"""Roles and permissions. FAB's security model guards every view and endpoint; the built-in
roles are (re)written by ``regulars db upgrade`` from the rules below, so a plugin's new
permissions reach the right roles without anyone clicking through the roles screen."""

from __future__ import annotations

import re

from flask import current_app, jsonify
from flask_appbuilder.security.sqla.manager import SecurityManager
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
ADMIN_ONLY_PERMISSIONS = {"can_erase"}
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
