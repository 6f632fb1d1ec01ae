"""Generate the benchmark data, deterministically (seeded), into bench/data/.

regression.csv      y_true,y_pred          10M rows by default (about 190 MB)
regression.parquet  the same rows as Parquet, regression.ndjson as NDJSON (from the CSV)
classification.csv  label,p0..p9           1M rows, 10 probability columns summing to 1

Usage: python bench/generate.py [--rows N] [--class-rows N] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl

BLOCK = 1_000_000  # rows generated and written at a time: flat memory for any size


def write_regression(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    with path.open("wb") as out:
        for start in range(0, rows, BLOCK):
            n = min(BLOCK, rows - start)
            y = rng.normal(0.0, 1.0, n)
            pred = y + rng.normal(0.0, 0.3, n)
            block = pl.DataFrame({"y_true": y, "y_pred": pred})
            block.write_csv(out, include_header=start == 0, float_precision=6)


def write_classification(path: Path, rows: int, classes: int = 10, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    with path.open("wb") as out:
        for start in range(0, rows, BLOCK):
            n = min(BLOCK, rows - start)
            labels = rng.integers(0, classes, n)
            logits = rng.normal(0.0, 1.0, (n, classes))
            logits[np.arange(n), labels] += 1.5
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            # 9 decimals keep every row's sum within 1e-8 of 1 after rounding.
            block = pl.DataFrame({"label": labels, **{f"p{k}": p[:, k] for k in range(classes)}})
            block.write_csv(out, include_header=start == 0, float_precision=9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--class-rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    write_regression(args.out / "regression.csv", args.rows)
    table = pl.scan_csv(args.out / "regression.csv")
    table.sink_parquet(args.out / "regression.parquet")
    table.sink_ndjson(args.out / "regression.ndjson")
    write_classification(args.out / "classification.csv", args.class_rows)


if __name__ == "__main__":
    main()
