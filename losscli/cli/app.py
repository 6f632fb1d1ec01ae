"""The Typer application: global options, the command modules, and the entry point.

Command modules import the core lazily, inside their functions, so that `losscli --help`
and shell completion never import NumPy or Polars.
"""

from __future__ import annotations

import shlex
import sys
import typing
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperGroup

from losscli import __version__
from losscli.cli import completion
from losscli.cli.environment import check_environment
from losscli.cli.errors import PipeClosed, handle, out_of_memory
from losscli.render.notes import set_quiet, start_command

# The commands that write notes on stderr (column choices, skipped rows, how an input was
# read): each takes -q/--quiet, added here in one place rather than in every signature.
QUIET_COMMANDS = frozenset({"compute", "grad", "compare", "recommend", "plot", "show"})


def _quiet(
    quiet: Annotated[
        bool,
        typer.Option(
            "-q",
            "--quiet",
            help="No notes on stderr (column choices, skipped rows); errors and warnings stay.",
        ),
    ] = False,
) -> None:
    """Declares -q/--quiet the way every other option is declared (never invoked)."""


def quiet_option() -> Any:
    """-q/--quiet: silences notes, never errors or warnings (render.notes). Made by Typer
    from `_quiet`'s signature; its value goes to render.notes, not to the command."""
    maker = typer.Typer(add_completion=False)
    maker.command()(_quiet)
    (option,) = typer.main.get_command(maker).params
    option.expose_value = False
    option.callback = lambda ctx, param, value: set_quiet(bool(value))
    return option


class LossCliGroup(TyperGroup):
    """Runs every command non-standalone so that all errors pass through `errors.handle`,
    whether the app is started by the console script or by a test runner."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, command in self.commands.items():
            if name in QUIET_COMMANDS and not any(p.name == "quiet" for p in command.params):
                command.params.append(quiet_option())

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> Any:
        extra["standalone_mode"] = False
        completion.enable_protocol()
        lazy_coercion(self)  # here, so that a test runner's app converts values as the script's
        start_command()  # not quiet until a command's --quiet says so
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
            refuse_short_values(command, rest)
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
            from losscli.cli.names import PARAMS

            option = max(param.opts, key=len)
            if param.name in PARAMS:  # a loss parameter sweeps a list instead
                # A vector's values are separated by ';' (its own items by ',').
                both = (
                    f"'{seen[param.name]};{value}'"
                    if ";" in PARAMS[param.name][1]
                    else f"{seen[param.name]},{value}"
                )
                raise UsageError(
                    f"{option} was given twice ({seen[param.name]} and {value}): to draw or "
                    f"compute both, give one list: {option} {both}"
                )
            raise UsageError(
                f"{option} was given twice ({seen[param.name]} and {value}): it takes one value; "
                "give it once"
            )
        seen[param.name] = value
        position += 1


def refuse_short_values(command: Any, args: Sequence[str]) -> None:
    """An option of several values given fewer at the end of the line (`--range -3`): said
    as what to type (click's parser would say "Option '--range' requires 2 arguments")."""
    from losscli.core.errors import UsageError

    several = {
        spelling: param
        for param in command.params
        if param.param_type_name == "option" and param.nargs > 1
        for spelling in param.opts
    }
    for position, token in enumerate(args):
        if token == "--":
            return
        param = several.get(token)
        if param is not None and len(args) - position - 1 < param.nargs:
            given = " ".join(shlex.quote(a) for a in args[position + 1 :])
            needs = needs_numbers(token, param.nargs, param.metavar)
            raise UsageError(f"{needs}, not {given}" if given else needs)


# Every command, in the order --help lists them, and the module (losscli.cli.MODULE) whose
# `register` adds it: the console script imports only the module of the command it runs.
COMMAND_MODULES = {
    "list": "catalog",
    "show": "catalog",
    "compute": "compute",
    "merge": "merge",
    "grad": "grad",
    "compare": "compare",
    "recommend": "recommend",
    "plot": "plot",
    "explore": "explore",
    "exercise": "exercise",
    "completion": "completion",
}


def _new_app() -> typer.Typer:
    """The app with its global options and no commands yet."""
    new = typer.Typer(
        cls=LossCliGroup,
        name="losscli",
        help="A loss calculator, loss catalog and exercise checker for machine learning.",
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    new.callback(invoke_without_command=True)(main_options)
    return new


def app_with(modules: Sequence[str]) -> typer.Typer:
    """The app with the commands of these command modules (imported here, not before)."""
    from importlib import import_module

    new = _new_app()
    for module in modules:
        import_module(f"losscli.cli.{module}").register(new)
    return new


def whole_app() -> typer.Typer:
    """The app with every command (what tests and tools/generate.py drive as `app`)."""
    if "app" not in globals():
        globals()["app"] = app_with(list(dict.fromkeys(COMMAND_MODULES.values())))
    whole: typer.Typer = globals()["app"]
    return whole


def __getattr__(name: str) -> Any:
    # `app` is built on first use: `main` imports only the command module it needs.
    if name == "app":
        return whole_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"losscli": __version__, "python": sys.version.split()[0]}
    for package in ("numpy", "polars", "typer", "rich"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


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


def main() -> None:
    """The console script: only the invoked command is built (see `narrowed`)."""
    import os

    from losscli.cli import streams

    args = sys.argv[1:]
    if completion.COMPLETE_VAR in os.environ:
        args = _completed_words(os.environ)
    one_blas_thread_for_inline_values(args, os.environ)
    words = _command_words(args)
    if words and words[0] in COMMAND_MODULES:
        # Only the named command's module is imported, and only its command built.
        command = typer.main.get_command(narrowed(app_with([COMMAND_MODULES[words[0]]]), args))
    elif not words and "--version" in args and not {"-h", "--help"} & set(args):
        command = typer.main.get_command(app_with([]))
    elif not words:
        # Only the command list is shown (--help, no arguments, completing a command name):
        # the list is made from what each command was registered with (generated data, so
        # that no command module is imported), nothing is built.
        from losscli.cli.command_list import COMMANDS

        command = typer.main.get_command(app_with([]))
        add_listing(command, COMMANDS)
    else:  # a word that names no command: "No such command", as the whole app says it
        command = typer.main.get_command(whole_app())
    streams.prepare()
    try:
        command()
    except SystemExit as done:
        streams.exit_by_signal(done.code)
        raise


# The variables OpenBLAS (NumPy's BLAS) sizes its thread pool from, in the order it reads them.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")


def one_blas_thread_for_inline_values(
    args: Sequence[str], environ: typing.MutableMapping[str, str]
) -> None:
    """Inline values (--y-true, --y-pred) are a handful of numbers: one BLAS thread. OpenBLAS
    starts a thread per core when NumPy is imported, and they spin waiting for work that never
    comes, taking CPU from whatever else runs (a one-off `compute` used 4% less CPU and wall
    time with one thread on a busy 2-core machine; up to a quarter less CPU on a quiet one).
    Set before NumPy's import, which reads it, and only where the user set none of the
    variables OpenBLAS reads; a table (FILE or stdin) keeps every core for large products."""
    inline = any(a.split("=", 1)[0] in ("--y-true", "--y-pred") for a in args)
    if (
        inline
        and "numpy" not in sys.modules
        and not any(v in environ for v in BLAS_THREAD_VARIABLES)
    ):
        environ["OPENBLAS_NUM_THREADS"] = "1"


def _command_words(args: Sequence[str]) -> list[str]:
    return [a for a in args if not a.startswith("-")]


def command_records(full: typer.Typer) -> list[dict[str, Any]]:
    """What `--help` and completion say about each command of the app (name, help, short
    help, hidden, deprecated; whether it is a group), from their registration alone, in the
    order --help lists them. tools/generate.py writes them to command_list.py. Of the help,
    the first paragraph: all that a command list shortens its line from."""
    import inspect

    def first_paragraph(text: str | None) -> str | None:
        return text if text is None else text.split("\f", 1)[0].split("\n\n", 1)[0]

    records = []
    for info in full.registered_commands:
        text = inspect.getdoc(info.callback) if info.help is None else inspect.cleandoc(info.help)
        records.append(
            {
                "name": info.name,
                "group": False,
                "help": first_paragraph(text),
                "short_help": info.short_help,
                "hidden": info.hidden,
                "deprecated": info.deprecated,
            }
        )
    for group_info in full.registered_groups:
        solved = typer.main.solve_typer_info_defaults(group_info)
        records.append(
            {
                "name": solved.name,
                "group": True,
                "help": first_paragraph(typer.main.solve_typer_info_help(group_info)),
                "short_help": solved.short_help,
                "hidden": solved.hidden,
                "deprecated": solved.deprecated,
            }
        )
    return records


def add_listing(group: Any, records: Sequence[Mapping[str, Any]]) -> None:
    """Stand-ins for the group's commands that say what `--help` and completion say about
    them (command_records), never invoked, since this is only used where the arguments name
    no command: the command list needs no command module imported."""
    from typer.core import TyperCommand

    for record in records:
        kind = TyperGroup if record["group"] else TyperCommand
        group.add_command(
            kind(
                name=record["name"],
                help=record["help"],
                short_help=record["short_help"],
                hidden=record["hidden"],
                deprecated=record["deprecated"],
            ),
            record["name"],
        )


def narrowed(full: typer.Typer, args: Sequence[str]) -> typer.Typer:
    """The app with only the command the arguments name (Typer inspects every registered
    command's parameters when it builds the app: 17 commands, most of a one-off's start-up).

    `--version` alone needs no command; `--help`, no command at all, or a word that names no
    command get the whole app, so the command list and "No such command" read as always.
    """
    words = _command_words(args)
    name = words[0] if words else None
    if name is None and "--version" in args and not {"-h", "--help"} & set(args):
        keep: set[str | None] = set()
    elif name is not None and any(_name(c) == name for c in _entries(full)):
        keep = {name}
    else:
        return full
    small = typer.Typer(
        cls=LossCliGroup,
        name=full.info.name,
        help=full.info.help,
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings=full.info.context_settings,
    )
    small.registered_callback = full.registered_callback
    small.registered_commands = [c for c in full.registered_commands if c.name in keep]
    small.registered_groups = [g for g in full.registered_groups if g.name in keep]
    return small


def _entries(full: typer.Typer) -> list[Any]:
    return [*full.registered_commands, *full.registered_groups]


def _name(entry: Any) -> str | None:
    return entry.name


def _completed_words(environ: Mapping[str, str]) -> list[str]:
    """The words of a command line being completed that are already whole (bash: COMP_WORDS
    before COMP_CWORD; zsh and fish: _TYPER_COMPLETE_ARGS up to its last space)."""
    if "COMP_WORDS" in environ:
        words = environ["COMP_WORDS"].split()
        current = int(environ.get("COMP_CWORD", len(words)))
        return words[1:current]
    line = environ.get("_TYPER_COMPLETE_ARGS", "")
    words = line.split()
    whole = words if line.endswith(" ") else words[:-1]
    return whole[1:]


class _LazyCoercion:
    """Typer 0.29 converts each parameter's value with a pydantic TypeAdapter, built (and
    pydantic imported, about 0.1 s) the first time any parameter is processed, even for an
    option that was not given. This builds it only for a value that needs converting: a
    missing value (None) is None; a string for a `str` parameter, a float default for a
    `float` one (no bounds to check), a member of an enum for that enum's parameter or a
    member's exact value (its member), and strings for a `list[str]` argument (as a list)
    are what the adapter would return."""

    def __init__(self, param: Any) -> None:
        self.param = param
        self.real: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None:
            return () if (param.multiple or param.nargs == -1) else None
        annotation = param.type_descriptor.annotation
        info = param.type_descriptor.parameter_info
        plain = all(getattr(info, key, None) is None for key in ("parser", "min", "max"))
        if plain and annotation == list[str] and isinstance(value, tuple | list):
            if all(type(item) is str for item in value):
                return list(value)  # file names as given (FILE...)
        if plain and isinstance(annotation, type):
            if annotation in (str, float, int) and type(value) is annotation:
                return value  # a default, or a string for a string option
            if issubclass(annotation, Enum) and isinstance(value, annotation):
                return value
            if issubclass(annotation, Enum) and type(value) is str:
                # A choice in any case, as loss names are (--convention Torch, -f JSON).
                for member in annotation:
                    if str(member.value).lower() == value.strip().lower():
                        return member
                from losscli.core.errors import UsageError

                choices = ", ".join(str(member.value) for member in annotation)
                option = max(param.opts, key=len)
                raise UsageError(f"{option}: {value!r} is not one of {choices}")
        if self.real is None:
            from typer._coercion import build_runtime_param

            self.real = build_runtime_param(param.type_descriptor)
        try:
            return self.real.coerce(value, param=param, ctx=ctx)
        except Exception as error:
            message = number_message(param, value)
            if message is None:
                raise
            from losscli.core.errors import UsageError

            # One line in Click's plain voice, saying what to type, rather than pydantic's.
            raise UsageError(message) from error


def needs_numbers(option: str, count: int, metavar: str | None) -> str:
    """`--range needs two numbers A B`: said when an option of several numbers gets fewer."""
    words = {2: "two", 3: "three", 4: "four"}
    return f"{option} needs {words.get(count, count)} numbers {metavar or ''}".rstrip()


def number_message(param: Any, value: Any) -> str | None:
    """What a number option says of a value that is not a number: what to type instead
    (`--range -3 --width 40`: --range needs two numbers A B). None for other options."""
    from losscli.inputs.source import number_spelling, parse_number

    annotation = param.type_descriptor.annotation
    arity = param.type_descriptor.tuple_arity
    if arity is not None:
        numeric = all(a in (float, int) for a in typing.get_args(annotation))
    else:
        numeric = annotation in (float, int)
    if not numeric:
        return None
    option = max(param.opts, key=len)
    values = [str(v) for v in value] if isinstance(value, (tuple, list)) else [str(value)]
    for text in values:
        if parse_number(text.strip()) is not None:
            continue
        if arity is not None and arity > 1:
            given = " ".join(shlex.quote(v) for v in values)
            return f"{needs_numbers(option, arity, param.metavar)}, not {given}"
        if text.startswith("-"):
            return f"{option} needs a number, not the option {text}"
        spelling = number_spelling(text)
        return f"{option}: {text!r} is not a number" + (f"; {spelling}" if spelling else "")
    return None


def lazy_coercion(command: Any) -> None:
    """Give every Typer parameter of the command tree a _LazyCoercion (where this Typer has
    the hook; another version is left as it is, only slower)."""
    for param in getattr(command, "params", ()):
        _make_lazy(param)
    # The help option is made at parse time (and processed, value None, on every call).
    made = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = made(ctx)
        _make_lazy(option)
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        lazy_coercion(sub)


def _make_lazy(param: Any) -> None:
    if getattr(param, "_runtime_param", False) is None and hasattr(param, "type_descriptor"):
        param._runtime_param = _LazyCoercion(param)
