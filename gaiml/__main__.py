"""python -m gaiml runs the CLI."""

from .cli import app

app(prog_name="gaiml")
