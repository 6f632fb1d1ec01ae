"""Notes on stderr: what the user may like to know but did not ask for (how columns were
chosen, rows skipped by --nan skip, how an ambiguous list was read). `--quiet` silences
them; errors and warnings about the data are always written."""

from __future__ import annotations

import sys
from typing import ClassVar


class _State:
    quiet = False
    # The warnings already written to stderr by this command: each is said once, whether
    # it was written as the input streamed by or with the finished output.
    written: ClassVar[set[str]] = set()
    nulls_told = False


def set_quiet(quiet: bool) -> None:
    _State.quiet = quiet


def start_command() -> None:
    """A new command (a test runner calls several in one process): nothing said yet."""
    _State.quiet = False
    _State.written = set()
    _State.nulls_told = False


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


def warn(text: str) -> None:
    """`losscli: warning: TEXT` on stderr, once per command (--quiet leaves the skipped
    rows' count off)."""
    if silenced(text) or text in _State.written:
        return
    _State.written.add(text)
    from losscli.render.report import printable

    sys.stderr.write(f"losscli: warning: {printable(text)}\n")
    sys.stderr.flush()


def warn_nulls(where: str, what: str) -> None:
    """JSONL lines have fixed keys: the first non-finite number written as null is said on
    stderr (a JSON document lists them in its `warnings`)."""
    if _State.nulls_told:
        return
    _State.nulls_told = True
    warn(
        "non-finite numbers are written as null (JSON has no inf or NaN); "
        f"the first: {where}, {what}"
    )


def note(text: str) -> None:
    """`losscli: note: TEXT` on stderr, unless --quiet."""
    if _State.quiet:
        return
    from losscli.render.report import printable

    sys.stderr.write(f"losscli: note: {printable(text)}\n")
    sys.stderr.flush()
