"""The administrator's user screen (Security → List Users): FAB's, plus where each user is
signed in and a "Sign out everywhere" button."""

from __future__ import annotations

from flask import abort, flash, g, redirect, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.views import UserDBModelView as FabUserDBModelView
from flask_babel import gettext as _

from core.db import record_id
from core.services import sign_in
from core.views.common import allowed


class UserDBModelView(FabUserDBModelView):
    show_template = "regulars/users/show.html"

    # -- after Add: back on the list of users, told in words ---------------------------------

    @property
    def add_row_message(self):
        # FAB flashes this right after post_add, which noted who was added.
        return _("User %(username)s added.", username=g.get("regulars_added_user", ""))

    def post_add(self, item):
        super().post_add(item)
        g.regulars_added_user = item.username

    def post_add_redirect(self):
        # FAB goes "back" through a page history in the session that only its own screens
        # keep: the form opened from a bookmark, a new tab or one of our own screens finds
        # it empty and falls back to the start page, the customer list.
        return redirect(url_for(".list"))

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self.datamodel.get(record_id(pk), self._base_filters) if record_id(pk) else None
        if not item:
            abort(404)
        widgets = self._get_show_widget(pk, item, actions={
            "resetpasswords": self.actions.get("resetpasswords")})
        self.update_redirect()
        return self.render_template(
            self.show_template, pk=pk, title=self.show_title, widgets=widgets,
            appbuilder=self.appbuilder, related_views=self._related_views,
            sign_ins=sign_in.open_sign_ins(item.id),
            can_sign_out=allowed("can_sign_out_everywhere", self.class_permission_name))

    @expose("/signout/<pk>", methods=["POST"])
    @has_access
    def sign_out_everywhere(self, pk):
        """End every browser sign-in and every API token of this user."""
        user_id = record_id(pk)
        user = self.datamodel.get(user_id) if user_id else None
        if user is None:
            abort(404)
        ended = sign_in.sign_out_everywhere(user.id)
        flash(_("%(name)s is signed out everywhere (%(count)d browsers) and every API token "
                "issued to them stopped working.", name=user.username, count=ended), "info")
        return redirect(url_for(".show", pk=user.id))
