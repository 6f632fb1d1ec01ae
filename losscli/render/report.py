"""A command's result in one shape every output format can be made from.

`payload` is the JSON document. `columns` and `rows` are the same result as a table (rows
may be a generator, so long per-row output streams). `scalar` is set when the result is one
number: piped, it prints bare in full precision so `L=$(losscli compute ...)` works.
`human` optionally draws a richer view for a terminal than a plain table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Report:
    payload: dict[str, Any]
    columns: Sequence[str]
    rows: Iterable[Sequence[Any]]
    scalar: float | None = None
    title: str = ""
    # The first column is a row number: plain output leaves it out.
    indexed: bool = False
    warnings: list[str] = field(default_factory=list)
    human: Callable[[Any], None] | None = None
    # Per-example output as whole batches (render.blocks.Block); when set, `rows` is unused:
    # machine formats write each block at once, the table reads its rows from the blocks.
    blocks: Iterable[Any] | None = None
    # The payload key holding the result's list of records (list: "losses"): JSONL writes
    # those records one a line, so a JSONL line has the keys and types of the JSON's records.
    records: str | None = None


def format_number(value: Any) -> str:
    """Full precision, shortest round-trip form: 0.35667494393873245, inf, -inf, nan."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) or hasattr(value, "dtype"):
        return repr(float(value))
    if value is None:
        return ""
    return str(value)


def printable(text: str) -> str:
    """`text` safe for a terminal: control and other non-printing characters (an escape
    sequence in a column name, a bidi override, a line break inside a one-line message) are
    shown escaped as Python writes them (\\x1b, \\n, \\u202e), everything else as is."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
