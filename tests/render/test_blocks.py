"""Per-example output written a batch at a time (losscli/render/blocks.py).

Floats are written as Polars' writers write them (the contract in docs/design.md): the
shortest round-trip digits, which differ from `repr` only in spelling (`1e-7` for `1e-07`,
`0.00001` for `1e-05`). The references: the row-at-a-time path of `emit` (format_number per
cell) must give the same numbers bit for bit and the same non-finite cells; big blocks
(Polars' writers) and small ones (joined in Python) must give the same bytes; every float
must parse back to the identical float64.
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
NON_FINITE = ("nan", "inf", "-inf")


def random_floats(n: int, seed: int) -> np.ndarray:
    """Every kind of float64: random bit patterns (subnormals, huge, tiny), ordinary values,
    the edges of the positional ranges, signed zeros and the non-finite ones."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True).view(np.float64)
    special = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]
    special += [1e-4, 9.999999999999999e-05, 1e16, 9999999999999998.0, -1e16, 0.1, 1.0]
    special += [1e-5, 1.5e-5, 9.999999999999999e-06, -1.5e-5, 1e-7, 1e17, 1e15, 1e22, 1e23]
    special += [123456789012345.6, 0.30000000000000004, 2.0**53, 2.0**53 + 2, -(2.0**63)]
    special += [float("inf"), float("-inf"), float("nan")]
    ordinary = rng.normal(0.0, 1.0, n) * 10.0 ** rng.integers(-8, 20, n)
    return np.concatenate([bits, ordinary, np.array(special)])


def hard_doubles() -> np.ndarray:
    """Finite doubles where float-to-text goes wrong if it can: every power of ten and its
    two neighbours, both signs; integers; subnormals; the extremes."""
    powers = 10.0 ** np.arange(-323, 309)
    near = np.concatenate([powers, np.nextafter(powers, 0), np.nextafter(powers, np.inf)])
    integers = np.concatenate([np.arange(-100, 101.0), 2.0 ** np.arange(0, 1024)])
    subnormal = np.random.default_rng(17).integers(1, 2**52, 500, dtype=np.uint64)
    values = np.concatenate([near, -near, integers, subnormal.view(np.float64)])
    values = np.concatenate([values, [5e-324, 1.7976931348623157e308, -0.0, 0.0]])
    return values[np.isfinite(values)]


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


def cell(text: str) -> object:
    """A written number as what it means: the float64's bits, or the non-finite word."""
    if text in NON_FINITE:
        return text
    if "." in text or "e" in text:
        return np.float64(float(text)).view(np.uint64).item()
    return int(text)


def json_cell(value: object) -> object:
    if isinstance(value, float):
        return np.float64(value).view(np.uint64).item()
    return value


def meaning(text: str, fmt: str) -> list[object]:
    """The rows of a text as numbers (bits) and words, its header line kept as text."""
    if fmt == "jsonl":
        return [
            {k: json_cell(v) for k, v in json.loads(line).items()} for line in text.splitlines()
        ]
    separator = "," if fmt == "csv" else "\t"
    lines = text.splitlines()
    header = lines[:1] if fmt in ("csv", "tsv") else []
    return header + [tuple(cell(c) for c in line.split(separator)) for line in lines[len(header) :]]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("rows", [7, 5000])  # joined in Python / formatted by Polars
def test_block_output_means_the_row_by_row_output(fmt, rows, capsys):
    values = random_floats(rows, seed=rows)[:rows]
    values[:3] = [float("nan"), -0.0, float("inf")]
    block = Block(np.arange(1, rows + 1), values.reshape(-1, 1))
    columns = ("row", "value")
    ours = block_text(block, columns, fmt)
    if fmt == "jsonl":  # strict JSON: null where the row writer has null too
        assert meaning(ours, fmt) == [
            {k: json_cell(v) for k, v in json.loads(line).items()}
            for line in reference_text(block, columns, fmt).splitlines()
        ]
    else:
        assert meaning(ours, fmt) == meaning(reference_text(block, columns, fmt), fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_polars_writers_and_the_python_join_write_the_same_bytes(fmt, capsys):
    """Two spellings of the same digits, made independently: Polars' writers (big blocks)
    and `shortest` over repr (small blocks)."""
    values = np.concatenate([random_floats(20_000, seed=23), hard_doubles()])
    values = values[: values.size // 3 * 3].reshape(-1, 3)
    block = Block(np.arange(1, values.shape[0] + 1), values)
    columns = ("row", "a", "b", "c")
    body = block_text(block, columns, fmt).splitlines(keepends=True)
    body = body[1:] if fmt in ("csv", "tsv") else body
    assert "".join(body) == blocks._joined(block, columns, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_many_columns_and_row_numbers_with_gaps(fmt, capsys):
    n = 4000
    values = random_floats(3 * n, seed=7)[: 3 * n].reshape(n, 3)
    numbers = np.sort(np.random.default_rng(3).choice(10 * n, n, replace=False)) + 1
    block = Block(numbers, values)
    columns = ("row", "grad_a", 'odd "name", {braces}', "c")
    ours, theirs = block_text(block, columns, fmt), reference_text(block, columns, fmt)
    if fmt == "jsonl":
        assert meaning(ours, fmt) == [
            {k: json_cell(v) for k, v in json.loads(line).items()} for line in theirs.splitlines()
        ]
    else:
        assert ours.splitlines()[:1] == theirs.splitlines()[:1]  # the header as before
        assert meaning(ours, fmt) == meaning(theirs, fmt)


@pytest.mark.parametrize("rows", [50, 200_000])
def test_every_float_parses_back_to_the_identical_float64(rows):
    values = np.concatenate([random_floats(rows, seed=11), hard_doubles()])
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


def test_the_spelling_of_floats():
    # The forms docs/design.md promises, from Polars' writers (big) and Python (small).
    values = [1e-05, 1.5e-05, -9.5e-05, 1e-07, 2.5e-10, 5e-324, 1e16, 1.7976931348623157e308]
    values += [0.0001, 1e15, 1.0, -0.0, 0.1, float("nan"), -float("inf"), float("inf")]
    expected = ["0.00001", "0.000015", "-0.000095", "1e-7", "2.5e-10", "5e-324", "1e+16"]
    expected += ["1.7976931348623157e+308", "0.0001", "1000000000000000.0", "1.0", "-0.0"]
    expected += ["0.1", "nan", "-inf", "inf"]
    for n in (len(values), blocks.POLARS_FROM_ROWS):
        column = np.resize(np.array(values), n)
        text = block_text(Block(np.arange(1, n + 1), column.reshape(-1, 1)), ("row", "v"), "plain")
        assert text.splitlines()[: len(values)] == expected
    assert [blocks.shortest(v) for v in values] == expected


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


@pytest.mark.parametrize("fmt", FORMATS)
def test_hard_doubles_round_trip_through_the_command_line(fmt, tmp_path):
    """compute mae --reduction none with y_true 0 writes |y_pred - 0|: every hard double read
    from the file comes back out bit for bit, from big blocks (Polars' writers) and small
    ones (joined in Python), as the same bytes."""
    values = hard_doubles()
    path = tmp_path / "hard.csv"
    path.write_text("y_true,y_pred\n" + "".join(f"0,{v!r}\n" for v in values.tolist()))
    args = ["compute", "mae", "--reduction", "none", str(path), "-f", fmt]
    whole = run_losscli(args)
    assert whole == run_losscli(args, chunk_bytes=2048)
    lines = whole.decode().splitlines()
    if fmt == "jsonl":
        written = [json.loads(line)["value"] for line in lines]
    else:
        body = lines[1:] if fmt in ("csv", "tsv") else lines
        written = [float(line.split("," if fmt == "csv" else "\t")[-1]) for line in body]
    expected = np.abs(values - 0.0)
    assert np.array(written).view(np.uint64).tolist() == expected.view(np.uint64).tolist()


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
