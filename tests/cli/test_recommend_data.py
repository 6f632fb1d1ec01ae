"""`losscli recommend FILE|-`: profiling tables from files and stdin, and their errors."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from conftest import run_subprocess

N = 20_000


def table(tmp_path, name: str, **columns) -> str:
    path = tmp_path / name
    df = pl.DataFrame(columns)
    if name.endswith(".parquet"):
        df.write_parquet(path)
    else:
        df.write_csv(path)
    return str(path)


@pytest.fixture
def gross_outliers(tmp_path) -> str:
    """Residual noise with scale 3 and 2% gross errors."""
    rng = np.random.default_rng(21)
    y = rng.uniform(0, 100, N)
    noise = rng.normal(0, 3, N)
    gross = rng.random(N) < 0.02
    noise[gross] = rng.choice([-1, 1], gross.sum()) * rng.uniform(30, 100, gross.sum())
    return table(tmp_path, "reg.csv", price=y, predicted=y + noise)


@pytest.fixture
def rare_positives(tmp_path) -> str:
    labels = np.zeros(N, dtype=np.int64)
    labels[np.random.default_rng(22).choice(N, 100, replace=False)] = 1
    return table(tmp_path, "labels.csv", id=np.arange(N), label=labels)


def test_residuals_from_a_csv_file(cli, gross_outliers):
    run = cli("recommend", gross_outliers, "--target", "price", "--pred", "predicted", "--json")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    profile = doc["profile"]
    assert profile["source"] == gross_outliers and profile["rows"] == N
    assert (profile["target"], profile["pred"], profile["basis"]) == (
        "price",
        "predicted",
        "residuals",
    )
    assert profile["scale"] == pytest.approx(3.0, rel=0.05)
    assert profile["tail_share"] == pytest.approx(0.0227, abs=0.004)
    assert profile["outliers"] == "heavy" and profile["robust_stats"] == "exact"
    first = doc["recommendations"][0]
    assert first["loss"] == "huber"
    assert first["params"]["delta"] == pytest.approx(1.345 * 3.0, rel=0.05)
    assert "of residuals lie beyond 3 robust SD; excess kurtosis" in first["reasons"][0]


def test_labels_from_stdin_plain_top_loss(cli, rare_positives):
    with open(rare_positives) as f:
        text = f.read()
    run = cli("recommend", "-t", "label", "-f", "plain", input=text)
    assert run.exit_code == 0, run.stderr
    assert run.lines()[0] == "focal"


def test_stdin_with_dash_and_json(cli, rare_positives):
    with open(rare_positives) as f:
        text = f.read()
    doc = cli("recommend", "-", "-t", "2", "--json", input=text).json()
    assert doc["profile"]["source"] == "stdin"
    assert doc["profile"]["classes"] == {"0": N - 100, "1": 100}
    assert doc["profile"]["positive_rate"] == 0.005
    assert doc["recommendations"][0]["params"] == {"gamma": 2.0, "alpha": 0.25}


def test_piped_stdin_in_a_real_process(rare_positives):
    with open(rare_positives, "rb") as f:
        done = run_subprocess("recommend", "-t", "label", "-f", "plain", input=f.read())
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines()[0] == "focal"


def test_piped_table_without_arguments_in_a_real_process(rare_positives):
    # Issue 18: `cat f | losscli recommend` printed the help and exited 2.
    with open(rare_positives, "rb") as f:
        done = run_subprocess("recommend", "-f", "plain", input=f.read())
    assert done.returncode == 0, done.stderr
    # The first column (id) is the target by default, and said: 20,000 distinct values.
    assert b"using column 'id' as the target" in done.stderr


def test_piped_table_is_profiled_with_task(cli, rare_positives):
    # Issue 15: `cat imb.csv | losscli recommend --task binary` ignored the data.
    with open(rare_positives) as f:
        text = f.read()
    doc = cli("recommend", "-t", "label", "--task", "binary", "--json", input=text).json()
    assert doc["profile"]["source"] == "stdin" and doc["profile"]["positive_rate"] == 0.005
    assert doc["recommendations"][0]["loss"] == "focal"
    # Without -t the first column is the target; --task binary then refuses 20,000 classes.
    plain = cli("recommend", "--task", "binary", "-t", "label", "-f", "plain", input=text)
    assert plain.lines()[0] == "focal"


def test_task_with_an_empty_stdin_reads_the_flags(cli):
    doc = cli("recommend", "--task", "binary", "--json", input="").json()
    assert doc["profile"]["source"] == "flags"


def test_default_columns_y_true_and_y_pred(cli, tmp_path):
    rng = np.random.default_rng(23)
    y = rng.normal(0, 1, 5000)
    path = table(tmp_path, "d.parquet", y_pred=y + rng.normal(0, 0.5, 5000), y_true=y)
    doc = cli("recommend", path, "--json").json()
    assert (doc["profile"]["target"], doc["profile"]["pred"]) == ("y_true", "y_pred")
    assert doc["recommendations"][0]["loss"] == "mse"


def test_first_column_is_the_target_and_said(cli, tmp_path):
    rng = np.random.default_rng(24)
    path = table(tmp_path, "t.csv", amount=rng.normal(10, 2, 3000), other=np.ones(3000))
    run = cli("recommend", path, "--json")
    assert run.exit_code == 0
    assert "using column 'amount' as the target" in run.stderr
    profile = run.json()["profile"]
    assert profile["basis"] == "target" and profile["pred"] is None
    assert profile["median"] == pytest.approx(10, abs=0.2)


def test_balanced_labels_recommend_cross_entropy(cli, tmp_path):
    labels = np.random.default_rng(25).integers(0, 2, N)
    path = table(tmp_path, "b.csv", y=labels)
    assert cli("recommend", path, "-f", "plain").lines()[0] == "binary-cross-entropy"


def test_task_regression_reads_integer_labels_as_numbers(cli, tmp_path):
    ratings = np.random.default_rng(26).integers(1, 6, 2000)
    path = table(tmp_path, "r.csv", rating=ratings)
    assert cli("recommend", path, "--json").json()["profile"]["task"] == "multiclass"
    doc = cli("recommend", path, "--task", "regression", "--json").json()
    assert doc["profile"]["task"] == "regression" and doc["profile"]["basis"] == "target"


def test_target_stat_and_want_apply_to_data(cli, gross_outliers):
    run = cli(
        "recommend",
        gross_outliers,
        "-t",
        "price",
        "-p",
        "predicted",
        "--target-stat",
        "median",
        "-f",
        "plain",
    )
    assert run.lines()[0] == "mae"


def test_labels_with_predictions_warn_that_predictions_are_unused(cli, tmp_path):
    rng = np.random.default_rng(27)
    path = table(tmp_path, "p.csv", y_true=rng.integers(0, 2, 500), y_pred=rng.random(500))
    doc = cli("recommend", path, "--json").json()
    assert doc["profile"]["task"] == "binary"
    assert any("prediction column is not used" in w for w in doc["warnings"])


def test_small_tables_are_flagged(cli, tmp_path):
    path = table(tmp_path, "s.csv", y_true=[1.0, 2.5, 3.0, 7.5], y_pred=[1.5, 2.0, 3.5, 7.0])
    run = cli("recommend", path)
    assert run.exit_code == 0
    assert "losscli: warning: only 4 rows" in run.stderr


def test_nan_skip_profiles_the_rest(cli, tmp_path):
    path = tmp_path / "n.csv"
    path.write_text(
        "y_true,y_pred\n" + "".join(f"{i}.5,{1.1 * i:.2f}\n" for i in range(200)) + "3,\n"
    )
    doc = cli("recommend", str(path), "--nan", "skip", "--json").json()
    assert doc["profile"]["rows"] == 200
    assert any("skipped 1 row" in w for w in doc["warnings"])


# --- errors: docs/design.md section 3 ---------------------------------------------------------------


def error_of(run, code: int) -> str:
    """The one error line; a note on the default columns may come before it."""
    assert run.exit_code == code, (run.stdout, run.stderr)
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    errors = [line for line in lines if line.startswith("losscli: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0]
    assert all(line.startswith("losscli: note: ") for line in lines[:-1])
    return errors[0]


def test_empty_table(cli, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("y_true,y_pred\n")
    assert "no examples" in error_of(cli("recommend", str(path)), 3)
    assert "empty" in error_of(cli("recommend", "-t", "1", input=""), 3)


def test_bad_cell_names_row_and_column(cli, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("y_true,y_pred\n1,2\n3,abc\n")
    line = error_of(cli("recommend", str(path)), 3)
    assert "row 2" in line and "'y_pred'" in line and "'abc'" in line


def test_unknown_column(cli, gross_outliers):
    line = error_of(cli("recommend", gross_outliers, "-t", "prise"), 3)
    assert "no column 'prise'" in line and "did you mean 'price'" in line


def test_single_class(cli, tmp_path):
    path = table(tmp_path, "one.csv", y=[1, 1, 1])
    line = error_of(cli("recommend", path), 3)
    assert "column 'y'" in line and "all 3 targets are the label 1" in line


def test_task_that_does_not_match_the_labels(cli, tmp_path):
    path = table(tmp_path, "three.csv", y=[0, 1, 2, 1])
    assert "--task binary, but the target has 3 classes" in error_of(
        cli("recommend", path, "--task", "binary"), 3
    )


def test_no_spread(cli, tmp_path):
    path = table(tmp_path, "flat.csv", y_true=[1.5, 2.5], y_pred=[1.5, 2.5])
    assert "all 2 residuals are equal" in error_of(cli("recommend", path), 3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--positive-rate", "0.1"], "--positive-rate is a fact to state without data"),
        (["--outliers", "heavy"], "--outliers is a fact to state without data"),
        (["-t", "price", "-p", "price"], "is both the target and a prediction"),
    ],
)
def test_usage_errors_with_a_table(cli, gross_outliers, args, message):
    assert message in error_of(cli("recommend", gross_outliers, *args), 2)


def test_embedding_needs_pair_labels_and_distances(cli, gross_outliers):
    line = error_of(cli("recommend", gross_outliers, "-t", "price", "--task", "embedding"), 3)
    assert "pairs need a target of two labels (similar or not) and one distance column" in line


def test_several_target_columns_must_be_soft_labels(cli, gross_outliers):
    line = error_of(cli("recommend", gross_outliers, "-t", "price,predicted"), 3)
    assert "row 1" in line and "must sum to 1 (soft labels)" in line
    line = error_of(
        cli("recommend", gross_outliers, "-t", "price,predicted", "--task", "binary"), 2
    )
    assert "soft labels are --task distribution, not binary" in line


def test_several_prediction_columns_need_labels(cli, tmp_path):
    rng = np.random.default_rng(28)
    path = table(
        tmp_path, "m.csv", y=rng.normal(size=300), a=rng.normal(size=300), b=rng.normal(size=300)
    )
    assert "residuals need one prediction column" in error_of(
        cli("recommend", path, "-t", "y", "-p", "a,b"), 2
    )


def test_missing_file(cli, tmp_path):
    assert "no such file" in error_of(cli("recommend", str(tmp_path / "nope.csv")), 2)


def test_target_alone_when_only_t_is_given(cli, tmp_path):
    rng = np.random.default_rng(29)
    y = rng.normal(5, 2, 4000)
    path = table(tmp_path, "both.csv", y_true=y, y_pred=y + rng.normal(0, 0.1, 4000))
    profile = cli("recommend", path, "-t", "y_true", "--json").json()["profile"]
    assert profile["pred"] is None and profile["basis"] == "target"
    assert profile["scale"] == pytest.approx(2, rel=0.05)
