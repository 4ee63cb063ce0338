"""`openpbr outcomes ...` commands."""

import typer

app = typer.Typer(help="Outcomes, quality indicators, SPC charts and gaming detection.", no_args_is_help=True)
