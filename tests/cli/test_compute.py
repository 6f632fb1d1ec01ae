"""`losscli compute` on inline values: numbers, formats, errors and exit codes."""

from __future__ import annotations

import math

import pytest


def test_huber_per_example_matches_design_section_6(cli):
    # docs/design.md section 6 (huber-vs-mse): delta 1, residuals 0.5, 2, 10 -> 0.125, 1.5, 9.5.
    run = cli(
        "compute",
        "huber",
        "--delta",
        "1",
        "--y-true",
        "0,0,0",
        "--y-pred",
        "0.5,2,10",
        "--reduction",
        "none",
    )
    assert run.exit_code == 0
    assert run.tsv() == [
        {"row": "1", "value": "0.125"},
        {"row": "2", "value": "1.5"},
        {"row": "3", "value": "9.5"},
    ]


def test_cross_entropy_prints_bare_number_in_full_precision(cli):
    # -ln 0.7 = 0.35667494393873245 (float64, docs/design.md section 6 ce-3class)
    run = cli("compute", "cross-entropy", "--y-true", "2", "--y-pred", "0.1,0.2,0.7")
    assert run.exit_code == 0
    assert run.stdout == "0.35667494393873245\n"
    assert float(run.stdout) == -math.log(0.7)


def test_json_document_has_the_contract_fields(cli):
    run = cli("compute", "mse", "--y-true", "1,2", "--y-pred", "1,3", "--json")
    doc = run.json()
    assert set(doc) == {"loss", "params", "convention", "reduction", "n", "value", "warnings"}
    assert doc["value"] == 0.5 and doc["n"] == 2 and doc["reduction"] == "mean"


def test_reduction_none_json_has_values(cli):
    doc = cli(
        "compute", "mae", "--y-true", "0,0", "--y-pred", "-1,3", "--reduction", "none", "--json"
    ).json()
    assert doc["values"] == [1.0, 3.0] and "value" not in doc


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("plain", "0.5\n"),
        ("csv", "loss,reduction,n,value\nmse,mean,2,0.5\n"),
        ("tsv", "loss\treduction\tn\tvalue\nmse\tmean\t2\t0.5\n"),
    ],
)
def test_machine_formats(cli, fmt, expected):
    run = cli("compute", "mse", "--y-true", "1,2", "--y-pred", "1,3", "-f", fmt)
    assert run.stdout == expected


def test_jsonl_rows_one_object_per_line(cli):
    run = cli(
        "compute", "mse", "--y-true", "1,2", "--y-pred", "1,3", "--reduction", "none", "-f", "jsonl"
    )
    import json

    assert [json.loads(line) for line in run.lines()] == [
        {"row": 1, "value": 0.0},
        {"row": 2, "value": 1.0},
    ]


def test_table_format_shows_value(cli):
    run = cli("compute", "mse", "--y-true", "1,2", "--y-pred", "1,3", "-f", "table")
    assert run.exit_code == 0 and "0.5" in run.stdout


def test_sum_and_weights(cli):
    assert (
        float(
            cli("compute", "mse", "--y-true", "0,0", "--y-pred", "1,2", "--reduction", "sum").stdout
        )
        == 5.0
    )
    # weighted mean: (1*1 + 3*4) / (1 + 3)
    run = cli("compute", "mse", "--y-true", "0,0", "--y-pred", "1,2", "--weights", "1,3")
    assert float(run.stdout) == pytest.approx(13 / 4, rel=1e-15)


def test_negative_numbers_and_exponents(cli):
    run = cli("compute", "mae", "--y-true", "-1e-3,2E2", "--y-pred", "-2e-3,199")
    assert float(run.stdout) == pytest.approx((1e-3 + 1) / 2, rel=1e-12)


def test_logits_and_bce_at_extreme_logits_are_finite(cli):
    doc = cli(
        "compute",
        "bce",
        "--logits",
        "--y-true",
        "1,0",
        "--y-pred",
        "1e4,-1e4",
        "--reduction",
        "none",
        "--json",
    ).json()
    assert doc["values"] == [0.0, 0.0] and doc["warnings"] == []
    doc = cli("compute", "bce", "--logits", "--y-true", "0", "--y-pred", "1e4", "--json").json()
    assert doc["value"] == 1e4


def test_infinite_value_is_null_in_json_with_warning_naming_eps(cli):
    run = cli("compute", "bce", "--y-true", "1", "--y-pred", "0", "--json")
    assert run.exit_code == 0
    doc = run.json()
    assert doc["value"] is None
    assert any("--eps" in w and "--logits" in w for w in doc["warnings"])
    plain = cli("compute", "bce", "--y-true", "1", "--y-pred", "0")
    assert plain.stdout == "inf\n" and "--eps" in plain.stderr


def test_eps_clips(cli):
    run = cli("compute", "bce", "--y-true", "1", "--y-pred", "0", "--eps", "1e-7")
    assert float(run.stdout) == pytest.approx(-math.log(1e-7), rel=1e-12)


def test_hinge_maps_01_labels_and_says_so(cli):
    run = cli(
        "compute",
        "hinge",
        "--y-true",
        "0,1",
        "--y-pred",
        "0.5,0.5",
        "--reduction",
        "none",
        "-f",
        "plain",
    )
    assert run.lines() == ["1.5", "0.5"]
    assert "mapped" in run.stderr


def test_soft_target_rows_and_multi_row_cross_entropy(cli):
    run = cli(
        "compute",
        "ce",
        "--y-true",
        "2,0",
        "--y-pred",
        "0.1,0.2,0.7;0.3,0.3,0.4",
        "--reduction",
        "none",
        "-f",
        "plain",
    )
    assert [float(v) for v in run.lines()] == pytest.approx([-math.log(0.7), -math.log(0.3)])
    run = cli("compute", "ce", "--y-true", "0,0,1;", "--y-pred", "0.1,0.2,0.7")
    assert float(run.stdout) == -math.log(0.7)


def test_kl_forward_and_reverse_differ(cli):
    forward = float(cli("compute", "kl", "--y-true", "0.5,0.5", "--y-pred", "0.9,0.1").stdout)
    reverse = float(
        cli(
            "compute", "kl", "--y-true", "0.5,0.5", "--y-pred", "0.9,0.1", "--direction", "reverse"
        ).stdout
    )
    assert forward == pytest.approx(0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1))
    assert reverse == pytest.approx(0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5))


def test_expect_matches_and_mismatches(cli):
    ok = cli("compute", "mse", "--y-true", "1,2", "--y-pred", "1,3", "--expect", "0.5")
    assert ok.exit_code == 0
    bad = cli("compute", "mse", "--y-true", "1,2", "--y-pred", "1,3", "--expect", "0.6")
    assert bad.exit_code == 1 and "expected 0.6" in bad.stderr
    near = cli(
        "compute", "mse", "--y-true", "1,2", "--y-pred", "1,3", "--expect", "0.51", "--rtol", "0.1"
    )
    assert near.exit_code == 0


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["mse", "--y-true", "1,x", "--y-pred", "1,2"], "--y-true, value 2: 'x' is not a number"),
        (["mse", "--y-true", "1,nan", "--y-pred", "1,2"], "row 2, --y-true: nan is not a finite"),
        (["mse", "--y-true", "1,2,3", "--y-pred", "1,2"], "3 targets but 2 predictions"),
        (
            ["ce", "--y-true", "3", "--y-pred", "0.1,0.2,0.7"],
            "row 1, --y-true: 3.0 must be a class",
        ),
        (["bce", "--y-true", "1", "--y-pred", "1.2"], "row 1, --y-pred: 1.2 must be a probability"),
        (["ce", "--y-true", "0", "--y-pred", "0.1,0.2,0.6"], "row 1, --y-pred: sums to 0.9"),
        (["ce", "--y-pred", "0.1,0.2;0.7", "--y-true", "0,1"], "--y-pred row 2: has 1 values"),
        (["hinge", "--y-true", "2", "--y-pred", "1"], "must be a label -1 or +1"),
    ],
)
def test_bad_input_exits_3_with_place(cli, args, fragment):
    run = cli("compute", *args)
    assert run.exit_code == 3
    assert run.stdout == ""
    assert run.stderr.startswith("losscli: error: ")
    assert fragment in run.stderr
    assert len(run.stderr.splitlines()) == 1
    assert "Traceback" not in run.stderr


def test_normalize_rescales_rows(cli):
    run = cli("compute", "ce", "--y-true", "0", "--y-pred", "1,1", "--normalize")
    assert float(run.stdout) == pytest.approx(math.log(2), rel=1e-15)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["hubr", "--y-true", "1", "--y-pred", "1"], "did you mean huber"),
        (["mse", "--delta", "2", "--y-true", "1", "--y-pred", "1"], "mse has no parameter --delta"),
        (["huber", "--delta", "-1", "--y-true", "1", "--y-pred", "1"], "--delta must be greater"),
        (["mse", "--logits", "--y-true", "1", "--y-pred", "1"], "mse takes raw predictions"),
        (
            ["bce", "--logits", "--log-probs", "--y-true", "1", "--y-pred", "1"],
            "exclude each other",
        ),
        (["mse", "--y-true", "1"], "--y-pred is missing"),
        (["mse", "--y-true", "1", "--y-pred", "1", "--no-such-option"], "No such option"),
        (
            ["kl", "--direction", "sideways", "--y-true", "0.5,0.5", "--y-pred", "0.5,0.5"],
            "--direction must be one of forward, reverse",
        ),
    ],
)
def test_usage_errors_exit_2(cli, args, fragment):
    run = cli("compute", *args)
    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr.startswith("losscli: error: ")
    assert fragment in run.stderr


def test_a_terminal_table_is_titled_with_the_options_as_typed(cli):
    # Issue 19: the title was a Python repr, `cross-entropy(eps=0.0, label_smoothing=0.0)`.
    from losscli.cli.compute import _title
    from losscli.core import make_request

    assert _title(make_request("cross-entropy")) == "cross-entropy --eps 0 --label-smoothing 0"
    assert _title(make_request("huber", {"delta": 0.5})) == "huber --delta 0.5"
    focal = make_request("softmax-focal", {"alpha": (0.25, 0.75)}, convention="keras")
    assert _title(focal) == (
        "softmax-focal --gamma 2 --alpha 0.25,0.75 --label-smoothing 0 --convention keras"
    )
    run = cli("compute", "huber", "--delta", "0.5", "--y-true", "0", "--y-pred", "2", "-f", "table")
    assert run.exit_code == 0 and "huber --delta 0.5" in run.stdout and "delta=" not in run.stdout
