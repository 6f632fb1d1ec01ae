"""Benchmark losscli over many files, with the scale issue's figures and targets, in one run:
no --jobs (every core, the default), `--jobs 1` (one core: the single-process figure),
`--jobs 2`, and Dask with 2 workers, on a CSV dataset and the same rows as Parquet.

    python bench/scale.py [--files 10] [--rows 10000000] [--repeat 3] [--readme]

With --readme, the report also replaces the README's table (between the `bench/scale.py`
markers in "Speed over many files"): the table there is this script's output, never typed.

Generates `--files` files of `--rows` rows (`y_true,y_pred`) into bench/data/scale-ROWS/ (CSV
and Parquet; the issue's size, 10 x 10M rows, is 3.9 GB of CSV), then times whole processes:
the median wall time of --repeat runs (each repeat runs every command once, in turn, so a
change of load hits them alike), their CPU seconds, and the peak memory of the largest single
process (GNU time's %M: the maximum resident set size of the process and the children it
waited for; for a running cluster's workers, their own maximum).

Dask is timed twice: `--engine dask --jobs 2` as a user types it (a local cluster started and
stopped by the command), and `--engine dask --scheduler ADDRESS` on a cluster of 2 worker
processes that this script starts once (as a data engineer's cluster is already running). The
first minus the second is the price of starting and stopping a cluster. Each command's fixed
cost (a Python starting, its imports, workers spawned, a client connecting) is timed on 2
files of 1,000 rows: Dask's overhead per task is then what Dask adds to `--jobs 2` beyond
that fixed cost, divided by the tasks (one per file, as --jobs reads them; their count less
the tiny dataset's).

The load average is printed with every figure: on a shared machine, the ratios are only as
good as the cores that were free. CPU seconds / wall seconds says how many cores a command had.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOSSCLI = [sys.executable, "-m", "losscli", "compute", "mse"]
# The rows of each of the 2 files that time a command's fixed cost.
TINY = 1000


@dataclass
class Runs:
    name: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)  # user + system of the process tree
    peaks: list[float] = field(default_factory=list)  # MB
    loads: list[float] = field(default_factory=list)  # 1-minute load average at the start
    values: set[str] = field(default_factory=set)

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)


def run_once(runs: Runs, command: list[str], client=None) -> None:  # type: ignore[no-untyped-def]
    """Time one run of `command` with GNU time (%e wall, %U + %S CPU, %M peak KB); with the
    `client` of the cluster it runs on, the workers' CPU and memory count too."""
    worker_cpu, worker_peak = workers_usage(client) if client is not None else (0.0, 0.0)
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        load = os.getloadavg()[0]
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%e %U %S %M", "-o", stats.name, *command],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"{runs.name} failed: {done.stderr.strip()[-300:]}")
        wall, user, system, peak_kb = map(float, stats.read().split()[-4:])
    cpu = user + system
    if client is not None:
        cpu_after, worker_peak = workers_usage(client)
        cpu += cpu_after - worker_cpu
    runs.walls.append(wall)
    runs.cpus.append(cpu)
    runs.peaks.append(max(peak_kb / 1024, worker_peak))
    runs.loads.append(load)
    runs.values.add(done.stdout.strip())
    print(
        f"  {runs.name}: {wall:.2f} s wall, {cpu:.2f} s CPU, load {load:.1f}",
        file=sys.stderr,
    )


def generate(folder: Path, files: int, rows: int) -> tuple[Path, Path]:
    """`files` CSV files and the same rows as Parquet, of residuals ~ N(0, 0.3) around
    targets ~ N(0, 1); seeded, so a run is repeatable."""
    import numpy as np
    import polars as pl

    csv_dir, parquet_dir = folder / "csv", folder / "parquet"
    if (parquet_dir / f"part-{files - 1:02d}.parquet").exists():
        return csv_dir, parquet_dir
    csv_dir.mkdir(parents=True, exist_ok=True)
    parquet_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2016)
    for k in range(files):
        y = rng.normal(0.0, 1.0, rows)
        frame = pl.DataFrame({"y_true": y, "y_pred": y + rng.normal(0.0, 0.3, rows)})
        frame.write_csv(csv_dir / f"part-{k:02d}.csv")
        frame.write_parquet(parquet_dir / f"part-{k:02d}.parquet")
    return csv_dir, parquet_dir


def _usage() -> tuple[float, float]:
    """This process's CPU seconds and peak resident memory (MB)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def workers_usage(client) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The running cluster's workers: their CPU seconds in all, and the largest peak memory."""
    usages = client.run(_usage).values()
    return sum(cpu for cpu, _ in usages), max(peak for _, peak in usages)


def tasks(folder: Path) -> int:
    """The tasks of --engine dask over a folder: one per file (cli/dask_engine.py)."""
    from losscli.inputs.dataset import expand

    return len(expand([str(folder)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument(
        "--readme", action="store_true", help="write the report into README.md's table too"
    )
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    csv_dir, parquet_dir = generate(args.data / f"scale-{args.rows}", args.files, args.rows)
    tiny_csv, tiny_parquet = generate(args.data / f"scale-{TINY}", 2, TINY)
    size = sum(p.stat().st_size for p in csv_dir.iterdir()) / 1e6
    cores = len(os.sched_getaffinity(0))
    before = os.getloadavg()
    # The cluster a --scheduler run reuses: 2 single-threaded worker processes, as the local
    # cluster that --engine dask --jobs 2 starts.
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    address = cluster.scheduler.address
    commands = {
        "no --jobs (every core)": [],
        "--jobs 1": ["--jobs", "1"],
        "--jobs 2": ["--jobs", "2"],
        "--engine dask --jobs 2 (starts a local cluster)": ["--engine", "dask", "--jobs", "2"],
        "--engine dask --scheduler (a running cluster)": [
            "--engine",
            "dask",
            "--scheduler",
            address,
        ],
    }
    runs: dict[tuple[str, str], Runs] = {}
    datasets = (("CSV", csv_dir), ("Parquet", parquet_dir))
    tiny = {"CSV": tiny_csv, "Parquet": tiny_parquet}
    fixed = ("--jobs 2", "--engine dask --scheduler (a running cluster)")
    try:
        for _ in range(args.repeat):
            for label, folder in datasets:
                for name, options in commands.items():
                    key = (label, name)
                    runs.setdefault(key, Runs(f"{label} {name}"))
                    on_cluster = client if "--scheduler" in options else None
                    run_once(runs[key], [*LOSSCLI, str(folder), *options], on_cluster)
                for name in fixed:  # the fixed cost: 2 files of TINY rows
                    key = (label, f"{name}, 2 files of {TINY:,} rows")
                    runs.setdefault(key, Runs(f"{label} {key[1]}"))
                    options = commands[name]
                    on_cluster = client if "--scheduler" in options else None
                    run_once(runs[key], [*LOSSCLI, str(tiny[label]), *options], on_cluster)
        counts = {label: tasks(folder) for label, folder in datasets}
        tiny_counts = {label: tasks(folder) for label, folder in tiny.items()}
    finally:
        client.close()
        cluster.close()
    after = os.getloadavg()
    lines: list[str] = []

    def out(text: str = "") -> None:
        print(text)
        lines.append(text)

    out(
        f"{args.files} files x {args.rows:,} rows ({size:.0f} MB of CSV), {cores} cores; "
        f"median of {args.repeat} runs. Load average (1, 5, 15 min) before: "
        f"{before[0]:.1f} {before[1]:.1f} {before[2]:.1f}; after: "
        f"{after[0]:.1f} {after[1]:.1f} {after[2]:.1f}.\n"
    )
    out(
        "| dataset and command | wall (s), median | wall (s), all runs | CPU (s) | cores used "
        "(CPU / wall) | load at start | peak memory per process (MB) |"
    )
    out("|---|---:|---:|---:|---:|---:|---:|")
    for r in runs.values():
        walls = " ".join(f"{w:.1f}" for w in r.walls)
        loads = " ".join(f"{x:.0f}" for x in r.loads)
        out(
            f"| {r.name} | {r.wall:.2f} | {walls} | {r.cpu:.1f} | {r.cpu / r.wall:.2f} | "
            f"{loads} | {max(r.peaks):.0f} |"
        )
    out("\nRatios of the medians:\n")
    for label, _ in datasets:
        every, one = runs[(label, "no --jobs (every core)")], runs[(label, "--jobs 1")]
        two = runs[(label, "--jobs 2")]
        started = runs[(label, "--engine dask --jobs 2 (starts a local cluster)")]
        running = runs[(label, "--engine dask --scheduler (a running cluster)")]
        speedup = one.wall / two.wall
        out(
            f"- {label}: --jobs 2 is {speedup:.2f}x as fast as --jobs 1 (target >= 1.7): "
            f"{'met' if speedup >= 1.7 else 'NOT met'}; --jobs 1 used {one.cpu / one.wall:.2f} "
            f"cores and --jobs 2 {two.cpu / two.wall:.2f}; no --jobs (every core) is "
            f"{one.wall / every.wall:.2f}x as fast as --jobs 1"
        )
        for what, dask in (("a running cluster", running), ("a local cluster it starts", started)):
            slower = dask.wall / two.wall
            out(
                f"- {label}: Dask on {what} takes {slower:.2f}x the time of --jobs 2 "
                f"(target <= 1.5): {'met' if slower <= 1.5 else 'NOT met'}"
            )
        two_fixed = runs[(label, f"{fixed[0]}, 2 files of {TINY:,} rows")]
        running_fixed = runs[(label, f"{fixed[1]}, 2 files of {TINY:,} rows")]
        added = (running.wall - running_fixed.wall) - (two.wall - two_fixed.wall)
        added_cpu = (running.cpu - running_fixed.cpu) - (two.cpu - two_fixed.cpu)
        parts = counts[label] - tiny_counts[label]
        out(
            f"- {label}: Dask's overhead per task: {added / parts * 1000:.0f} ms of wall "
            f"time, {added_cpu / parts * 1000:.0f} ms of CPU ({counts[label]} tasks, one per "
            f"file; beyond the fixed cost of a Dask command on a running cluster, "
            f"{running_fixed.wall:.1f} s against {two_fixed.wall:.1f} s for --jobs 2); "
            f"starting and stopping a local cluster: {started.wall - running.wall:.1f} s"
        )
        values = {v for r in (every, one, two, started, running) for v in r.values}
        numbers = [float(v) for v in values]
        spread = (max(numbers) - min(numbers)) / abs(min(numbers))
        out(f"- {label}: every run printed {sorted(values)}: {spread:.1e} relative apart")
    peak = max(max(r.peaks) for r in runs.values())
    out(f"- largest process: {peak:.0f} MB (target < 350): {'met' if peak < 350 else 'NOT met'}")
    if args.readme:
        write_readme(lines)


START = "<!-- bench/scale.py: start (python bench/scale.py --readme writes this) -->"
END = "<!-- bench/scale.py: end -->"


def write_readme(lines: list[str]) -> None:
    """The report in place of the README's previous one, between START and END."""
    readme = HERE.parent / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    report = "\n".join(lines).strip()
    readme.write_text(f"{head}{START}\n\n{report}\n\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
