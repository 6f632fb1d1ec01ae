"""Many files on every core, or on a Dask cluster: each file (or partition) is reduced to a
partial state (core/evaluation/states.py) and the states are merged, in file order, into one.

The states merge in the same pairwise tree whatever the number of processes, so --jobs 1 and
--jobs 8 give the same bits; against one pass over the concatenated table they agree to
about 1e-15 relative (compensated sums throughout).
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from losscli.cli.common import InputOptions
    from losscli.core.evaluation.requests import Request
    from losscli.inputs.paths import DataFile
    from losscli.run.context import Warnings

SCALE = "Scale"


class Engine(enum.StrEnum):
    local = "local"
    dask = "dask"


Files = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="FILE",
        help="Table(s) to read (.csv .tsv .parquet .jsonl .ndjson), '-' for stdin: several "
        "files, a glob ('preds/*.parquet'), a directory (a dataset; key=value folders are "
        "columns), or a URL fsspec opens. Without FILE or inline values, stdin is read.",
        show_default=False,
    ),
]
Jobs = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        help="Cores to use, as make -j and scikit-learn's n_jobs count them: N processes "
        "(this one and N-1 workers, one per file at most) whose threads share N cores; "
        "--jobs 1 is one core. Default: every core.",
        min=1,
        rich_help_panel=SCALE,
    ),
]
EngineOpt = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="local: this machine's processes (--jobs); dask: a Dask cluster (losscli[dask]).",
        rich_help_panel=SCALE,
    ),
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Address of a Dask scheduler (tcp://host:8786); default: a local cluster.",
        metavar="ADDRESS",
        rich_help_panel=SCALE,
    ),
]
StateFlag = Annotated[
    bool,
    typer.Option(
        "--state",
        help="Print the partial state as JSON instead of the value (merge with losscli merge).",
        rich_help_panel=SCALE,
    ),
]


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def is_dataset(files: list[str] | None) -> bool:
    """Whether FILE... needs the many-files path: several paths, a glob, a directory or a URL."""
    if not files:
        return False
    if len(files) > 1:
        return True
    from pathlib import Path

    from losscli.inputs.paths import GLOB_CHARS, is_remote

    path = files[0]
    if path == "-":
        return False
    return is_remote(path) or any(ch in path for ch in GLOB_CHARS) or Path(path).is_dir()


def dataset_state(
    paths: list[str],
    inputs: InputOptions,
    request: Request,
    jobs: int | None,
    engine: Engine,
    scheduler: str | None,
    warnings: Warnings,
    kind: str = "loss",
) -> Any:
    """The merged state of FILE... (files, globs, directories, URLs), read by --jobs local
    processes or by a Dask cluster. Nothing is printed on stdout here: an error in any file
    stops the whole before a value exists."""
    from losscli.core.errors import UsageError
    from losscli.core.evaluation.states import identity_of
    from losscli.inputs.paths import expand

    if not paths or "-" in paths:
        raise UsageError("several inputs are files, globs or directories; stdin ('-') is one table")
    identity = identity_of(request)
    if engine is Engine.dask:
        from losscli.cli.dask_engine import dask_state

        state, notices, skipped, chosen = dask_state(paths, inputs, identity, kind, scheduler, jobs)
    else:
        files = expand(paths)
        state, notices, skipped, chosen = reduce_files(files, inputs, identity, kind, jobs)
    tell_reading(chosen, notices, skipped, warnings)
    if state.count == 0:
        from losscli.inputs.source import InputError

        raise InputError("no examples: the files have no data rows")
    return state


def tell_reading(chosen: str | None, notices: list[str], skipped: int, warnings: Warnings) -> None:
    """What reading the files said: the columns chosen by default (a note), each file's
    notices, and the rows --nan skip left out (warnings)."""
    from losscli.cli.common import note
    from losscli.render.notes import skipped_rows

    if chosen:
        note(chosen)
    for text in notices:
        warnings.add(text)
    if skipped:
        warnings.add(skipped_rows(skipped))


def reduce_files(
    files: list[DataFile],
    inputs: InputOptions,
    identity: dict[str, Any],
    kind: str,
    jobs: int | None,
) -> tuple[Any, list[str], int, str | None]:
    """The merged state of every file, the notices (each naming its file), the rows skipped
    (--nan skip) and the note on the columns chosen by default (from the first file)."""
    states, notices, skipped, note, _ = reduce_files_many(
        files, inputs, [identity], [False], kind, jobs
    )
    return states[0], notices, skipped, note


def reduce_files_many(
    files: list[DataFile],
    inputs: InputOptions,
    identities: list[dict[str, Any]],
    optional: list[bool],
    kind: str,
    jobs: int | None,
) -> tuple[list[Any], list[str], int, str | None, dict[int, tuple[str, bool]]]:
    """reduce_files for several requests over the same files (compare): one merged state per
    request, None for an optional one left out, with the reason (and whether it failed on the
    first batch of the first file, where --all leaves a loss out silently)."""
    from losscli.cli.worker import file_states
    from losscli.core.evaluation.states import merge_all

    tasks = [(f, inputs, identities, optional, kind) for f in files]
    results = map_files(file_states, tasks, jobs)
    check_same_columns(files, results)
    notices = [text for r in results for text in r.notices]
    dropped: dict[int, tuple[str, bool]] = {}
    for k, result in enumerate(results):
        for index, (why, first) in result.dropped.items():
            dropped.setdefault(index, (why, first and k == 0))
    merged = [
        None if index in dropped else merge_all([r.states[index] for r in results])
        for index in range(len(identities))
    ]
    skipped = sum(r.skipped for r in results)
    return merged, notices, skipped, results[0].note, dropped


@dataclass(frozen=True)
class Plan:
    """How --jobs runs: `workers` processes of `threads` threads each (Polars, BLAS, the
    core's blocks), this one and workers-1 started for the run; or, `in_process`, this
    process alone with its own pools (every core)."""

    workers: int
    threads: int
    in_process: bool


def plan(jobs: int | None, tasks: int) -> Plan:
    """--jobs N is N cores, as make -j and scikit-learn's n_jobs count them: at most N
    processes (one per file at most), their threads sharing the N cores, at least one each;
    so --jobs 1 is one process on one thread. Without --jobs, every core: one process per
    core while there are files for them; one file is read here, on every core (Polars' reader
    and the blocks take them), without starting a worker."""
    budget = jobs or cores()
    workers = max(1, min(budget, tasks))
    threads = max(1, budget // workers)
    return Plan(workers, threads, in_process=workers == 1 and threads >= cores())


def map_files(function: Any, tasks: list[tuple[Any, ...]], jobs: int | None) -> list[Any]:
    """function(*task) for every task (the first item of each is its DataFile), in order,
    on --jobs cores (see plan): this process computes too, as one of the processes."""
    how = plan(jobs, len(tasks))
    if how.in_process:
        return [function(*task) for task in tasks]
    return _shared(function, tasks, how.workers, how.threads)


def _shared(function: Any, tasks: list[tuple[Any, ...]], workers: int, threads: int) -> list[Any]:
    """The tasks shared by this process and workers-1 worker processes, each taking the next
    task from one list as it finishes one: a worker that starts late (a fresh Python, 0.5 s
    of imports) takes fewer files, and --jobs 1 starts none. The workers are started first,
    so that they start while this process imports and reads its first file. The workers
    take the first tasks (this process cannot be stopped while it waits on a file; a worker
    that dies is named), this process the next. On an error, no new task is taken: the error
    of the first failing task in file order is raised once the running tasks end (every
    earlier task has been taken), so the same file is named on every run."""
    import threading

    from losscli.cli.worker import computing_here

    results: list[Any] = [None] * len(tasks)
    failures: dict[int, BaseException] = {}
    lock = threading.Lock()
    taken = 0

    def take() -> int | None:
        nonlocal taken
        with lock:
            if failures or taken == len(tasks):
                return None
            taken += 1
            return taken - 1

    def fail(index: int, error: BaseException) -> None:
        with lock:
            failures[index] = error

    spawned = _Workers(workers - 1, threads) if workers > 1 else None
    feeders: list[threading.Thread] = []
    try:
        if spawned is not None:
            for _ in range(workers - 1):
                first = take()
                if first is None:
                    break
                feeder = threading.Thread(
                    target=spawned.feed,
                    args=(function, tasks, first, take, results, fail),
                    name="losscli-feeder",
                    daemon=True,
                )
                feeder.start()
                feeders.append(feeder)
        with computing_here(threads):
            while (index := take()) is not None:
                try:
                    results[index] = function(*tasks[index])
                except Exception as error:
                    fail(index, error)
        for feeder in feeders:
            feeder.join()
    finally:
        with lock:
            taken = len(tasks)  # nothing more is handed out (an interrupt here ends the run)
        if spawned is not None:
            spawned.shutdown()
    if failures:
        first = min(failures)
        if isinstance(failures[first], _WorkerDied):
            raise _died(tasks, first, sum(1 for r in results if r is None)) from None
        raise failures[first]
    return results


class _WorkerDied(Exception):
    """A worker process ended before it gave its task's result."""


def _died(tasks: list[tuple[Any, ...]], first: int, unfinished: int) -> Exception:
    from losscli.inputs.source import InputError

    others = unfinished - 1
    return InputError(
        f"{tasks[first][0].path}: a worker process died while the files were read"
        + (f" ({others} other file{'s' if others > 1 else ''} unfinished)" if others > 0 else "")
        + "; no value printed"
    )


class _Workers:
    """Worker processes (spawned, not forked: Polars' thread pool does not survive a fork),
    each limited to `threads` threads from its start (worker.start_worker)."""

    def __init__(self, count: int, threads: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from losscli.cli.worker import start_worker

        self.executor = ProcessPoolExecutor(
            max_workers=count,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_worker,
            initargs=(threads,),
        )

    def feed(
        self,
        function: Any,
        tasks: list[tuple[Any, ...]],
        index: int | None,
        take: Any,
        results: list[Any],
        fail: Any,
    ) -> None:
        """Run tasks in a worker, one after another (a thread of this process per worker):
        `index` first, then each task that `take` gives, until it gives None."""
        from concurrent.futures.process import BrokenProcessPool

        while index is not None:
            try:
                results[index] = self.executor.submit(function, *tasks[index]).result()
            except BrokenProcessPool:
                fail(index, _WorkerDied())
                return
            except BaseException as error:
                fail(index, error)
                return
            index = take()

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def check_same_columns(files: list[DataFile], results: list[Any]) -> None:
    """Every file must give the same columns: a file of another schema is named."""
    from losscli.inputs.source import InputError

    first = results[0].columns
    for data_file, result in zip(files, results, strict=True):
        columns = result.columns
        if columns != first:
            raise InputError(
                f"{data_file.path}: another schema: it gives columns {_describe(columns)}, "
                f"but {files[0].path} gives {_describe(first)}"
            )


def _describe(columns: dict[str, Any]) -> str:
    parts = [f"{side} {columns[side]}" for side in ("target", "pred") if columns.get(side)]
    if columns.get("weight"):
        parts.append(f"weight {columns['weight']!r}")
    return ", ".join(parts)


def chained_source(paths: list[str], takes_target: bool, inputs: InputOptions) -> Any:
    """FILE... as one source read file after file, for the commands that print a row per
    example (grad, compute --reduction none): rows in file order, errors naming the file."""
    from losscli.core.errors import UsageError
    from losscli.inputs.dataset import ChainedSource, open_file
    from losscli.inputs.paths import expand
    from losscli.inputs.table import TableSource, choose_columns

    if "-" in paths:
        raise UsageError("several inputs are files, globs or directories; stdin ('-') is one table")
    if inputs.y_true is not None or inputs.y_pred is not None:
        raise UsageError("give FILE... or --y-true/--y-pred, not both")

    def open_one(data_file: DataFile) -> TableSource:
        reader = open_file(
            data_file,
            input_format=inputs.input_format,
            delimiter=inputs.delimiter,
            has_header=inputs.header,
        )
        selection = choose_columns(
            reader.names, inputs.target, inputs.pred, inputs.weight, takes_target=takes_target
        )
        return TableSource(reader, selection, skip_missing=inputs.nan == "skip")

    source = ChainedSource(expand(paths), open_one)
    if source.selection.note:
        from losscli.cli.common import note

        note(source.selection.note)
    return source
