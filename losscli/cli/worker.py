"""What a --jobs worker process runs: its share of the threads, and one file read and reduced
to a partial state per request (cli/scale.py starts the workers and merges the states).

A worker is a fresh Python (spawned): it imports this module, NumPy, Polars and the readers,
and not the command line's Typer and Rich (tests/cli/test_scale.py checks)."""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from losscli.cli.common import InputOptions
    from losscli.inputs.paths import DataFile


# The thread pools of a worker process, set from its share of --jobs: Polars' (sized when
# Polars makes it, so set before Polars is imported), and NumPy's BLAS libraries'.
THREAD_VARIABLES = (
    "POLARS_MAX_THREADS",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
)


def start_worker(threads: int) -> None:
    """Start a worker process (the pool's initializer): limit it to `threads` threads of
    computing, Polars' pool, BLAS and the core's blocks. Runs first in a worker (spawned: a
    fresh Python), before it imports Polars and NumPy with its first file
    (tests/cli/test_scale.py checks the pools' sizes). At its end, the worker leaves without
    tearing its modules down: its results are sent, and Python's teardown of NumPy and
    Polars took 0.1 CPU-second per worker."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    from losscli.core.evaluation.requests import set_block_threads

    set_block_threads(threads)
    atexit.register(_leave)


@contextmanager
def computing_here(threads: int) -> Iterator[None]:
    """This process computing as one of --jobs' processes: on `threads` threads where it can.
    The command line has not imported Polars yet (the files are listed without it), so its
    pool is sized here as a worker's is; the core's blocks and the reading (in turn with the
    computing on one thread) take the share, until the end. A process that made its pools
    before (a test, a notebook) keeps Polars': the values are the same on any number of
    threads. BLAS keeps its pool (NumPy is imported at start; the file losses do not call
    it)."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    if "polars" not in sys.modules:
        os.environ.update({name: str(threads) for name in THREAD_VARIABLES})
    from losscli.core.evaluation import requests
    from losscli.inputs import table

    before = requests.BLOCK_THREADS
    requests.set_block_threads(threads)
    table.SHARE_OF_THREADS = threads
    try:
        yield
    finally:
        table.SHARE_OF_THREADS = None
        requests.set_block_threads(before)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _leave() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def file_states(
    data_file: DataFile,
    inputs: InputOptions,
    identities: list[dict[str, Any]],
    optional: list[bool],
    kind: str,
) -> FileResult:
    """One file read once and reduced to a state per request (runs in a worker process); an
    error names the file as well as the row and column. An optional request that does not
    fit the data is left out of this file's result instead."""
    from losscli.core.errors import DataError
    from losscli.core.evaluation.states import request_of, state_kind
    from losscli.inputs.dataset import open_file
    from losscli.inputs.source import InputError
    from losscli.inputs.table import TableSource, choose_columns
    from losscli.run.context import Warnings
    from losscli.run.losses import Lane, reduced

    try:
        reader = open_file(
            data_file,
            input_format=inputs.input_format,
            delimiter=inputs.delimiter,
            has_header=inputs.header,
        )
        requests = [request_of(identity) for identity in identities]
        selection = choose_columns(
            reader.names,
            inputs.target,
            inputs.pred,
            inputs.weight,
            takes_target=requests[0].loss.takes_target,
        )
        source = TableSource(reader, selection, skip_missing=inputs.nan == "skip")
        columns = {
            "target": list(source.target_names),
            "pred": list(source.pred_names),
            "weight": source.weight_name,
        }
        state = state_kind(kind)
        lanes = [
            # Several losses (compare): each notice names its loss.
            Lane(
                r.loss.name if len(requests) > 1 else "",
                r,
                optional=o,
                state=state.empty(r, columns),
            )
            for r, o in zip(requests, optional, strict=True)
        ]
        notices = Warnings(live=False)  # kept, each naming the file, for the parent to tell
        where = f"{data_file.path}: "
        reduced(
            source, lanes, notices, grads=state.WITH_GRADS, late="quiet", count=None, where=where
        )
        dropped = {k: lane.dropped for k, lane in enumerate(lanes) if lane.dropped is not None}
        states = [lane.state for lane in lanes]
        return FileResult(states, notices.items, source.skipped, selection.note, columns, dropped)
    except (InputError, DataError) as error:
        raise InputError(_in_file(data_file.path, str(error))) from None


def _in_file(path: str, message: str) -> str:
    return message if message.startswith(f"{path}:") else f"{path}: {message}"


@dataclass(frozen=True)
class FileResult:
    """What one file gives: a state per request (None where an optional request's domain did
    not fit the file, with the reason and whether it was the file's first batch), the
    notices, the rows skipped, the note on default columns and the columns read."""

    states: list[Any]
    notices: list[str]
    skipped: int
    note: str | None
    columns: dict[str, Any]
    dropped: dict[int, tuple[str, bool]]

    @property
    def state(self) -> Any:
        return self.states[0]
