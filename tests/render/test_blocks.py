"""Per-example output written a batch at a time (losscli/render/blocks.py).

The reference is the row-at-a-time path of `emit` (format_number per cell, one write per
row), which the block writer replaces for speed: both must give the same bytes, and every
float must parse back to the identical float64.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from losscli.render import blocks
from losscli.render.blocks import Block, write_blocks
from losscli.render.emit import emit
from losscli.render.notes import start_command
from losscli.render.report import Report

FORMATS = ("csv", "tsv", "plain", "jsonl")


def random_floats(n: int, seed: int) -> np.ndarray:
    """Every kind of float64: random bit patterns (subnormals, huge, tiny), ordinary values,
    the edges of the positional range, signed zeros and the non-finite ones."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True).view(np.float64)
    special = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]
    special += [1e-4, 9.999999999999999e-05, 1e16, 9999999999999998.0, -1e16, 0.1, 1.0]
    special += [1e-5, 1.5e-5, 1e-7, 123456789012345.6, 0.30000000000000004]
    special += [float("inf"), float("-inf"), float("nan")]
    ordinary = rng.normal(0.0, 1.0, n) * 10.0 ** rng.integers(-8, 20, n)
    return np.concatenate([bits, ordinary, np.array(special)])


def reference_text(block: Block, columns: tuple[str, ...], fmt: str) -> str:
    pairs = zip(block.row_numbers.tolist(), block.values.tolist(), strict=True)
    rows = [(n, *row) for n, row in pairs]
    out = io.StringIO()
    emit(Report(payload={}, columns=columns, rows=rows, indexed=True), fmt, out=out)
    return out.getvalue()


def block_text(block: Block, columns: tuple[str, ...], fmt: str) -> str:
    out = io.StringIO()
    write_blocks([block], columns, fmt, out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("rows", [7, 5000])  # joined in Python / formatted by Polars
def test_block_output_is_the_row_by_row_output(fmt, rows, capsys):
    values = random_floats(rows, seed=rows)[:rows]
    values[:3] = [float("nan"), -0.0, float("inf")]
    block = Block(np.arange(1, rows + 1), values.reshape(-1, 1))
    assert block_text(block, ("row", "value"), fmt) == reference_text(block, ("row", "value"), fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_many_columns_and_row_numbers_with_gaps(fmt, capsys):
    n = 4000
    values = random_floats(3 * n, seed=7)[: 3 * n].reshape(n, 3)
    numbers = np.sort(np.random.default_rng(3).choice(10 * n, n, replace=False)) + 1
    block = Block(numbers, values)
    columns = ("row", "grad_a", 'odd "name", {braces}', "c")
    assert block_text(block, columns, fmt) == reference_text(block, columns, fmt)


@pytest.mark.parametrize("rows", [50, 200_000])
def test_every_float_parses_back_to_the_identical_float64(rows):
    values = random_floats(rows, seed=11)
    finite = values[np.isfinite(values)]
    block = Block(np.arange(1, finite.size + 1), finite.reshape(-1, 1))
    text = block_text(block, ("row", "value"), "csv")
    lines = text.splitlines()
    assert lines[0] == "row,value"
    parsed = np.array([float(line.split(",")[1]) for line in lines[1:]])
    assert parsed.view(np.uint64).tolist() == finite.view(np.uint64).tolist()  # -0.0 too
    # JSON lines parse back too (json reads the same shortest forms).
    jsonl = block_text(block, ("row", "value"), "jsonl").splitlines()
    again = np.array([json.loads(line)["value"] for line in jsonl])
    assert again.view(np.uint64).tolist() == finite.view(np.uint64).tolist()


def test_shortest_repr_forms():
    values = np.array([1e-05, 1.5e-05, 1e-07, 1e16, 0.0001, -0.0, float("nan"), -float("inf")])
    n = blocks.POLARS_FROM_ROWS
    column = np.resize(values, n)
    text = block_text(Block(np.arange(1, n + 1), column.reshape(-1, 1)), ("row", "v"), "plain")
    first = text.splitlines()[: values.size]
    assert first == ["1e-05", "1.5e-05", "1e-07", "1e+16", "0.0001", "-0.0", "nan", "-inf"]


def test_jsonl_non_finite_is_null_and_said_once_on_stderr(capsys):
    # A JSONL line's keys are the TSV header's, whatever its numbers (docs/design.md).
    start_command()
    n = blocks.POLARS_FROM_ROWS + 1
    column = np.ones(n)
    column[5] = column[7] = float("inf")
    lines = block_text(Block(np.arange(1, n + 1), column.reshape(-1, 1)), ("row", "value"), "jsonl")
    assert json.loads(lines.splitlines()[5]) == {"row": 6, "value": None}
    assert json.loads(lines.splitlines()[7]) == {"row": 8, "value": None}
    assert json.loads(lines.splitlines()[4]) == {"row": 5, "value": 1.0}
    assert capsys.readouterr().err.splitlines() == [
        "losscli: warning: non-finite numbers are written as null (JSON has no inf or NaN); "
        "the first: row 6, value is inf"
    ]


def test_first_rows_come_out_before_the_input_ends(tmp_path):
    """Streaming: with the writer still holding stdin open, the first batch's rows arrive."""
    env = {**os.environ, "LOSSCLI_CHUNK_BYTES": "65536"}
    process = subprocess.Popen(
        [sys.executable, "-m", "losscli", "compute", "mse", "--reduction", "none", "-f", "csv"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    rows = "".join(f"{k},{k + 0.5}\n" for k in range(20000))
    process.stdin.write(("y_true,y_pred\n" + rows).encode())
    process.stdin.flush()
    started = time.monotonic()
    header = process.stdout.readline()
    first = process.stdout.readline()
    assert header == b"row,value\n" and first == b"1,0.25\n"
    assert process.poll() is None  # still waiting for the rest of the input
    process.stdin.close()
    process.stdout.read()
    assert process.wait(timeout=60) == 0
    assert time.monotonic() - started < 60


def run_losscli(args: list[str], chunk_bytes: int | None = None) -> bytes:
    env = dict(os.environ)
    if chunk_bytes is not None:
        env["LOSSCLI_CHUNK_BYTES"] = str(chunk_bytes)
    done = subprocess.run(
        [sys.executable, "-m", "losscli", *args], capture_output=True, env=env, check=True
    )
    return done.stdout


@pytest.mark.parametrize("fmt", FORMATS)
def test_polars_path_into_stdout_bytes_equals_the_joined_path(fmt, tmp_path):
    """A big batch goes to stdout's bytes through Polars; tiny batches are joined in Python."""
    rng = np.random.default_rng(5)
    y = rng.normal(0, 1, 6000)
    p = y + rng.normal(0, 0.01, 6000)
    p[::97] = y[::97]  # exact zeros
    path = tmp_path / "t.csv"
    path.write_text(
        "y_true,y_pred\n"
        + "".join(f"{a!r},{b!r}\n" for a, b in zip(y.tolist(), p.tolist(), strict=True))
    )
    args = ["grad", "huber", str(path), "-f", fmt]
    whole = run_losscli(args)
    assert whole == run_losscli(args, chunk_bytes=4096)
    assert whole.count(b"\n") == 6000 + (fmt in ("csv", "tsv"))


def test_reader_gone_exits_141_silently_from_the_polars_path(tmp_path):
    n = 300_000
    path = tmp_path / "big.csv"
    rows = np.random.default_rng(2).normal(size=(n, 2))
    path.write_text("y_true,y_pred\n" + "\n".join(f"{a},{b}" for a, b in rows.tolist()) + "\n")
    script = (
        f"{sys.executable} -m losscli compute mse {path} --reduction none -f csv | head -2;"
        ' echo "${PIPESTATUS[0]}"'
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
    lines = done.stdout.splitlines()
    assert lines[0] == "row,value" and lines[1].startswith("1,")
    assert lines[2] == "141", done.stdout + done.stderr
    assert done.stderr == ""


def test_an_error_after_big_blocks_comes_after_their_rows():
    """Big blocks are written on a second thread while the next is computed: an error of a
    later block is raised only once every row before it is out, in order."""
    n = blocks.POLARS_FROM_ROWS

    def produced():
        for k in range(3):
            yield Block(np.arange(k * n + 1, (k + 1) * n + 1), np.full((n, 1), 0.5 + k))
        raise ValueError("bad row")

    out = io.StringIO()
    with pytest.raises(ValueError, match="bad row"):
        write_blocks(produced(), ("row", "value"), "csv", out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "row,value"
    assert lines[1:] == [f"{r},{0.5 + (r - 1) // n!r}" for r in range(1, 3 * n + 1)]


def test_a_failed_write_stops_the_reading_within_one_block():
    n = blocks.POLARS_FROM_ROWS
    taken = []

    class Gone(io.StringIO):
        def write(self, text):
            if taken:  # the header goes through; the first block's rows do not
                raise BrokenPipeError
            return super().write(text)

    def produced():
        for k in range(10):
            taken.append(k)
            yield Block(np.arange(k * n + 1, (k + 1) * n + 1), np.ones((n, 1)))

    with pytest.raises(BrokenPipeError):
        write_blocks(produced(), ("row", "value"), "csv", Gone())
    assert len(taken) <= 2
