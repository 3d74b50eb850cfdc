"""The `gaiml` command: one module per command (extract, validate, eval, export, serve, train, show, compare), and the `al` group."""

from __future__ import annotations

import sys

import typer

from ..errors import GaimlError
from . import annotate, compare, evaluate, export, extract, serve, show, train, validate


class _App(typer.Typer):
    """The command line: a user's mistake that a command did not catch itself (a missing file, a
    model folder that is not one) ends in one line ``error: ...`` and exit code 2, never a traceback."""

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except BrokenPipeError:  # `gaiml ... | head`: the reader left; nothing to say
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except (GaimlError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)


app = _App(
    help="Extract verified figures from Chinese government information-disclosure annual reports "
    "(政府信息公开工作年度报告): 表二 主动公开, 表三 依申请公开, 表四 复议诉讼.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("extract")(extract.extract_command)
app.command("validate")(validate.validate_command)
app.command("eval")(evaluate.eval_command)
app.command("export")(export.export_command)
app.command("serve")(serve.serve_command)
app.command("train")(train.train_command)
app.command("show")(show.show_command)
app.command("compare")(compare.compare_command)
app.add_typer(annotate.app, name="al")


def _reflow(doc: str | None) -> str | None:
    """A docstring as help: each paragraph one line, so the help never breaks a sentence where the
    source happened to wrap (rich keeps the source's line breaks)."""
    if not doc:
        return doc
    import inspect

    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


for _typer in (app, annotate.app, annotate.server_app):
    for _command in _typer.registered_commands:
        _command.help = _reflow(_command.help or _command.callback.__doc__)
