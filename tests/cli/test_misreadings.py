"""Issue 12, "the number the user meant": natural inputs that once printed a number the user did
not mean with exit 0. Each test runs the user's exact command and checks the right number, or
the refusal (exit 2 or 3) with one line naming the unambiguous form."""

from __future__ import annotations

import math

import pytest

# --- a repeated single-valued option -----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("compute", "mse", "--y-true", "1", "--y-pred", "0.3", "--y-pred", "0.4"), "--y-pred"),
        (
            (
                "compute",
                "focal",
                "--gamma",
                "0",
                "--gamma",
                "2",
                "--y-true",
                "1",
                "--y-pred",
                "0.3",
            ),
            "--gamma",
        ),
        (
            ("compute", "focal", "--gamma=0", "--gamma=2", "--y-true", "1", "--y-pred", "0.3"),
            "--gamma",
        ),
        (("compute", "ce", "-t", "a", "--target", "b", "-"), "--target"),
        (
            ("grad", "huber", "--delta", "1", "--delta", "2", "--y-true", "0", "--y-pred", "3"),
            "--delta",
        ),
        (("compare", "mse", "mae", "--y-true", "1", "--y-true", "2", "--y-pred", "0"), "--y-true"),
    ],
)
def test_a_repeated_single_valued_option_is_a_usage_error(cli, args, option) -> None:
    run = cli(*args, input="a,b\n1,2\n")
    assert run.exit_code == 2
    assert run.stdout == ""
    assert f"{option} was given twice" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_a_repeatable_option_may_repeat(cli) -> None:
    # exercise check -a is declared repeatable: one answer per part.
    run = cli("exercise", "check", "nope", "-a", "1", "-a", "2")
    assert "given twice" not in run.stderr


def test_one_value_each_is_still_fine(cli) -> None:
    run = cli("compute", "mse", "--y-true=1", "--y-pred", "-0.3")
    assert run.exit_code == 0
    assert math.isclose(float(run.stdout), 1.69)


# --- an inline one-hot target ------------------------------------------------------------------


def test_an_inline_one_hot_target_is_one_row(cli) -> None:
    # Keras: CategoricalCrossentropy()([[0, 0, 1]], [[0.1, 0.2, 0.7]]) = -ln 0.7 = 0.3567 (one
    # example); it once printed 0.2284 with n = 3, three binary labels.
    run = cli("compute", "ce", "--y-true", "0,0,1", "--y-pred", "0.1,0.2,0.7")
    assert run.exit_code == 0
    assert math.isclose(float(run.stdout), -math.log(0.7), rel_tol=1e-12)
    assert "one one-hot target row" in run.stderr
    assert '--y-pred "0.1;0.2;0.7"' in run.stderr
    data = cli("compute", "ce", "--y-true", "0,0,1", "--y-pred", "0.1,0.2,0.7", "--json").json()
    assert data["n"] == 1


def test_the_binary_reading_the_note_names_gives_three_examples(cli) -> None:
    run = cli("compute", "ce", "--y-true", "0,0,1", "--y-pred", "0.1;0.2;0.7", "--json")
    assert run.exit_code == 0
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.7)) / 3
    assert run.json()["n"] == 3
    assert math.isclose(run.json()["value"], expected, rel_tol=1e-12)
    assert "one-hot" not in run.stderr


def test_an_inline_one_hot_target_with_logits(cli) -> None:
    run = cli("compute", "ce", "--logits", "--y-true", "0,0,1", "--y-pred", "1,2,3")
    expected = math.log(math.exp(1) + math.exp(2) + math.exp(3)) - 3
    assert math.isclose(float(run.stdout), expected, rel_tol=1e-12)
    assert "one-hot" in run.stderr


def test_labels_with_predictions_that_are_no_row_stay_binary(cli) -> None:
    # 0.2 + 0.9 + 0.1 is not a distribution: three binary examples, as documented.
    run = cli("compute", "ce", "--y-true", "0,1,0", "--y-pred", "0.2,0.9,0.1", "--json")
    assert run.json()["n"] == 3
    assert "one-hot" not in run.stderr


# --- a table without a header ------------------------------------------------------------------


def _headerless_proba() -> tuple[str, float]:
    """Labels and predict_proba rows written without a header, and scikit-learn's log_loss."""
    from sklearn.metrics import log_loss

    labels = [0, 1, 1, 0, 1, 0, 1, 1]
    proba = [0.91, 0.12, 0.33, 0.8, 0.05, 0.7, 0.4, 0.02]  # P(class 0)
    rows = "".join(f"{y},{p},{1 - p!r}\n" for y, p in zip(labels, proba, strict=True))
    expected = log_loss(labels, [[p, 1 - p] for p in proba])
    return rows, float(expected)


def test_a_headerless_table_keeps_its_first_row(cli) -> None:
    rows, expected = _headerless_proba()
    run = cli("compute", "ce", "--json", input=rows)
    assert run.exit_code == 0
    assert run.json()["n"] == 8
    assert math.isclose(run.json()["value"], expected, rel_tol=1e-12)
    assert "the first line looks like data" in run.stderr
    assert "columns are named 1..3" in run.stderr


def test_header_forces_the_first_line_to_be_names(cli) -> None:
    rows, _ = _headerless_proba()
    run = cli("compute", "ce", "--header", "--json", input=rows)
    assert run.exit_code == 0
    assert run.json()["n"] == 7
    assert "looks like data" not in run.stderr


def test_no_header_says_nothing_about_guessing(cli) -> None:
    rows, expected = _headerless_proba()
    run = cli("compute", "ce", "--no-header", "--json", input=rows)
    assert math.isclose(run.json()["value"], expected, rel_tol=1e-12)
    assert "looks like data" not in run.stderr


def test_pandas_column_indices_stay_a_header(cli) -> None:
    # pd.DataFrame(proba).to_csv(index=False) writes the column indices 0,1,2 as the header.
    table = "0,1,2\n0.1,0.2,0.7\n0.3,0.3,0.4\n"
    run = cli("compute", "mse", "-t", "0", "-p", "1", "--json", input=table)
    assert run.exit_code == 0
    assert run.stderr == ""  # names: nothing guessed, nothing said
    assert run.json()["n"] == 2
    assert math.isclose(run.json()["value"], (0.1**2 + 0.0**2) / 2, rel_tol=1e-12)


@pytest.mark.parametrize(
    ("text", "is_data"),
    [
        ("0.93,0.07\n0.2,0.8\n", True),  # predict_proba without a header
        ("1,0.9\n0,0.2\n1,0.6\n", True),  # label, probability
        ("0,1,2\n0.1,0.2,0.7\n0.3,0.3,0.4\n", False),  # pandas' column indices
        ("y_true,y_pred\n1,0.9\n", False),  # names
        ("1,0.9\n", True),  # a lone numeric line
        ("2,3\nfoo,bar\n", False),  # numbers above text
    ],
)
def test_first_line_is_data_as_a_sniffer_judges(text: str, is_data: bool) -> None:
    from losscli.inputs.table import first_line_is_data

    first, rest = text.split("\n", 1)
    assert first_line_is_data(first.split(","), rest.encode(), ",") is is_data


# --- an error hint names the fix that works ----------------------------------------------------


def test_guessed_columns_hint_names_the_columns_not_normalize(cli) -> None:
    table = "y,p0,p1,flag\n1,0.3,0.7,0\n0,0.6,0.4,1\n"
    run = cli("compute", "ce", input=table)
    assert run.exit_code == 3
    assert "--normalize" not in run.stderr
    hint = run.stderr.splitlines()[-1]
    assert hint == "hint: the columns were guessed; name them: -t y -p 'p*'"
    # Followed, the hint gives scikit-learn's log_loss([1, 0], [[0.3, 0.7], [0.6, 0.4]]).
    fixed = cli("compute", "ce", "-t", "y", "-p", "p*", input=table)
    assert fixed.exit_code == 0
    assert math.isclose(float(fixed.stdout), -(math.log(0.7) + math.log(0.6)) / 2, rel_tol=1e-12)


def test_a_guessed_target_hint_names_the_target_column(cli) -> None:
    run = cli("compute", "ce", input="id,y,p0,p1\n7,1,0.3,0.7\n8,0,0.6,0.4\n")
    assert run.exit_code == 3
    assert run.stderr.splitlines()[-1].endswith("-t y -p 'p*'")


def test_named_columns_keep_the_normalize_remedy(cli) -> None:
    run = cli("compute", "ce", "-t", "y", "-p", "p*", input="y,p0,p1\n1,0.3,0.6\n")
    assert run.exit_code == 3
    assert "pass --normalize" in run.stderr
    assert "hint:" not in run.stderr


# --- a convention's clipping runs before the catalog's domain check ---------------------------


def test_msle_under_keras_clips_before_the_domain_check(cli) -> None:
    # keras/src/losses/losses_test.py, MeanSquaredLogarithmicErrorTest.test_unweighted:
    # y_true [[1, 9, 2], [-5, -2, 6]], y_pred [[4, 8, 12], [8, 1, 3]] -> 1.4370 (rows of equal
    # width: the mean of the row means is the mean of the six values).
    run = cli(
        "compute", "msle", "--convention", "keras",
        "--y-true", "1,9,2,-5,-2,6", "--y-pred", "4,8,12,8,1,3",
    )  # fmt: skip
    assert run.exit_code == 0
    assert math.isclose(float(run.stdout), 1.4370, abs_tol=5e-5)
    # The catalog's msle still refuses ln(1 + y) of y <= -1.
    run = cli("compute", "msle", "--y-true", "-5", "--y-pred", "1")
    assert run.exit_code == 3
    assert "greater than -1" in run.stderr


# --- compare's top 1% share stays in [0, 1] ----------------------------------------------------


def test_compare_share_of_a_negative_log_likelihood_is_na(cli) -> None:
    # Gaussian NLL is a log-density: below 0 where σ² is small; its "share" was 132.7%.
    run = cli(
        "compare", "gaussian-nll", "--json",
        "--y-true", "1,2,3,10", "--y-pred", "1,0.01;2,1;3,1;4,1",
    )  # fmt: skip
    assert run.exit_code == 0
    row = run.json()["losses"][0]
    assert row["top_1pct_share"] is None
    assert any("top_1pct_share is n/a" in w for w in run.json()["warnings"])


def test_compare_share_under_the_torch_poisson_is_na(cli) -> None:
    # PyTorch's PoissonNLLLoss drops the target's constant: values below 0 (the share was -32%).
    run = cli("compare", "poisson", "--conventions", "--json",
              "--y-true", "1,2,3,10", "--y-pred", "1,2,3,4")  # fmt: skip
    rows = {r["convention"]: r for r in run.json()["conventions"]}
    assert rows["torch"]["value"] < 0
    assert rows["torch"]["top_1pct_share"] is None
    assert rows["catalog"]["top_1pct_share"] == 1.0
    for row in rows.values():
        share = row.get("top_1pct_share")
        assert share is None or 0.0 <= share <= 1.0


def test_every_share_compare_prints_is_in_0_1(cli) -> None:
    run = cli("compare", "--all", "--json", "--y-true", "1,0,1,1", "--y-pred", "0.9,0.2,0.6,0.3")
    for row in run.json()["losses"]:
        share = row["top_1pct_share"]
        assert share is None or 0.0 <= share <= 1.0


# --- sample weights under a convention divide as the framework does -----------------------------


def test_keras_sample_weights_divide_by_the_count(cli) -> None:
    # keras/src/losses/losses_test.py, MeanSquaredErrorTest: y_true [[1, 9, 2], [-5, -2, 6]],
    # y_pred [[4, 8, 12], [8, 1, 3]]; sample_weight=2.3 gives 113.85 (49.5 x 2.3) and
    # sample_weight=[1.2, 3.4] gives 767.8 / 6 (each row's weight repeated over its 3 values).
    common = ("--y-true", "1,9,2,-5,-2,6", "--y-pred", "4,8,12,8,1,3")
    run = cli(
        "compute", "mse", "--convention", "keras", *common, "--weights", "2.3,2.3,2.3,2.3,2.3,2.3"
    )
    assert math.isclose(float(run.stdout), 113.85, rel_tol=1e-12)
    run = cli(
        "compute", "mse", "--convention", "keras", *common, "--weights", "1.2,1.2,1.2,3.4,3.4,3.4"
    )
    assert math.isclose(float(run.stdout), 767.8 / 6, rel_tol=1e-12)
    # The catalog (and scikit-learn's sample_weight) is the weighted mean: a scalar weight cancels.
    for convention in ("catalog", "sklearn"):
        run = cli(
            "compute",
            "mse",
            "--convention",
            convention,
            *common,
            "--weights",
            "2.3,2.3,2.3,2.3,2.3,2.3",
        )
        assert math.isclose(float(run.stdout), 49.5, rel_tol=1e-12)


def test_torch_element_weights_divide_by_the_count(cli) -> None:
    # torch 2.13: F.binary_cross_entropy(p, y, weight=w) with p [0.3, 0.8, 0.6], y [1, 0, 1],
    # w [1, 2, 3] (float64) = 1.9851085001640365; with_logits on [0.5, -1, 2]: 0.4937947974484899.
    run = cli("compute", "bce", "--convention", "torch",
              "--y-true", "1,0,1", "--y-pred", "0.3,0.8,0.6", "--weights", "1,2,3")  # fmt: skip
    assert math.isclose(float(run.stdout), 1.9851085001640365, rel_tol=1e-12)
    run = cli("compute", "bce", "--convention", "torch", "--logits",
              "--y-true", "1,0,1", "--y-pred", "0.5,-1,2", "--weights", "1,2,3")  # fmt: skip
    assert math.isclose(float(run.stdout), 0.4937947974484899, rel_tol=1e-12)


def test_the_gradient_under_keras_weights_is_of_the_same_mean(cli) -> None:
    run = cli("grad", "mse", "--convention", "keras", "--reduction", "mean", "--check",
              "--y-true", "0,0", "--y-pred", "1,2", "--weights", "0.5,0.5", "-f", "json")  # fmt: skip
    assert run.exit_code == 0
    # d/dŷ of (0.5 ŷ1² + 0.5 ŷ2²) / 2 = 0.5 ŷ.
    assert run.json()["grad"] == [0.5, 1.0]


def test_keras_rmse_is_a_metric_with_the_weighted_mean(cli) -> None:
    # keras.metrics.RootMeanSquaredError is a Mean metric: sqrt(Σ w r² / Σ w).
    run = cli("compute", "rmse", "--convention", "keras",
              "--y-true", "0,0", "--y-pred", "1,3", "--weights", "1,3")  # fmt: skip
    assert math.isclose(float(run.stdout), math.sqrt((1 + 27) / 4), rel_tol=1e-12)


def test_show_and_compare_say_how_each_convention_divides(cli) -> None:
    shown = cli("show", "mse", "-f", "tsv").stdout
    assert "With --weights: Σ w·L / N: Keras's default reduction" in shown
    assert "With --weights: Σ w·L / Σ w" in shown
    run = cli("compare", "mse", "--conventions", "--json",
              "--y-true", "0,0", "--y-pred", "1,2", "--weights", "0.5,0.5")  # fmt: skip
    rows = {r["convention"]: r for r in run.json()["conventions"]}
    assert rows["keras"]["weighted_mean"] == "Σ w·L / N" and rows["keras"]["value"] == 1.25
    assert rows["torch"]["weighted_mean"] == "Σ w·L / N" and rows["torch"]["value"] == 1.25
    assert rows["sklearn"]["weighted_mean"] == "Σ w·L / Σ w" and rows["sklearn"]["value"] == 2.5
    tsv = cli("compare", "mse", "--conventions",
              "--y-true", "0,0", "--y-pred", "1,2", "--weights", "0.5,0.5").tsv()  # fmt: skip
    assert {r["convention"]: r["weighted_mean"] for r in tsv}["keras"] == "Σ w·L / N"


def test_weights_of_one_change_nothing_under_any_convention(cli) -> None:
    # PyTorch's class-weighted cross-entropy keeps its own denominator Σ w[y] (README: 0.5906).
    args = ("--y-true", "0,1,1", "--y-pred", "0.8,0.2;0.3,0.7;0.6,0.4")
    for convention in ("catalog", "torch", "keras", "sklearn"):
        extra = ("--class-weights", "1,4") if convention in ("catalog", "torch") else ()
        plain = cli("compute", "ce", "--convention", convention, *extra, *args)
        ones = cli("compute", "ce", "--convention", convention, *extra, *args, "--weights", "1,1,1")
        assert plain.exit_code == ones.exit_code == 0
        assert float(ones.stdout) == pytest.approx(float(plain.stdout), rel=1e-15)
