"""The core's screens, registered before any plugin's."""

from flask_babel import lazy_gettext as _l

from core.views.customers import CustomerView
from core.views.groups import GroupView
from core.views.plugins import PluginsView


def register_core_views(appbuilder):
    appbuilder.add_view(CustomerView, "Customers", label=_l("Customers"), icon="fa-users")
    appbuilder.add_view(GroupView, "Groups", label=_l("Groups"), icon="fa-object-group")
    appbuilder.add_view(PluginsView, "Plugins", label=_l("Plugins"), icon="fa-puzzle-piece")
