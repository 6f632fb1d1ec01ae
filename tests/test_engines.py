"""Dask and Spark as engines: compute, grad --reduction mean, compare and recommend's profile
over a generated partitioned dataset, against one pass in this process (1e-12 relative).

One Dask LocalCluster (2 worker processes) and one Spark session (local[2]) serve every test
of the session; both are in the `test` extra, so these tests always run.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import time
from pathlib import Path

import cloudpickle
import numpy as np
import polars as pl
import pytest

from losscli.core import CompareState, GradState, LossState, ProfileState, make_request

REPO = Path(__file__).resolve().parent.parent

# The workers unpickle this module's functions by value: they cannot import tests/.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

DAYS = 6
ROWS = 2000
REL = 1e-12


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A Hive-partitioned Parquet dataset (date=2024-01-0k/part-0.parquet) and the same rows
    as CSV files, with the rows as arrays for the one-pass reference."""
    root = tmp_path_factory.mktemp("engines")
    rng = np.random.default_rng(2016)
    frames = []
    for day in range(1, DAYS + 1):
        y = rng.normal(5, 2, ROWS)
        p = y + rng.standard_t(3, ROWS) * 10.0 ** rng.integers(-3, 3, ROWS)
        frame = pl.DataFrame({"y_true": y, "y_pred": p, "w": rng.uniform(0.5, 2, ROWS)})
        folder = root / "hive" / f"date=2024-01-0{day}"
        folder.mkdir(parents=True)
        frame.write_parquet(folder / "part-0.parquet")
        frame.write_csv(root / f"day-{day}.csv", float_precision=17)
        frames.append(frame)
    whole = pl.concat(frames)
    arrays = {c: whole[c].to_numpy() for c in whole.columns}
    return {"root": root, "hive": str(root / "hive"), "arrays": arrays}


def _one_pass(state, arrays, weighted=False):
    state.update(arrays["y_true"], arrays["y_pred"], arrays["w"] if weighted else None)
    return state


REQUESTS = {
    "compute": lambda: LossState.empty(make_request("huber", {"delta": 1.0})),
    "grad": lambda: GradState.empty(make_request("huber", {"delta": 1.0})),
    "compare": lambda: CompareState.empty(make_request("mse")),
}


def _results(kind, state):
    if kind == "compute":
        return {"mean": state.result("mean"), "sum": state.result("sum")}
    if kind == "profile":
        profile = state.result()
        return {k: getattr(profile, k) for k in ("n", "mean", "std", "median", "scale", "skew")}
    result = state.result("mean")
    result.pop("top_share_exact", None)
    return result


def _close(got, want):
    assert set(got) == set(want)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=REL, atol=0, err_msg=key)


def _make(kind):
    return REQUESTS[kind]() if kind != "profile" else ProfileState.empty(with_pred=True)


# --- Dask ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def dask_cluster():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.parametrize("kind", ["compute", "grad", "compare", "profile"])
def test_dask_states_equal_one_pass(dask_cluster, dataset, kind):
    import dask.dataframe as dd

    from losscli.dask import reduce_dataframe

    frame = dd.read_parquet(dataset["hive"])
    assert frame.npartitions == DAYS
    with dask_cluster.as_current():
        state = reduce_dataframe(
            frame, functools.partial(_make, kind), target=["y_true"], pred=["y_pred"]
        )
    want = _one_pass(_make(kind), dataset["arrays"])
    assert state.count == DAYS * ROWS
    _close(_results(kind, state), _results(kind, want))


def test_cli_engine_dask_on_a_scheduler_equals_jobs(cli, dask_cluster, dataset):
    address = dask_cluster.scheduler.address
    hive = dataset["hive"]
    args = ("compute", "huber", "--delta", "1", "-t", "y_true", "-p", "y_pred", "--weight", "w")
    on_dask = cli(*args, hive, "--engine", "dask", "--scheduler", address, "--json")
    local = cli(*args, hive, "--jobs", "1", "--json")
    assert on_dask.exit_code == 0, on_dask.stderr
    assert local.exit_code == 0, local.stderr
    assert on_dask.json()["n"] == local.json()["n"] == DAYS * ROWS
    want = _one_pass(
        LossState.empty(make_request("huber", {"delta": 1.0})), dataset["arrays"], True
    )
    assert on_dask.json()["value"] == pytest.approx(want.result("mean"), rel=REL)
    assert local.json()["value"] == pytest.approx(want.result("mean"), rel=REL)
    csv = cli(
        "compute",
        "huber",
        "--delta",
        "1",
        str(dataset["root"] / "day-*.csv"),
        "-t",
        "y_true",
        "-p",
        "y_pred",
        "--engine",
        "dask",
        "--scheduler",
        address,
    )
    assert csv.exit_code == 0, csv.stderr
    unweighted = _one_pass(
        LossState.empty(make_request("huber", {"delta": 1.0})), dataset["arrays"]
    )
    assert float(csv.stdout) == pytest.approx(unweighted.result("mean"), rel=REL)


def test_dask_reads_key_value_folders_as_columns(cli, dask_cluster, tmp_path):
    """day=1/, day=2/ ... give a column `day`, from CSV files and from a Parquet dataset."""
    address = dask_cluster.scheduler.address
    days = str(REPO / "examples" / "days")
    local = cli("compute", "mse", days, "--weight", "day", "-j", "1")
    on_dask = cli(
        "compute", "mse", days, "--weight", "day", "--engine", "dask", "--scheduler", address
    )
    assert local.exit_code == on_dask.exit_code == 0, on_dask.stderr
    assert on_dask.stdout == local.stdout
    for folder in sorted((REPO / "examples" / "days").iterdir()):
        out = tmp_path / folder.name
        out.mkdir()
        pl.read_csv(folder / "preds.csv").write_parquet(out / "part-0.parquet")
    parquet = cli(
        "compute",
        "mse",
        str(tmp_path),
        "--weight",
        "day",
        "--engine",
        "dask",
        "--scheduler",
        address,
    )
    assert parquet.exit_code == 0, parquet.stderr
    assert parquet.stdout == local.stdout


def _dies_once(marker: str) -> LossState:
    """A state factory whose first call kills its worker process, as a crash would."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return LossState.empty(make_request("mse"))
    os.close(fd)
    os._exit(1)


def test_a_killed_worker_is_replaced_and_the_value_is_the_same(dask_cluster, dataset, tmp_path):
    import dask.dataframe as dd

    from losscli.dask import reduce_dataframe

    frame = dd.read_parquet(dataset["hive"])
    marker = str(tmp_path / "killed")
    with dask_cluster.as_current():
        state = reduce_dataframe(
            frame, functools.partial(_dies_once, marker), target=["y_true"], pred=["y_pred"]
        )
        dask_cluster.wait_for_workers(2, timeout=60)
    assert Path(marker).exists()  # a worker did die
    want = _one_pass(LossState.empty(make_request("mse")), dataset["arrays"])
    assert state.count == DAYS * ROWS
    assert state.result("mean") == pytest.approx(want.result("mean"), rel=REL)


def test_dask_errors_name_the_file_and_print_nothing(cli, dask_cluster, dataset, tmp_path):
    address = dask_cluster.scheduler.address
    good = str(dataset["root"] / "day-1.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("y_true,y_pred,w\n1,2,1\n3,oops,1\n")
    run = cli(
        "compute",
        "mse",
        good,
        str(bad),
        "-t",
        "y_true",
        "-p",
        "y_pred",
        "--engine",
        "dask",
        "--scheduler",
        address,
    )
    assert run.exit_code == 3 and run.stdout == ""
    assert "bad.csv: row 2, column 'y_pred': 'oops' is not a number" in run.stderr
    missing = cli(
        "compute",
        "mse",
        good,
        str(tmp_path / "gone.csv"),
        "--engine",
        "dask",
        "--scheduler",
        address,
    )
    assert missing.exit_code == 2 and "gone.csv: no such file" in missing.stderr


def test_parquet_files_are_split_into_partitions_of_about_block_size(monkeypatch, tmp_path):
    """A Parquet file larger than BLOCK_SIZE is read as several partitions (whole row groups),
    so a worker never holds a large file at once; the state is the one-pass state's."""
    import dask

    import losscli.dask as engine

    rng = np.random.default_rng(7)
    y = rng.normal(size=40_000)
    frame = pl.DataFrame({"y_true": y, "y_pred": y + rng.normal(size=40_000)})
    path = tmp_path / "big.parquet"
    frame.write_parquet(path, row_group_size=4_000)  # 10 row groups of 64 KB of numbers
    monkeypatch.setattr(engine, "BLOCK_SIZE", "130KB")
    data = engine.read([str(path)])
    assert 3 <= data.npartitions <= 6  # about 2 row groups each, not the file whole
    with dask.config.set(scheduler="synchronous"):
        state = engine.reduce_dataframe(
            data, REQUESTS["compute"], target=["y_true"], pred=["y_pred"]
        )
    arrays = {c: frame[c].to_numpy() for c in frame.columns}
    want = _one_pass(REQUESTS["compute"](), arrays)
    assert state.count == 40_000
    _close(_results("compute", state), _results("compute", want))


def test_a_local_cluster_has_jobs_workers_each_on_its_share_of_the_cores():
    """--engine dask --jobs 2 without --scheduler: 2 worker processes (2 cores, as --jobs 2
    counts them) of one task thread, whose thread pools (Arrow's, OpenMP's, BLAS') are one
    thread too; Arrow allocates with the system's malloc, which gives freed memory back."""
    import losscli.dask as engine

    def pools() -> tuple[int, str | None, str]:
        import pyarrow

        return (
            os.getpid(),
            os.environ.get("OMP_NUM_THREADS"),
            pyarrow.default_memory_pool().backend_name,
        )

    client = engine.client(None, 2)
    try:
        engine.wait_for_workers(client, timeout=120)
        assert sorted(client.nthreads().values()) == [1, 1]
        seen = client.run(pools)
        assert len({pid for pid, _, _ in seen.values()} | {os.getpid()}) == 3  # own processes
        assert {omp for _, omp, _ in seen.values()} == {"1"}
        assert {allocator for *_, allocator in seen.values()} == {"system"}
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()


def test_an_unreachable_scheduler_is_an_error_within_the_timeout(cli, dataset):
    start = time.monotonic()
    # Port 9 on loopback (discard): nothing listens there.
    run = cli(
        "compute",
        "mse",
        str(dataset["root"] / "day-1.csv"),
        "--engine",
        "dask",
        "--scheduler",
        "tcp://127.0.0.1:9",
    )
    assert time.monotonic() - start < 30
    assert run.exit_code == 3 and run.stdout == ""
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in run.stderr


# --- Spark --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def spark():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark import cloudpickle as spark_cloudpickle
    from pyspark.sql import SparkSession

    # Spark ships its own cloudpickle: it too must send this module's functions by value.
    spark_cloudpickle.register_pickle_by_value(sys.modules[__name__])

    session = (
        SparkSession.builder.master("local[2]")
        .appName("losscli-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.mark.parametrize("kind", ["compute", "grad", "compare", "profile"])
def test_spark_states_equal_one_pass(spark, dataset, kind):
    from losscli.spark import reduce_dataframe

    frame = spark.read.parquet(dataset["hive"])
    assert "date" in frame.columns  # the Hive partition is a column
    state = reduce_dataframe(
        frame, functools.partial(_make, kind), target=["y_true"], pred=["y_pred"]
    )
    want = _one_pass(_make(kind), dataset["arrays"])
    assert state.count == DAYS * ROWS
    _close(_results(kind, state), _results(kind, want))


# --- one-off commands stay light ----------------------------------------------------------------


def test_one_off_commands_import_no_engine(dataset):
    """compute on one file, and on many with --jobs, never imports Dask, Spark or fsspec."""
    code = (
        "import sys\n"
        "from losscli.cli.app import app\n"
        "try:\n"
        "    app(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('dask', 'distributed', 'pyspark', 'fsspec', 'pandas', 'pyarrow')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    one = str(dataset["root"] / "day-1.csv")
    for args in (["compute", "mse", one], ["compute", "mse", one, one, "-j", "1"]):
        done = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
        )
        assert done.stdout.splitlines()[-1] == "", (args, done.stdout)


# --- the README's "At scale" section ------------------------------------------------------------


def _at_scale() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return readme.split("## At scale", 1)[1].split("\n## ", 1)[0]


def test_readme_at_scale_commands_print_what_the_readme_shows(dataset):
    """Each `$ ...` line of the section is run by bash in the repository (states + merge,
    --jobs, a glob, --engine dask) and prints the value shown under it."""
    import re

    block = re.search(r"```console\n(.*?)```", _at_scale(), re.S)
    assert block is not None
    commands: list[tuple[str, list[str]]] = []
    for line in block.group(1).splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        else:
            commands[-1][1].append(line)
    assert len(commands) == 4
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    values = set()
    for command, expected in commands:
        done = subprocess.run(
            ["bash", "-c", command], capture_output=True, text=True, cwd=REPO, env=env
        )
        assert done.returncode == 0, (command, done.stderr)
        assert done.stdout.splitlines() == expected, command
        values.update(expected)
    assert len(values) == 1  # every way, the same value


def test_readme_at_scale_python_prints_the_same_value(dask_cluster, spark):
    """The section's Dask and Spark snippets, run as written (Dask on the test cluster, which
    is the default client; Spark with the test session as `spark`)."""
    import contextlib
    import io
    import re

    snippets = re.findall(r"```python\n(.*?)```", _at_scale(), re.S)
    assert len(snippets) == 2
    for code in snippets:
        shown = re.search(r"print\(state.result\(\"mean\"\)\)  # (\S+)", code)
        assert shown is not None
        out = io.StringIO()
        cwd = os.getcwd()
        os.chdir(REPO)
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(code, "README.md", "exec"), {"__name__": "readme", "spark": spark})
        finally:
            os.chdir(cwd)
        assert out.getvalue().strip() == shown.group(1)
