"""The `openpbr` command line. Each domain owns its own sub-commands."""

from __future__ import annotations

import typer

from openpbr.clustering import cli as clustering_cli
from openpbr.demo import demo_command
from openpbr.outcomes.cli import app as outcomes_app
from openpbr.payment.cli import app as payment_app
from openpbr.records.cli import app as records_app

app = typer.Typer(
    help="OpenPbR: Payment by Results for mental health care clusters and other results-paid services.",
    no_args_is_help=True,
    add_completion=False,
)
clustering_cli.register(app)
app.command("demo")(demo_command)
app.add_typer(records_app, name="records")
app.add_typer(payment_app, name="pay")
app.add_typer(outcomes_app, name="outcomes")


def main() -> None:  # console-script entry point
    app()
