"""Sweeps: one loss at several parameter values (`--delta 0.5,1,2`), one request per value.

Each value runs through the command's own loop over the input, so a value of a sweep is
exactly what a run with that value alone prints. The input is read once per value when it
is a file that can be read again; otherwise (stdin, inline values) its batches are shared
by all the values (itertools.tee): streamed side by side where the loop streams, held in
memory where a loop must see the whole input before it answers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from losscli.run.context import Warnings

if TYPE_CHECKING:
    from losscli.core.evaluation.requests import Request
    from losscli.inputs.source import Batch, Source
    from losscli.render.blocks import Block


def swept(requests: list[Request]) -> list[str]:
    """The parameters whose values differ between the requests, in the loss's order."""
    names = dict.fromkeys(name for r in requests for name in r.params)
    return [name for name in names if len({_key(r.params.get(name)) for r in requests}) > 1]


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def typed(value: object) -> str:
    """A parameter value as an option takes it: 0.5, 2 (not 2.0), 0.25,0.75, yes."""
    if isinstance(value, (tuple, list)):
        return ",".join(typed(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    return str(value)


def setting(request: Request, names: list[str]) -> str:
    """The values of the swept parameters of one request, as a column name: delta=0.5."""
    return " ".join(f"{name}={typed(request.params.get(name))}" for name in names)


def cell(value: object) -> str:
    """A parameter value in a table cell, as typed: 0.5, 1 (not 1.0), 1,2 (JSON keeps the
    numbers)."""
    return typed(value)


def title(requests: list[Request]) -> str:
    """The command line of a sweep as typed: `huber --delta 0.5,1,2`."""
    words = [requests[0].loss.name]
    for name in swept(requests):
        option = "--" + name.replace("_", "-")
        separator = ";" if any(isinstance(r.params.get(name), tuple) for r in requests) else ","
        words += [option, separator.join(typed(r.params.get(name)) for r in requests)]
    if requests[0].convention != "catalog":
        words += ["--convention", requests[0].convention]
    return " ".join(words)


def refuse(option: str, given: object, why: str) -> None:
    """A usage error when `given` (an option that does not go with a sweep) is set."""
    if given:
        from losscli.core.errors import UsageError

        raise UsageError(f"{option} {why}; a sweep gives one value per setting: run one per value")


class OnceWarnings(Warnings):
    """The warnings of several runs over the same input, each said once (the rows skipped
    by --nan skip are the same for every value of a sweep)."""

    def __init__(self, live: bool) -> None:
        super().__init__(live)
        self.seen: set[str] = set()

    def add(self, text: str) -> None:
        if text not in self.seen:
            self.seen.add(text)
            super().add(text)


class _Shared:
    """One reading of a source, seen by several loops: each view's batches are the
    source's, in order (itertools.tee keeps a batch until every view has passed it)."""

    def __init__(self, source: Source, views: int) -> None:
        self.source = source
        self.iterators = list(itertools.tee(source.batches(), views))


class _View:
    def __init__(self, shared: _Shared, index: int) -> None:
        self._shared = shared
        self._index = index

    def batches(self) -> Iterator[Batch]:
        return self._shared.iterators[self._index]

    def __getattr__(self, name: str) -> Any:
        # Column names, row names, rows skipped (read after the batches): the source's.
        return getattr(self._shared.source, name)


def sources(first: Source, count: int, reopen: Callable[[], Source] | None) -> list[Any]:
    """`count` sources of the same rows: `first` and the input opened again, when it can be
    (`reopen`); else views of `first` that share its batches."""
    if reopen is not None:
        return [first, *(reopen() for _ in range(count - 1))]
    shared = _Shared(first, count)
    return [_View(shared, k) for k in range(count)]


def side_by_side(streams: list[Iterator[Block]]) -> Iterator[Block]:
    """The blocks of several runs over the same rows, their columns side by side."""
    import numpy as np

    from losscli.render.blocks import Block

    for blocks in zip(*streams, strict=True):
        yield Block(blocks[0].row_numbers, np.column_stack([block.values for block in blocks]))
