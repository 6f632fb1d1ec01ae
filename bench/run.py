"""Benchmark losscli against the reference tools that are installed, in one run.

    python bench/run.py [--rows 10000000] [--class-rows 1000000] [--repeat 3]

Generates the data (bench/generate.py) when it is missing, then times whole processes:
wall time (best of --repeat) and peak memory (max RSS of the process tree, from
/usr/bin/time when present, else getrusage). Prints a Markdown table with each command's
ratio to losscli's own run of the same task, and checks the targets of the tables issue.
Ratios, not seconds, are the point: this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS = HERE / "peers"


@dataclass
class Result:
    name: str
    wall: float
    peak_mb: float
    output: str


def measure(name: str, shell: str, repeat: int) -> Result | None:
    """Best wall time of `repeat` runs of a shell pipeline, with its peak RSS."""
    best: Result | None = None
    timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    for _ in range(repeat):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
            command = shell
            if timer:
                # -f %M: max resident set size in KB, of the last command of the pipeline
                command = f"{timer} -f %M -o {stats.name} bash -c {sh_quote(shell)}"
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            start = time.perf_counter()
            done = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
            wall = time.perf_counter() - start
            if done.returncode != 0:
                print(f"  {name}: failed ({done.stderr.strip()[:200]})", file=sys.stderr)
                return None
            if timer:
                peak_kb = float(stats.read().strip().splitlines()[-1])
            else:
                peak_kb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
        result = Result(name, wall, peak_kb / 1024, done.stdout.strip())
        if best is None or result.wall < best.wall:
            best = result
    return best


def sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def have_module(name: str) -> bool:
    done = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True)
    return done.returncode == 0


def table(title: str, reference: Result, results: list[Result]) -> str:
    lines = [
        f"### {title}",
        "",
        "| command | wall (s) | peak memory (MB) | losscli's time / this | value |",
        "|---|---:|---:|---:|---|",
    ]
    for r in results:
        ratio = reference.wall / r.wall
        lines.append(
            f"| {r.name} | {r.wall:.2f} | {r.peak_mb:.0f} | {ratio:.2f} | {r.output[:22]} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--class-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    args = parser.parse_args()

    regression = args.data / f"regression-{args.rows}.csv"
    classification = args.data / f"classification-{args.class_rows}.csv"
    if not regression.exists() or not classification.exists():
        args.data.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=args.data) as tmp:
            subprocess.run(
                [
                    sys.executable,
                    str(HERE / "generate.py"),
                    "--rows",
                    str(args.rows),
                    "--class-rows",
                    str(args.class_rows),
                    "--out",
                    tmp,
                ],
                check=True,
            )
            os.replace(Path(tmp) / "regression.csv", regression)
            os.replace(Path(tmp) / "classification.csv", classification)

    py = sys.executable
    losscli = f"{py} -m losscli"
    mb = regression.stat().st_size / 1e6
    print(
        f"regression: {args.rows:,} rows ({mb:.0f} MB); classification: "
        f"{args.class_rows:,} rows x 10 classes; best of {args.repeat}\n"
    )

    ours_stdin = measure(
        "losscli compute mse < stdin", f"{losscli} compute mse < {regression}", args.repeat
    )
    ours_file = measure(
        "losscli compute mse FILE", f"{losscli} compute mse {regression}", args.repeat
    )
    assert ours_stdin and ours_file, "losscli itself failed"
    peers = []
    if shutil.which("mawk"):
        awk = "mawk -F, 'NR>1{d=$2-$1; s+=d*d; n++} END{printf \"%.17g\\n\", s/n}'"
        peers.append(("mawk one-liner < stdin", f"{awk} < {regression}"))
    peers.append(
        ("polars read_csv 32 MB blocks < stdin", f"{py} {PEERS / 'polars_stdin.py'} < {regression}")
    )
    peers.append(
        ("polars scan_csv streaming FILE", f"{py} {PEERS / 'polars_scan.py'} {regression}")
    )
    peers.append(("numpy.loadtxt FILE", f"{py} {PEERS / 'numpy_loadtxt.py'} {regression}"))
    if have_module("pandas") and have_module("sklearn"):
        peers.append(
            (
                "pandas.read_csv + sklearn FILE",
                f"{py} {PEERS / 'pandas_sklearn.py'} mse {regression}",
            )
        )
    measured = {name: measure(name, cmd, args.repeat) for name, cmd in peers}
    results = [ours_stdin, ours_file, *(r for r in measured.values() if r)]
    print(table("mean squared error", ours_stdin, results))

    ce = measure(
        "losscli compute ce FILE", f"{losscli} compute ce -t label {classification}", args.repeat
    )
    assert ce, "losscli itself failed"
    ce_results = [ce]
    if have_module("pandas") and have_module("sklearn"):
        peer = measure(
            "pandas.read_csv + sklearn log_loss FILE",
            f"{py} {PEERS / 'pandas_sklearn.py'} ce {classification}",
            args.repeat,
        )
        if peer:
            ce_results.append(peer)
    print()
    print(table("cross-entropy, 10 classes", ce, ce_results))

    print("\n### targets\n")
    checks = []
    polars_stdin = measured.get("polars read_csv 32 MB blocks < stdin")
    polars_scan = measured.get("polars scan_csv streaming FILE")
    mawk = measured.get("mawk one-liner < stdin")
    if polars_stdin:
        checks.append(
            ("stdin <= 1.3x polars chunked stdin", ours_stdin.wall / polars_stdin.wall, 1.3)
        )
    if mawk:
        checks.append(("stdin <= 0.5x mawk", ours_stdin.wall / mawk.wall, 0.5))
    if polars_scan:
        checks.append(("file <= 1.5x polars scan_csv", ours_file.wall / polars_scan.wall, 1.5))
    if len(ce_results) > 1:
        checks.append(("ce >= 3x faster than pandas+sklearn", ce.wall / ce_results[1].wall, 1 / 3))
    checks.append(("peak memory < 350 MB (stdin)", ours_stdin.peak_mb / 350, 1.0))
    for name, ratio, limit in checks:
        verdict = "met" if ratio <= limit else "NOT met"
        print(f"- {name}: {ratio:.2f} (limit {limit:.2f}) {verdict}")


if __name__ == "__main__":
    main()
