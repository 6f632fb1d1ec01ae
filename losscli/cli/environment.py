"""The environment variables losscli reads, checked before any command does work.

A value that cannot be used is a usage error (exit 2) naming the variable and the value,
rather than a crash halfway through a run. The README's Environment table lists them.
"""

from __future__ import annotations

import os

from losscli.core.errors import UsageError

# LOSSCLI_CHUNK_BYTES: one block of a text table is read into memory at a time.
MAX_CHUNK_BYTES = 1 << 30
# COLUMNS and LINES: what a terminal can be; Python and Rich treat 0 as unset.
MAX_TERMINAL_CELLS = 10_000


def _whole_number(name: str, low: int, high: int, what: str) -> None:
    text = os.environ.get(name, "").strip()
    if not text:
        return
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise UsageError(f"{name} must be {what} from {low} to {high}, not {text[:40]!r}")


def check_environment() -> None:
    """Raise UsageError for the first environment variable whose value cannot be used."""
    _whole_number("LOSSCLI_CHUNK_BYTES", 1, MAX_CHUNK_BYTES, "a whole number of bytes")
    # The same rule and words as inputs/table.py's max_line_bytes, which reads it later.
    line = os.environ.get("LOSSCLI_MAX_LINE_BYTES", "").strip()
    if line and not (line.isascii() and line.isdigit() and int(line) >= 1):
        raise UsageError(
            f"LOSSCLI_MAX_LINE_BYTES must be a whole number of bytes above 0, not {line!r}"
        )
    for name in ("COLUMNS", "LINES"):
        _whole_number(name, 0, MAX_TERMINAL_CELLS, "a whole number")
    debug = os.environ.get("LOSSCLI_DEBUG", "")
    if debug not in ("", "0", "1"):
        raise UsageError(f"LOSSCLI_DEBUG must be 1 (tracebacks) or 0, not {debug[:40]!r}")
