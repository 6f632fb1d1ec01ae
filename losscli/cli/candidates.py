"""What TAB offers for values: loss names and aliases, families, parameter choices, exercises,
the column names of the table already on the line, and table files after compare's losses.

Completion starts losscli on every TAB, so nothing here may import NumPy or Polars: loss
names come from the generated `names` module (a test keeps it equal to the registry) and
exercise IDs from the file names in the exercise directories. Typer keeps the candidates
that start with what was typed; each is a (value, description) pair for zsh and fish.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import typer

from losscli.cli import names

EXERCISES_ENV = "LOSSCLI_EXERCISES"


def in_any_case(incomplete: str, found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The candidates that start with what was typed in any case, since names are read in
    any case (`MS` offers `MSe`, which computes mse): Typer keeps only those that start
    with the typed text as it is, so the typed part is kept as typed."""
    typed = incomplete.lower()
    return [
        (incomplete + value[len(incomplete) :], help)
        for value, help in found
        if value.lower().startswith(typed)
    ]


def loss_names(incomplete: str) -> list[tuple[str, str]]:
    """Canonical names with their summaries; aliases too once a letter is typed, so that an
    empty TAB lists each loss once."""
    found = [(name, summary) for name, (summary, _) in names.LOSSES.items()]
    if incomplete:
        found += [
            (alias, f"alias of {name}")
            for name, (_, aliases) in names.LOSSES.items()
            for alias in aliases
        ]
    return in_any_case(incomplete, found)


def families(incomplete: str) -> list[str]:
    return [value for value, _ in in_any_case(incomplete, [(f, "") for f in names.FAMILIES])]


def parameter_values(option: str) -> Callable[[str], list[str]]:
    """The values a loss parameter with fixed choices accepts (--direction forward|reverse),
    in any case; after a comma, the next value of a sweep (--log-base e,2)."""

    def values(incomplete: str) -> list[str]:
        done, comma, last = incomplete.rpartition(",")
        choices = [(value, "") for value in names.CHOICES.get(option, ())]
        return [f"{done}{comma}{value}" for value, _ in in_any_case(last, choices)]

    return values


def builtin_exercise_dir() -> Path:
    """The exercises that ship with losscli: inside the installed package, or the checkout's
    exercises/ (the same place inputs/exercises.py reads; a test checks they agree)."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "exercises_data"
    return installed if installed.is_dir() else package.parent / "exercises"


def exercise_dirs(ctx: typer.Context) -> list[Path]:
    """The built-in set, LOSSCLI_EXERCISES, and any --exercises-dir typed before the TAB."""
    extra = [d for d in os.environ.get(EXERCISES_ENV, "").split(os.pathsep) if d]
    typed = ctx.params.get("exercises_dir") or []
    return [builtin_exercise_dir(), *(Path(d).expanduser() for d in [*extra, *typed])]


def _title(path: Path) -> str:
    # A file that cannot be read still offers its ID: `exercise validate` reports the problem.
    import tomllib  # here: every command's options import this module, few complete exercises

    try:
        title = tomllib.loads(path.read_text(encoding="utf-8")).get("title", "")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ""
    return title if isinstance(title, str) else ""


def exercise_ids(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """The ID of every exercise file (its name without .toml), with the exercise's title."""
    found: dict[str, str] = {}
    for directory in exercise_dirs(ctx):
        if directory.is_dir():
            for path in sorted(directory.glob("*.toml")):
                # Only the files that match are read, for their titles.
                if path.stem.startswith(incomplete):
                    found.setdefault(path.stem, _title(path))
    return sorted(found.items())


# The table formats by extension, as the readers pick them (--input-format overrides).
TABLE_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".jsonl": "ndjson",
    ".ndjson": "ndjson",
}
HEADER_BYTES = 1 << 20  # a header line longer than this is not worth completing


def typed_table(ctx: typer.Context) -> Path | None:
    """The table file already on the command line: compute's FILE, or compare's last word.
    Before an option still waiting for its value, the parser leaves the positional words
    unassigned, in ctx.args."""
    words = [
        ctx.params.get("file"),
        *(ctx.params.get("files") or []),  # recommend FILE...
        *(ctx.params.get("losses") or []),
        *ctx.args,
    ]
    for word in words:
        if isinstance(word, str) and word != "-" and os.path.isfile(word):
            return Path(word)
    return None


def table_columns(
    path: Path, fmt: str | None, delimiter: str | None, no_header: bool | None
) -> list[str]:
    """The column names of a table, from its first line (or a Parquet file's footer); none
    when the file cannot be read: completion offers nothing rather than failing."""
    fmt = fmt or TABLE_FORMATS.get(path.suffix.lower())
    try:
        if fmt == "parquet":
            # Polars reads only the footer here; the one place completion imports it.
            import polars

            return list(polars.read_parquet_schema(path))
        if fmt not in ("csv", "tsv", "ndjson", "jsonl"):
            return []
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            first = handle.readline(HEADER_BYTES)
        if fmt in ("ndjson", "jsonl"):
            record = json.loads(first)
            return list(record) if isinstance(record, dict) else []
        import csv

        row = next(csv.reader([first], delimiter=delimiter or ("\t" if fmt == "tsv" else ",")))
    except Exception:
        return []
    if no_header is None:
        # The reader's own judgement needs the lines below; for a TAB, a first line of
        # numbers only is taken as data, as the reader mostly takes it.
        no_header = all(_is_number(cell) for cell in row)
    return [str(k) for k in range(1, len(row) + 1)] if no_header else row


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def column_names(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Columns of the table on the line, for -t/-p/--weight; after a comma, the next one."""
    path = typed_table(ctx)
    if path is None:
        return []
    fmt = ctx.params.get("input_format")
    columns = table_columns(
        path,
        str(fmt.value) if fmt is not None else None,
        ctx.params.get("delimiter"),
        None if ctx.params.get("header") is None else not ctx.params["header"],
    )
    done, comma, last = incomplete.rpartition(",")
    return [
        (f"{done}{comma}{name}", f"column of {path.name}")
        for name in columns
        if name.startswith(last)
    ]


def losses_then_tables(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """compare's words: loss names, and once a loss is typed, table files too (its last
    word may be the table)."""
    found = loss_names(incomplete)
    if not (ctx.params.get("losses") or ctx.args):
        return found
    folder, _, stem = incomplete.rpartition("/")
    directory = Path(folder or ".").expanduser()
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return found
    for entry in entries:
        if entry.name.startswith(stem) and not entry.name.startswith("."):
            shown = f"{folder}/{entry.name}" if folder else entry.name
            if entry.is_dir():
                found.append((shown + "/", "directory"))
            elif entry.suffix.lower() in TABLE_FORMATS:
                found.append((shown, "table"))
    return found
