"""The core's screens, registered before any plugin's."""

from flask import current_app
from flask_babel import lazy_gettext as _l

from core.views.common import allowed, register_error_pages
from core.views.customers import CustomerView
from core.views.duplicates import DuplicatesView
from core.views import email as email_views
from core.views.groups import GroupView
from core.views import history as history_views
from core.views.importer import ImportView
from core.views.plugins import PluginsView
from core.views.tasks import TasksView
from core.views.privacy import PrivacyView
from core.views.record import SegmentView


def register_core_views(appbuilder):
    # Everything about customers sits under one Customers menu, so the top bar stays one line.
    people = {"category": "Customers", "category_label": _l("Customers"), "category_icon": "fa-users"}
    appbuilder.add_view(CustomerView, "Customer list", label=_l("All customers"), icon="fa-users",
                        **people)
    appbuilder.add_view(GroupView, "Groups", label=_l("Groups"), icon="fa-object-group", **people)
    appbuilder.add_view(SegmentView, "Segments", label=_l("Segments"), icon="fa-tags", **people)
    appbuilder.add_view(DuplicatesView, "Duplicates", label=_l("Duplicates"), icon="fa-clone",
                        **people)
    appbuilder.add_view(ImportView, "Import", label=_l("Import"), icon="fa-upload",
                        menu_cond=lambda: allowed("can_import", "ImportView"), **people)
    appbuilder.add_view_no_menu(PrivacyView)
    history_views.register(appbuilder)
    appbuilder.add_view(PluginsView, "Plugins", label=_l("Plugins"), icon="fa-puzzle-piece")
    register_error_pages(current_app)
    appbuilder.add_view(TasksView, "Background tasks", label=_l("Background tasks"),
                        icon="fa-tasks", category="Settings", category_label=_l("Settings"),
                        category_icon="fa-cog")
    email_views.register(appbuilder)
