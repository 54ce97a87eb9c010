"""Roles and permissions. FAB's security model guards every view and endpoint; the built-in
roles are (re)written by ``regulars db upgrade`` from the rules below, so a plugin's new
permissions reach the right roles without anyone clicking through the roles screen."""

from __future__ import annotations

import re

from flask import abort, current_app, flash, g, has_request_context, jsonify, redirect, request
from flask import session as cookie
from flask_appbuilder.api import expose
from flask_appbuilder.security.api import SecurityApi as FabSecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.sqla.models import assoc_permissionview_role
from flask_appbuilder._compat import as_unicode
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.views import AuthDBView as FabAuthDBView
from flask_appbuilder.security.views import UserGroupModelView as FabUserGroupModelView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_babel import lazy_gettext as _
from flask_login import current_user, login_user, user_logged_in
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError as CsrfRefused

from core.db import record_id
from core.roles import BUILTIN_ROLES
from core.services import sign_in, sign_in_throttle

# Views only an administrator touches: whoever can change users, their groups or their
# passwords can make themselves an administrator.
ADMIN_ONLY_VIEWS = re.compile(
    r"^(User\w*ModelView|RoleModelView|PermissionModelView|ViewMenuModelView|"
    r"PermissionViewModelView|UserStatsChartView|RegisterUserModelView|ResetPasswordView|"
    r"Security|List Users|List Roles|List Groups|User's Statistics|Base Permissions|"
    r"Views/Menus|Permission on Views/Menus|PluginsView|Plugins|PluginsApi|"
    # The mail server's password, and the address every email goes out from.
    r"EmailSettingsView|Email settings)$"
)
# Actions only an administrator takes, on whatever view they sit (erasure cannot be undone).
# Seeing every user's imports (others see their own): the files hold a whole customer list.
ADMIN_ONLY_PERMISSIONS = {"can_erase", "can_see_all_imports"}
READ_PERMISSIONS = re.compile(
    r"^(can_list|can_show|can_get|can_info|can_overview|can_tab|can_download|"
    r"can_userinfo|menu_access|can_this_form_get|can_get_list|can_lookup)$"
)
# Own-account permissions every signed-in role needs (change own password, see own profile).
SELF_SERVICE = re.compile(r"^(can_userinfo|resetmypassword|can_this_form_get|can_this_form_post)$")
SELF_SERVICE_VIEWS = re.compile(r"^(UserDBModelView|ResetMyPasswordView|UserInfoEditView)$")

# Screens for those who run the shop: background tasks show errors that may name customers;
# email templates are the wording of every email the shop sends (previewed with any customer).
MANAGERS_ONLY_VIEWS = {"TasksView", "Background tasks", "EmailTemplateView", "Email templates"}

# Where group membership changes; one permission, "can_members", on each.
MEMBERSHIP_VIEWS = ("CustomerView", "GroupView", "GroupApi")
# The claim of an API token that carries its user's token generation (see services.sign_in).
TOKEN_GENERATION_CLAIM = "regulars_gen"


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
    if perm == "can_export":
        # Taking personal data out of the shop (one customer's full export, the customer list
        # as a file) is not a read: managers only, every export audited.
        return role == "Manager"
    if ADMIN_ONLY_VIEWS.match(view):
        return False
    if perm in ADMIN_ONLY_PERMISSIONS:
        return False
    if role == "Manager":
        return True
    if view in MANAGERS_ONLY_VIEWS:
        return False
    if role == "ReadOnly":
        return bool(READ_PERMISSIONS.match(perm))
    if role == "Cashier":
        # Serve customers at the till: find, add, edit contact details; nothing financial.
        if READ_PERMISSIONS.match(perm):
            return True
        if view == "CustomerHistoryView":
            # Jot a note or log a call at the till; editing or deleting notes is a manager's.
            return perm in ("can_add_note", "can_log_call")
        if perm == "can_members":
            # Put a customer in a static group, or take them out, wherever it is done: while
            # creating them at the till, on their Groups tab, on the group's page, by the API.
            # Creating, renaming and deleting groups stays a manager's.
            return view in MEMBERSHIP_VIEWS
        return view in ("CustomerView", "CustomerApi") and perm in (
            "can_add", "can_edit", "can_post", "can_put", "can_quick")
    if role == "Accounts":
        if READ_PERMISSIONS.match(perm):
            return True
        return bool(re.match(r"^(Billing|Invoice|Payment|Collection|Fx|FX)", view))
    return False


def _granted(grants: dict, role: str, perm: str, view: str) -> bool:
    roles = grants.get((perm, view))
    return role in roles if roles is not None else role_allows(role, perm, view)


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "X-CSRFToken"


def refuse_cross_site_api_calls():
    """Before every request: an API call that changes something and is signed in by the
    browser's session cookie must carry the page's CSRF token in the ``X-CSRFToken`` header
    (read it from ``<meta name="csrf-token">``), else 403. Any other site can make a signed-in
    browser send the cookie (a form posting to /api/...); only our own pages know the token.
    Calls with an ``Authorization: Bearer`` token pass: a browser never adds that header to
    another site's request on its own. Off with ``WTF_CSRF_ENABLED``, like the forms' check."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return None
    if request.method not in UNSAFE_METHODS or not request.path.startswith("/api/"):
        return None
    if request.headers.get("Authorization", "")[:7].lower() == "bearer ":
        return None
    if not current_user.is_authenticated:
        return None  # no session to ride on: FAB answers 401 where it matters
    headers = current_app.config.get("WTF_CSRF_HEADERS") or [CSRF_HEADER]
    token = next((request.headers[h] for h in headers if request.headers.get(h)), None)
    try:
        validate_csrf(token)
    except CsrfRefused as exc:
        reason = str(exc.args[0]) if exc.args else str(_("The CSRF token is not valid."))
        return jsonify(message=str(_("Send the page's CSRF token in the X-CSRFToken header, "
                                     "or call the API with a token (Authorization: Bearer).")),
                       errors={CSRF_HEADER: reason}), 403
    return None


def refuse_throttled_sign_ins():
    """Before every request: a sign-in (the login form, or the API's login) for an account or
    from an address that must wait is refused before any password is checked: 429 with
    Retry-After from the API, the login page saying how long to wait from the form. The
    attempts themselves are counted in ``RegularsSecurityManager.auth_user_db``."""
    if request.method != "POST" or not sign_in_throttle.enabled():
        return None
    sm = current_app.appbuilder.sm
    from_api = request.endpoint == "SecurityApi.login"
    if not from_api and request.endpoint != f"{sm.auth_view.endpoint}.login":
        return None
    if from_api:
        body = request.get_json(silent=True)
        username = body.get("username") if isinstance(body, dict) else None
    else:
        username = request.form.get("username")
    username = username if isinstance(username, str) else None
    wait = sign_in_throttle.wait_for(username, request.remote_addr,
                                     sm.user_id_signing_in(username))
    if not wait:
        return None
    refused = sign_in_throttle.SignInThrottled(wait)
    if from_api:
        response = jsonify(message=str(refused.message))
        response.status_code = 429
    else:
        flash(refused.message, "warning")
        response = redirect(login_url_keeping_next())
    response.headers["Retry-After"] = str(wait)
    return response


def requested_next() -> str | None:
    """The page a sign-in was asked to go on to (``?next=``), when it is one of ours; None when
    none was asked for. A ``next`` elsewhere (another site, a ``javascript:`` URL) is refused:
    FAB logs "Invalid redirect detected" and it becomes the index."""
    wanted = request.args.get("next")
    if not wanted:
        return None
    return get_safe_redirect(wanted)


def next_url() -> str:
    """Where a sign-in goes: the page asked for, else the index."""
    return requested_next() or current_app.appbuilder.get_url_for_index


def login_url_keeping_next() -> str:
    """The login page again, still going on to the page asked for, if any."""
    appbuilder = current_app.appbuilder
    wanted = requested_next()
    return appbuilder.get_url_for_login_with(wanted) if wanted else appbuilder.get_url_for_login


class AuthDBView(FabAuthDBView):
    """FAB's sign-in form (same name, same URL, same template), going on to the page asked for
    or to the index. FAB reads a sign-in without ``?next=`` as a redirect to "" and logs
    "Invalid redirect detected, falling back to index" on every such sign-in; here a missing
    ``next`` simply means the index, and only an unsafe one is refused (and logged)."""

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(next_url())
        form = LoginForm_db()
        if form.validate_on_submit():
            target = next_url()
            user = self.appbuilder.sm.auth_user_db(form.username.data, form.password.data)
            if not user:
                flash(as_unicode(self.invalid_login_message), "warning")
                return redirect(login_url_keeping_next())
            login_user(user, remember=False)
            return redirect(target)
        return self.render_template(self.login_template, title=self.title, form=form,
                                    appbuilder=self.appbuilder)


def may_reveal_identity_numbers() -> bool:
    """Whether the signed-in user (browser session or API token) may see identity numbers
    (ID/SSN, driver's licence) in clear: on the Details tab, in the wizard, in an export."""
    return current_app.appbuilder.sm.has_access("can_reveal", "CustomerView")


class UserGroupModelView(FabUserGroupModelView):
    """FAB's groups of *users* (which grant roles), moved off /groups: that is where the
    customers' groups live."""

    route_base = "/usergroups"


class SecurityApi(FabSecurityApi):
    """FAB's token login (/api/v1/security/login). A body without "provider" signs in with the
    shop's own provider (FAB would fail on the missing key)."""

    @expose("/login", methods=["POST"])
    def login(self):
        body = request.get_json(silent=True)  # cached: FAB's login reads this very dict
        if isinstance(body, dict) and "provider" not in body:
            body["provider"] = self.appbuilder.sm.auth_type_provider_name or "db"
        return super().login()

    login.__doc__ = FabSecurityApi.login.__doc__


class RegularsSecurityManager(SecurityManager):
    """FAB's database security manager with Regulars' built-in roles."""

    groupmodelview = UserGroupModelView
    security_api = SecurityApi
    authdbview = AuthDBView

    @property
    def userdbmodelview(self):
        """FAB's user screen plus sign-ins and "Sign out everywhere" (imported late: the views
        import this module)."""
        from core.views.users import UserDBModelView

        return UserDBModelView

    def auth_user_db(self, username, password):
        """FAB's password check, which both the login form and the API's login go through,
        throttled (see services.sign_in_throttle): the attempt is counted before the password
        is checked, and refused unchecked while the account or the address must wait."""
        # PostgreSQL refuses NUL in text outright; such a name can only be a failed login.
        if "\x00" in (username or "") or "\x00" in (password or ""):
            return None
        if not sign_in_throttle.enabled():
            return super().auth_user_db(username, password)
        address = request.remote_addr if has_request_context() else None
        try:
            attempt = sign_in_throttle.begin(username, address, self.user_id_signing_in(username))
        except sign_in_throttle.SignInThrottled:
            return None  # lost a race with another attempt; refused all the same
        user = super().auth_user_db(username, password)
        if user is not None:
            sign_in_throttle.succeeded(attempt)
        return user

    def user_id_signing_in(self, username) -> int | None:
        """The id of the user ``username`` names (a user name, or an email address), as FAB's
        sign-in finds them; None when it names nobody."""
        if not isinstance(username, str) or not username or "\x00" in username:
            return None
        user = self.find_user(username=username) or self.find_user(email=username)
        return user.id if user is not None else None

    # Every request pays for these two (a till's lookup most of all): fewer round trips.

    def get_user_by_id(self, pk):
        """The signed-in user with the roles and groups the permission check reads next, in
        one query rather than three."""
        from sqlalchemy.orm import joinedload

        return self.session.get(self.user_model, pk, options=[
            joinedload(self.user_model.roles), joinedload(self.user_model.groups)])

    def is_item_public(self, permission_name, view_name):
        """Whether the public role holds this permission (see ``_permissions_of``)."""
        snapshot = self._access_snapshot()
        if snapshot is not None:
            return snapshot.public_holds(permission_name, view_name)
        return (permission_name, view_name) in self._permissions_of(
            self.role_model.name == self.auth_role_public, ("public",))

    def exist_permission_on_roles(self, view_name, permission_name, role_ids) -> bool:
        """Whether one of these roles holds this permission (see ``_permissions_of``)."""
        snapshot = self._access_snapshot()
        if snapshot is not None:
            return snapshot.holds(role_ids, permission_name, view_name)
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

        @jwt_manager.additional_claims_loader
        def token_generation(identity):
            user_id = record_id(identity)
            return {TOKEN_GENERATION_CLAIM: sign_in.token_generation(user_id) if user_id else 0}

        @jwt_manager.token_in_blocklist_loader
        def token_ended(_jwt_header, jwt_payload):
            return self._token_ended(jwt_payload)

        @jwt_manager.revoked_token_loader
        @jwt_manager.user_lookup_error_loader
        def token_no_longer_valid(_jwt_header, _jwt_payload):
            # Signed out everywhere, password changed, or the user was deactivated.
            return jsonify(message=str(_("Sign in again: the token is not valid."))), 401

        return jwt_manager

    # -- signed-in requests: one query before the handler (see core.access) ----------------

    def request_access(self):
        """This request's sign-in, user and settings versions, read by one query on first use
        (None outside a request)."""
        if not has_request_context():
            return None
        from core.access import RequestAccess

        return RequestAccess.of_request(self.session)

    def _access_snapshot(self):
        """Every role's permissions as of this request's ``access`` version (kept per
        process), or None outside a request or before the database is migrated."""
        access = self.request_access()
        if access is None or access.access_version is None:
            return None
        cache = self.__dict__.get("_regulars_access_cache")
        if cache is None:
            from core.access import AccessCache

            cache = self.__dict__.setdefault("_regulars_access_cache",
                                             AccessCache(self.auth_role_public))
        return cache.at(self.session, access.access_version)

    def load_user(self, pk):
        """The browser's user, if its sign-in has not ended (read by the request's query)."""
        access = self.request_access()
        if access is None:
            return super().load_user(pk)
        user = access.user_for("session", pk)
        return user if user is not None and user.is_active else None

    def load_user_jwt(self, _jwt_header, jwt_data):
        identity = jwt_data[current_app.config.get("JWT_IDENTITY_CLAIM", "sub")]
        access = self.request_access()
        user = access.user_for("token", identity) if access is not None else None
        if user is None and record_id(identity):
            user = self.get_user_by_id(record_id(identity))
        if user is not None and user.is_active:
            g.user = user
            return user
        return None

    def _token_ended(self, jwt_payload) -> bool:
        """Whether this token was issued before its user's last password change or "Sign out
        everywhere" (its generation is not the current one)."""
        identity = jwt_payload.get(current_app.config.get("JWT_IDENTITY_CLAIM", "sub"))
        access = self.request_access()
        if access is not None and access.user_for("token", identity) is not None:
            current = access.token_generation
        else:
            user_id = record_id(identity)
            current = sign_in.token_generation(user_id) if user_id else 0
        return jwt_payload.get(TOKEN_GENERATION_CLAIM, 0) != current

    def get_user_roles(self, user):
        snapshot = self._access_snapshot()
        if snapshot is None:
            return super().get_user_roles(user)
        if not user.is_authenticated:
            return [snapshot.public] if snapshot.public is not None else []
        return list(snapshot.roles_of(self.session, user.id))

    def find_roles_permission_view_menus(self, permission_name, role_ids):
        snapshot = self._access_snapshot()
        if snapshot is None:
            return super().find_roles_permission_view_menus(permission_name, role_ids)
        return snapshot.views_with(permission_name, role_ids)

    def create_login_manager(self, app):
        login_manager = super().create_login_manager(app)
        # FAB hands over ``current_app``; flask_login signals with the app itself.
        user_logged_in.connect(self._browser_signed_in, current_app._get_current_object())
        return login_manager

    def _browser_signed_in(self, _app, user, **_extra):
        """A browser signed in: a sign-in row on the server, its key in the session cookie."""
        cookie[sign_in.COOKIE_KEY] = sign_in.start(user.id)

    def on_user_logout(self, user):
        super().on_user_logout(user)
        sign_in.end(cookie.pop(sign_in.COOKIE_KEY, None))

    def reset_password(self, userid, password):
        """Change a user's password (their own, or an administrator's reset) and, in the same
        transaction, end their other browser sign-ins and every API token issued to them. The
        browser that changed its own password stays signed in."""
        user_id = record_id(userid)
        if user_id is None or self.get_user_by_id(user_id) is None:
            abort(404)
        keep = None
        if has_request_context() and current_user.is_authenticated \
                and str(current_user.id) == str(user_id):
            keep = sign_in.current_key()
        sign_in.end_everywhere(user_id, keep=keep)
        super().reset_password(user_id, password)

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

    def sync_builtin_roles(self, only=None) -> None:
        """Give each built-in role exactly the permissions its rule allows (Admin: all), or,
        for a permission of a plugin's view that its ``PluginInfo.grants`` names, exactly the
        roles it lists.

        ``only`` (permission-on-view rows): decide those alone; every other permission a role
        holds or lacks stays as it is (what an administrator changed is kept)."""
        all_pvms = self.session.query(self.permissionview_model).all()
        decided = all_pvms if only is None else list(only)
        ids = {pvm.id for pvm in decided}
        host = current_app.extensions.get("regulars.plugins")
        grants = host.permission_grants(self.appbuilder.baseviews) if host else {}
        for role_name in BUILTIN_ROLES:
            role = self.find_role(role_name) or self.add_role(role_name)
            kept = [] if only is None else [pvm for pvm in role.permissions if pvm.id not in ids]
            role.permissions = kept + [
                pvm for pvm in decided
                if pvm.permission and pvm.view_menu
                and _granted(grants, role_name, pvm.permission.name, pvm.view_menu.name)
            ]
        self.session.commit()
