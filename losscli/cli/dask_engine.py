"""compute --engine dask: the dataset read and reduced on a Dask cluster (losscli/dask.py),
with the same errors and output as the local engine."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from losscli.cli.common import InputOptions


def dask_state(
    paths: list[str],
    inputs: InputOptions,
    identity: dict[str, Any],
    kind: str,
    scheduler: str | None,
    workers: int | None = None,
) -> tuple[Any, list[str], int, str | None]:
    """The merged state of the dataset, as reduce_files gives it (no notices: rows that need
    one are found again by the local readers only when something fails)."""
    from losscli.core.errors import UsageError
    from losscli.core.losses.registry import get
    from losscli.inputs.dataset import expand
    from losscli.inputs.source import InputError
    from losscli.inputs.table import choose_columns

    try:
        import losscli.dask as engine
    except ImportError:
        raise UsageError("--engine dask needs Dask: pip install 'losscli[dask]'") from None
    if inputs.nan != "error":
        raise UsageError("--engine dask reads every row: --nan skip needs the local engine")
    if inputs.header is False or inputs.delimiter:
        raise UsageError("--engine dask reads tables with a header and their usual delimiter")
    files = expand(paths)  # a missing file is named before any cluster starts
    whole_directory = len(paths) == 1 and len(files) > 1 and not any(c in paths[0] for c in "*?[")
    if whole_directory and _parquet(files):
        sources, partitions = [paths[0]], None  # read as a Parquet dataset, partitions and all
    else:
        sources, partitions = [f.path for f in files], [f.partitions for f in files]
    client = _client(engine, scheduler, workers)
    try:
        try:
            frame = engine.read(sources, inputs.input_format, partitions)
        except Exception as error:  # a reader's own error: find the file with ours
            raise _located(files, inputs, identity, kind, error) from None
        selection = choose_columns(
            list(frame.columns),
            inputs.target,
            inputs.pred,
            inputs.weight,
            takes_target=get(identity["loss"]).takes_target,
        )
        names = list(frame.columns)
        target = [names[k] for k in selection.target]
        pred = [names[k] for k in selection.pred]
        weight = names[selection.weight] if selection.weight is not None else None
        columns = {"target": target, "pred": pred, "weight": weight}
        make = functools.partial(_new_state, kind, {**identity, "columns": columns})
        try:
            state = engine.reduce_dataframe(frame, make, target=target, pred=pred, weight=weight)
        except InputError:
            raise
        except Exception as error:
            raise _located(files, inputs, identity, kind, error) from None
    finally:
        _close(client)
    return state, [], 0, selection.note


def _new_state(kind: str, identity: dict[str, Any]) -> Any:
    from losscli.core.evaluation.states import new_state

    return new_state(kind, identity)


def _parquet(files: list[Any]) -> bool:
    return all(f.path.lower().endswith((".parquet", ".pq")) for f in files)


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


def _close(client: Any) -> None:
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def _located(
    files: list[Any], inputs: InputOptions, identity: dict[str, Any], kind: str, error: Exception
) -> Exception:
    """The cluster's error as one line that names the file: a data error is found again by
    the local readers, which name the file, row and column; a dead worker is said as such."""
    from losscli.cli.scale import reduce_files
    from losscli.inputs.source import InputError

    if type(error).__name__ == "KilledWorker":
        return InputError(
            "a Dask worker died while reducing the dataset; no value printed "
            f"({_first_line(error)})"
        )
    try:
        reduce_files(files, inputs, identity, kind, 1)
    except InputError as found:
        return found
    return InputError(f"the Dask engine failed: {type(error).__name__}: {_first_line(error)}")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
