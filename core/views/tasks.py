"""The Background tasks screen: how many tasks wait, run, are done or failed; the failed ones
with their error, to retry or discard; the progress of long ones."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import tasks
from core.errors import NotFound, ValidationError
from core.views.common import allowed, int_arg

STATE_LABELS = {
    "queued": _l("Waiting"),
    "running": _l("Running"),
    "done": _l("Done"),
    "failed": _l("Failed"),
    "discarded": _l("Discarded"),
}
PAGE_SIZE = 100


class TasksView(BaseView):
    route_base = "/tasks"
    default_view = "list"
    class_permission_name = "TasksView"
    base_permissions = ["can_list", "can_retry", "can_discard"]

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        state = request.args.get("state", "")
        if state not in tasks.STATES:
            state = ""
        rows = tasks.listed((state,) if state else tasks.NEEDS_A_LOOK, limit=PAGE_SIZE)
        counts = tasks.counts()
        return self.render_template(
            "regulars/tasks/list.html", rows=rows, counts=counts, state=state,
            total=sum(counts.values()), labels=STATE_LABELS,
            can_retry=allowed("can_retry", "TasksView"),
            can_discard=allowed("can_discard", "TasksView"))

    @expose("/<task_id>/retry", methods=["POST"])
    @has_access
    @permission_name("retry")
    def retry(self, task_id):
        return self._act(task_id, tasks.retry, _("Task %(id)s will run again."))

    @expose("/<task_id>/discard", methods=["POST"])
    @has_access
    @permission_name("discard")
    def discard(self, task_id):
        return self._act(task_id, tasks.discard, _("Task %(id)s was discarded; it will not run."))

    def _act(self, task_id, action, message):
        pk = int_arg("id", {"id": task_id})
        try:
            if pk is None:
                raise NotFound(task_id)
            action(pk)
        except NotFound:
            flash(_("There is no task %(id)s.", id=task_id), "danger")
        except ValidationError as exc:
            flash(" ".join(str(m) for m in exc.errors.values()), "danger")
        else:
            flash(message % {"id": pk}, "success")
        return redirect(url_for("TasksView.list", state=request.form.get("state", "")))
