"""Peer: Polars scan_csv on the file path with the streaming engine."""

import sys

import polars as pl

query = pl.scan_csv(sys.argv[1]).select(((pl.col("y_pred") - pl.col("y_true")) ** 2).mean())
print(query.collect(engine="streaming").item())
