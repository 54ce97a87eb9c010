"""The import screen: upload a CSV, check the column mapping, read the dry run's report of bad
rows, then import. The uploaded file waits in the instance folder between the steps (it is too
big for the session cookie), under a random name only its uploader's steps open."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_login import current_user

from core.errors import ValidationError
from core.services import importer

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
ENCODINGS = (("auto", "Detect (UTF-8 or Windows-1252)"), ("utf-8", "UTF-8"),
             ("cp1252", "Windows-1252"), ("latin-1", "Latin-1 (ISO-8859-1)"))
REPORT_LIMIT = 500  # errors listed on screen; the counts cover them all
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,60}$")


def _upload_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _upload_path(token: str) -> Path:
    if not _TOKEN.match(token or ""):
        abort(404)
    path = _upload_dir() / f"{current_user.id}-{token}.csv"
    if not path.exists():
        abort(404)
    return path


class ImportView(BaseView):
    route_base = "/customers/import"
    default_view = "upload"
    class_permission_name = "ImportView"
    base_permissions = ["can_import"]

    def _max_bytes(self) -> int:
        return current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)

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
                encoding = request.form.get("encoding", "auto")
                encoding = encoding if encoding in dict(ENCODINGS) else "auto"
                try:
                    importer.read_csv(data, encoding)
                except ValidationError as exc:
                    error = exc.errors.get("file") or " ".join(map(str, exc.errors.values()))
                else:
                    token = secrets.token_urlsafe(24)
                    (_upload_dir() / f"{current_user.id}-{token}.csv").write_bytes(data)
                    return redirect(url_for("ImportView.mapping", token=token, encoding=encoding))
        return self.render_template("regulars/import/upload.html", error=error,
                                    encodings=ENCODINGS, max_mb=self._max_bytes() // (1024 * 1024))

    def _read(self, token: str):
        encoding = request.values.get("encoding", "auto")
        encoding = encoding if encoding in dict(ENCODINGS) else "auto"
        csv_file = importer.read_csv(_upload_path(token).read_bytes(), encoding)
        return csv_file, encoding

    def _mapping_from_form(self, headers):
        return {h: request.form.get(f"map-{i}", "") for i, h in enumerate(headers)}

    @expose("/<token>/mapping", methods=["GET", "POST"])
    @has_access
    @permission_name("import")
    def mapping(self, token):
        csv_file, encoding = self._read(token)
        key = request.values.get("key") if request.values.get("key") in importer.KEYS else "number"
        if request.method == "POST":
            mapping = self._mapping_from_form(csv_file.headers)
        else:
            mapping = importer.guess_mapping(csv_file.headers)
        report = errors = None
        if request.method == "POST":
            try:
                report = importer.run(csv_file, mapping, key=key, dry_run=True, actor=current_user)
            except ValidationError as exc:
                errors = exc.errors
        return self.render_template(
            "regulars/import/mapping.html", token=token, csv_file=csv_file, mapping=mapping,
            fields=importer.importable_fields(), key=key, encoding=encoding, report=report,
            errors=errors, sample=csv_file.rows[:3], limit=REPORT_LIMIT)

    @expose("/<token>/run", methods=["POST"])
    @has_access
    @permission_name("import")
    def run(self, token):
        path = _upload_path(token)
        csv_file, encoding = self._read(token)
        key = request.form.get("key") if request.form.get("key") in importer.KEYS else "number"
        mapping = self._mapping_from_form(csv_file.headers)
        try:
            result = importer.run(csv_file, mapping, key=key, actor=current_user)
        except ValidationError as exc:
            flash(" ".join(map(str, exc.errors.values())), "danger")
            return redirect(url_for("ImportView.mapping", token=token, encoding=encoding))
        os.unlink(path)
        return self.render_template("regulars/import/result.html", result=result,
                                    limit=REPORT_LIMIT)
