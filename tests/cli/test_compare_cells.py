"""Issue 19: compare's cells without a value read the same way in every format: "-" in the
terminal (right-aligned with the numbers of its column), an empty cell in TSV, null in JSON and
JSONL; "no" is a property's no, never a missing value."""

from __future__ import annotations

ARGS = ("compare", "mse", "mae", "--y-true", "1,2", "--y-pred", "1,2", "-q")  # every loss is 0


def test_no_value_is_a_dash_in_the_terminal_and_aligned_as_a_number(cli) -> None:
    run = cli(*ARGS, "-f", "table", "--color", "never", env={"COLUMNS": "100"})
    assert run.exit_code == 0
    rows = [line for line in run.stdout.splitlines() if line.startswith("│")]
    header = next(line for line in run.stdout.splitlines() if line.startswith("┃"))
    share = header.index("top 1% share")
    end = share + len("top 1% share")
    for row in rows:
        assert row[end - 1] == "-", row  # right-aligned under its header, as the numbers
    assert [row.split("│")[5].strip() for row in rows] == ["no", "yes"]  # robust


def test_no_value_is_empty_in_tsv_and_null_in_json_and_jsonl(cli) -> None:
    tsv = cli(*ARGS, "-f", "tsv").tsv()
    assert [row["top_1pct_share"] for row in tsv] == ["", ""]
    assert [row["robust"] for row in tsv] == ["no", "yes"]
    losses = cli(*ARGS, "--json").json()["losses"]
    assert [row["top_1pct_share"] for row in losses] == [None, None]
    import json

    lines = [json.loads(line) for line in cli(*ARGS, "-f", "jsonl").lines()]
    assert [row["top_1pct_share"] for row in lines] == [None, None]
    assert [row["robust"] for row in lines] == [False, True]
