"""Parquet is read in batches of exactly 2^20 rows however Polars cuts the file (row groups,
the streaming engine's pieces): the batch edges fix the digits of the compensated sums, so
the streamed reading (several threads) and the reading in turn (a one-thread share of --jobs)
give the same batches, values and error rows."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from losscli.inputs import table
from losscli.inputs.table import ParquetReader, rebatched

BATCH = ParquetReader.ROWS_PER_BATCH
ROWS = 2 * BATCH + 12_345


def _frame(start: int, rows: int) -> pl.DataFrame:
    return pl.DataFrame({"a": np.arange(start, start + rows, dtype=np.float64)})


@pytest.mark.parametrize(
    "heights",
    [
        [7, 3, 10, 1, 9],  # pieces smaller than a batch, one crossing its edge
        [25],  # one piece of several batches
        [10, 10, 5],  # pieces that are whole batches pass as they are
        [0, 4, 0, 0, 6],  # empty pieces
        [],
    ],
)
def test_rebatched_cuts_any_pieces_into_whole_batches_in_order(heights):
    starts = np.cumsum([0, *heights])
    pieces = [_frame(int(s), h) for s, h in zip(starts, heights, strict=False)]
    batches = list(rebatched(pieces, 10))
    total = sum(heights)
    assert [b.height for b in batches] == [10] * (total // 10) + (
        [total % 10] if total % 10 else []
    )
    joined = np.concatenate([b["a"].to_numpy() for b in batches]) if batches else np.array([])
    assert joined.tolist() == list(range(total))


@pytest.fixture(scope="module")
def parquet_file(tmp_path_factory):
    """2^21 + 12,345 rows in row groups of 100,000: no batch edge falls on a group's."""
    rng = np.random.default_rng(13)
    y = rng.normal(0.0, 1.0, ROWS)
    frame = pl.DataFrame({"y_true": y, "y_pred": y + rng.normal(0.0, 0.3, ROWS)})
    path = tmp_path_factory.mktemp("parquet") / "rows.parquet"
    frame.write_parquet(path, row_group_size=100_000)
    return path, frame


def _frames(path, monkeypatch, share):
    monkeypatch.setattr(table, "SHARE_OF_THREADS", share)
    reader = ParquetReader(path, str(path))
    return list(reader.frames([0, 1]))


@pytest.mark.parametrize("share", [None, 1])
def test_parquet_batches_are_2_to_the_20_rows_streamed_or_read_in_turn(
    parquet_file, monkeypatch, share
):
    path, frame = parquet_file
    streamed = []
    collect_batches = pl.LazyFrame.collect_batches

    def recorded(self, *args, **kwargs):
        streamed.append(True)
        return collect_batches(self, *args, **kwargs)

    monkeypatch.setattr(pl.LazyFrame, "collect_batches", recorded)
    frames = _frames(path, monkeypatch, share)
    # Streamed on every core (this test process's pool has them), each batch by its own
    # query on a one-thread share.
    assert bool(streamed) == (share is None and pl.thread_pool_size() > 1)
    assert [f.first_row for f in frames] == [0, BATCH, 2 * BATCH]
    assert [f.columns[0].shape[0] for f in frames] == [BATCH, BATCH, ROWS - 2 * BATCH]
    for k, name in enumerate(("y_true", "y_pred")):
        joined = np.concatenate([f.columns[k] for f in frames])
        assert np.array_equal(joined, frame[name].to_numpy())


@pytest.mark.parametrize("share", [None, 1])
def test_a_missing_value_past_the_first_batch_is_named_by_its_row(tmp_path, monkeypatch, share):
    """Row numbers count from the file's first row, whichever batch holds the gap."""
    values = np.arange(ROWS, dtype=np.float64)
    pred = pl.Series("y_pred", values).scatter(1_500_000, None)
    path = tmp_path / "gap.parquet"
    pl.DataFrame({"y_true": values, "y_pred": pred}).write_parquet(path, row_group_size=100_000)
    with pytest.raises(table.InputError, match=r"^row 1500001, column 'y_pred': missing value$"):
        _frames(path, monkeypatch, share)
