"""What TAB offers for values: loss names and aliases, families, parameter choices, exercises.

Completion starts losscli on every TAB, so nothing here may import NumPy or Polars: loss
names come from the generated `names` module (a test keeps it equal to the registry) and
exercise IDs from the file names in the exercise directories. Typer keeps the candidates
that start with what was typed; each is a (value, description) pair for zsh and fish.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path

import typer

from losscli.cli import names

EXERCISES_ENV = "LOSSCLI_EXERCISES"


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
    return found


def families() -> list[str]:
    return list(names.FAMILIES)


def parameter_values(option: str) -> Callable[[], list[str]]:
    """The values a loss parameter with fixed choices accepts (--direction forward|reverse)."""

    def values() -> list[str]:
        return list(names.CHOICES[option])

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
