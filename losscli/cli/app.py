"""The Typer application: global options, the command modules, and the entry point.

Command modules import the core lazily, inside their functions, so that `losscli --help`
and shell completion never import NumPy or Polars.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from losscli import __version__
from losscli.cli import (
    catalog,
    compare,
    completion,
    compute,
    exercise,
    explore,
    grad,
    plot,
    recommend,
)
from losscli.cli.environment import check_environment
from losscli.cli.errors import PipeClosed, handle, out_of_memory


class LossCliGroup(TyperGroup):
    """Runs every command non-standalone so that all errors pass through `errors.handle`,
    whether the app is started by the console script or by a test runner."""

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> Any:
        extra["standalone_mode"] = False
        completion.enable_protocol()
        try:
            result = super().main(args=args, prog_name=prog_name or "losscli", **extra)
            sys.stdout.flush()  # a full disk or a closed pipe is reported, not ignored at exit
        except BaseException as exc:
            if isinstance(exc, SystemExit):
                raise
            try:
                code = handle(exc)
            except MemoryError:
                code = out_of_memory()
            sys.exit(code)
        sys.exit(result if isinstance(result, int) else 0)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            refuse_repeated_options(command, rest)
        return name, command, rest

    def invoke(self, ctx: Any) -> Any:
        check_environment()  # after --help and completion, before any command's work
        try:
            return super().invoke(ctx)
        except BrokenPipeError as error:
            # Typer turns EPIPE into exit 1 before we could see it; 141 is the promise.
            raise PipeClosed() from error


def refuse_repeated_options(command: Any, args: Sequence[str]) -> None:
    """A single-valued option given twice is a usage error (click would keep the last one
    silently: `--y-pred 0.3 --y-pred 0.4` computed with 0.4 alone). Flags may repeat, and an
    option declared `multiple` collects its values. Checked down into subcommands."""
    from losscli.core.errors import UsageError

    single: dict[str, Any] = {}
    for param in command.params:
        if param.param_type_name == "option" and not (
            param.multiple or param.count or param.is_flag
        ):
            for spelling in param.opts:
                single[spelling] = param
    seen: dict[str, str] = {}
    position = 0
    while position < len(args):
        token = args[position]
        if token == "--":
            return
        value: str | None = None
        spelling = token
        if token.startswith("--") and "=" in token:
            spelling, value = token.split("=", 1)
        elif not token.startswith("--") and len(token) > 2 and token[:2] in single:
            spelling, value = token[:2], token[2:]  # -tlabel
        param = single.get(spelling)
        if param is None:
            subcommands = getattr(command, "commands", None)
            if subcommands and token in subcommands:
                refuse_repeated_options(subcommands[token], args[position + 1 :])
                return
            position += 1
            continue
        if value is None:  # the value is the next argument
            position += 1
            value = args[position] if position < len(args) else ""
        if param.name in seen:
            option = max(param.opts, key=len)
            raise UsageError(
                f"{option} was given twice ({seen[param.name]} and {value}): it takes one value; "
                "give it once"
            )
        seen[param.name] = value
        position += 1


app = typer.Typer(
    cls=LossCliGroup,
    name="losscli",
    help="A loss calculator, loss catalog and exercise checker for machine learning.",
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"losscli": __version__, "python": sys.version.split()[0]}
    for package in ("numpy", "polars", "typer", "rich"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


@app.callback(invoke_without_command=True)
def main_options(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
    json_flag: Annotated[
        bool, typer.Option("--json", help="With --version: all versions as JSON, for bug reports.")
    ] = False,
) -> None:
    """A loss calculator, loss catalog and exercise checker for machine learning."""
    if version:
        if json_flag:
            import json

            typer.echo(json.dumps(_versions()))
        else:
            typer.echo(f"losscli {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


catalog.register(app)
compute.register(app)
grad.register(app)
compare.register(app)
recommend.register(app)
plot.register(app)
explore.register(app)
exercise.register(app)
completion.register(app)


def main() -> None:
    from losscli.cli import streams

    streams.prepare()
    try:
        app()
    except SystemExit as done:
        streams.exit_by_signal(done.code)
        raise
