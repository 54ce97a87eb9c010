"""Who is asking and what they may do, for the price of one query per request.

Every request needs the same facts before its handler runs: which plugins are on, whether the
browser's sign-in (or the API token) is still good, who the user is, and what their roles
allow. Roles and permissions change rarely, so each process keeps them (``AccessCache``) keyed
by the ``access`` settings version, which any change to a user's roles, a role, a group or a
permission moves on (see ``_note_access_changes``). One SELECT per request reads the settings
versions together with the sign-in and the user (``RequestAccess.read``): a change made in one
process is seen by every other on its next request, and nothing in memory is the truth."""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import logging
import threading
from types import SimpleNamespace

from flask import request, session as cookie
from flask_appbuilder.security.sqla.models import (Group, Permission, PermissionView, Role, User,
                                                   ViewMenu, assoc_group_role,
                                                   assoc_permissionview_role, assoc_user_group,
                                                   assoc_user_role)
from sqlalchemy import bindparam, event, inspect, select, union, update
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from core.db import record_id, utcnow
from core.models import SettingsVersion, SignInSession, TokenGeneration
from core.plugins import SETTINGS_KEY as PLUGINS_KEY
from core.services import sign_in

log = logging.getLogger(__name__)

ACCESS_KEY = "access"
# flask_login's keys in the session cookie, forgotten when the sign-in behind them has ended.
_LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember", "_remember_seconds")


# -- the request's one query ---------------------------------------------------------------


@dataclasses.dataclass
class RequestAccess:
    """What the request's one query found. ``via`` is "session" (a browser's sign-in),
    "token" (an API token in the Authorization header) or None (nobody, or not known yet)."""

    plugins_version: int | None = None
    access_version: int | None = None
    user: User | None = None
    via: str | None = None
    token_generation: int = 0
    known: bool = True  # False: the query could not run (see ``read``)

    @classmethod
    def of_request(cls, db_session) -> RequestAccess:
        """This request's facts, read on first use and kept for the rest of the request."""
        found = request.environ.get("regulars.access")
        if found is None:
            found = request.environ["regulars.access"] = cls.read(db_session)
        return found

    @classmethod
    def read(cls, db_session) -> RequestAccess:
        try:
            found = _browser_sign_in(db_session) or _api_token(db_session)
            if found is None:
                plugins, access = db_session.execute(_versions_statement()).one()
                found = cls(plugins, access)
        except (OperationalError, ProgrammingError):
            # Not migrated yet (run `regulars db upgrade`), or the database is unreachable:
            # nobody counts as signed in by cookie until the sign-ins can be read.
            db_session.rollback()
            log.warning("Could not read this request's sign-in", exc_info=True)
            return cls(known=False)
        return found

    def user_for(self, via: str, user_id) -> User | None:
        """The user this request's query found, if it came ``via`` that way for ``user_id``."""
        if self.user is None or self.via != via or str(self.user.id) != str(user_id):
            return None
        return self.user


# The statements are built once per process (building one costs more than running it).


def _versions():
    return tuple(select(SettingsVersion.version).where(SettingsVersion.key == key)
                 .scalar_subquery() for key in (PLUGINS_KEY, ACCESS_KEY))


@functools.lru_cache(maxsize=1)
def _versions_statement():
    return select(*_versions())


@functools.lru_cache(maxsize=1)
def _sign_in_statement():
    return (select(User, SignInSession.last_seen_at, *_versions())
            .join(SignInSession, SignInSession.user_id == User.id)
            .where(SignInSession.id == bindparam("row_id"),
                   SignInSession.user_id == bindparam("user_id"),
                   SignInSession.ended_at.is_(None)))


@functools.lru_cache(maxsize=1)
def _token_user_statement():
    return (select(User, TokenGeneration.generation, *_versions())
            .outerjoin(TokenGeneration, TokenGeneration.user_id == User.id)
            .where(User.id == bindparam("user_id")))


def _browser_sign_in(db_session) -> RequestAccess | None:
    user_id, key = cookie.get("_user_id"), cookie.get(sign_in.COOKIE_KEY)
    if user_id is None:
        return None
    row = None
    if key and record_id(user_id):
        row_id = sign_in.key_hash(key)
        row = db_session.execute(_sign_in_statement(),
                                 {"row_id": row_id, "user_id": record_id(user_id)}).first()
    if row is None:
        # Signed out on the server (elsewhere, or by a password change): this cookie is
        # no one's any more.
        for name in (*_LOGIN_KEYS, sign_in.COOKIE_KEY):
            cookie.pop(name, None)
        return None
    user, last_seen, plugins, access = row
    if utcnow() - last_seen > sign_in.TOUCH_EVERY:
        sign_in.touch(row_id)
    return RequestAccess(plugins, access, user, "session")


def _api_token(db_session) -> RequestAccess | None:
    user_id = record_id(_token_subject())
    if user_id is None:
        return None
    row = db_session.execute(_token_user_statement(), {"user_id": user_id}).first()
    if row is None:
        return None
    user, generation, plugins, access = row
    return RequestAccess(plugins, access, user, "token", generation or 0)


def _token_subject():
    """Whom the API token in the Authorization header names, read WITHOUT checking it: only
    so the request's one query can fetch that user's row. The handler's own check
    (``@protect``) verifies the token, and the row is used only if the verified token names
    the same user (``user_for``). Checking it here too would cost as much as the query."""
    from flask_jwt_extended.config import config

    if "headers" not in config.token_location:
        return None
    header = request.headers.get(config.header_name, "")
    prefix = f"{config.header_type} " if config.header_type else ""
    if not header.startswith(prefix):
        return None
    parts = header[len(prefix):].strip().split(".")
    if len(parts) != 3 or len(parts[1]) > 4096:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return claims.get(config.identity_claim_key) if isinstance(claims, dict) else None
    except ValueError:  # not a JWT at all: @protect answers it
        return None


# -- roles and permissions, per process ------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RoleRef:
    """A role as the permission checks see it (FAB reads only ``id`` and ``name``)."""

    id: int
    name: str


class AccessSnapshot:
    """Every role and what it holds, as of one ``access`` version."""

    def __init__(self, version: int, roles: dict[int, RoleRef],
                 permissions: dict[int, frozenset], public_name: str):
        self.version = version
        self.roles = roles
        self.permissions = permissions
        self.public = next((r for r in roles.values() if r.name == public_name), None)
        self._user_roles: dict[int, tuple[RoleRef, ...]] = {}

    def holds(self, role_ids, permission: str, view: str) -> bool:
        wanted = (permission, view)
        return any(wanted in self.permissions.get(role_id, ()) for role_id in role_ids)

    def public_holds(self, permission: str, view: str) -> bool:
        return self.public is not None and self.holds((self.public.id,), permission, view)

    def views_with(self, permission: str, role_ids) -> list:
        """Like FAB's ``find_roles_permission_view_menus``: objects with ``view_menu.name``."""
        names = {view for role_id in role_ids
                 for perm, view in self.permissions.get(role_id, ()) if perm == permission}
        return [SimpleNamespace(view_menu=SimpleNamespace(name=name)) for name in sorted(names)]

    def roles_of(self, db_session, user_id: int) -> tuple[RoleRef, ...]:
        """The user's roles, their own and their groups'; read once per user and version."""
        found = self._user_roles.get(user_id)
        if found is None:
            own = select(assoc_user_role.c.role_id).where(assoc_user_role.c.user_id == user_id)
            grouped = (select(assoc_group_role.c.role_id)
                       .join(assoc_user_group,
                             assoc_user_group.c.group_id == assoc_group_role.c.group_id)
                       .where(assoc_user_group.c.user_id == user_id))
            ids = db_session.execute(union(own, grouped)).scalars()
            found = tuple(sorted((self.roles[i] for i in set(ids) if i in self.roles),
                                 key=lambda r: r.id))
            self._user_roles[user_id] = found
        return found


class AccessCache:
    """This process's copy of every role's permissions, re-read when the version moves."""

    def __init__(self, public_name: str):
        self.public_name = public_name
        self._snapshot: AccessSnapshot | None = None
        self._lock = threading.Lock()

    def at(self, db_session, version: int) -> AccessSnapshot:
        snapshot = self._snapshot
        if snapshot is not None and snapshot.version == version:
            return snapshot
        with self._lock:
            snapshot = self._snapshot
            if snapshot is None or snapshot.version != version:
                snapshot = self._snapshot = self._load(db_session, version)
        return snapshot

    def _load(self, db_session, version: int) -> AccessSnapshot:
        link = assoc_permissionview_role
        rows = db_session.execute(
            select(Role.id, Role.name, Permission.name, ViewMenu.name)
            .select_from(Role)
            .outerjoin(link, link.c.role_id == Role.id)
            .outerjoin(PermissionView, PermissionView.id == link.c.permission_view_id)
            .outerjoin(Permission, Permission.id == PermissionView.permission_id)
            .outerjoin(ViewMenu, ViewMenu.id == PermissionView.view_menu_id)
        ).all()
        roles: dict[int, RoleRef] = {}
        held: dict[int, set] = {}
        for role_id, role_name, permission, view in rows:
            roles.setdefault(role_id, RoleRef(role_id, role_name))
            bucket = held.setdefault(role_id, set())
            if permission is not None and view is not None:
                bucket.add((permission, view))
        return AccessSnapshot(version, roles, {k: frozenset(v) for k, v in held.items()},
                              self.public_name)


# -- moving the version on --------------------------------------------------------------------

_ACCESS_MODELS = (Role, Group, Permission, ViewMenu, PermissionView)
_USER_ACCESS_ATTRS = ("roles", "groups")


@event.listens_for(Session, "before_flush")
def _note_access_changes(session, flush_context, instances):
    """A flush that changes what someone may do moves the ``access`` version on, in the same
    transaction, so every process re-reads roles and permissions on its next request."""
    if session.info.get("regulars.access_changed"):
        return
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, (*_ACCESS_MODELS, User)):
            session.info["regulars.access_changed"] = True
            return
    for obj in session.dirty:
        if isinstance(obj, _ACCESS_MODELS) and session.is_modified(obj):
            session.info["regulars.access_changed"] = True
            return
        if isinstance(obj, User) and any(
                inspect(obj).attrs[name].history.has_changes() for name in _USER_ACCESS_ATTRS):
            session.info["regulars.access_changed"] = True
            return


@event.listens_for(Session, "after_flush")
def _move_access_version_on(session, flush_context):
    if not session.info.pop("regulars.access_changed", False):
        return
    table = SettingsVersion.__table__
    conn = session.connection()
    moved = conn.execute(update(table).where(table.c.key == ACCESS_KEY)
                         .values(version=table.c.version + 1)).rowcount
    if not moved:  # a database migrated before the row existed
        conn.execute(table.insert().values(key=ACCESS_KEY, version=1))
