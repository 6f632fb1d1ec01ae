"""Notes on stderr: what the user may like to know but did not ask for (how columns were
chosen, rows skipped by --nan skip, how an ambiguous list was read). `--quiet` silences
them; errors and warnings about the data are always written."""

from __future__ import annotations

import sys


class _State:
    quiet = False


def set_quiet(quiet: bool) -> None:
    _State.quiet = quiet


def quiet() -> bool:
    return _State.quiet


# The rows --nan skip left out are a note, though a JSON document lists them among its
# warnings: what the user asked for, said so they can count it.
_SKIPPED = "with missing or non-finite values (--nan skip)"


def skipped_rows(count: int) -> str:
    return f"skipped {count} row{'s' if count != 1 else ''} {_SKIPPED}"


def silenced(warning: str) -> bool:
    """Whether --quiet leaves this warning off stderr: the skipped rows' count."""
    return _State.quiet and warning.startswith("skipped ") and warning.endswith(_SKIPPED)


def note(text: str) -> None:
    """`losscli: note: TEXT` on stderr, unless --quiet."""
    if _State.quiet:
        return
    from losscli.render.report import printable

    sys.stderr.write(f"losscli: note: {printable(text)}\n")
    sys.stderr.flush()
