"""`losscli compare`: several losses side by side, one loss under every convention, per
example; formats, errors and exit codes."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from conftest import REPO

from losscli.core import all_losses, evaluate, make_request
from losscli.core.errors import LossError

EXAMPLE = REPO / "examples" / "residuals_outliers.csv"


def inline_array(text: str) -> np.ndarray:
    """An inline list as the CLI reads it: `;` separates rows."""
    rows = [[float(v) for v in row.split(",")] for row in text.split(";")]
    return np.array(rows[0]) if len(rows) == 1 else np.array(rows)


def fitting(family: str, y_true: str, y_pred: str, space: str | None = None) -> set[str]:
    """The registry's losses of `family` that compute a value on this data, read in `space`
    when given (a loss that cannot read it is out), else in the loss's default space: what
    `compare --all` should keep. A new loss joins by itself."""
    names = set()
    for loss in all_losses():
        if loss.family != family or loss.batch or (space and space not in loss.spaces):
            continue
        try:
            evaluate(make_request(loss, space=space), inline_array(y_true), inline_array(y_pred))
        except LossError:
            continue
        names.add(loss.name)
    return names


def example_lists() -> tuple[str, str]:
    with EXAMPLE.open(newline="") as f:
        rows = list(csv.DictReader(f))
    return ",".join(r["y_true"] for r in rows), ",".join(r["y_pred"] for r in rows)


def by_loss(doc):
    return {r["loss"]: r for r in doc["losses"]}


# --- the seed's point, on the bundled example --------------------------------------------


def test_outliers_own_mse_but_not_huber_or_mae(cli):
    y_true, y_pred = example_lists()
    run = cli("compare", "mse", "mae", "huber", "--y-true", y_true, "--y-pred", y_pred, "--json")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert doc["n"] == 500 and doc["top_count"] == 5 and doc["reduction"] == "mean"
    rows = by_loss(doc)
    # The 5 gross outliers (1% of 500) own most of MSE's total, far less of Huber's and MAE's.
    assert rows["mse"]["top_1pct_share"] > 0.8
    assert rows["huber"]["top_1pct_share"] < 0.4
    assert rows["mae"]["top_1pct_share"] < 0.3
    assert rows["mse"]["top_1pct_share"] > 2 * rows["huber"]["top_1pct_share"]
    # Huber's largest gradient is delta; MAE's is 1; MSE's is 2 |r| of the worst outlier (30).
    assert rows["huber"]["max_abs_grad"] == 1.0
    assert rows["mae"]["max_abs_grad"] == 1.0
    assert rows["mse"]["max_abs_grad"] == pytest.approx(60.0)
    assert [rows[k]["robust"] for k in ("mse", "mae", "huber")] == [False, True, True]
    assert all(r["convex"] for r in rows.values())


def test_huber_max_gradient_follows_delta(cli):
    y_true, y_pred = example_lists()
    run = cli(
        "compare",
        "huber",
        "mse",
        "--delta",
        "2.5",
        "--y-true",
        y_true,
        "--y-pred",
        y_pred,
        "--json",
    )
    rows = by_loss(run.json())
    assert rows["huber"]["max_abs_grad"] == 2.5 and rows["huber"]["params"] == {"delta": 2.5}
    assert rows["mse"]["params"] == {}


def test_values_match_compute(cli):
    args = ["--y-true", "0,0,0,0", "--y-pred", "0.1,-0.2,0.3,10"]
    doc = cli("compare", "mse", "mae", "huber", *args, "--json").json()
    for name in ("mse", "mae", "huber"):
        computed = float(cli("compute", name, *args).stdout)
        assert by_loss(doc)[name]["value"] == computed


def test_sum_reduction_and_share_definition(cli):
    args = ["--y-true", "0,0,0,0", "--y-pred", "1,1,1,3"]
    doc = cli("compare", "mse", *args, "--reduction", "sum", "--json").json()
    row = by_loss(doc)["mse"]
    assert row["value"] == 12.0
    # Top 1% of 4 examples is 1 example: 9 of 12.
    assert row["top_1pct_share"] == 0.75 and doc["top_count"] == 1


def test_weights_weight_the_share_and_the_gradient(cli):
    doc = cli(
        "compare", "mse", "--y-true", "0,0", "--y-pred", "1,2", "--weights", "3,0", "--json"
    ).json()
    row = by_loss(doc)["mse"]
    assert row["value"] == 1.0  # (3 * 1 + 0 * 4) / 3
    assert row["top_1pct_share"] == 1.0  # the weight-0 example contributes nothing
    assert row["max_abs_grad"] == 6.0  # 3 * 2 r


# --- output formats -------------------------------------------------------------------------


def test_piped_output_is_tsv_with_a_header(cli):
    run = cli("compare", "mse", "mae", "--y-true", "0,0", "--y-pred", "1,3")
    assert run.tsv() == [
        {
            "loss": "mse",
            "value": "5.0",
            "top_1pct_share": "0.9",
            "max_abs_grad": "6.0",
            "robust": "no",
            "convex": "yes",
        },
        {
            "loss": "mae",
            "value": "2.0",
            "top_1pct_share": "0.75",
            "max_abs_grad": "1.0",
            "robust": "yes",
            "convex": "yes",
        },
    ]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "plain", "table"])
def test_other_formats(cli, fmt):
    run = cli("compare", "mse", "mae", "--y-true", "0,0", "--y-pred", "1,3", "-f", fmt)
    assert run.exit_code == 0
    if fmt == "csv":
        assert run.lines()[0] == "loss,value,top_1pct_share,max_abs_grad,robust,convex"
        assert run.lines()[1] == "mse,5.0,0.9,6.0,no,yes"
    elif fmt == "jsonl":
        assert [json.loads(line)["loss"] for line in run.lines()] == ["mse", "mae"]
    elif fmt == "plain":
        assert run.lines()[0].split("\t")[:2] == ["mse", "5.0"]
    else:
        assert "top 1% share" in run.stdout and "90.0%" in run.stdout


def test_infinite_values_are_null_in_json_with_warnings(cli):
    doc = cli("compare", "bce", "mse", "--y-true", "1,0", "--y-pred", "0,0.5", "--json").json()
    bce = by_loss(doc)["binary-cross-entropy"]
    assert bce["value"] is None and bce["top_1pct_share"] is None
    assert any("infinite" in w for w in doc["warnings"])
    assert by_loss(doc)["mse"]["value"] == 0.625


# --- --all ----------------------------------------------------------------------------------


def test_all_on_residuals_keeps_the_regression_losses(cli):
    y_true, y_pred = example_lists()
    doc = cli("compare", "--all", "--y-true", y_true, "--y-pred", y_pred, "--json").json()
    names = [r["loss"] for r in doc["losses"]]
    # Every regression loss whose domain the data fit, in registry order; the residuals
    # example's targets and predictions are all positive, so the losses for positive data
    # (MSLE, MAPE, Poisson, Tweedie, gamma) fit too, and Gaussian NLL, which needs a variance,
    # does not. No classification loss applies, nor generalized KL (a divergence, although
    # 1-cell rows fit its domain).
    regression = fitting("regression", y_true, y_pred)
    assert "gaussian-nll" not in regression and {"mse", "gamma-deviance"} <= regression
    assert names == [loss.name for loss in all_losses() if loss.name in regression]
    left = {r["loss"]: r["reason"] for r in doc["left_out"]}
    assert left["generalized-kl"] == (
        "a loss between distributions, and the data are real-valued targets and predictions"
    )
    # --any-task: every loss whose domain fits, as before issue 15.
    any_task = cli(
        "compare", "--all", "--any-task", "--y-true", y_true, "--y-pred", y_pred, "--json"
    ).json()
    assert {r["loss"] for r in any_task["losses"]} == set(names) | {"generalized-kl"}
    assert "left_out" not in any_task


def test_all_on_binary_probabilities_compares_what_applies(cli):
    # Issue 15: --all listed 22 losses here, mse, mape (inf), poisson, msle and contrastive
    # (reading probabilities as distances) among them.
    run = cli("compare", "--all", "--y-true", "1,0,1", "--y-pred", "0.9,0.2,0.6", "--json")
    doc = run.json()
    names = {r["loss"] for r in doc["losses"]}
    # The classification losses that read probabilities and take one column of them.
    expected = fitting("classification", "1,0,1", "0.9,0.2,0.6", "prob")
    assert {"binary-cross-entropy", "brier"} <= expected and "softmax-focal" not in expected
    assert names == expected
    left = {r["loss"]: r["reason"] for r in doc["left_out"]}
    words = "the data are binary labels with probabilities"
    for loss in all_losses():
        if loss.family == "regression":
            assert left[loss.name] == f"a regression loss, and {words}"
    assert left["contrastive"] == f"a loss of similar and dissimilar pairs, and {words}"
    assert left["hinge"].startswith("it takes raw scores, and the predictions are probabilities")
    # Every other loss of the catalog is left out, and said: none is dropped silently.
    assert len(left) == len(all_losses()) - len(names)
    assert left["nt-xent"] == "a batch loss, read whole: name it to compare it"
    assert f"losscli: note: --all left out {len(left)} losses that do not apply" in run.stderr
    assert "mse, mae, huber" in run.stderr
    # --any-task keeps every loss whose domain fits.
    wide = cli(
        "compare", "--all", "--any-task", "--y-true", "1,0,1", "--y-pred", "0.9,0.2,0.6", "--json"
    ).json()
    assert {"mse", "mape", "poisson", "msle", "contrastive"} <= {r["loss"] for r in wide["losses"]}


def test_all_on_scores_and_on_distributions(cli):
    scores = cli("compare", "--all", "--y-true", "1,0,1", "--y-pred", "2.5,-1,0.3", "--json")
    # Scores are not probabilities: the classification losses that read raw scores.
    margin = fitting("classification", "1,0,1", "2.5,-1,0.3", "raw")
    assert {"hinge", "perceptron"} <= margin and "multiclass-hinge" not in margin
    assert {r["loss"] for r in scores.json()["losses"]} == margin
    y_true, y_pred = "0.7,0.3;0.2,0.8", "0.6,0.4;0.5,0.5"
    rows = cli("compare", "--all", "--y-true", y_true, "--y-pred", y_pred, "--json").json()
    divergences = fitting("divergence", y_true, y_pred)
    assert {"kl", "generalized-kl"} <= divergences
    assert {r["loss"] for r in rows["losses"]} == divergences


def test_any_task_needs_all(cli):
    run = cli("compare", "mse", "--any-task", "--y-true", "1", "--y-pred", "1")
    assert run.exit_code == 2 and "--any-task goes with --all" in run.stderr


def test_all_with_logits_keeps_losses_that_take_logits(cli):
    doc = cli(
        "compare", "--all", "--logits", "--y-true", "1,0", "--y-pred", "2,-1", "--json"
    ).json()
    # multilabel-bce with one label column is binary cross-entropy on logits too.
    expected = fitting("classification", "1,0", "2,-1", "logit")
    assert {"binary-cross-entropy", "multilabel-bce"} <= expected
    assert {r["loss"] for r in doc["losses"]} == expected


def test_all_under_a_convention_keeps_its_losses(cli):
    doc = cli(
        "compare",
        "--all",
        "--any-task",
        "--convention",
        "optax",
        "--y-true",
        "0,1",
        "--y-pred",
        "0.5,2",
        "--json",
    ).json()
    names = [r["loss"] for r in doc["losses"]]
    assert "mae" not in names and "mse" in names
    assert all(r["convention"] == "optax" for r in doc["losses"])


# --- --conventions --------------------------------------------------------------------------


def test_conventions_bce_at_p0(cli):
    doc = cli("compare", "bce", "--conventions", "--y-true", "1", "--y-pred", "0", "--json").json()
    rows = {r["convention"]: r for r in doc["conventions"]}
    assert doc["loss"] == "binary-cross-entropy"
    assert rows["torch"]["value"] == 100.0
    assert rows["keras"]["value"] == pytest.approx(16.118095650958319, rel=1e-15)
    assert rows["sklearn"]["value"] == pytest.approx(36.04365338911715, rel=1e-15)
    assert rows["catalog"]["value"] is None  # inf, written as null
    assert rows["torch"]["difference"] == "log clamped at -100"
    assert rows["optax"]["difference"] == "same as catalog"
    assert rows["catalog"]["difference"] == "reference"
    assert rows["pml"]["available"] is False and "contrastive" in rows["pml"]["why"]


def test_conventions_table_for_porting(cli):
    run = cli(
        "compare",
        "huber",
        "--conventions",
        "--delta",
        "2",
        "--y-true",
        "0,0,0",
        "--y-pred",
        "0.5,2,3",
    )
    rows = {r["convention"]: r for r in run.tsv()}
    assert list(rows) == ["catalog", "torch", "keras", "sklearn", "optax", "hadsell", "pml"]
    assert rows["torch"]["value"] == rows["catalog"]["value"] == repr((0.125 + 2 + 4) / 3)
    assert rows["sklearn"]["value"] == "" and rows["sklearn"]["difference"] == "no such loss"


def test_conventions_of_smooth_l1_and_mse(cli):
    doc = cli("compare", "mse", "--conventions", "--y-true", "0,0", "--y-pred", "1,3", "--json")
    rows = {r["convention"]: r for r in doc.json()["conventions"]}
    assert rows["optax"]["value"] == 2.5 and rows["torch"]["value"] == 5.0


def test_conventions_row_says_when_a_framework_refuses_a_parameter(cli):
    doc = cli(
        "compare",
        "bce",
        "--conventions",
        "--label-smoothing",
        "0.1",
        "--y-true",
        "1",
        "--y-pred",
        "0.8",
        "--json",
    ).json()
    rows = {r["convention"]: r for r in doc["conventions"]}
    assert rows["torch"]["available"] is False
    assert "BCELoss has no label smoothing" in rows["torch"]["why"]
    assert rows["torch"]["difference"] == rows["torch"]["why"]
    assert rows["pml"]["difference"] == "no such loss"
    assert rows["keras"]["value"] == pytest.approx(-(0.95 * math.log(0.8) + 0.05 * math.log(0.2)))


# --- --per-example --------------------------------------------------------------------------


def test_per_example_one_column_per_loss(cli):
    run = cli(
        "compare",
        "huber",
        "smooth-l1",
        "--delta",
        "2",
        "--beta",
        "2",
        "--y-true",
        "0,0,0",
        "--y-pred",
        "0.5,2,3",
        "--per-example",
    )
    assert run.tsv() == [
        {"row": "1", "huber": "0.125", "smooth-l1": "0.0625"},
        {"row": "2", "huber": "2.0", "smooth-l1": "1.0"},
        {"row": "3", "huber": "4.0", "smooth-l1": "2.0"},
    ]


def test_per_example_json_and_conventions(cli):
    doc = cli(
        "compare",
        "mse",
        "--conventions",
        "--per-example",
        "--y-true",
        "0,0",
        "--y-pred",
        "1,3",
        "--json",
    ).json()
    assert doc["columns"] == ["catalog", "torch", "keras", "sklearn", "optax"]
    assert doc["values"]["optax"] == [0.5, 4.5] and doc["n"] == 2


def test_per_example_warnings_go_to_stderr(cli):
    run = cli("compare", "hinge", "--y-true", "0,1", "--y-pred", "0.5,2", "--per-example")
    assert run.lines() == ["row\thinge", "1\t1.5", "2\t0.0"]
    assert "hinge: hinge labels 0/1 were mapped" in run.stderr


# --- errors ---------------------------------------------------------------------------------


def test_no_arguments_shows_help_and_exits_2(cli):
    run = cli("compare")
    assert run.exit_code == 2 and run.stdout == ""
    assert run.stderr.startswith("Usage: losscli compare [OPTIONS] [LOSS... [FILE...]]")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--y-true", "1", "--y-pred", "1"], "name the losses to compare, or pass --all"),
        (["mse", "--all", "--y-true", "1", "--y-pred", "1"], "LOSS... or --all, not both"),
        (["mse", "mae", "--conventions", "--y-true", "1", "--y-pred", "1"], "exactly one LOSS"),
        (
            ["mse", "--conventions", "--convention", "torch", "--y-true", "1", "--y-pred", "1"],
            "leave out --convention",
        ),
        (
            ["mse", "mae", "--delta", "2", "--y-true", "1", "--y-pred", "1"],
            "--delta is a parameter of none",
        ),
        (["mse", "hubr", "--y-true", "1", "--y-pred", "1"], "did you mean huber"),
        (
            ["hinge", "--convention", "torch", "--y-true", "1", "--y-pred", "1"],
            "torch has no hinge",
        ),
        (["mse", "--convention", "tf", "--y-true", "1", "--y-pred", "1"], "'tf' is not one of"),
        (["mse", "--reduction", "none", "--y-true", "1", "--y-pred", "1"], "--per-example"),
        (
            ["mse", "--conventions", "--logits", "--y-true", "1", "--y-pred", "1"],
            "mse takes raw predictions",
        ),
        (
            ["mse", "--conventions", "--delta", "1", "--y-true", "1", "--y-pred", "1"],
            "mse has no parameter --delta",
        ),
        (["mse"], "no input: give FILE, pipe a table in"),
        (["mse", "--y-true", "1", "--y-pred", "1", "-t", "a"], "selects table columns"),
    ],
)
def test_usage_errors_exit_2(cli, monkeypatch, args, fragment):
    monkeypatch.setattr("losscli.cli.common.stdin_is_terminal", lambda: True)
    run = cli("compare", *args)
    assert run.exit_code == 2, run.stderr
    assert run.stdout == ""
    assert run.stderr.startswith("losscli: error: ")
    assert fragment in run.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["mse", "bce", "--y-true", "0,1", "--y-pred", "0.5,1.5"],
            "binary-cross-entropy: row 2, --y-pred: 1.5 must be a probability",
        ),
        (["mse", "--y-true", "0,x", "--y-pred", "1,2"], "'x' is not a number"),
        (["--all", "--y-true", "0.5,0.5;", "--y-pred", "0.2,0.3,0.5"], "no loss fits this data"),
    ],
)
def test_bad_data_exits_3_naming_the_loss_and_row(cli, args, fragment):
    run = cli("compare", *args)
    assert run.exit_code == 3, run.stderr
    assert run.stdout == ""
    assert run.stderr.startswith("losscli: error: ")
    assert fragment in run.stderr
    assert len(run.stderr.splitlines()) == 1


# --- tables: FILE and stdin -----------------------------------------------------------------


def test_compare_on_the_bundled_csv_file_and_on_stdin(cli):
    y_true, y_pred = example_lists()
    inline = cli("compare", "mse", "mae", "huber", "--y-true", y_true, "--y-pred", y_pred, "--json")
    from_file = cli("compare", "mse", "mae", "huber", str(EXAMPLE), "--json")
    text = EXAMPLE.read_text()
    from_stdin = cli("compare", "mse", "mae", "huber", "--json", input=text)
    from_dash = cli("compare", "mse", "mae", "huber", "-", "--json", input=text)
    for run in (from_file, from_stdin, from_dash):
        assert run.exit_code == 0, run.stderr
        assert run.json()["losses"] == inline.json()["losses"]
        assert run.json()["n"] == 500


def test_many_blocks_give_the_same_numbers(cli):
    whole = cli("compare", "mse", "mae", "huber", str(EXAMPLE), "--json").json()
    # 256-byte blocks: the 500 rows arrive in about 45 batches.
    blocks = cli(
        "compare",
        "mse",
        "mae",
        "huber",
        str(EXAMPLE),
        "--json",
        env={"LOSSCLI_CHUNK_BYTES": "256"},
    ).json()
    for a, b in zip(whole["losses"], blocks["losses"], strict=True):
        assert a["loss"] == b["loss"]
        assert b["value"] == pytest.approx(a["value"], rel=1e-14)
        assert b["top_1pct_share"] == pytest.approx(a["top_1pct_share"], rel=1e-14)
        assert b["max_abs_grad"] == a["max_abs_grad"]


def test_conventions_and_all_on_a_table(cli, tmp_path):
    path = tmp_path / "binary.csv"
    path.write_text("label,p\n1,0\n0,0.2\n1,0.9\n")
    doc = cli("compare", "bce", "--conventions", str(path), "-t", "label", "-p", "p", "--json")
    rows = {r["convention"]: r for r in doc.json()["conventions"]}
    assert rows["torch"]["value"] == pytest.approx((100 - math.log(0.8) - math.log(0.9)) / 3)
    names = {r["loss"] for r in cli("compare", "--all", str(path), "--json").json()["losses"]}
    # Probabilities: hinge reads raw scores, so --all leaves it out.
    assert "binary-cross-entropy" in names and "hinge" not in names


def test_per_example_streams_a_table_with_input_row_numbers(cli, tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("y_true,y_pred\n0,1\n0,\n0,3\n0,-2\n")
    run = cli(
        "compare",
        "mse",
        "mae",
        str(path),
        "--per-example",
        "--nan",
        "skip",
        env={"LOSSCLI_CHUNK_BYTES": "8"},
    )
    assert run.exit_code == 0, run.stderr
    assert run.tsv() == [
        {"row": "1", "mse": "1.0", "mae": "1.0"},
        {"row": "3", "mse": "9.0", "mae": "3.0"},
        {"row": "4", "mse": "4.0", "mae": "2.0"},
    ]
    assert "skipped 1 row" in run.stderr


def test_all_leaves_out_a_loss_the_rest_of_the_table_does_not_fit(cli, tmp_path):
    path = tmp_path / "drift.csv"
    rows = ["0,0.5"] * 40 + ["1,1.5"]  # the last probability is out of range
    path.write_text("y_true,y_pred\n" + "\n".join(rows) + "\n")
    run = cli(
        "compare", "--all", "--any-task", str(path), "--json", env={"LOSSCLI_CHUNK_BYTES": "64"}
    )
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    names = [r["loss"] for r in doc["losses"]]
    assert "binary-cross-entropy" not in names and "mse" in names
    assert any(
        w.startswith("binary-cross-entropy left out: row 41") and "1.5" in w
        for w in doc["warnings"]
    )
    # Named explicitly, the same misfit is an error naming the loss, row and column.
    bad = cli("compare", "mse", "bce", str(path), env={"LOSSCLI_CHUNK_BYTES": "64"})
    assert bad.exit_code == 3
    assert "binary-cross-entropy: row 41, column 'y_pred': 1.5 must be a probability" in bad.stderr


def test_a_loss_name_is_never_taken_for_a_file(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mae").write_text("y_true,y_pred\n0,1\n")
    run = cli("compare", "mse", "mae", "--json", input="y_true,y_pred\n0,2\n")
    assert [r["loss"] for r in run.json()["losses"]] == ["mse", "mae"]
    run = cli("compare", "mse", "./mae", "--json")
    assert [r["loss"] for r in run.json()["losses"]] == ["mse"]
    assert run.json()["losses"][0]["value"] == 1.0


def test_a_perfect_prediction_has_no_share(cli):
    doc = cli("compare", "mse", "--y-true", "1,2", "--y-pred", "1,2", "--json").json()
    row = by_loss(doc)["mse"]
    assert row["value"] == 0.0 and row["top_1pct_share"] is None
    assert any("every example's loss is 0" in w for w in doc["warnings"])
