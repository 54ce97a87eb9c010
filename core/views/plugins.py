"""The admin's Plugins page: every installed plugin, whether it runs, and the switch."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_login import current_user

from core.db import db
from core.errors import ValidationError
from core.plugins import NEEDS_UPGRADE
from core.services import plugins as plugin_service
from core.views.common import allowed, host


class PluginsView(BaseView):
    route_base = "/plugins"
    default_view = "list"
    class_permission_name = "PluginsView"
    base_permissions = ["can_list", "can_toggle"]

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        h = host()
        h.refresh(db.session, force=True)
        states = plugin_service.states()
        plugins = sorted(h.plugins.values(), key=lambda p: p.info.label.lower())
        return self.render_template(
            "regulars/plugins.html", plugins=plugins, host=h, states=states,
            can_toggle=allowed("can_toggle", "PluginsView"), needs_upgrade=NEEDS_UPGRADE,
        )

    @expose("/<name>/toggle", methods=["POST"])
    @has_access
    @permission_name("toggle")
    def toggle(self, name):
        enable = request.form.get("enabled") == "1"
        try:
            plugin_service.set_enabled(name, enable, actor=current_user)
        except ValidationError as exc:
            flash(" ".join(exc.errors.values()), "danger")
        else:
            flash(_("%(name)s enabled.", name=name) if enable else
                  _("%(name)s disabled; its data is kept.", name=name), "success")
        return redirect(url_for("PluginsView.list"))
