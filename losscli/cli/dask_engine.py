"""compute --engine dask: the dataset reduced on a Dask cluster, one task per file that reads it
with losscli's own readers (cli/worker.py's file_states, as a --jobs worker does), the files'
states merged in a tree of tasks on the cluster (losscli/dask.py's merge_tree), with the same
errors, notices and output as the local engine, and the same bits as --jobs.

The task functions here run on the workers: this module imports nothing at its top, and what
they call imports the readers and the core, not the command line's Typer and Rich."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from losscli.cli.common import InputOptions
    from losscli.cli.worker import FileResult
    from losscli.inputs.dataset import DataFile


def dask_state(
    paths: list[str],
    inputs: InputOptions,
    identity: dict[str, Any],
    kind: str,
    scheduler: str | None,
    workers: int | None = None,
) -> tuple[Any, list[str], int, str | None]:
    """The merged state of the dataset, with its notices, the rows skipped (--nan skip) and the
    note on the columns chosen by default, as reduce_files gives them."""
    from losscli.core.errors import UsageError
    from losscli.inputs.dataset import expand

    try:
        import losscli.dask as engine
    except ImportError:
        raise UsageError("--engine dask needs Dask: pip install 'losscli[dask]'") from None
    files = expand(paths)  # a missing file is named before any cluster starts
    client = _client(engine, scheduler, workers)
    try:
        # The tasks wait at the scheduler for a local cluster's workers, which start in the
        # background: the first to start reads a file while the others still import.
        pieces, top = submit_files(client, files, inputs, identity, kind)
        _wait_for_workers(engine, client)
        result = merged_result(pieces, top)
    finally:
        _close(client)
    return result.state, result.notices, result.skipped, result.note


def cluster_result(
    client: Any,
    files: list[DataFile],
    inputs: InputOptions,
    identity: dict[str, Any],
    kind: str,
    reduce_file: Callable[..., FileResult] | None = None,
) -> FileResult:
    """The files reduced on the cluster of `client` (submit_files, then merged_result)."""
    return merged_result(*submit_files(client, files, inputs, identity, kind, reduce_file))


def submit_files(
    client: Any,
    files: list[DataFile],
    inputs: InputOptions,
    identity: dict[str, Any],
    kind: str,
    reduce_file: Callable[..., FileResult] | None = None,
) -> tuple[list[Any], Any]:
    """A task per file (`reduce_file`, by default file_states, called as file_states is), then
    a tree of merges: the files' futures and the last merge's."""
    import losscli.dask as engine

    pieces = [
        client.submit(
            file_piece,
            _on_workers(data_file),
            data_file.path,
            inputs,
            identity,
            kind,
            reduce_file,
            pure=False,
        )
        for data_file in files
    ]
    return pieces, engine.merge_tree(client, pieces, merge_pieces)


def merged_result(pieces: list[Any], top: Any) -> FileResult:
    """The merged result of the files' tasks; an error is the first failing file's, in file
    order (as --jobs says it), naming the file and row."""
    try:
        merged: Piece = top.result()
    except Exception as error:
        raise _first_error(pieces, error) from None
    return merged.result


@dataclass(frozen=True)
class Piece:
    """What a task gives: the result of a file, or of consecutive files merged (named by the
    first, which the schema check compares with)."""

    path: str
    result: FileResult


def file_piece(
    data_file: DataFile,
    shown: str,
    inputs: InputOptions,
    identity: dict[str, Any],
    kind: str,
    reduce_file: Callable[..., FileResult] | None,
) -> Piece:
    """One file read and reduced on a worker (a task). The worker reads `data_file` by its
    absolute path; errors and notices name it as the user wrote it (`shown`)."""
    from losscli.cli.worker import file_states
    from losscli.core.evaluation.requests import set_block_threads
    from losscli.inputs.source import InputError

    # A task is one of the worker's threads: its batches' blocks are computed in it, as in a
    # --jobs worker of one core (a worker of several threads runs as many tasks at once).
    set_block_threads(1)
    reduce = reduce_file or file_states
    try:
        result = reduce(data_file, inputs, [identity], [False], kind)
    except InputError as error:
        raise InputError(_shown(str(error), data_file.path, shown)) from None
    notices = [_shown(text, data_file.path, shown) for text in result.notices]
    return Piece(shown, replace(result, notices=notices))


def merge_pieces(*pieces: Piece) -> Piece:
    """Consecutive pieces merged in order (a task): their states pairwise (merge_all), their
    notices in order, their skipped rows summed. A file of another schema is named."""
    from losscli.core.evaluation.states import merge_all

    results = [p.result for p in pieces]
    first = results[0]
    if any(r.columns != first.columns for r in results):
        from losscli.cli.scale import check_same_columns
        from losscli.inputs.dataset import DataFile

        check_same_columns([DataFile(p.path) for p in pieces], results)
    merged = replace(
        first,
        states=[merge_all([r.states[k] for r in results]) for k in range(len(first.states))],
        notices=[text for r in results for text in r.notices],
        skipped=sum(r.skipped for r in results),
    )
    return Piece(pieces[0].path, merged)


def _on_workers(data_file: DataFile) -> DataFile:
    """The file as a worker finds it: a local path made absolute (a running cluster's workers
    work in another folder); a URL as it is."""
    from losscli.inputs.paths import is_remote

    if is_remote(data_file.path):
        return data_file
    return replace(data_file, path=os.path.abspath(data_file.path))


def _shown(text: str, path: str, shown: str) -> str:
    return text.replace(path, shown) if path != shown else text


def _first_error(pieces: list[Any], error: Exception) -> Exception:
    """The error to tell: the first file in order whose task failed (waiting for the tasks
    before it, so the same bad dataset gives the same message), else the merge's own."""
    from distributed import wait

    for piece in pieces:
        wait(piece)
        if piece.status == "error":
            return _told(piece.exception())
    return _told(error)


def _told(error: BaseException) -> Exception:
    """A task's error as one line: a data error is already phrased with its file and row; a
    dead worker and anything else are said as such."""
    from losscli.core.errors import DataError
    from losscli.inputs.source import InputError

    if isinstance(error, InputError | DataError):
        return error
    if type(error).__name__ == "KilledWorker":
        return InputError(
            "a Dask worker died while reducing the dataset; no value printed "
            f"({_first_line(error)})"
        )
    return InputError(f"the Dask engine failed: {type(error).__name__}: {_first_line(error)}")


def _client(engine: Any, scheduler: str | None, workers: int | None) -> Any:
    from losscli.inputs.source import InputError

    try:
        return engine.client(scheduler, workers)
    except (OSError, TimeoutError) as error:
        where = scheduler or "a local cluster"
        raise InputError(
            f"cannot reach the Dask scheduler at {where} within {engine.CONNECT_TIMEOUT} "
            f"({_first_line(error)})"
        ) from None


def _wait_for_workers(engine: Any, client: Any) -> None:
    from losscli.inputs.source import InputError

    try:
        engine.wait_for_workers(client)
    except TimeoutError:
        raise InputError(
            f"the local Dask cluster's workers did not start within {engine.WORKERS_TIMEOUT:.0f} s"
        ) from None


def _close(client: Any) -> None:
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
