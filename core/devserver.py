"""``regulars run`` (what ``make run`` starts): Flask's development server, with the same options,
that does not name its software in a ``Server`` header.

Werkzeug's server would send ``Server: Werkzeug/3.x Python/3.x`` with every response, and an
application cannot take a header away that the server adds after it. In production gunicorn
serves the app and sends its own (``Server: gunicorn``, without a version); see the README."""

from __future__ import annotations

import click
from flask.cli import ScriptInfo, pass_script_info
from flask.cli import run_command as flask_run_command
from flask.helpers import get_debug_flag
from werkzeug.serving import WSGIRequestHandler, run_simple


class RequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler without the ``Server`` header."""

    def send_response(self, code, message=None):
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())


@click.command("run", params=flask_run_command.params, help=flask_run_command.help,
               short_help="Run the development server.")
@pass_script_info
def run_command(info: ScriptInfo, host, port, reload, debugger, with_threads, cert,
                extra_files, exclude_patterns):
    app = info.load_app()
    debug = get_debug_flag()
    run_simple(host, port, app, use_reloader=debug if reload is None else reload,
               use_debugger=debug if debugger is None else debugger, threaded=with_threads,
               ssl_context=cert, extra_files=extra_files, exclude_patterns=exclude_patterns,
               request_handler=RequestHandler)
