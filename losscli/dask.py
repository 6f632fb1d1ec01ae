"""Dask as an engine. Two ways to a merged partial state (core/evaluation/states.py):

- `reduce_dataframe`: a user's own dask DataFrame, each partition reduced to a state by
  `map_partitions`, the states merged in a tree on the cluster;
- `merge_tree`: any futures of states (or of results that merge), merged in a tree of tasks
  on the cluster. `compute FILE... --engine dask` submits one task per file that reads it with
  losscli's own readers (cli/dask_engine.py), as a --jobs worker does, and merges them so.

    >>> import dask.dataframe as dd
    >>> from losscli.core import LossState, make_request
    >>> from losscli.dask import reduce_dataframe
    >>> frame = dd.read_parquet("preds/")                       # doctest: +SKIP
    >>> state = reduce_dataframe(frame, lambda: LossState.empty(make_request("mse")),
    ...                          target=["y_true"], pred=["y_pred"])   # doctest: +SKIP
    >>> state.result("mean")                                    # doctest: +SKIP

Any state works the same way: `GradState`, `CompareState`, `ProfileState`. A state is
pickled to the workers and back as its numbers and settings (a few hundred bytes for compute),
so the scheduler moves almost nothing. A worker that dies is replaced, and Dask runs its
tasks again: each partition's state is a pure function of the partition, so the value is the
same. Needs the `dask` extra: pip install 'losscli[dask]'.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

# How many states one merge task combines: a tree of depth log8(pieces). A power of two, so
# that merging each group pairwise (merge_all), then the groups' states pairwise, is the same
# pairwise tree as merge_all over every state at once: the same bits as --jobs.
SPLIT_EVERY = 8
# How long a client waits for a scheduler that does not answer before saying so.
CONNECT_TIMEOUT = "5s"
# How long a local cluster's workers may take to start (a loaded machine is slow, not stuck).
WORKERS_TIMEOUT = 120.0
# The thread pools of a local worker process, limited to one thread (a worker is one of the
# --jobs cores, as a --jobs worker is, cli/scale.py): Polars' (losscli's readers), Arrow's
# (read_parquet; it follows OMP_NUM_THREADS), OpenMP's and the BLAS libraries'.
THREAD_VARIABLES = (
    "POLARS_MAX_THREADS",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
)
# A local worker's Arrow allocator: the system's malloc, which gives freed memory back (Dask
# sets MALLOC_TRIM_THRESHOLD_), not Arrow's mimalloc pool, which keeps it: a worker that had
# read Parquet stayed 85 MB larger, and peaked at 378 MB on the CSV partitions that followed.
ARROW_ALLOCATOR = {"ARROW_DEFAULT_MEMORY_POOL": "system"}


def partition_state(
    frame: Any,
    make_state: Callable[[], Any],
    target: list[str],
    pred: list[str],
    weight: str | None,
) -> Any:
    """The state of one pandas partition (an empty partition gives an empty state)."""
    import numpy as np

    state = make_state()
    if len(frame):
        y_true = frame[target].to_numpy(dtype=np.float64) if target else None
        y_pred = frame[pred].to_numpy(dtype=np.float64)
        weights = frame[weight].to_numpy(dtype=np.float64) if weight else None
        state.update(y_true, y_pred, weights)
    return state


def _as_series(frame: Any, *args: Any) -> Any:
    import pandas as pd

    series = pd.Series([partition_state(frame, *args)], dtype=object)
    _release_arrow_memory()
    return series


def _release_arrow_memory() -> None:
    """Give back the memory Arrow's allocator keeps once a partition is freed: a worker of a
    long-running cluster that read Parquet (Arrow's mimalloc pool) kept 85 MB more, and its
    next CSV partition then peaked at 378 MB instead of 296. (The local cluster's workers
    use the system allocator, ARROW_DEFAULT_MEMORY_POOL below, which returns it anyway.)"""
    import sys

    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()


def _merge_group(*groups: Any) -> Any:
    """Merge the states of several partitions (each a one-element Series, or a state)."""
    from losscli.core.evaluation.states import merge_all

    states = [g.iloc[0] if hasattr(g, "iloc") else g for g in groups]
    return merge_all(states)


def reduce_dataframe(
    frame: Any,
    make_state: Callable[[], Any],
    *,
    target: list[str],
    pred: list[str],
    weight: str | None = None,
    split_every: int = SPLIT_EVERY,
) -> Any:
    """The merged state of a dask DataFrame's rows: `make_state()` per partition, updated with
    the selected columns, then merged in a tree of `split_every` states per task. Partitions
    merge in their order, so the same partitioning gives the same bits."""
    from dask import delayed

    columns = [*target, *pred, *([weight] if weight else [])]
    states = frame[columns].map_partitions(
        _as_series, make_state, target, pred, weight, meta=(None, object)
    )
    level: list[Any] = list(states.to_delayed())
    while len(level) > 1:
        level = [
            delayed(_merge_group, pure=True)(*level[k : k + split_every])
            for k in range(0, len(level), split_every)
        ]
    (last,) = level
    return delayed(_merge_group, pure=True)(last).compute()


def merge_tree(
    client: Any, futures: Sequence[Any], merge: Callable[..., Any], split_every: int = SPLIT_EVERY
) -> Any:
    """The future of the merge of `futures`' results, in their order: `merge(*results)` on up to
    `split_every` results at a time, level by level, each merge a task on the cluster, so the
    results move between workers and only the last comes back. With `merge` pairwise in order
    (merge_all) and `split_every` a power of two, the tree is merge_all's over every result."""
    level = list(futures)
    if not level:
        raise ValueError("no futures to merge")
    while len(level) > 1:
        level = [
            client.submit(merge, *level[k : k + split_every], pure=False)
            for k in range(0, len(level), split_every)
        ]
    return level[0]


def client(address: str | None, workers: int | None = None) -> Any:
    """A distributed Client: of the scheduler at `address` (an error within CONNECT_TIMEOUT
    when none answers), or of a new local cluster of `workers` worker processes (default: one
    per core), each of one thread with its Arrow, OpenMP and BLAS pools at one thread, and
    Arrow on the system allocator (ARROW_ALLOCATOR).

    The local cluster's workers start in the background: a fresh Python importing Dask and
    pandas takes a second or two, which overlaps the reading of the dataset's metadata here.
    `wait_for_workers` then says so if they never come."""
    import logging

    from distributed import Client, LocalCluster

    if address is not None:
        return Client(address, timeout=CONNECT_TIMEOUT)
    count = workers or _cores()  # --jobs N: N cores, a worker of one thread on each
    cluster = LocalCluster(
        n_workers=0,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: 8787 may be another cluster's
        env={**dict.fromkeys(THREAD_VARIABLES, "1"), **ARROW_ALLOCATOR},
        # Not the workers' logs on a loaded machine ("still alive after 4 s, killing", a
        # heartbeat's traceback as the cluster closes): the command's errors say what failed.
        silence_logs=logging.CRITICAL,
    )
    cluster.scale(count)
    return Client(cluster)


def wait_for_workers(client: Any, timeout: float = WORKERS_TIMEOUT) -> None:
    """Wait until a local cluster's workers have all started (TimeoutError after `timeout`
    seconds); a client of a scheduler at an address waits for nothing here."""
    cluster = getattr(client, "cluster", None)
    if cluster is not None:
        client.wait_for_workers(len(cluster.worker_spec), timeout=timeout)


def _cores() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
