"""Issue 19, "one story in every format": every output format tells the same result.

Each test runs the command as a user types it and parses what it prints.
"""

from __future__ import annotations

import json

import pytest


def _jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (("list",), "losses"),
        (("compare", "mse", "mae", "--y-true", "1,0,1", "--y-pred", "0.9,0.2,0.6"), "losses"),
        (
            ("compare", "huber", "--conventions", "--y-true", "1,0", "--y-pred", "0.5,2"),
            "conventions",
        ),
        (("exercise", "list"), "exercises"),
    ],
)
def test_jsonl_lines_are_the_json_records(cli, args, key):
    as_json = cli(*args, "--json")
    as_jsonl = cli(*args, "-f", "jsonl")
    assert as_json.exit_code == 0 and as_jsonl.exit_code == 0, as_jsonl.stderr
    records = json.loads(as_json.stdout)[key]
    assert records  # the comparison below must compare something
    # Same keys, same types, same values: `"robust": false` in both, aliases a list in both.
    assert _jsonl(as_jsonl.stdout) == records


def test_list_jsonl_has_booleans_and_alias_lists(cli):
    lines = _jsonl(cli("list", "-f", "jsonl").stdout)
    mse = next(line for line in lines if line["name"] == "mse")
    assert mse["properties"]["robust"] is False
    assert isinstance(mse["aliases"], list)


def test_scalar_jsonl_is_the_json_document_with_warnings(cli):
    args = ("compute", "mse", "--y-true", "1,2", "--y-pred", "1,3")
    (line,) = _jsonl(cli(*args, "-f", "jsonl").stdout)
    assert line == json.loads(cli(*args, "--json").stdout)
    assert line["warnings"] == [] and line["value"] == 0.5  # (0 + 1) / 2


def test_terminal_catalog_says_no_not_dash(cli):
    out = cli("list", "-f", "table", env={"COLUMNS": "200"}).stdout
    mse = next(line for line in out.splitlines() if "│ mse " in line)
    cells = [cell.strip() for cell in mse.split("│")]
    # mse is convex, smooth, not robust to outliers, not a probabilistic loss
    # (its catalog record: losscli list --json).
    assert cells[3:7] == ["yes", "yes", "no", "no"]
    assert "-" not in cells[3:7]


def test_recommend_profile_never_shows_none(cli, tmp_path):
    data = tmp_path / "y.csv"
    data.write_text("y\n1.0\n2.5\n3.1\n0.2\n")
    run = cli("recommend", str(data), "-f", "table", env={"COLUMNS": "120"})
    assert run.exit_code == 0, run.stderr
    assert "target: y" in run.stdout
    for python_word in ("None", "True", "False", "['"):
        assert python_word not in run.stdout
    # The JSON keeps the fact that no prediction column was given.
    assert json.loads(cli("recommend", str(data), "--json").stdout)["profile"]["pred"] is None


def test_piped_show_is_neither_wrapped_nor_padded_to_80(cli, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)  # piped, no terminal width to fill
    use = json.loads(cli("show", "mse", "--json").stdout)["typical_use"]
    assert len(use) > 80  # long enough that a width of 80 would wrap it
    lines = cli("show", "mse", "-f", "table").stdout.splitlines()
    assert "  " + use in lines  # one line, no padding after it


def test_piped_catalog_is_not_cut_at_80_columns(cli, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    out = cli("list", "-f", "table").stdout
    mse = next(line for line in out.splitlines() if "│ mse " in line)
    assert "…" not in mse and len(mse) > 80
    assert mse.rstrip().endswith("│")
    # A width the user sets still holds.
    narrow = cli("list", "-f", "table", env={"COLUMNS": "100"}).stdout
    assert max(len(line) for line in narrow.splitlines()) <= 100


@pytest.mark.parametrize(
    ("y_true", "y_pred", "said"),
    [
        ("1", "1,2", "1 target but 2 predictions;"),
        ("1,2", "1", "2 targets but 1 prediction;"),
    ],
)
def test_counts_of_one_are_singular(cli, y_true, y_pred, said):
    run = cli("compute", "mse", "--y-true", y_true, "--y-pred", y_pred)
    assert run.exit_code == 3
    assert said in run.stderr


def test_one_row_classifier_says_the_only_target(cli, tmp_path):
    data = tmp_path / "one.csv"
    data.write_text("y\n1\n")
    run = cli("recommend", str(data), "--task", "binary")
    assert run.exit_code == 3
    assert "the only target is the label 1" in run.stderr and "1 targets" not in run.stderr


@pytest.mark.parametrize(
    ("args", "header"),
    [
        (("mse", "--y-true", "1,2", "--y-pred", "1,3"), ["row", "dL/dy_pred"]),
        (("bce", "--y-true", "1,0", "--y-pred", "0.5,0.2"), ["row", "dL/dp"]),
        (("bce", "--logits", "--y-true", "1,0", "--y-pred", "0.5,0.2"), ["row", "dL/dlogit"]),
    ],
)
def test_grad_header_names_what_the_gradient_is_taken_with_respect_to(cli, args, header):
    run = cli("grad", *args, "-f", "tsv")
    assert run.exit_code == 0, run.stderr
    assert run.stdout.splitlines()[0].split("\t") == header
    # The JSON says the same in its wrt key.
    assert "dL/d" + cli("grad", *args, "--json").json()["wrt"] == header[1]
    # mse: d/dp (p - y)^2 = 2 (p - y) = 2 at the second row.
    if args[0] == "mse":
        assert run.stdout.splitlines()[2] == "2\t2.0"


# Per-example output: JSON is one document whose arrays are the columns (`values`, `grad`,
# compare's `values` by loss); a JSONL line is one row whose keys are exactly the TSV
# header (docs/design.md, "One story in every format").
PER_EXAMPLE = "y_true,y_pred\n1,2\n3,5\n0,0.5\n"


@pytest.mark.parametrize(
    ("args", "columns"),
    [
        (("compute", "mse", "--reduction", "none"), lambda doc: {"value": doc["values"]}),
        (("grad", "mse"), lambda doc: {"dL/dy_pred": doc["grad"]}),
        (("compare", "mse", "mae", "--per-example"), lambda doc: doc["values"]),
        (
            ("compute", "huber", "--delta", "0.5,1", "--reduction", "none"),
            lambda doc: {f"delta={r['params']['delta']:g}": r["values"] for r in doc["results"]},
        ),
    ],
)
def test_per_example_jsonl_keys_are_the_tsv_header(cli, args, columns):
    tsv = cli(*args, "-f", "tsv", input=PER_EXAMPLE)
    jsonl = cli(*args, "-f", "jsonl", input=PER_EXAMPLE)
    doc = cli(*args, "--json", input=PER_EXAMPLE)
    assert tsv.exit_code == jsonl.exit_code == doc.exit_code == 0, jsonl.stderr
    header = tsv.stdout.splitlines()[0].split("\t")
    lines = _jsonl(jsonl.stdout)
    assert [list(line) for line in lines] == [header] * 3
    assert [line["row"] for line in lines] == [1, 2, 3]
    # The JSON document's arrays are the same numbers, column by column.
    expected = columns(json.loads(doc.stdout))
    assert {name: [line[name] for line in lines] for name in header[1:]} == expected


def test_per_example_jsonl_infinite_is_null_under_the_same_keys(cli):
    # bce at p = 0 on a positive example is infinite (-log 0); the other row is -log 0.5.
    text = "y_true,y_pred\n1,0\n0,0.5\n"
    run = cli("compute", "bce", "--reduction", "none", "-f", "jsonl", input=text)
    assert run.exit_code == 0
    assert _jsonl(run.stdout) == [
        {"row": 1, "value": None},
        {"row": 2, "value": pytest.approx(0.6931471805599453, rel=1e-15)},
    ]
    # Said on stderr, as for TSV: the data warning naming the row, and the null once.
    assert "the loss is infinite for 1 example" in run.stderr and "(row 1)" in run.stderr
    assert "non-finite numbers are written as null" in run.stderr
    assert "the first: row 1, value is inf" in run.stderr


def test_one_value_jsonl_carries_the_same_warnings_as_json(cli):
    args = ("compute", "bce", "--y-true", "1,0", "--y-pred", "0,0.5")
    (line,) = _jsonl(cli(*args, "-f", "jsonl").stdout)
    doc = json.loads(cli(*args, "--json").stdout)
    assert line == doc
    assert any("the loss is infinite for 1 example" in w for w in line["warnings"])
    assert line["value"] is None


def test_record_jsonl_with_an_infinite_value_keeps_the_json_keys(cli):
    args = ("compare", "bce", "mse", "--y-true", "1,0", "--y-pred", "0,0.5")
    run = cli(*args, "-f", "jsonl")
    records = json.loads(cli(*args, "--json").stdout)["losses"]
    assert _jsonl(run.stdout) == records  # no `warnings` key slipped into a line
    assert records[0]["value"] is None
    assert "the first: line 1, value is inf" in run.stderr
