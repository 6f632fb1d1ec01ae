"""Issue 19, "every screen size": a terminal table never truncates or wraps a number.

Each command is run as a user types it with `-f table --color never` at COLUMNS=40, 80 and 200:
every line fits the width, no "…" touches a digit, and each number is printed whole on one line
(checked against a value computed here or against the same command's TSV/JSON output).
Below the width a table needs, a one-row table turns into a key/value list and a longer one
leaves out its least important columns, naming them in a note line.
"""

from __future__ import annotations

import csv
import math
import re

import pytest

from losscli.core.losses.registry import all_losses
from losscli.render.fit import is_number

WIDTHS = (40, 80, 200)
ELLIPSIS_BY_DIGIT = re.compile(r"\d…|…\d")
LEFT_OUT = re.compile(r"\(columns left out at this width: (.*?); -f tsv shows them all\)")


def _table(cli, width: int, *args: str):
    run = cli(*args, "-f", "table", "--color", "never", env={"COLUMNS": str(width)})
    assert run.exit_code == 0, run.stderr
    for line in run.lines():
        assert len(line) <= width, (width, line)
    assert not ELLIPSIS_BY_DIGIT.search(run.stdout), run.stdout
    return run


def _cells(line: str, border: str) -> list[str]:
    return [cell.strip() for cell in line.strip()[1:-1].split(border)]


def _parse(text: str) -> tuple[list[str], list[list[str]]]:
    """Headers and body rows of a boxed Rich table whose rows each take one line (headers may
    take several: their words are joined again)."""
    header_lines = [_cells(line, "┃") for line in text.splitlines() if line.startswith("┃")]
    headers = [" ".join(filter(None, parts)) for parts in zip(*header_lines, strict=True)]
    rows = [_cells(line, "│") for line in text.splitlines() if line.startswith("│")]
    return headers, rows


def _left_out(text: str) -> list[str]:
    match = LEFT_OUT.search(" ".join(line.strip() for line in text.splitlines()))
    return match.group(1).split(", ") if match else []


@pytest.mark.parametrize("width", WIDTHS)
def test_one_value_is_whole_at_every_width(cli, width: int) -> None:
    run = _table(cli, width, "compute", "cross-entropy", "--y-true", "2", "--y-pred", "0.1,0.2,0.7")
    # Cross-entropy of one example is -log p[y] (docs/design.md), here -log(0.7).
    expected = repr(-math.log(0.7))
    assert expected == "0.35667494393873245"
    assert any(expected in line for line in run.lines()), run.stdout
    assert "cross-entropy" in run.stdout  # the loss name is not folded either
    if width == 40:  # the row table needs 55 columns: it is shown as key and value lines
        keys = {_cells(line, "│")[0]: _cells(line, "│")[1] for line in run.lines() if "│" in line}
        assert keys == {"loss": "cross-entropy", "reduction": "mean", "n": "1", "value": expected}


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_keeps_every_number_and_names_what_it_leaves_out(cli, width: int) -> None:
    args = ("compare", "mse", "mae", "huber", "examples/residuals_outliers.csv")
    records = cli(*args, "--json").json()["losses"]
    run = _table(cli, width, *args)
    headers, rows = _parse(run.stdout)
    left_out = _left_out(run.stdout)
    assert headers[:2] == ["loss", "value"]
    assert sorted(headers + left_out) == sorted(
        ["loss", "value", "top 1% share", "max |grad|", "robust", "convex"]
    )
    # The properties are left out before any number.
    assert left_out == ["convex", "robust"][: len(left_out)]
    if width >= 80:
        assert left_out == []
    by_name = {row[0]: dict(zip(headers, row, strict=True)) for row in rows}
    assert set(by_name) == {"mse", "mae", "huber"}
    for record in records:
        shown = by_name[record["loss"]]
        # The terminal view shows 6 significant digits (compare._human_cell), the JSON all.
        assert shown["value"] == f"{record['value']:.6g}"
        assert shown["top 1% share"] == f"{100 * record['top_1pct_share']:.1f}%"
        assert float(shown["max |grad|"]) == pytest.approx(record["max_abs_grad"], rel=1e-5)


@pytest.mark.parametrize("width", WIDTHS)
def test_list_never_collapses_a_column(cli, width: int) -> None:
    run = _table(cli, width, "list")
    headers, rows = _parse(run.stdout)
    left_out = _left_out(run.stdout)
    everything = ["name", "family", "convex", "smooth", "robust", "prob.", "typical use"]
    assert sorted(headers + left_out) == sorted(everything)
    # The free text goes first, then the flags from the right, then the family.
    assert left_out == ["typical use", "prob.", "robust", "smooth", "family"][: len(left_out)]
    assert headers[:1] == ["name"] and "convex" in headers
    if width == 200:
        assert left_out == []
    assert {row[0] for row in rows} == {loss.name for loss in all_losses()}
    for row in rows:
        cells = dict(zip(headers, row, strict=True))
        for flag in ("convex", "smooth", "robust", "prob."):
            if flag in cells:
                assert cells[flag] in ("yes", "no"), row


@pytest.mark.parametrize("width", WIDTHS)
def test_a_wide_generic_table_shows_whole_cells_equal_to_the_tsv(cli, width: int) -> None:
    args = ("grad", "cross-entropy", "examples/classification.csv")
    tsv = cli(*args, "-f", "tsv").tsv()
    run = _table(cli, width, *args)
    headers, rows = _parse(run.stdout)
    assert headers[0] == "row"
    assert sorted(headers + _left_out(run.stdout)) == sorted(tsv[0])
    assert len(rows) == len(tsv)
    for shown, expected in zip(rows, tsv, strict=True):
        for name, cell in zip(headers, shown, strict=True):
            assert cell == expected[name]
    # Independent check: the gradient of -log p[y] with respect to p[y] is -1/p[y]
    # (and 0 for the other classes), the probabilities read from the file as typed.
    with open("examples/classification.csv", newline="") as handle:
        records = list(csv.DictReader(handle))
    for shown, record in zip(rows, records, strict=True):
        cells = dict(zip(headers, shown, strict=True))
        true = f"p{record['label']}"
        for column, cell in cells.items():
            if column == f"dL/dp[{true}]":
                assert cell == repr(-1 / float(record[true]))
            elif column != "row":
                assert cell == "0.0"


def test_numbers_are_recognised_as_losscli_prints_them() -> None:
    for text in ("0.35667494393873245", "-3", "1e-05", "inf", "-inf", "nan", "85.2%", ".5"):
        assert is_number(text), text
    for text in ("mse", "yes", "-", "", "p0", "grad_1", "1.2.3"):
        assert not is_number(text), text


@pytest.mark.parametrize("width", WIDTHS)
def test_conventions_keep_their_values_and_right_align_them(cli, width: int) -> None:
    args = ("compare", "huber", "examples/residuals_outliers.csv", "--conventions")
    records = cli(*args, "--json").json()["conventions"]
    run = _table(cli, width, *args)
    headers, rows = _parse(run.stdout)
    assert headers[:2] == ["convention", "value"]
    # The explanation goes before any number.
    assert _left_out(run.stdout)[:1] in ([], ["difference"])
    value_lines = [line for line in run.lines() if line.startswith("│")]
    for record, row, line in zip(records, rows, value_lines, strict=True):
        cells = dict(zip(headers, row, strict=True))
        value = record.get("value")
        assert cells["value"] == ("-" if value is None else f"{value:.6g}")
        # A number column is right-aligned, its "-" for no value too.
        assert line.split("│")[2].endswith(f"{cells['value']} ")
