"""Sweeps: one loss at several parameter values (`--delta 0.5,1,2`), one request per value.

Each value is a lane of the command's one pass over the input (run/losses.py): the input is
read once for all the values (stdin too), and each lane's numbers are those of a run with
that value alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from losscli.run.context import Warnings

if TYPE_CHECKING:
    from losscli.core.evaluation.requests import Request


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
