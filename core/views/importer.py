"""The import screen: upload a CSV, check the column mapping, then follow the dry run and the
import on their own page while they run in the background (core/services/import_runs.py):
a progress bar, then the report of bad rows. The Runs list shows recent imports."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import has_access_api, permission_name
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import NotFound, ValidationError
from core.services import import_runs, importer
from core.views.common import allowed

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
ENCODINGS = (("auto", "Detect (UTF-8 or Windows-1252)"), ("utf-8", "UTF-8"),
             ("cp1252", "Windows-1252"), ("latin-1", "Latin-1 (ISO-8859-1)"))
# Whoever holds this sees every user's runs; everyone else sees their own.
SEE_ALL = "can_see_all_imports"


class ImportView(BaseView):
    route_base = "/customers/import"
    default_view = "upload"
    class_permission_name = "ImportView"
    base_permissions = ["can_import", SEE_ALL]

    def _max_bytes(self) -> int:
        return current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)

    @staticmethod
    def _encoding() -> str:
        encoding = request.values.get("encoding", "auto")
        return encoding if encoding in dict(ENCODINGS) else "auto"

    @staticmethod
    def _key() -> str:
        key = request.values.get("key")
        return key if key in importer.KEYS else "number"

    @expose("/", methods=["GET", "POST"])
    @has_access
    @permission_name("import")
    def upload(self):
        error = None
        if request.method == "POST":
            upload = request.files.get("file")
            data = upload.read(self._max_bytes() + 1) if upload else b""
            if not upload or not upload.filename:
                error = _("Choose a CSV file to upload.")
            elif len(data) > self._max_bytes():
                error = _("The file is larger than %(mb)d MB; split it into smaller files.",
                          mb=self._max_bytes() // (1024 * 1024))
            else:
                encoding = self._encoding()
                try:
                    importer.read_csv(data, encoding)
                except ValidationError as exc:
                    error = exc.errors.get("file") or " ".join(map(str, exc.errors.values()))
                else:
                    token = import_runs.store_upload(current_user.id, data, upload.filename)
                    return redirect(url_for("ImportView.mapping", token=token, encoding=encoding,
                                            name=upload.filename[:255]))
        return self.render_template("regulars/import/upload.html", error=error,
                                    encodings=ENCODINGS, max_mb=self._max_bytes() // (1024 * 1024),
                                    runs_url=url_for("ImportView.runs"))

    def _read(self, token: str):
        data = import_runs.stored_upload(current_user.id, token)
        if data is None:
            abort(404)
        return importer.read_csv(data, self._encoding())

    @expose("/<token>/mapping", methods=["GET", "POST"])
    @has_access
    @permission_name("import")
    def mapping(self, token):
        csv_file = self._read(token)
        headers = csv_file.headers
        chosen = [request.values.get(f"map-{i}") for i in range(len(headers))]
        if any(c is not None for c in chosen):  # sent back by the form or "Change columns"
            mapping = {h: c or "" for h, c in zip(headers, chosen)}
        else:
            mapping = importer.guess_mapping(headers)
        name = request.values.get("name", "")
        errors = None
        if request.method == "POST":
            try:
                run = import_runs.start(current_user.id, name, token, self._encoding(),
                                        [(h, mapping.get(h, "")) for h in headers], self._key(),
                                        dry_run=True)
            except ValidationError as exc:
                errors = exc.errors
            else:
                return redirect(url_for("ImportView.show_run", run_id=run.id))
        return self.render_template(
            "regulars/import/mapping.html", token=token, csv_file=csv_file, mapping=mapping,
            targets=importer.mapping_targets(), recognition=importer.recognise(headers),
            report=importer.describe(headers, {h: t for h, t in mapping.items() if t}),
            key=self._key(), encoding=self._encoding(), name=name, errors=errors,
            sample=csv_file.rows[:3])

    def _run(self, run_id, see_all=None):
        try:
            return import_runs.get(run_id, current_user.id,
                                   see_all=allowed(SEE_ALL, "ImportView") if see_all is None
                                   else see_all)
        except NotFound:
            abort(404)

    @expose("/runs/<run_id>/import", methods=["POST"])
    @has_access
    @permission_name("import")
    def import_checked(self, run_id):
        """Import the file of a finished dry run, with the columns it was checked with."""
        checked = self._run(run_id, see_all=False)  # only the uploader's own file can be imported
        if not checked.dry_run or import_runs.status_of(checked) != "done":
            abort(404)
        try:
            run = import_runs.start(current_user.id, checked.file_name, checked.upload_token,
                                    checked.encoding, [tuple(c) for c in checked.mapping],
                                    checked.key, dry_run=False)
        except ValidationError as exc:
            flash(" ".join(map(str, exc.errors.values())), "danger")
            return redirect(url_for("ImportView.show_run", run_id=checked.id))
        return redirect(url_for("ImportView.show_run", run_id=run.id))

    @expose("/runs/<run_id>")
    @has_access
    @permission_name("import")
    def show_run(self, run_id):
        run = self._run(run_id)
        status = import_runs.status_of(run)
        change_columns = None
        if run.dry_run and run.user_fk == current_user.id and import_runs.file_waiting(run):
            change_columns = url_for("ImportView.mapping", token=run.upload_token,
                                     encoding=run.encoding, key=run.key, name=run.file_name,
                                     **{f"map-{i}": f for i, (_c, f) in enumerate(run.mapping)})
        format_label, columns = importer.report_for([tuple(c) for c in run.mapping],
                                                    run.kept_columns)
        return self.render_template(
            "regulars/import/run.html", run=run, status=status,
            format_label=format_label, columns=columns,
            percent=import_runs.percent(run), change_columns=change_columns,
            imported=import_runs.import_of(run) if status == "done" else None,
            can_import=run.dry_run and status == "done" and run.rows - run.failed > 0
            and change_columns is not None,
            progress_url=url_for("ImportView.run_progress", run_id=run.id),
            limit=import_runs.REPORT_LIMIT)

    @expose("/runs/<run_id>/progress")
    @has_access_api
    @permission_name("import")
    def run_progress(self, run_id):
        try:
            run = import_runs.get(run_id, current_user.id, see_all=allowed(SEE_ALL, "ImportView"))
        except NotFound:
            return jsonify(message=_("There is no such import.")), 404
        return jsonify(import_runs.progress(run))

    @expose("/runs/")
    @has_access
    @permission_name("import")
    def runs(self):
        see_all = allowed(SEE_ALL, "ImportView")
        runs = import_runs.recent(current_user.id, see_all=see_all)
        return self.render_template("regulars/import/runs.html", runs=runs, see_all=see_all,
                                    status_of=import_runs.status_of,
                                    percent=import_runs.percent)
