"""The `openpbr` command line. Each domain owns its own sub-commands.

``main`` is the one place where errors meet the user: an :class:`OpenPbRError`
becomes one line and its documented exit code (see :mod:`openpbr.errors`);
a database driver error becomes a line that names no value; anything else is a
bug, reported in one line without a traceback unless ``OPENPBR_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import NoReturn, Optional

import typer

try:  # typer carries its own copy of click from 0.2x on
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
except ImportError:  # pragma: no cover - older typer on click
    from click.exceptions import ClickException, NoArgsIsHelpError  # type: ignore[no-redef]

from openpbr.cli_args import DB
from openpbr.clustering import cli as clustering_cli
from openpbr.demo import demo_command
from openpbr.errors import ExitCode, OpenPbRError
from openpbr.outcomes.cli import app as outcomes_app
from openpbr.payment.cli import app as payment_app
from openpbr.records.cli import app as records_app

app = typer.Typer(
    help="OpenPbR: Payment by Results for mental health care clusters and other results-paid services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def package_version() -> str:
    try:
        return version("openpbr")
    except PackageNotFoundError:  # running from a source tree without installing
        return "unknown"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"openpbr {package_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Optional[bool] = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """OpenPbR: Payment by Results for mental health care clusters and other results-paid services."""


clustering_cli.register(app)
app.command("demo")(demo_command)
app.add_typer(records_app, name="records")
app.add_typer(payment_app, name="pay")
app.add_typer(outcomes_app, name="outcomes")


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (default: this machine only)."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    db: Optional[str] = DB,
    dev_signin: bool = typer.Option(False, "--dev-signin", help="Turn on the DEVELOPMENT sign-in with seeded users (never for real data)."),
    allow_dev_signin_on_postgres: bool = typer.Option(False, "--allow-dev-signin-on-postgres", help="Allow the development sign-in on a non-SQLite test database."),
) -> None:
    """Start the REST API (under /v1, OpenAPI at /openapi.json, interactive docs at /docs)."""
    import uvicorn

    from openpbr.api.app import create_app
    from openpbr.api.settings import ApiSettings
    from openpbr.db import require_database

    url = require_database(db)
    settings = ApiSettings.from_env(url, dev_signin=dev_signin or None,
                                    allow_dev_signin_on_postgres=allow_dev_signin_on_postgres or None)
    typer.echo(f"OpenPbR API on http://{host}:{port}/v1 (docs: http://{host}:{port}/docs)"
               + ("  [DEVELOPMENT SIGN-IN ON]" if settings.dev_signin else ""))
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False)


def _fail(message: str, code: int) -> NoReturn:
    sys.stderr.write(f"error: {' '.join(message.split())}\n")
    sys.exit(code)


def _usage_error(exc: ClickException) -> NoReturn:
    """A bad argument as one line, naming the command whose ``--help`` explains it."""
    ctx = getattr(exc, "ctx", None)
    hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    _fail(f"{exc.format_message()}{hint} [USAGE]", exc.exit_code)


def main() -> None:  # console-script entry point
    debug = os.environ.get("OPENPBR_DEBUG") == "1"
    try:
        # Not standalone: click's own error boxes span many lines; every error here is one line.
        result = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:  # a bare group: its help, as click would show it
        exc.show()
        sys.exit(exc.exit_code)
    except ClickException as exc:
        _usage_error(exc)
    except typer.Abort:
        _fail("interrupted; nothing half-written was kept", 130)
    except OpenPbRError as exc:
        _fail(f"{exc} [{exc.code}]", int(exc.exit_code))
    except KeyboardInterrupt:
        _fail("interrupted; nothing half-written was kept", 130)
    except Exception as exc:
        if debug:
            raise
        _unexpected(exc)
    sys.exit(result if isinstance(result, int) else 0)


def _unexpected(exc: Exception) -> NoReturn:
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, SQLAlchemyError):
        # The driver's text can quote row values; report the kind of failure only.
        orig = getattr(exc, "orig", None)
        kind = type(orig).__name__ if orig is not None else type(exc).__name__
        _fail(f"the database refused the operation ({kind}); nothing was saved [DATABASE]", ExitCode.DATABASE)
    if isinstance(exc, OSError):
        name = getattr(exc, "filename", None)
        where = f" {name}" if name else ""
        _fail(f"cannot use file{where}: {exc.strerror or type(exc).__name__} [FILE]", ExitCode.BAD_INPUT)
    _fail(
        f"internal error ({type(exc).__name__}); nothing half-written was kept. "
        "Please report it; OPENPBR_DEBUG=1 shows the details [INTERNAL]",
        ExitCode.INTERNAL,
    )
