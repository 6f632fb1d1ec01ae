"""Peer: Polars computes one value per row and writes it with write_csv / write_ndjson.

    python polars_per_example.py {huber,grad-mse} {csv,tsv,jsonl} [FILE]   (stdin without FILE)

The same columns as `losscli compute huber --reduction none` (delta 1) or `losscli grad mse`:
the 1-based row number and the value.
"""

import sys

import polars as pl

what, fmt = sys.argv[1], sys.argv[2]
source = sys.argv[3] if len(sys.argv) > 3 else sys.stdin.buffer
frame = pl.read_csv(source)
residual = pl.col("y_pred") - pl.col("y_true")
if what == "huber":
    column = pl.when(residual.abs() <= 1.0)
    column = column.then(0.5 * residual * residual).otherwise(residual.abs() - 0.5)
    name = "value"
else:
    column, name = 2.0 * residual, "grad"
out = frame.select(column.alias(name)).with_row_index("row", offset=1)
if fmt == "jsonl":
    out.write_ndjson(sys.stdout.buffer)
else:
    out.write_csv(sys.stdout.buffer, separator="," if fmt == "csv" else "\t")
