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


@pytest.fixture(scope="session")
def many_files(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """12 files (two levels of the merge tree: 8 + 4) of rows of another scale each, as CSV
    and as Parquet, with the rows as arrays for the one-pass reference."""
    root = tmp_path_factory.mktemp("many")
    rng = np.random.default_rng(16)
    frames = []
    for k in range(12):
        rows = 500 + 37 * k
        y = rng.normal(0, 10.0 ** (k % 5 - 2), rows)
        frame = pl.DataFrame({"y_true": y, "y_pred": y + rng.standard_t(3, rows)})
        for folder, write in (("csv", "write_csv"), ("parquet", "write_parquet")):
            (root / folder).mkdir(exist_ok=True)
            getattr(frame, write)(root / folder / f"part-{k:02d}.{folder}")
        frames.append(frame)
    whole = pl.concat(frames)
    return {"root": root, "arrays": {c: whole[c].to_numpy() for c in whole.columns}}


@pytest.mark.parametrize("folder", ["csv", "parquet"])
def test_cli_engine_dask_prints_the_bits_of_jobs(cli, dask_cluster, many_files, folder):
    """compute --engine dask reads each file in a task with losscli's own readers and merges
    the files' states in a tree on the cluster: with the same pieces (one per file) as --jobs,
    the value is --jobs 2's and --jobs 1's to the last bit, and the one-pass value to 1e-12."""
    address = dask_cluster.scheduler.address
    files = str(many_files["root"] / folder)
    args = ("compute", "huber", "--delta", "0.5", files, "--json")
    on_dask = cli(*args, "--engine", "dask", "--scheduler", address)
    two = cli(*args, "--jobs", "2")
    one = cli(*args, "--jobs", "1")
    assert on_dask.exit_code == two.exit_code == one.exit_code == 0, on_dask.stderr
    assert on_dask.json() == two.json() == one.json()
    want = _one_pass(LossState.empty(make_request("huber", {"delta": 0.5})), many_files["arrays"])
    assert on_dask.json()["n"] == want.count
    assert on_dask.json()["value"] == pytest.approx(want.result("mean"), rel=REL)
    state = cli(*args[:-1], "--state", "--engine", "dask", "--scheduler", address)
    assert state.stdout == cli(*args[:-1], "--state", "--jobs", "2").stdout  # every float


@pytest.mark.parametrize("count", [1, 2, 7, 8, 9, 17, 65])
def test_merge_tree_on_the_cluster_is_merge_all_to_the_last_bit(dask_cluster, count):
    """Merge tasks of 8 states (pairwise inside) over 1 to 65 states (three levels): the same
    tree, so the same bits, as merge_all over all of them in this process (what --jobs does);
    the states are of values of very different scales, where another order of the sums
    would round differently."""
    from losscli.core.evaluation.states import merge_all
    from losscli.dask import merge_tree

    rng = np.random.default_rng(count)

    def states():
        made = []
        for k in range(count):
            state = LossState.empty(make_request("mse"))
            y = rng.normal(0, 10.0 ** (k % 7 - 3), 50)
            state.update(y, y + rng.normal(0, 1, 50))
            made.append(state)
        return made

    here = states()
    want = merge_all([LossState.from_json(s.to_json()) for s in here])
    futures = dask_cluster.scatter(here)
    got = merge_tree(dask_cluster, futures, _merge_all_of).result()
    assert got.to_json() == want.to_json()
    assert got.count == 50 * count


def _merge_all_of(*states):
    from losscli.core.evaluation.states import merge_all

    return merge_all(list(states))


def _cluster_result(client, paths, reduce_file=None, **options):
    from losscli.cli.common import InputOptions
    from losscli.cli.dask_engine import cluster_result
    from losscli.core.evaluation.states import identity_of
    from losscli.inputs.dataset import expand

    identity = identity_of(make_request("mse"))
    return cluster_result(
        client, expand(paths), InputOptions(**options), identity, "loss", reduce_file
    )


def test_a_bad_row_is_named_from_inside_a_dask_task(dask_cluster, many_files, tmp_path):
    """The error is raised by the task that reads the file, on a worker (not found again
    here), and names the file as given, the row and the column; the first bad file in order
    is the one named, however the tasks finish."""
    from losscli.inputs.source import InputError

    parts = sorted((many_files["root"] / "csv").iterdir())
    for name, cell in (("bad-a.csv", "oops"), ("bad-b.csv", "nope")):
        (tmp_path / name).write_text(f"y_true,y_pred\n1,2\n3,4\n5,{cell}\n")
    paths = [str(parts[0]), str(tmp_path / "bad-a.csv"), str(parts[1]), str(tmp_path / "bad-b.csv")]
    with pytest.raises(InputError) as raised:
        _cluster_result(dask_cluster, paths)
    assert str(raised.value) == f"{paths[1]}: row 3, column 'y_pred': 'oops' is not a number"


def test_dask_errors_name_a_relative_path_as_given(cli, dask_cluster, tmp_path, monkeypatch):
    """The workers read a file by its absolute path (a running cluster works in another
    folder); the message names it as the command line did."""
    (tmp_path / "good.csv").write_text("y_true,y_pred\n1,2\n")
    (tmp_path / "bad.csv").write_text("y_true,y_pred\n1,2\n3,oops\n")
    monkeypatch.chdir(tmp_path)
    address = dask_cluster.scheduler.address
    run = cli("compute", "mse", "good.csv", "bad.csv", "--engine", "dask", "--scheduler", address)
    assert run.exit_code == 3 and run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        "losscli: error: bad.csv: row 2, column 'y_pred': 'oops' is not a number"
    ]


def test_a_file_of_another_schema_is_named_on_dask(cli, dask_cluster, many_files, tmp_path):
    parts = sorted((many_files["root"] / "csv").iterdir())
    other = tmp_path / "other.csv"
    other.write_text("label,score\n1,2\n")
    address = dask_cluster.scheduler.address
    args = ("compute", "mse", *map(str, parts[:3]), str(other))
    on_dask = cli(*args, "--engine", "dask", "--scheduler", address)
    local = cli(*args, "--jobs", "2")
    assert on_dask.exit_code == local.exit_code == 3 and on_dask.stdout == ""
    assert f"{other}: another schema" in on_dask.stderr
    assert on_dask.stderr == local.stderr


def test_nan_skip_on_dask_equals_jobs(cli, dask_cluster, tmp_path):
    """losscli's readers run on the workers, so --nan skip, --no-header and --delimiter work
    as they do locally: the same value and the same warning."""
    (tmp_path / "a.csv").write_text("1;2\n3;\n5;4\n")
    (tmp_path / "b.csv").write_text("2;2\nnan;1\n")
    address = dask_cluster.scheduler.address
    args = ("compute", "mse", str(tmp_path), "--nan", "skip", "--no-header", "--delimiter", ";")
    on_dask = cli(*args, "--engine", "dask", "--scheduler", address)
    local = cli(*args, "--jobs", "1")
    assert on_dask.exit_code == local.exit_code == 0, on_dask.stderr
    assert on_dask.stdout == local.stdout
    assert float(on_dask.stdout) == pytest.approx(((1 - 2) ** 2 + (5 - 4) ** 2 + 0) / 3, rel=REL)
    assert "2 rows" in on_dask.stderr and on_dask.stderr == local.stderr


def _file_states_dying_once(marker, *args):
    """file_states, but its first call kills its worker process, as a crash would."""
    from losscli.cli.worker import file_states

    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return file_states(*args)
    os.close(fd)
    os._exit(1)


def test_a_killed_worker_reading_a_file_gives_the_same_value(dask_cluster, many_files, tmp_path):
    """A worker dies while reading a file: Dask runs the task again on a worker that lives,
    and the merged value is --jobs' to the last bit."""
    from losscli.cli.common import InputOptions
    from losscli.cli.scale import reduce_files
    from losscli.core.evaluation.states import identity_of
    from losscli.inputs.dataset import expand

    paths = [str(many_files["root"] / "parquet")]
    marker = str(tmp_path / "killed")
    dying = functools.partial(_file_states_dying_once, marker)
    result = _cluster_result(dask_cluster, paths, dying)
    dask_cluster.wait_for_workers(2, timeout=60)
    assert Path(marker).exists()  # a worker did die
    identity = identity_of(make_request("mse"))
    local, *_ = reduce_files(expand(paths), InputOptions(), identity, "loss", 1)
    assert result.state.count == local.count
    assert result.state.result("mean") == local.result("mean")


def test_a_local_cluster_has_jobs_workers_each_on_its_share_of_the_cores():
    """--engine dask --jobs 2 without --scheduler: 2 worker processes (2 cores, as --jobs 2
    counts them) of one task thread, whose thread pools (Polars', Arrow's, OpenMP's, BLAS')
    are one thread too; Arrow allocates with the system's malloc, which gives freed memory
    back."""
    import losscli.dask as engine

    def pools() -> tuple[int, str | None, str]:
        import polars
        import pyarrow

        assert polars.thread_pool_size() == 1
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


def test_an_unreachable_scheduler_is_an_error_within_the_timeout(cli, dataset, monkeypatch):
    import losscli.dask as engine

    # The client retries until its connect timeout: 1 s here, not the 5 s of a real run.
    monkeypatch.setattr(engine, "CONNECT_TIMEOUT", "1s")
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
