"""Hostile and careless tables (issue 18, issue 12 item 8), each as the user typed it.

Every outcome is a value or one `losscli: error:` line with exit 3 (exit 2 for a bad setting);
never a traceback, a hang or a crash. Real files in tmp_path, run in-process with CliRunner
or in a real process where the stream itself matters (stdin without line ends, pipes).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import subprocess
import sys
import time

import polars as pl
import pytest
from conftest import REPO, run_subprocess

from losscli.cli.errors import ExitCode


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("losscli: error:")]


def assert_bad_input(run, *fragments: str) -> str:
    """Exit 3, nothing on stdout, exactly one line on stderr, holding every fragment."""
    stderr = run.stderr if isinstance(run.stderr, str) else run.stderr.decode()
    code = getattr(run, "exit_code", getattr(run, "returncode", None))
    assert code == ExitCode.BAD_INPUT, stderr
    assert stderr.count("\n") == 1 and len(error_lines(stderr)) == 1, stderr
    for fragment in fragments:
        assert fragment in stderr, stderr
    return stderr


# --- Parquet: only numeric and boolean columns are numbers ---------------------------------


@pytest.fixture
def typed_parquet(tmp_path):
    path = tmp_path / "typed.parquet"
    pl.DataFrame(
        {
            "y_true": [1.0, 2.0],
            "date": [dt.date(2020, 1, 1), dt.date(2020, 1, 3)],
            "datetime": [dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 2)],
            "duration": [dt.timedelta(days=1), dt.timedelta(days=2)],
            "list": [[1.0], [2.0]],
            "array": pl.Series([[1.0, 2.0], [3.0, 4.0]], dtype=pl.Array(pl.Float64, 2)),
            "categorical": pl.Series(["1", "2"], dtype=pl.Categorical),
            "binary": [b"1", b"2"],
            "text": ["1", "2"],
            "flag": [True, False],
            "count": [1, 4],
            "decimal": pl.Series(["1.5", "2.5"]).cast(pl.Decimal(10, 2)),
        }
    ).write_parquet(path)
    return str(path)


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("date", "Date"),  # read as 2.0 before: the days since 1970 were the "number"
        ("datetime", "Datetime"),
        ("duration", "Duration"),
        ("list", "List"),
        ("array", "Array"),
        ("categorical", "Categorical"),
        ("binary", "Binary"),
        ("text", "String"),
    ],
)
def test_parquet_non_numeric_column_is_refused_with_its_type(cli, typed_parquet, column, kind):
    run = cli("compute", "mse", typed_parquet, "-t", "y_true", "-p", column)
    assert_bad_input(run, f"column {column!r} is of type {kind}", "not numbers")


@pytest.mark.parametrize(
    ("column", "expected"),
    # mse against y_true = [1, 2]: booleans are 1/0, integers and decimals their value.
    [("flag", (0.0 + 4.0) / 2), ("count", (0.0 + 4.0) / 2), ("decimal", (0.25 + 0.25) / 2)],
)
def test_parquet_numeric_and_boolean_columns_are_numbers(cli, typed_parquet, column, expected):
    run = cli("compute", "mse", typed_parquet, "-t", "y_true", "-p", column)
    assert run.exit_code == 0, run.stderr
    assert float(run.stdout) == expected


def test_unselected_exotic_parquet_columns_do_not_matter(cli, typed_parquet):
    run = cli("compute", "mse", typed_parquet, "-t", "y_true", "-p", "count")
    assert run.exit_code == 0 and float(run.stdout) == 2.0


def test_parquet_tiny_row_groups_read_whole_and_rows_named(cli, tmp_path):
    """A file of 1,000-row row groups: the reader puts Polars' small batches together (one
    batch per 65,536 rows); every row is read once, and a missing value in a later piece is
    named by its row in the whole file."""
    n = 150_000
    y = [float(k % 7) for k in range(n)]
    pred = [v + (0.5 if k % 3 else -1.0) for k, v in enumerate(y)]
    path = tmp_path / "groups.parquet"
    pl.DataFrame({"y_true": y, "y_pred": pred}).write_parquet(path, row_group_size=1_000)
    run = cli("compute", "mse", str(path), "-f", "json")
    assert run.exit_code == 0, run.stderr
    # Every third row (k % 3 == 0) is off by 1.0, the others by 0.5.
    thirds = (n + 2) // 3
    assert run.json()["n"] == n
    assert math.isclose(run.json()["value"], (thirds * 1.0 + (n - thirds) * 0.25) / n)
    pred[70_123] = None  # type: ignore[call-overload]
    pl.DataFrame({"y_true": y, "y_pred": pred}).write_parquet(path, row_group_size=1_000)
    run = cli("compute", "mse", str(path))
    assert_bad_input(run, "row 70124, column 'y_pred': missing value")


# --- huge fields, invalid UTF-8, lines without an end ----------------------------------------


def test_csv_field_over_128_kib(cli, tmp_path):
    big = "x" * (200 << 10)
    path = tmp_path / "big.csv"
    path.write_text(f"y_true,y_pred,note\n1,2,{big}\n3,4,a\n")
    run = cli("compute", "mse", str(path))  # an unselected huge cell is fine
    assert run.exit_code == 0 and float(run.stdout) == 1.0
    path.write_text(f"y_true,y_pred\n1,2\n1,{big}\n")
    stderr = assert_bad_input(cli("compute", "mse", str(path)), "row 2, column 'y_pred'")
    assert "(204800 characters) is not a number" in stderr and len(stderr) < 300


@pytest.mark.parametrize(
    ("text", "row"),
    [
        (b'{"y_true":1,"y_pred":2,"n":"a\xff\xfe"}\n{"y_true":1,"y_pred":3,"n":"b"}\n', 1),
        (b'{"y_true":1,"y_pred":2}\n{"y_true":1,"y_pred":3,"\xff":1}\n', 2),
        (b'{"y_true":1,"y_pred":2}\n{"y_true":1,"y_pred":"\xc3"}\n', 2),
    ],
)
def test_ndjson_with_invalid_utf8_in_any_field(cli, tmp_path, text, row):
    path = tmp_path / "bad.ndjson"
    path.write_bytes(text)
    assert_bad_input(cli("compute", "mse", str(path)), f"row {row}: not valid UTF-8")


def test_ndjson_deeply_nested_or_huge_integer_is_one_line(cli, tmp_path):
    depth = 100_000
    path = tmp_path / "deep.ndjson"
    path.write_text(
        '{"y_true":1,"y_pred":2}\n{"y_true":1,"y_pred":2,"x":' + "[" * depth + "]" * depth + "}\n"
    )
    assert_bad_input(cli("compute", "mse", str(path)), "row 2: not usable JSON (nested too deeply)")


def test_invalid_utf8_in_an_unselected_csv_column_is_harmless(cli, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"y_true,y_pred,name\n1,2,caf\xe9\n3,3,x\n")
    run = cli("compute", "mse", str(path))
    assert run.exit_code == 0 and float(run.stdout) == 0.5


def test_a_line_longer_than_the_limit_names_its_row(tmp_path):
    path = tmp_path / "long.csv"
    path.write_bytes(b"y_true,y_pred\n1,2\n3,4\n1,0." + b"5" * 5000)  # no line end at all
    done = run_subprocess("compute", "mse", str(path), env={"LOSSCLI_MAX_LINE_BYTES": "1000"})
    assert_bad_input(
        done, "row 3: longer than 1000 bytes without a line end", "LOSSCLI_MAX_LINE_BYTES"
    )
    # The same file under the default limit (64 MiB) is read: 0.555...5 is a number.
    done = run_subprocess("compute", "mse", str(path))
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) == pytest.approx((1 + 1 + (1 - 5 / 9) ** 2) / 3, rel=1e-15)


def test_stdin_without_line_ends_stops_instead_of_growing(tmp_path):
    # `losscli compute mse < /dev/zero` ran forever; now it stops once the first line is
    # longer than the limit (1 MiB here, to keep the test fast; 64 MiB by default).
    with open("/dev/zero", "rb") as zero:
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "losscli", "compute", "mse", "--input-format", "csv"],
            stdin=zero,
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(REPO), "LOSSCLI_MAX_LINE_BYTES": str(1 << 20)},
            timeout=60,
            check=False,
        )
    assert time.monotonic() - start < 60
    assert_bad_input(done, "the first line is longer than 1 MiB")


def test_a_data_line_of_nul_bytes_after_a_header(tmp_path):
    data = b"y_true,y_pred\n1,2\n" + b"\0" * (3 << 20)
    done = run_subprocess(
        "compute", "mse", input=data, env={"LOSSCLI_MAX_LINE_BYTES": str(1 << 20)}
    )
    assert_bad_input(done, "row 2: longer than 1 MiB without a line end")


def test_an_unclosed_quote_is_named_as_such(cli):
    text = 'y_true,y_pred,n\n1,2,"never closed\n' + "3,4,x\n" * 100
    run = cli(
        "compute",
        "mse",
        input=text,
        env={"LOSSCLI_MAX_LINE_BYTES": "200", "LOSSCLI_CHUNK_BYTES": "16"},
    )
    assert_bad_input(run, "row 1: a quoted field is still open after 200 bytes")


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5", "64M"])
def test_max_line_bytes_setting_is_validated(cli, value):
    run = cli("compute", "mse", input="y_true,y_pred\n1,2\n", env={"LOSSCLI_MAX_LINE_BYTES": value})
    assert run.exit_code == ExitCode.USAGE and run.stdout == ""
    assert error_lines(run.stderr) == [
        f"losscli: error: LOSSCLI_MAX_LINE_BYTES must be a whole number of bytes above 0, not {value!r}"
    ]


# --- 100k columns: everything per column is linear ---------------------------------------------


def test_a_hundred_thousand_columns(cli, tmp_path):
    width = 100_000
    names = [f"c{k}" for k in range(width)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(names) + "\n" + ",".join(["1"] * width) + "\n")
    start = time.monotonic()
    run = cli("compute", "mse", str(path), "-t", "c0", "-p", "c99999")
    # 11111 columns match c1*: class scores, rescaled to 1/11111 each; label 1 -> log(11111).
    glob = cli("compute", "ce", str(path), "-t", "c0", "-p", "c1*", "--normalize")
    regression = cli("compute", "mse", str(path), "-t", "c0", "-p", "c1*")
    elapsed = time.monotonic() - start
    assert run.exit_code == 0 and float(run.stdout) == 0.0, run.stderr
    assert glob.exit_code == 0 and float(glob.stdout) == pytest.approx(math.log(11111), rel=1e-12)
    assert_bad_input(
        regression, "columns 'c1', 'c10',", "... (11111 columns): pred must have 1 column"
    )
    assert len(regression.stderr) < 400
    # Quadratic checks took 12.6 s at 20k columns (11.4 s in the duplicate check alone), so
    # about 300 s at 100k; linear ones take about 8 s. The bound tells the two apart with room
    # for a loaded CI machine: a guard against quadratic work, not a speed test.
    assert elapsed < 120, elapsed
    path.write_text(",".join([*names, "c5"]) + "\n" + ",".join(["1"] * (width + 1)) + "\n")
    assert_bad_input(cli("compute", "mse", str(path)), "column name 'c5' appears twice")


def test_column_lists_in_messages_are_cut(cli, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{k}" for k in range(500)) + "\n" + ",".join(["1"] * 500) + "\n")
    stderr = assert_bad_input(cli("compute", "mse", str(path), "-p", "nope*"), "no column matches")
    assert "..., (500 columns)" not in stderr and "... (500 columns)" in stderr
    assert len(stderr) < 400


# --- the first bad cell, whichever reader found it; what peers accept ------------------------------


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("1_000", "'1_000'"),
        ("\uff11\uff12", "'\uff11\uff12'"),
        ("0x10", "'0x10'"),
        ("1,5", "'1,5'"),
    ],
)
def test_bad_cell_deep_in_a_big_file_is_named_exactly(cli, tmp_path, cell, shown):
    # Every row has a trailing space (accepted); row 123456 holds the bad cell. Before, both
    # gave "rows 1-300000 could not be parsed".
    rows = ["0.5,0.25 "] * 300_000
    rows[123_455] = f'0.5,"{cell} "'
    path = tmp_path / "big.csv"
    path.write_text("y_true,y_pred\n" + "\n".join(rows) + "\n")
    run = cli("compute", "mse", str(path))
    assert_bad_input(run, f"row 123456, column 'y_pred': {shown} is not a number")


def test_spaces_around_numbers_are_accepted_on_both_sides(cli):
    # As pandas and Polars' own float parsing after strip do (issue 12 item 8).
    run = cli(
        "compute",
        "mse",
        "--reduction",
        "none",
        "-f",
        "plain",
        input="y_true,y_pred\n 1 ,2 \n3,\t4\t\n",
    )
    assert run.exit_code == 0, run.stderr
    assert [float(v) for v in run.lines()] == [1.0, 1.0]
    run = cli("compute", "mse", "--y-true", " 1 , 3", "--y-pred", "2 ,4 ")
    assert run.exit_code == 0 and float(run.stdout) == 1.0


@pytest.mark.parametrize("value", ["1_000", "\uff12", "0x1"])
def test_inline_values_read_numbers_as_tables_do(cli, value):
    run = cli("compute", "mse", "--y-true", "1", "--y-pred", value)
    assert_bad_input(run, f"--y-pred, value 1: {value!r} is not a number")


@pytest.mark.parametrize("tail", ["\n\n", "\n\n\n\n", "\n \n\t\n", "\r\n\r\n"])
@pytest.mark.parametrize("chunk", ["1", "5", "1000"])
def test_trailing_blank_lines_are_ignored(cli, tail, chunk):
    run = cli(
        "compute",
        "mse",
        "--json",
        input="y_true,y_pred\n1,2\n3,3" + tail,
        env={"LOSSCLI_CHUNK_BYTES": chunk},
    )
    assert run.exit_code == 0, run.stderr
    assert run.json()["n"] == 2 and run.json()["value"] == 0.5


def test_a_blank_line_between_rows_is_named(cli):
    run = cli("compute", "mse", input="y_true,y_pred\n1,2\n\n3,3\n")
    assert_bad_input(run, "row 2: an empty line (blank lines are allowed only at the end)")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("y_true,y_pred\n1,2\n3\n0,0\n", "row 2: has 1 fields but the header has 2"),
        ("y_true,y_pred\n1,2\n\n0,0\n", "row 2: an empty line"),
        ("y_true,y_pred\n1,2\n3,x\n", "row 2, column 'y_pred': 'x' is not a number"),
    ],
)
def test_nan_skip_does_not_skip_what_it_does_not_promise(cli, text, fragment):
    # --nan skip drops rows with missing or non-finite values; a short row, a blank line or
    # text is not a missing value (before, a short row and a blank line were dropped too).
    assert_bad_input(cli("compute", "mse", "--nan", "skip", input=text), fragment)


def test_nan_skip_skips_exactly_the_promised_rows(cli, tmp_path):
    text = "y_true,y_pred,note\n1,2,\n3,,a\n,1,b\nnan,1,c\n1,inf,d\n 0 , 0 ,e\n"
    run = cli(
        "compute",
        "mse",
        "--nan",
        "skip",
        "-t",
        "y_true",
        "-p",
        "y_pred",
        "--reduction",
        "none",
        input=text,
    )
    assert run.tsv() == [{"row": "1", "value": "1.0"}, {"row": "6", "value": "0.0"}]
    assert "skipped 4 rows" in run.stderr
    path = tmp_path / "d.ndjson"
    path.write_text(
        '{"y_true":1,"y_pred":2}\n{"y_true":1,"y_pred":null}\n{"y_true":1}\n{"y_true":0,"y_pred":0}\n'
    )
    run = cli("compute", "mse", str(path), "--nan", "skip", "--json")
    assert run.json()["n"] == 2 and run.json()["value"] == 0.5


# --- quoted cells with line ends, at every block edge -------------------------------------------


def expected_mse(text: str) -> float:
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    return sum((float(r[1]) - float(r[0])) ** 2 for r in rows) / len(rows)


@pytest.mark.parametrize("chunk", ["1", "3", "7", "64", "4096"])
def test_quoted_multiline_cells_across_block_edges(cli, chunk):
    rows = [f'{k % 3},{k % 5},"line one\nline ""two""\n,{k}"' for k in range(200)]
    text = "y_true,y_pred,note\n" + "\n".join(rows) + "\n"
    run = cli(
        "compute",
        "mse",
        "-t",
        "y_true",
        "-p",
        "y_pred",
        "--json",
        input=text,
        env={"LOSSCLI_CHUNK_BYTES": chunk},
    )
    assert run.exit_code == 0, run.stderr
    assert run.json()["n"] == 200
    assert run.json()["value"] == pytest.approx(expected_mse(text), rel=1e-15)


def test_quoted_multiline_csv_past_16_mb(tmp_path):
    # The reported case: valid CSV with quoted multi-line cells failed past about 16 MB.
    cell = '"' + ("a,b\n" * 500) + '"'
    row = f"1,2,{cell}\n"
    count = (17 << 20) // len(row) + 1
    path = tmp_path / "quoted.csv"
    path.write_text("y_true,y_pred,note\n" + row * count)
    done = run_subprocess("compute", "mse", str(path), "-t", "y_true", "-p", "y_pred", "--json")
    assert done.returncode == 0, done.stderr
    assert json_of(done) == {**json_of(done), "n": count, "value": 1.0}


def json_of(done):
    import json

    return json.loads(done.stdout)


# --- streamed output on a bad row -------------------------------------------------------------


def test_streamed_rows_before_a_bad_row_stand_and_end_with_a_whole_line(tmp_path):
    rows = [f"{k % 7},{k % 3}" for k in range(200_000)]
    rows[150_000] = "1,oops"
    path = tmp_path / "late.csv"
    path.write_text("y_true,y_pred\n" + "\n".join(rows) + "\n")
    env = {"LOSSCLI_CHUNK_BYTES": str(64 << 10)}
    for command in (["compute", "mse", "--reduction", "none"], ["grad", "mse"]):
        done = run_subprocess(*command, str(path), "-f", "plain", env=env)
        assert_bad_input(done, "row 150001, column 'y_pred': 'oops' is not a number")
        out = done.stdout.decode()
        assert out == "" or out.endswith("\n")
        lines = out.splitlines()
        assert 0 < len(lines) <= 150_000
        expected = [((k % 3) - (k % 7)) ** 2 for k in range(len(lines))]
        if command[0] == "grad":
            expected = [2 * ((k % 3) - (k % 7)) for k in range(len(lines))]
        assert [float(v) for v in lines] == expected
    # All-or-nothing: the reduced value and JSON print nothing at all.
    for command in (["compute", "mse"], ["compute", "mse", "--reduction", "none", "--json"]):
        done = run_subprocess(*command, str(path), env=env)
        assert_bad_input(done, "row 150001")
        assert done.stdout == b""


# --- control characters reach the terminal escaped ---------------------------------------------


def test_control_characters_in_column_names_are_escaped(cli):
    text = "y_true,y_\x1b[31mpred\u202e\n1,2\n"
    note = cli("compute", "mse", input=text)
    assert note.exit_code == 0
    assert "'y_\\x1b[31mpred\\u202e'" in note.stderr and "\x1b" not in note.stderr
    error = cli("compute", "mse", "-p", "zz*", input=text)
    stderr = assert_bad_input(error, "columns: y_true, y_\\x1b[31mpred\\u202e")
    assert "\x1b" not in stderr and "\u202e" not in stderr
    for fmt in ("table", "tsv"):
        run = cli(
            "grad", "ce", "--logits", "-t", "y_true", "-f", fmt, input="y_true,a\x07,b\n0,1,2\n"
        )
        assert run.exit_code == 0, run.stderr
        assert "dL/dlogit[a\\x07]" in run.stdout and "\x07" not in run.stdout


def test_a_newline_in_a_cell_stays_inside_the_one_error_line(cli):
    run = cli("compute", "mse", input='y_true,y_pred\n1,"2\n\x1b[2J"\n')
    assert_bad_input(run, "row 1, column 'y_pred': '2\\n\\x1b[2J' is not a number")


# --- the terminal table is capped ------------------------------------------------------------------


def test_the_terminal_table_shows_1000_rows_and_says_how_many(cli):
    text = "y_true,y_pred\n" + "1,3\n" * 2500
    run = cli(
        "compute", "mse", "--reduction", "none", "-f", "table", input=text, env={"COLUMNS": "80"}
    )
    assert run.exit_code == 0, run.stderr
    cells = [line for line in run.stdout.splitlines() if line.startswith("│")]
    assert len(cells) == 1000 and "4.0" in cells[-1] and "1000" in cells[-1]
    assert "the table shows the first 1000 of 2500 rows" in run.stderr
    small = cli(
        "compute", "mse", "--reduction", "none", "-f", "table", input="y_true,y_pred\n1,3\n"
    )
    assert "table shows" not in small.stderr


def test_a_bad_row_beyond_the_table_cap_is_still_an_error(cli):
    text = "y_true,y_pred\n" + "1,3\n" * 1500 + "1,x\n"
    run = cli("compute", "mse", "--reduction", "none", "-f", "table", input=text)
    assert run.exit_code == 3 and "row 1501, column 'y_pred'" in run.stderr


# --- grad --reduction mean: two passes over a file -------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["mse"],
        ["mse", "--weight", "w"],
        ["rmse"],
        ["mse", "--nan", "skip"],
        ["huber", "--delta", "0.5", "--reduction", "sum"],
    ],
)
def test_grad_mean_from_a_file_equals_stdin(cli, tmp_path, args):
    rows = "".join(f"{k % 5},{(k * 7) % 11 / 3},{1 + k % 4}\n" for k in range(300))
    text = "y_true,y_pred,w\n" + rows + "1,,1\n"
    if "--nan" not in args:
        text = "y_true,y_pred,w\n" + rows
    path = tmp_path / "g.csv"
    path.write_text(text)
    reduction = [] if "--reduction" in args else ["--reduction", "mean"]
    env = {"LOSSCLI_CHUNK_BYTES": "200"}
    stdin = cli(
        "grad", *args, *reduction, "-t", "y_true", "-p", "y_pred", "-f", "tsv", input=text, env=env
    )
    file = cli(
        "grad", *args, *reduction, "-t", "y_true", "-p", "y_pred", "-f", "tsv", str(path), env=env
    )
    assert stdin.exit_code == file.exit_code == 0, file.stderr
    assert file.stdout == stdin.stdout and file.stderr == stdin.stderr
    assert len(file.tsv()) == 300
    if "--nan" in args:
        assert file.stderr.count("skipped 1 row") == 1


def test_grad_mean_from_a_file_matches_the_definition(cli, tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("a,b\n0,1\n0,2\n0,4\n")
    run = cli("grad", "mse", str(path), "--reduction", "mean", "--json")
    assert run.exit_code == 0 and run.stderr.count("using column") == 1
    # d/dp mean((p - y)^2) = 2 (p - y) / n
    assert run.json()["grad"] == [2 * 1 / 3, 2 * 2 / 3, 2 * 4 / 3]
    assert not math.isnan(run.json()["grad"][0])


def test_grad_weighted_mean_divides_by_the_weight_total_of_every_block(cli, tmp_path):
    # Each row's share is w / sum(w) over the whole table, not over its 200-byte block (the
    # held path had the per-block total too, for inputs longer than one block).
    rows = [(k % 5, (k * 7) % 11 / 3, 1 + k % 4) for k in range(300)]
    path = tmp_path / "w.csv"
    path.write_text("y_true,y_pred,w\n" + "".join(f"{t},{p},{w}\n" for t, p, w in rows))
    total = sum(w for _, _, w in rows)  # 750
    expected = [w * 2 * (p - t) / total for t, p, w in rows]
    for source in ([str(path)], ["-"]):
        run = cli(
            "grad",
            "mse",
            *source,
            "--input-format",
            "csv",
            "-t",
            "y_true",
            "-p",
            "y_pred",
            "--weight",
            "w",
            "--reduction",
            "mean",
            "--json",
            input=path.read_text(),
            env={"LOSSCLI_CHUNK_BYTES": "200"},
        )
        assert run.exit_code == 0, run.stderr
        assert run.json()["grad"] == pytest.approx(expected, rel=1e-13, abs=1e-18)


def test_recommend_profile_shows_an_escaped_column_name(cli):
    run = cli("recommend", "-t", "1", "-f", "table", input="y_\x1b[31mtrue,y_pred\n1,2\n0,1\n")
    assert run.exit_code == 0, run.stderr
    assert "target: y_\\x1b[31mtrue" in run.stdout and "\x1b[31mtrue" not in run.stdout


def test_grad_mean_from_a_file_still_stops_early_under_head(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("y_true,y_pred\n" + "".join(f"{k % 3},{k % 7 + 1}\n" for k in range(200_000)))
    script = (
        f"{sys.executable} -m losscli grad mse {path} --reduction mean -f plain | head -2;"
        ' echo "${PIPESTATUS[0]}"'
    )
    done = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    # Rows 1 and 2: 2 (p - y) / n = 2 * 1 / 200000; then head closes the pipe: exit 141.
    assert done.stdout.splitlines() == ["0.00001", "0.00001", "141"], done.stdout
    assert done.stderr == ""


def test_a_line_past_the_default_limit_is_exit_3_not_a_rust_abort():
    # A 300 MB line without a line end aborted with exit 134 and a Rust backtrace; past the
    # default 64 MiB the reader stops first (65 MiB here, to keep the test light).
    data = b"y_true,y_pred\n1," + b"1" * (65 << 20)
    done = run_subprocess("compute", "mse", input=data)
    assert_bad_input(done, "row 1: longer than 64 MiB without a line end")


def test_one_quoted_cell_with_millions_of_line_ends(cli, tmp_path):
    # The block cutter jumps over a quoted stretch in one step, not line end by line end.
    path = tmp_path / "cell.csv"
    path.write_text('y_true,y_pred,note\n1,2,"' + "a\n" * (2 << 20) + '"\n3,5,x\n')
    start = time.monotonic()
    run = cli(
        "compute",
        "mse",
        str(path),
        "-t",
        "y_true",
        "-p",
        "y_pred",
        "--json",
        env={"LOSSCLI_CHUNK_BYTES": str(64 << 10)},
    )
    assert time.monotonic() - start < 30
    assert run.exit_code == 0, run.stderr
    assert run.json()["n"] == 2 and run.json()["value"] == (1 + 4) / 2


def test_a_non_ascii_delimiter_is_refused_in_one_line(cli):
    # Polars takes a one-byte separator: 'é' (two bytes in UTF-8) crashed with exit 70.
    run = cli("compute", "mse", "--delimiter", "é", input="aéb\n1é2\n")
    assert_bad_input(run, "--delimiter must be one ASCII character, not 'é'")


@pytest.mark.parametrize("chunk", ["1", "7", "64", "100000"])
def test_the_line_limit_is_exact_wherever_blocks_fall(cli, tmp_path, chunk):
    path = tmp_path / "mid.csv"
    path.write_text("y_true,y_pred\n1,2\n3,4\n1,0." + "5" * 150 + "\n5,6\n")  # row 3: 154 bytes
    env = {"LOSSCLI_CHUNK_BYTES": chunk}
    run = cli("compute", "mse", str(path), "--json", env={**env, "LOSSCLI_MAX_LINE_BYTES": "154"})
    assert run.exit_code == 0 and run.json()["n"] == 4, run.stderr
    run = cli("compute", "mse", str(path), env={**env, "LOSSCLI_MAX_LINE_BYTES": "153"})
    assert_bad_input(run, "row 3: longer than 153 bytes")
