"""Many files (FILE..., globs, directories, Hive partitions, fsspec URLs), --jobs, and
`compute --state` with `losscli merge`: the one-pass value, and errors that name the file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

N_FILES = 5
ROWS = 400


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Five CSV files and the same rows as a Hive-partitioned Parquet dataset; the weight of
    each row is its partition's `w=` folder."""
    root = tmp_path_factory.mktemp("dataset")
    rng = np.random.default_rng(16)
    frames = []
    for k in range(N_FILES):
        y = rng.normal(0, 1, ROWS)
        # Residuals over many orders of magnitude: sums that a naive total would round.
        p = y + rng.standard_cauchy(ROWS) * 10.0 ** rng.integers(-4, 4, ROWS)
        frame = pl.DataFrame({"y_true": y, "y_pred": p})
        frame.write_csv(root / f"part-{k}.csv", float_precision=17)
        folder = root / "hive" / f"w={k + 1}"
        folder.mkdir(parents=True)
        frame.write_parquet(folder / "part-0.parquet")
        frames.append(frame.with_columns(w=pl.lit(float(k + 1))))
    whole = pl.concat(frames)
    whole.write_csv(root / "whole.csv", float_precision=17)
    return {"root": root, "whole": whole}


def _fsum_mse(whole: pl.DataFrame, weighted: bool = False) -> float:
    y, p, w = (whole[c].to_numpy() for c in ("y_true", "y_pred", "w"))
    w = w if weighted else np.ones_like(y)
    return math.fsum((w * (p - y) ** 2).tolist()) / math.fsum(w.tolist())


def test_many_files_equal_one_pass_and_the_exact_sum(cli, dataset):
    root = dataset["root"]
    files = [str(root / f"part-{k}.csv") for k in range(N_FILES)]
    one = cli("compute", "mse", str(root / "whole.csv"), "-t", "y_true", "-p", "y_pred")
    serial = cli("compute", "mse", *files, "--jobs", "1")
    parallel = cli("compute", "mse", *files, "--jobs", "2")
    assert one.exit_code == serial.exit_code == parallel.exit_code == 0
    # The states merge in the same tree whatever the number of processes: the same bits.
    assert serial.stdout == parallel.stdout
    assert float(serial.stdout) == pytest.approx(float(one.stdout), rel=1e-15)
    assert float(serial.stdout) == pytest.approx(_fsum_mse(dataset["whole"]), rel=1e-15)


def _threads_in_worker(data_file: object) -> tuple[int, int, int, str]:
    """What a worker process computes with (run in the worker by map_files)."""
    import os

    import polars

    from losscli.core.evaluation.requests import block_threads

    pid = os.getpid()
    return (
        pid,
        polars.thread_pool_size(),
        block_threads(),
        os.environ.get("OPENBLAS_NUM_THREADS", ""),
    )


@pytest.mark.parametrize(
    ("machine_cores", "jobs", "files", "workers", "threads", "in_process"),
    [
        # --jobs N is N cores (make -j, scikit-learn's n_jobs): N processes of a thread each...
        (2, 1, 5, 1, 1, False),  # one core: one process, every pool at 1, even on 2 cores
        (2, 2, 5, 2, 1, False),
        (2, 8, 5, 5, 1, False),  # as many as asked, one per file at most
        # ... fewer files than cores: the cores are shared among the files' processes.
        (8, 4, 2, 2, 2, False),
        (8, 8, 1, 1, 8, True),  # every core on one file: this process, its own pools
        (8, 3, 1, 1, 3, False),
        # No --jobs: every core.
        (2, None, 5, 2, 1, False),
        (2, None, 1, 1, 2, True),
        (6, None, 4, 4, 1, False),
    ],
)
def test_jobs_is_a_number_of_cores(
    monkeypatch, machine_cores, jobs, files, workers, threads, in_process
):
    from losscli.cli import scale

    monkeypatch.setattr(scale, "cores", lambda: machine_cores)
    assert scale.plan(jobs, files) == scale.Plan(workers, threads, in_process)


@pytest.mark.parametrize(("machine_cores", "jobs", "threads"), [(2, 1, 1), (2, 2, 1), (4, 4, 2)])
def test_processes_compute_on_their_share_of_threads(
    monkeypatch, dataset, machine_cores, jobs, threads
):
    """--jobs 1 on 2 cores: this process alone, on one thread (no worker started); --jobs 2:
    this process and one worker process whose Polars pool, BLAS and the core's block threads
    are 1 thread (not 2 threads each, which would put 4 busy threads on 2 cores); --jobs 4
    on 4 cores over 2 files: 2 threads each. This process's Polars pool was made with the
    test session's (in the command line it is sized for its share before Polars' import:
    test_the_command_line_computes_here_on_its_share)."""
    import os

    from losscli.cli import scale
    from losscli.inputs.dataset import expand

    files = expand([str(dataset["root"] / "part-*.csv")])
    tasks = [(f,) for f in files[: max(jobs // threads, 2)]]
    monkeypatch.setattr(scale, "cores", lambda: machine_cores)
    seen = scale.map_files(_threads_in_worker, tasks, jobs)
    assert len(seen) == len(tasks)
    pids = {pid for pid, *_ in seen}
    assert os.getpid() in pids  # this process computes too
    assert len(pids) == jobs // threads
    workers = [s for s in seen if s[0] != os.getpid()]
    assert {pool for _, pool, _, _ in workers} <= {threads}
    assert {blas for *_, blas in workers} <= {str(threads)}
    # The core's blocks take the share, at most one thread per core of this machine.
    blocks = min(threads, os.cpu_count() or 1, 2)
    assert {b for _, _, b, _ in seen} == {blocks}


HERE_AND_POOL = """
import os


def here_and_pool(data_file):
    import polars

    return os.getpid(), polars.thread_pool_size()
"""


def test_the_command_line_computes_here_on_its_share(dataset, tmp_path):
    """A command line has not imported Polars when it lists the files, so the process that
    computes with the workers sizes Polars' pool to its share (one thread for --jobs 2 over
    5 files) as a worker does; --jobs 1 starts no worker."""
    import os
    import subprocess
    import sys

    (tmp_path / "helper.py").write_text(HERE_AND_POOL)
    script = (
        "import os, sys\n"
        "from helper import here_and_pool\n"
        "from losscli.cli import scale\n"
        "from losscli.inputs.paths import expand\n"
        "assert 'polars' not in sys.modules\n"
        "files = expand([sys.argv[1]])\n"
        "for jobs in (1, 2):\n"
        "    seen = scale.map_files(here_and_pool, [(f,) for f in files], jobs)\n"
        "    here = [pool for pid, pool in seen if pid == os.getpid()]\n"
        "    print(jobs, len({pid for pid, _ in seen}), len(here), sorted({p for _, p in seen}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(dataset["root"] / "part-*.csv")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    jobs_1, jobs_2 = done.stdout.splitlines()
    assert jobs_1 == f"1 1 {N_FILES} [1]"  # every file here, on one thread
    _, processes, here, pools = jobs_2.split(" ", 3)
    assert (processes, pools) == ("2", "[1]") and 1 <= int(here) < N_FILES


def _how_a_worker_reads(data_file: object) -> tuple[int, set[str], bool]:
    """The rows of a file as a worker process reads them, the Python threads that read its
    frames, and whether Polars' streaming engine (which reads the next batches on threads
    of its own while the losses compute) was used (run in the worker by map_files)."""
    import threading

    import polars

    from losscli.inputs.dataset import open_file
    from losscli.inputs.table import TableSource, choose_columns

    streamed = []
    collect_batches = polars.LazyFrame.collect_batches

    def recorded_collect_batches(self: object, *args: object, **kwargs: object) -> object:
        streamed.append(True)
        return collect_batches(self, *args, **kwargs)

    polars.LazyFrame.collect_batches = recorded_collect_batches
    reader = open_file(data_file)
    frames = reader.frames
    readers = set()

    def recorded_frames(columns: list[int], **options: bool) -> object:
        for frame in frames(columns, **options):
            readers.add(threading.current_thread().name)
            yield frame

    reader.frames = recorded_frames
    selection = choose_columns(reader.names, "y_true", "y_pred", None)
    source = TableSource(reader, selection, skip_missing=False)
    rows = sum(batch.y_pred.shape[0] for batch in source.batches())
    return rows, readers, bool(streamed)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_worker_of_one_core_reads_and_computes_in_turn(monkeypatch, dataset, jobs):
    """A worker whose share is one core has one busy thread: it reads a batch, then computes
    it. Not a thread reading the next frames meanwhile (losscli's prefetch, or Polars'
    streaming engine), which made a Parquet --jobs 1 take 1.35 cores."""
    from losscli.cli import scale
    from losscli.inputs.dataset import expand

    root = dataset["root"]
    files = expand([str(root / "part-0.csv"), str(root / "hive")])
    monkeypatch.setattr(scale, "cores", lambda: 2)
    seen = scale.map_files(_how_a_worker_reads, [(f,) for f in files], jobs)
    assert [rows for rows, _, _ in seen] == [ROWS] * (N_FILES + 1)
    assert all(readers == {"MainThread"} for _, readers, _ in seen)
    assert not any(streamed for *_, streamed in seen)


def _modules_of_a_worker(data_file: object) -> tuple[int, list[str]]:
    """The command line's modules that a worker process has imported once it has reduced a
    file (run in the worker by map_files), and the worker's process id."""
    import os
    import sys

    from losscli.cli.common import InputOptions
    from losscli.cli.worker import file_states
    from losscli.core.evaluation.requests import make_request
    from losscli.core.evaluation.states import identity_of

    file_states(data_file, InputOptions(), [identity_of(make_request("mse"))], [False], "loss")
    modules = ("typer", "click", "rich", "losscli.cli.scale")
    return os.getpid(), [name for name in modules if name in sys.modules]


def test_a_worker_imports_what_reading_a_file_needs_and_not_the_command_line(monkeypatch, dataset):
    """A worker is a fresh Python: each module it imports is CPU time that every --jobs
    command pays per worker before its first file."""
    import os

    from losscli.cli import scale
    from losscli.inputs.dataset import expand

    files = expand([str(dataset["root"] / "part-*.csv")])[:3]
    monkeypatch.setattr(scale, "cores", lambda: 3)
    seen = scale.map_files(_modules_of_a_worker, [(f,) for f in files], 3)
    in_workers = [modules for pid, modules in seen if pid != os.getpid()]
    assert in_workers == [[], []]  # the workers take the first two files, this one the third


def test_without_jobs_one_file_is_read_here_on_every_core(monkeypatch, dataset):
    """No --jobs over one file: no worker is started; this process computes with its own
    pools (Polars' of a thread per core)."""
    import os

    from losscli.cli import scale
    from losscli.inputs.dataset import expand

    files = expand([str(dataset["root"] / "part-0.csv")])
    monkeypatch.setattr(scale, "cores", lambda: pl.thread_pool_size())
    (seen,) = scale.map_files(_threads_in_worker, [(files[0],)], None)
    assert seen[:2] == (os.getpid(), pl.thread_pool_size())


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_every_jobs_prints_the_same_bits(cli, dataset, kind):
    """--jobs 1, 2, 3, 8 and none: the states merge in file order in the same tree, so the
    printed value (compute, and compare's table) is the same to the last bit."""
    root = dataset["root"]
    where = str(root / "part-*.csv") if kind == "csv" else str(root / "hive")
    for args in (["compute", "mse", "--json"], ["compare", "mse", "mae", "huber", "--json"]):
        outputs = set()
        for jobs in (None, 1, 2, 3, 8):
            run = cli(*args, where, *(["--jobs", str(jobs)] if jobs else []))
            assert run.exit_code == 0, run.output
            outputs.add(run.stdout)
        assert len(outputs) == 1, outputs


def test_a_glob_and_a_directory_read_the_same_files(cli, dataset):
    root = dataset["root"]
    by_glob = cli("compute", "mse", str(root / "part-*.csv"), "--json", "-j", "1")
    files = [str(root / f"part-{k}.csv") for k in range(N_FILES)]
    by_list = cli("compute", "mse", *files, "--json", "-j", "1")
    assert by_glob.exit_code == 0
    assert by_glob.json()["n"] == N_FILES * ROWS
    assert by_glob.json()["value"] == by_list.json()["value"]


def test_hive_partitions_are_columns(cli, dataset):
    """`w=3/` gives every row under it the column w = 3: here the weight."""
    hive = str(dataset["root"] / "hive")
    run = cli("compute", "mse", hive, "-t", "y_true", "-p", "y_pred", "--weight", "w", "-j", "2")
    assert run.exit_code == 0, run.stderr
    expected = _fsum_mse(dataset["whole"], weighted=True)
    assert float(run.stdout) == pytest.approx(expected, rel=1e-15)


def test_state_then_merge_gives_the_one_pass_value(cli, dataset, tmp_path):
    root = dataset["root"]
    paths = []
    for k in range(N_FILES):
        run = cli("compute", "mse", str(root / f"part-{k}.csv"), "--state")
        assert run.exit_code == 0
        state = json.loads(run.stdout)
        assert state["format"] == "losscli-state" and state["version"] == 1
        assert state["loss"] == "mse" and state["columns"]["pred"] == ["y_pred"]
        path = tmp_path / f"s{k}.json"
        path.write_text(run.stdout)
        paths.append(str(path))
    merged = cli("merge", *paths, "--json")
    assert merged.exit_code == 0
    doc = merged.json()
    assert doc["n"] == N_FILES * ROWS and doc["loss"] == "mse"
    assert doc["value"] == pytest.approx(_fsum_mse(dataset["whole"]), rel=1e-15)
    # One state per line on stdin, as `xargs -P ... | losscli merge -` gives them.
    piped = cli("merge", "-", input="".join(Path(p).read_text() for p in paths))
    assert float(piped.stdout) == doc["value"]
    summed = cli("merge", *paths, "--reduction", "sum")
    assert float(summed.stdout) == pytest.approx(doc["value"] * N_FILES * ROWS, rel=1e-15)


def test_merge_refuses_states_of_another_loss_parameter_or_version(cli, dataset, tmp_path):
    part = str(dataset["root"] / "part-0.csv")
    states = {}
    for name, args in {
        "huber1": ("huber", "--delta", "1"),
        "huber2": ("huber", "--delta", "2"),
        "mae": ("mae",),
    }.items():
        path = tmp_path / f"{name}.json"
        path.write_text(cli("compute", *args, part, "--state").stdout)
        states[name] = str(path)
    run = cli("merge", states["huber1"], states["huber2"])
    assert run.exit_code == 3 and run.stdout == ""
    assert "huber2.json: computed with another params" in run.stderr
    run = cli("merge", states["huber1"], states["mae"])
    assert run.exit_code == 3 and "another loss" in run.stderr
    old = tmp_path / "old.json"
    old.write_text(Path(states["mae"]).read_text().replace('"version":1', '"version":0'))
    run = cli("merge", states["mae"], str(old))
    assert run.exit_code == 3 and run.stdout == ""
    assert "old.json: state version 0; this losscli reads version 1" in run.stderr
    run = cli("merge", str(tmp_path / "none.json"))
    assert run.exit_code == 2 and "none.json: no such file" in run.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_errors_name_the_file_and_print_nothing(cli, dataset, tmp_path, jobs):
    root = dataset["root"]
    good = str(root / "part-0.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("y_true,y_pred\n1,2\n3,oops\n")
    other = tmp_path / "other.csv"
    other.write_text("label,score\n1,2\n")
    corrupt = tmp_path / "corrupt.parquet"
    data = (dataset["root"] / "hive" / "w=1" / "part-0.parquet").read_bytes()
    corrupt.write_bytes(data[:-12] + b"\0" * 8 + data[-4:])  # the footer's length is wrong
    cases = {
        (good, str(bad)): "bad.csv: row 2, column 'y_pred': 'oops' is not a number",
        (good, str(other)): "other.csv: another schema",
        (good, str(corrupt)): "corrupt.parquet: not a readable Parquet file",
    }
    for files, message in cases.items():
        run = cli("compute", "mse", *files, "--jobs", jobs)
        assert run.exit_code == 3, (files, run.stderr)
        assert run.stdout == ""
        assert message in run.stderr
        assert len(run.stderr.strip().splitlines()) <= 2  # the error, and a column note
    missing = cli("compute", "mse", good, str(tmp_path / "missing.csv"), "--jobs", jobs)
    assert missing.exit_code == 2 and missing.stdout == ""  # a usage error, as in Click
    assert "missing.csv: no such file" in missing.stderr


def test_an_fsspec_url_is_read_like_a_file(cli, dataset, monkeypatch):
    """fsspec's in-memory filesystem stands in for s3:// and gs:// (no network in tests).
    It lives in this process only, so the files are read here: --jobs 1 on a one-core
    machine (elsewhere --jobs 1 is a worker process of one thread)."""
    import fsspec

    from losscli.cli import scale

    monkeypatch.setattr(scale, "cores", lambda: 1)
    fs = fsspec.filesystem("memory")
    root = dataset["root"]
    for k in range(N_FILES):
        fs.pipe(f"/preds/date=2024-01-0{k + 1}/part.csv", (root / f"part-{k}.csv").read_bytes())
    try:
        remote = cli("compute", "mse", "memory://preds", "-j", "1", "--json")
        local = cli("compute", "mse", str(root / "part-*.csv"), "-j", "1", "--json")
        assert remote.exit_code == 0, remote.stderr
        assert remote.json()["value"] == local.json()["value"]
        assert remote.json()["n"] == N_FILES * ROWS
        missing = cli("compute", "mse", "memory://nowhere/x.csv", "-j", "1")
        assert missing.exit_code == 2 and "memory://nowhere/x.csv: no such file" in missing.stderr
    finally:
        fs.rm("/preds", recursive=True)


def _workers_of(pid: int) -> list[int]:
    """The multiprocessing workers (spawned) among a process's children (started by any of
    its threads: the pool starts them from the thread that hands out their tasks)."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children.extend((task / "children").read_text().split())
        except FileNotFoundError:  # a thread that ended
            continue
    found = []
    for child in map(int, children):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in command:
            found.append(child)
    return found


def test_a_worker_that_dies_is_an_error_naming_the_files(dataset, tmp_path):
    """A worker killed while it waits on a file (a FIFO nobody writes; the workers take the
    first files, this process the next): exit 3, one line naming the file, nothing on
    stdout."""
    import os
    import signal
    import subprocess
    import sys
    import time

    fifo = tmp_path / "stuck.csv"
    os.mkfifo(fifo)
    good = str(dataset["root"] / "part-0.csv")
    process = subprocess.Popen(
        [sys.executable, "-m", "losscli", "compute", "mse", str(fifo), good, "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline and not workers:
            time.sleep(0.2)
            workers = _workers_of(process.pid)
        assert workers, "no worker process started"
        time.sleep(1.0)  # the good file is read; the FIFO's reader waits
        for worker in workers:
            os.kill(worker, signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 3, stderr
    assert stdout == ""
    assert "a worker process died while the files were read" in stderr
    assert "stuck.csv" in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_compare_over_many_files_equals_compare_over_their_concatenation(cli, dataset):
    root = dataset["root"]
    whole = cli(
        "compare",
        "mse",
        "mae",
        "huber",
        str(root / "whole.csv"),
        "-t",
        "y_true",
        "-p",
        "y_pred",
        "--json",
    )
    many = cli("compare", "mse", "mae", "huber", str(root / "part-*.csv"), "-j", "2", "--json")
    assert whole.exit_code == many.exit_code == 0, many.stderr
    got, want = many.json(), whole.json()
    assert got["n"] == want["n"] == N_FILES * ROWS
    for mine, theirs in zip(got["losses"], want["losses"], strict=True):
        assert mine["loss"] == theirs["loss"]
        for key in ("value", "top_1pct_share", "max_abs_grad"):
            assert mine[key] == pytest.approx(theirs[key], rel=1e-15), (mine["loss"], key)
    # --all leaves out, silently, the losses whose domain does not fit the first file.
    every = cli("compare", "--all", str(root / "part-*.csv"), "-j", "1", "--json")
    assert every.exit_code == 0, every.stderr
    names = [r["loss"] for r in every.json()["losses"]]
    assert "mse" in names and "binary-cross-entropy" not in names
    assert every.json()["warnings"] == []


def test_compare_per_example_reads_one_table(cli, dataset):
    run = cli("compare", "mse", str(dataset["root"] / "part-*.csv"), "--per-example")
    assert run.exit_code == 2 and "--per-example prints the rows of one table" in run.stderr


def test_weighted_grad_mean_scales_every_block_by_the_whole_weight(cli, tmp_path):
    """grad --reduction mean with --weight: row i is w_i * 2 (p_i - y_i) / sum(w) (here
    sum(w) = 8), however many blocks the table is read in (LOSSCLI_CHUNK_BYTES=10: a row
    a block). Each block was once divided by its own weight sum."""
    table = tmp_path / "w.csv"
    table.write_text("y_true,y_pred,w\n0,1,1\n0,2,1\n0,3,2\n0,4,4\n")
    expected = ["0.25", "0.5", "1.5", "4.0"]
    for chunk in ("10", "1000000"):
        run = cli(
            "grad",
            "mse",
            str(table),
            "--weight",
            "w",
            "--reduction",
            "mean",
            "-f",
            "plain",
            env={"LOSSCLI_CHUNK_BYTES": chunk},
        )
        assert run.exit_code == 0, run.stderr
        assert run.lines() == expected, chunk


def test_recommend_profiles_many_files_as_their_concatenation(cli, dataset):
    root = dataset["root"]
    whole = cli("recommend", str(root / "whole.csv"), "-t", "y_true", "-p", "y_pred", "--json")
    many = cli("recommend", str(root / "part-*.csv"), "-j", "2", "--json")
    assert whole.exit_code == many.exit_code == 0, many.stderr
    got, want = many.json(), whole.json()
    assert got["profile"]["rows"] == want["profile"]["rows"] == N_FILES * ROWS
    assert got["profile"]["source"].startswith(f"{N_FILES} files (")
    for key in ("median", "scale", "tail_share", "quartile_skew", "robust_stats", "outliers"):
        assert got["profile"][key] == want["profile"][key], key  # exact: held in memory
    for key in ("mean", "std", "skew", "excess_kurtosis"):
        assert got["profile"][key] == pytest.approx(want["profile"][key], rel=1e-12), key
    assert got["recommendations"] == want["recommendations"]


def test_recommend_names_the_file_of_another_schema(cli, dataset, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("label,score\n1,2\n3,4\n")
    run = cli("recommend", str(dataset["root"] / "part-0.csv"), str(other), "-j", "1")
    assert run.exit_code == 3 and run.stdout == ""
    assert "other.csv: another schema" in run.stderr


def test_grad_and_per_example_values_over_files_are_those_of_the_concatenation(cli, dataset):
    """grad (mean: every row divided by the n of all files) and compute --reduction none read
    the files one after another; rows are numbered as in the concatenation."""
    root = dataset["root"]
    files = [str(root / f"part-{k}.csv") for k in range(N_FILES)]
    columns = ("-t", "y_true", "-p", "y_pred", "-f", "tsv")
    for args in (
        ("grad", "huber", "--reduction", "mean"),
        ("compute", "mse", "--reduction", "none"),
    ):
        many = cli(*args, *files, "-f", "tsv")
        whole = cli(*args, str(root / "whole.csv"), *columns)
        assert many.exit_code == whole.exit_code == 0, many.stderr
        assert many.stdout == whole.stdout
        assert len(many.lines()) == N_FILES * ROWS + 1


def test_per_example_errors_and_notices_name_the_file(cli, dataset, tmp_path):
    good = str(dataset["root"] / "part-0.csv")
    huge = tmp_path / "huge.csv"
    huge.write_text("y_true,y_pred\n1,2\n3,4\n5,-1e308\n")
    run = cli("compute", "mse", good, str(huge), "--reduction", "none", "-f", "tsv")
    assert run.exit_code == 0
    assert "the loss is infinite for 1 example" in run.stderr and "huge.csv: row 3)" in run.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("y_true,y_pred\n1,2\nx,4\n")
    run = cli("grad", "mse", str(bad), good)
    assert run.exit_code == 3
    assert "bad.csv: row 2, column 'y_true': 'x' is not a number" in run.stderr


@pytest.mark.parametrize("jobs", ["1", "2", "3"])
def test_the_first_bad_file_in_order_is_named_whichever_process_read_it(
    cli, dataset, tmp_path, jobs
):
    """--jobs 3: the workers read the good file and first.csv, this process second.csv,
    which may fail first; --jobs 2: this process reads first.csv; --jobs 1: every file.
    The error is the first bad file's, with its row, every time."""
    good = str(dataset["root"] / "part-0.csv")
    first = tmp_path / "first.csv"
    first.write_text("y_true,y_pred\n1,2\n3,oops\n")
    second = tmp_path / "second.csv"
    second.write_text("y_true,y_pred\nbad,2\n")
    run = cli("compute", "mse", good, str(first), str(second), "--jobs", jobs)
    assert run.exit_code == 3 and run.stdout == ""
    assert (
        run.stderr.strip()
        .splitlines()[-1]
        .endswith("first.csv: row 2, column 'y_pred': 'oops' is not a number")
    ), run.stderr


def test_the_command_line_prints_the_same_bits_for_every_jobs(cli, dataset):
    """The command line itself (its process sized to its share: Parquet read batch by batch
    on one thread, not streamed) against this process's reading on every core."""
    import subprocess
    import sys

    hive = str(dataset["root"] / "hive")
    outputs = {
        subprocess.run(
            [sys.executable, "-m", "losscli", "compute", "mse", hive, "--jobs", jobs],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        ).stdout
        for jobs in ("1", "2", "3")
    }
    assert len(outputs) == 1
    (printed,) = outputs
    assert cli("compute", "mse", hive).stdout == printed  # no --jobs, read in this process
    assert float(printed) == pytest.approx(_fsum_mse(dataset["whole"]), rel=1e-15)
