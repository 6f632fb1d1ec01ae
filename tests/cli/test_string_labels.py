"""Issue 12, peer parity: class labels written as text in a table or inline.

scikit-learn maps text labels to classes in sorted order: sklearn.metrics.log_loss binarizes
y_true with LabelBinarizer, whose classes_ are np.unique(y_true) (sorted), so for two labels
the second sorted one is the positive class; hinge_loss binarizes with neg_label=-1. The
oracle values below are computed by scikit-learn itself on the same data, in the test."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.metrics import hinge_loss, log_loss

BINARY_LABELS = ["dog", "cat", "dog", "cat", "cat", "dog"]
BINARY_PROBS = [0.8, 0.3, 0.6, 0.45, 0.1, 0.35]  # P(class 1): sorted order makes it "dog"

CLASS_LABELS = ["bird", "cat", "dog", "cat", "bird"]
CLASS_PROBS = [
    [0.2, 0.5, 0.3],
    [0.1, 0.1, 0.8],
    [0.6, 0.3, 0.1],
    [0.3, 0.3, 0.4],
    [0.5, 0.25, 0.25],
]


def _binary_csv(tmp_path, labels=BINARY_LABELS, probs=BINARY_PROBS) -> str:
    path = tmp_path / "binary.csv"
    rows = [f"{y},{p}" for y, p in zip(labels, probs, strict=True)]
    path.write_text("y_true,y_pred\n" + "\n".join(rows) + "\n")
    return str(path)


def _class_csv(tmp_path) -> str:
    path = tmp_path / "classes.csv"
    rows = [f"{y},{','.join(map(str, p))}" for y, p in zip(CLASS_LABELS, CLASS_PROBS, strict=True)]
    path.write_text("label,p_bird,p_cat,p_dog\n" + "\n".join(rows) + "\n")
    return str(path)


def test_binary_text_labels_give_sklearns_log_loss(cli, tmp_path) -> None:
    run = cli("compute", "log-loss", _binary_csv(tmp_path))
    assert run.exit_code == 0, run.stderr
    expected = log_loss(BINARY_LABELS, BINARY_PROBS)
    assert math.isclose(float(run.stdout), expected, rel_tol=1e-12)
    assert (
        "losscli: note: labels mapped in sorted order: cat=0, dog=1 (--labels fixes the order)"
        in run.stderr
    )


def test_three_text_labels_give_sklearns_log_loss(cli, tmp_path) -> None:
    run = cli("compute", "ce", _class_csv(tmp_path), "-t", "label")
    assert run.exit_code == 0, run.stderr
    expected = log_loss(CLASS_LABELS, CLASS_PROBS)
    assert math.isclose(float(run.stdout), expected, rel_tol=1e-12)
    assert "bird=0, cat=1, dog=2" in run.stderr


def test_labels_option_fixes_the_order_and_so_the_positive_class(cli, tmp_path) -> None:
    run = cli("compute", "log-loss", _binary_csv(tmp_path), "--labels", "dog,cat")
    assert run.exit_code == 0, run.stderr
    # "cat" is now class 1: the predictions are P(cat). scikit-learn's log_loss with
    # labels=[...] still sorts them, so the oracle gets the complementary probabilities.
    expected = log_loss(BINARY_LABELS, [1 - p for p in BINARY_PROBS])
    assert math.isclose(float(run.stdout), expected, rel_tol=1e-12)
    assert not math.isclose(expected, log_loss(BINARY_LABELS, BINARY_PROBS), rel_tol=1e-3)
    assert "sorted order" not in run.stderr


def test_labels_option_reorders_three_classes(cli, tmp_path) -> None:
    run = cli("compute", "ce", _class_csv(tmp_path), "-t", "label", "--labels", "dog,cat,bird")
    assert run.exit_code == 0, run.stderr
    # Class 0 is dog: its probability is the column p_bird; the columns reversed are in sorted
    # order again for scikit-learn.
    expected = log_loss(CLASS_LABELS, np.asarray(CLASS_PROBS)[:, ::-1])
    assert math.isclose(float(run.stdout), expected, rel_tol=1e-12)


def test_a_label_outside_the_labels_option_is_exit_3_naming_row_column_value(cli, tmp_path) -> None:
    run = cli("compute", "log-loss", _binary_csv(tmp_path), "--labels", "dog,bird")
    assert run.exit_code == 3
    assert run.stdout == ""
    assert run.stderr.splitlines()[-2] == (
        "losscli: error: row 2, column 'y_true': 'cat' is not one of the labels (dog, bird)"
    )


def test_text_labels_on_stdin_need_the_labels_option(cli, tmp_path) -> None:
    table = "y_true,y_pred\ndog,0.8\ncat,0.3\n"
    run = cli("compute", "log-loss", "-", input=table)
    assert run.exit_code == 2
    assert run.stdout == ""
    error = [line for line in run.stderr.splitlines() if "error" in line]
    assert len(error) == 1 and "--labels" in error[0]
    given = cli("compute", "log-loss", "-", "--labels", "cat,dog", input=table)
    assert given.exit_code == 0, given.stderr
    assert math.isclose(float(given.stdout), log_loss(["dog", "cat"], [0.8, 0.3]), rel_tol=1e-12)


def test_inline_text_labels_map_as_sklearn(cli) -> None:
    run = cli(
        "compute",
        "log-loss",
        "--y-true",
        ",".join(BINARY_LABELS),
        "--y-pred",
        ",".join(map(str, BINARY_PROBS)),
    )
    assert run.exit_code == 0, run.stderr
    assert math.isclose(float(run.stdout), log_loss(BINARY_LABELS, BINARY_PROBS), rel_tol=1e-12)
    assert "cat=0, dog=1" in run.stderr
    unknown = cli(
        "compute", "log-loss", "--y-true", "cat,emu", "--y-pred", "0.2,0.7", "--labels", "cat,dog"
    )
    assert unknown.exit_code == 3
    assert "--y-true value 2: 'emu' is not one of the labels (cat, dog)" in unknown.stderr


def test_hinge_text_labels_are_minus_one_and_plus_one_as_sklearn(cli) -> None:
    scores = [-0.5, 0.3, 1.5, 0.2]
    labels = ["cat", "dog", "dog", "cat"]
    run = cli(
        "compute", "hinge", "--y-true", ",".join(labels), "--y-pred", ",".join(map(str, scores))
    )
    assert run.exit_code == 0, run.stderr
    assert math.isclose(float(run.stdout), hinge_loss(labels, scores), rel_tol=1e-12)


@pytest.mark.parametrize("chunk", ["12", "1000"])
def test_text_labels_across_small_blocks_and_bad_rows(cli, tmp_path, chunk) -> None:
    """Tiny blocks (the first data row is sniffed past the first block), and a bad prediction
    after a text label is still named by its row."""
    env = {"LOSSCLI_CHUNK_BYTES": chunk}
    run = cli("compute", "ce", _class_csv(tmp_path), "-t", "label", env=env)
    assert run.exit_code == 0, run.stderr
    assert math.isclose(float(run.stdout), log_loss(CLASS_LABELS, CLASS_PROBS), rel_tol=1e-12)
    bad = _binary_csv(tmp_path, probs=[0.8, 0.3, 0.6, "x", 0.1, 0.35])
    run = cli("compute", "log-loss", bad, env=env)
    assert run.exit_code == 3
    assert "row 4, column 'y_pred': 'x' is not a number" in run.stderr


def test_numeric_targets_are_read_as_before_and_labels_needs_a_label_loss(cli) -> None:
    run = cli("compute", "log-loss", "-", input="y_true,y_pred\n1,0.8\n0,0.3\n")
    assert run.exit_code == 0
    assert "labels mapped" not in run.stderr
    assert math.isclose(float(run.stdout), log_loss([1, 0], [0.8, 0.3]), rel_tol=1e-12)
    run = cli("compute", "mse", "--y-true", "1,2", "--y-pred", "1,2", "--labels", "a,b")
    assert run.exit_code == 2


def test_compare_all_reads_text_labels_as_compute_does(cli, tmp_path) -> None:
    """--all knows the task only once it reads: text labels are classes there too, and the
    cross-entropy row is scikit-learn's log_loss, as `compute ce` gives it."""
    run = cli("compare", "--all", _class_csv(tmp_path), "-t", "label", "--json")
    assert run.exit_code == 0, run.stderr
    rows = {row["loss"]: row for row in json.loads(run.stdout)["losses"]}
    expected = log_loss(CLASS_LABELS, CLASS_PROBS)
    assert math.isclose(rows["cross-entropy"]["value"], expected, rel_tol=1e-12)
    assert "mse" not in rows  # a regression loss does not apply to class labels
    assert "bird=0, cat=1, dog=2" in run.stderr


def test_compare_all_reads_numbers_as_numbers(cli, tmp_path) -> None:
    """The class-label layout of --all leaves a numeric target as it is: a regression table
    still compares the regression losses, with compute's values."""
    path = tmp_path / "residuals.csv"
    path.write_text("y_true,y_pred\n1.5,2\n0,0.25\n-3,1\n")
    run = cli("compare", "--all", str(path), "--json")
    assert run.exit_code == 0, run.stderr
    rows = {row["loss"]: row for row in json.loads(run.stdout)["losses"]}
    assert rows["mse"]["value"] == np.mean([0.25, 0.0625, 16.0])
    assert "cross-entropy" not in rows
