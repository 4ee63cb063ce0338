"""`openpbr pay ...` commands."""

import typer

app = typer.Typer(help="Prices, contracts and settlement.", no_args_is_help=True)
