"""render.fit: at any width from 40 columns up, a table fits the screen and prints every number
it shows whole, on one line, with no "…" next to a digit; the columns it leaves out are named."""

from __future__ import annotations

import io
import re

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from losscli.render.fit import Column, print_fitted

NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-", min_size=1, max_size=10)
NUMBERS = st.floats(allow_nan=True, allow_infinity=True).map(repr)
WORDS = st.lists(NAMES, min_size=1, max_size=6).map(" ".join)


def _render(columns: list[Column], rows: list[list[str]], width: int) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    print_fitted(console, columns, rows, title="a title that is long enough to wrap")
    return console.file.getvalue()  # type: ignore[attr-defined]


@given(
    width=st.integers(40, 200),
    headers=st.lists(NAMES, min_size=1, max_size=8, unique=True),
    data=st.data(),
)
def test_every_shown_number_is_whole_and_every_line_fits(
    width: int, headers: list[str], data: st.DataObject
) -> None:
    kinds = [data.draw(st.sampled_from(("number", "text"))) for _ in headers[1:]]
    count = data.draw(st.integers(1, 5))
    rows = [
        [data.draw(NAMES)] + [data.draw(NUMBERS if kind == "number" else WORDS) for kind in kinds]
        for _ in range(count)
    ]
    columns = [Column(headers[0])] + [
        Column(h, drop=len(headers) - i) for i, h in enumerate(headers) if i
    ]
    text = _render(columns, rows, width)
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines), text
    assert not re.search(r"\d…|…\d", text), text
    flat = " ".join(line.strip() for line in lines)
    match = re.search(r"columns left out at this width: (.*?); -f tsv", flat)
    left_out = set(match.group(1).split(", ")) if match else set()
    assert count == 1 or not left_out or headers[0] not in left_out
    for row in rows:
        for header, kind, cell in zip(headers[1:], kinds, row[1:], strict=True):
            if kind == "number" and header not in left_out:
                # Whole and on one line, between cell borders or spaces.
                whole = rf"(^|[│ ]){re.escape(cell)}( |│|$)"
                assert re.search(whole, text, re.MULTILINE), (cell, text)


def test_a_narrow_screen_leaves_out_columns_in_the_declared_order() -> None:
    columns = [Column("name"), Column("a", drop=2), Column("b", drop=1), Column("c", drop=3)]
    value = "0.35667494393873245"
    rows = [["first", value, value, value], ["second", value, value, value]]
    text = _render(columns, rows, 45)
    flat = " ".join(line.strip() for line in text.splitlines())
    assert "(columns left out at this width: b, a; -f tsv shows them all)" in flat
    assert text.count(value) == 2  # column c, in both rows
    wide = _render(columns, rows, 200)
    assert "left out" not in wide and wide.count(value) == 6


def test_one_row_too_wide_for_its_columns_becomes_key_value_lines() -> None:
    columns = [Column("loss"), Column("reduction", drop=1), Column("value", drop=2)]
    text = _render(columns, [["cross-entropy", "mean", "0.35667494393873245"]], 40)
    pairs = [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in text.splitlines()
        if line.startswith("│")
    ]
    assert pairs == [
        ["loss", "cross-entropy"],
        ["reduction", "mean"],
        ["value", "0.35667494393873245"],
    ]
