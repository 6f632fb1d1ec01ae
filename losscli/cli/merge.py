"""`losscli merge STATE...`: merge the partial states of `compute --state` into one value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from losscli.cli import options as o

if TYPE_CHECKING:
    from losscli.core.evaluation.states import LossState

HELP = """Merge partial states written by `losscli compute --state` and print the value.

Every state must come from the same loss, parameters, convention and columns; a state that
differs is refused (exit 3) with the field named. The sums are compensated and merge with
their compensation, so the value equals one pass over all the data to about 1e-15.

Any scheduler can split the work: one compute --state per file or per day, then one merge.

Examples:

\b
  losscli compute mse day1.csv --state > day1.json
  losscli compute mse day2.csv --state > day2.json
  losscli merge day1.json day2.json
  ls days/*.csv | xargs -P 2 -I{} losscli compute mse {} --state | losscli merge -
"""


def register(app: typer.Typer) -> None:
    app.command("merge", help=HELP, no_args_is_help=True)(merge)


@o.output_options
def merge(
    states: Annotated[
        list[str],
        typer.Argument(
            metavar="STATE",
            help="State files from compute --state; '-' reads states from stdin, one per line.",
            show_default=False,
        ),
    ],
    reduction: Annotated[
        o.Reduction, typer.Option("--reduction", help="mean or sum of the merged states.")
    ] = o.Reduction.mean,
    out: o.Output = o.NO_OUTPUT,
) -> None:
    from losscli.cli.compute import show_value
    from losscli.core.errors import UsageError
    from losscli.core.evaluation.states import merge_all
    from losscli.run.context import Warnings

    if reduction is o.Reduction.none:
        raise UsageError("a state holds sums, not examples: --reduction is mean or sum")
    loaded = read_states(states)
    _check_all_alike(loaded)
    merged = merge_all([state for _, state in loaded])
    output = out.format
    warnings = Warnings(live=output != "json")
    show_value(merged.request, merged, reduction.value, warnings, output, out.color)


def read_states(paths: list[str]) -> list[tuple[str, LossState]]:
    """(where, state) for every state: a file's path, or 'stdin line N'. An unreadable or
    damaged state is an error naming it."""
    import sys
    from pathlib import Path

    from losscli.core.errors import DataError, UsageError
    from losscli.core.evaluation.states import LossState
    from losscli.inputs.source import InputError

    texts: list[tuple[str, str]] = []
    for path in paths:
        if path == "-":
            for number, line in enumerate(sys.stdin, start=1):
                if line.strip():
                    texts.append((f"stdin line {number}", line))
            continue
        try:
            texts.append((path, Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise UsageError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"{path}: cannot be read ({error})") from None
    if not texts:
        raise InputError("no states: stdin was empty")
    loaded = []
    for where, text in texts:
        try:
            loaded.append((where, LossState.from_json(text)))
        except DataError as error:
            raise InputError(f"{where}: {error}") from None
    return loaded


def _check_all_alike(loaded: list[tuple[str, LossState]]) -> None:
    from losscli.core.evaluation.states import StateMismatch, check_same
    from losscli.inputs.source import InputError

    first_where, first = loaded[0]
    for where, state in loaded[1:]:
        try:
            check_same(first.identity, state.identity)
        except StateMismatch as error:
            name = error.field_name
            raise InputError(
                f"{where}: computed with another {name} than {first_where} "
                f"({state.identity.get(name)!r}, not {first.identity.get(name)!r}); states "
                "merge only with the same loss, parameters, convention and columns"
            ) from None
