"""Peer: Polars' own streaming scan of the file (scan_csv, scan_parquet or scan_ndjson by
its extension), the mean squared error computed inside Polars' engine."""

import sys

import polars as pl

path = sys.argv[1]
scan = {"parquet": pl.scan_parquet, "ndjson": pl.scan_ndjson}.get(path.rsplit(".", 1)[-1])
query = (scan or pl.scan_csv)(path).select(((pl.col("y_pred") - pl.col("y_true")) ** 2).mean())
print(query.collect(engine="streaming").item())
