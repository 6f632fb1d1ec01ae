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
