"""Fuzzing the table readers (issue 18): CSV, TSV and NDJSON bytes of any shape, read in blocks
of any size, give numbers or one InputError line; never another exception, never a hang.

Deterministic in CI (derandomize, no example database); LOSSCLI_FUZZ_EXAMPLES=5000 searches
deeper locally. Every input is small and every block size tiny, so each example is
milliseconds: the whole file stays within a few seconds.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
from collections.abc import Iterator

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losscli.core.errors import UsageError
from losscli.inputs.source import InputError
from losscli.inputs.table import open_table
from losscli.render.report import printable

FUZZ = settings(
    max_examples=int(os.environ.get("LOSSCLI_FUZZ_EXAMPLES", "150")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Pieces that the readers treat specially, so random joins of them reach the odd corners:
# quotes at block edges, CR/LF, BOM, NUL, invalid UTF-8, JSON syntax, number spellings.
TOKENS = [
    b",",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b'"',
    b'""',
    b" ",
    b"\xef\xbb\xbf",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"1",
    b"-2.5",
    b"1e308",
    b"1e999",
    b"nan",
    b"inf",
    b"1_0",
    b"\xef\xbc\x91",
    b"x",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b'"a"',
    b'"y"',
    b"null",
    b"true",
    b"\x1b[2J",
    b"a,b\n",
    b'{"a":1,"b":2}\n',
    b'{"a":"1"}\n',
    b'"q\nq"',
]
hostile_bytes = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=40).map(b"".join),
    st.binary(max_size=120),
)


@contextlib.contextmanager
def settings_env(chunk: int, limit: int) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("LOSSCLI_CHUNK_BYTES", "LOSSCLI_MAX_LINE_BYTES")}
    os.environ["LOSSCLI_CHUNK_BYTES"] = str(chunk)
    os.environ["LOSSCLI_MAX_LINE_BYTES"] = str(limit)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def read_everything(data: bytes, fmt: str, *, allow_missing: bool = False) -> list[np.ndarray]:
    """Every column of the table as float64, through the same reader the commands use."""
    reader = open_table("-", input_format=fmt, stdin=io.BytesIO(data))
    columns = list(range(len(reader.names)))
    parts = [frame.columns for frame in reader.frames(columns, allow_missing=allow_missing)]
    return [np.concatenate([part[k] for part in parts]) if parts else np.empty(0) for k in columns]


def outcome(data: bytes, fmt: str, chunk: int, limit: int, allow_missing: bool) -> str:
    with settings_env(chunk, limit):
        try:
            columns = read_everything(data, fmt, allow_missing=allow_missing)
        except InputError as error:
            shown = printable(str(error))
            assert shown and "\n" not in shown
            return "error"
        except UsageError as error:  # --delimiter etc.: not reachable from bytes alone
            raise AssertionError(f"usage error from data: {error}") from None
    for column in columns:
        assert column.dtype == np.float64 and column.shape == columns[0].shape
    return "value"


@FUZZ
@given(
    data=hostile_bytes,
    fmt=st.sampled_from(["csv", "tsv", "ndjson"]),
    chunk=st.integers(1, 64),
    limit=st.sampled_from([8, 64, 1 << 20]),
    allow_missing=st.booleans(),
)
def test_any_bytes_give_numbers_or_one_error_line(data, fmt, chunk, limit, allow_missing):
    assert outcome(data, fmt, chunk, limit, allow_missing) in ("value", "error")


# Valid CSV with text cells holding quotes, separators and line ends, read in blocks of every
# size: the numbers come back exactly, whatever block edge falls inside a quoted cell.
numbers = st.floats(allow_nan=False, allow_infinity=False, width=64)
texts = st.text(alphabet=st.sampled_from(list('ab ,"\n\r\t;')), max_size=12)
rows = st.lists(st.tuples(numbers, texts, numbers), min_size=1, max_size=25)


@FUZZ
@given(
    rows=rows, chunk=st.integers(1, 48), delimiter=st.sampled_from([",", "\t"]), crlf=st.booleans()
)
def test_quoted_line_ends_at_block_edges_read_exactly(rows, chunk, delimiter, crlf):
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(["x", "note", "y"])
    for x, note, y in rows:
        # pandas-style: numbers bare (repr round-trips), a text cell quoted when it must be.
        writer.writerow([repr(x), note, repr(y)])
    data = out.getvalue().encode()
    with settings_env(chunk, 1 << 20):
        reader = open_table(
            "-", input_format="csv" if delimiter == "," else "tsv", stdin=io.BytesIO(data)
        )
        frames = list(reader.frames([0, 2]))
    x = np.concatenate([f.columns[0] for f in frames])
    y = np.concatenate([f.columns[1] for f in frames])
    assert x.tolist() == [r[0] for r in rows]
    assert y.tolist() == [r[2] for r in rows]


@FUZZ
@given(
    rows=st.lists(st.tuples(numbers, st.text(max_size=8)), min_size=1, max_size=20),
    chunk=st.integers(1, 48),
)
def test_ndjson_with_any_text_fields_reads_exactly(rows, chunk):
    data = "".join(json.dumps({"v": v, "s": s}) + "\n" for v, s in rows).encode()
    with settings_env(chunk, 1 << 20):
        reader = open_table("-", input_format="ndjson", stdin=io.BytesIO(data))
        frames = list(reader.frames([0]))
    assert np.concatenate([f.columns[0] for f in frames]).tolist() == [v for v, _ in rows]


CLI_FUZZ = settings(FUZZ, max_examples=max(FUZZ.max_examples // 3, 10))  # 50 in CI


@CLI_FUZZ
@given(data=hostile_bytes, fmt=st.sampled_from(["csv", "tsv", "ndjson"]), chunk=st.integers(1, 32))
def test_compute_on_any_bytes_exits_0_or_3_with_one_line(data, fmt, chunk):
    # The whole command, as `... | losscli compute mse --input-format FMT` runs it.
    from typer.testing import CliRunner

    from losscli.cli.app import app

    result = CliRunner().invoke(
        app,
        ["compute", "mse", "--input-format", fmt, "--no-progress"],
        input=data,
        env={"LOSSCLI_CHUNK_BYTES": str(chunk), "LOSSCLI_MAX_LINE_BYTES": "64"},
    )
    assert result.exit_code in (0, 3), (result.exit_code, result.stderr, result.exception)
    if result.exit_code == 3:
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert lines[-1].startswith("losscli: error: ") and result.stderr.endswith("\n")
        # Before the error only notes and warnings, each one line.
        assert all(
            line.startswith(("losscli: note: ", "losscli: warning: ")) for line in lines[:-1]
        )
    else:
        assert float(result.stdout) >= 0 or math.isnan(float(result.stdout))


def cut_blocks(data: bytes, quote: bytes | None, *, plain: bool) -> tuple[list[bytes], str]:
    """The blocks _LineBlocks cuts `data` into, and how it ended; `plain=False` turns the
    one-copy cut off, so every block goes through the general path."""
    from losscli.inputs.table import _LineBlocks

    lines = _LineBlocks(io.BytesIO(data), b"", len(data), quote=quote)
    if not plain:
        lines._plain_cut = lambda carry, data: 0  # type: ignore[method-assign]
    blocks: list[bytes] = []
    try:
        for block in lines.blocks():
            assert type(block) is bytes
            blocks.append(block)
    except Exception as error:
        return blocks, type(error).__name__
    return blocks, "end"


# Rows, blank lines and spaces: where the cut falls after them matters.
ROW_TOKENS = [b"1,2", b'{"a":1}', b"\n", b"\r\n", b"\n\n", b" ", b"\t", b'"', b'"x\ny"']
table_bytes = st.lists(st.sampled_from(ROW_TOKENS), max_size=40).map(b"".join)


@FUZZ
@given(
    data=st.one_of(hostile_bytes, table_bytes),
    quote=st.sampled_from([b'"', None]),
    chunk=st.integers(1, 64),
    limit=st.sampled_from([8, 64, 1 << 20]),
)
def test_the_one_copy_cut_makes_the_blocks_the_general_cut_makes(data, quote, chunk, limit):
    # The common case (a line end in the new bytes, no quote) is cut without copying the
    # block twice; its blocks, and so the batch edges and every sum, must be the same.
    with settings_env(chunk, limit):
        try:
            general = cut_blocks(data, quote, plain=False)
        except InputError:  # the first line alone is too long: no blocks either way
            return
        assert cut_blocks(data, quote, plain=True) == general
