"""The `gaiml` command: one module per command (extract, validate, eval, export, serve, train, show), and the `al` group."""

from __future__ import annotations

import typer

from . import annotate, evaluate, export, extract, serve, show, train, validate

app = typer.Typer(
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
app.add_typer(annotate.app, name="al")
