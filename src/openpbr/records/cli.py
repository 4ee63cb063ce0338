"""`openpbr records ...` commands."""

import typer

app = typer.Typer(help="Care records: service users, cluster periods, reviews, care packages, audit.", no_args_is_help=True)
