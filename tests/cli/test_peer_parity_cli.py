"""Peer parity options (issue 12) on the command line: exit codes and parsed output."""

from __future__ import annotations

import pytest

NLL_ROWS = "0.7,0.2,0.1;0.3,0.3,0.4;0.2,0.2,0.6;0.1,0.8,0.1"


def test_ignore_label_from_the_command_line(cli):
    # PyTorch common_nn.py NLLLoss desc='ignore_index' on these rows: 0.9830564281864164.
    run = cli(
        "compute",
        "ce",
        "--ignore-label",
        "2",
        "--y-true",
        "0,2,1,2",
        "--y-pred",
        NLL_ROWS,
        "--json",
    )
    assert run.exit_code == 0, run.stderr
    out = run.json()
    assert out["value"] == pytest.approx(0.9830564281864164, rel=1e-12)
    assert out["n"] == 2
    assert any("left out 2 examples labelled 2" in w for w in out["warnings"])


def test_ignore_label_per_example_and_gradient(cli):
    run = cli(
        "compute",
        "ce",
        "--ignore-label",
        "2",
        "--y-true",
        "0,2,1,2",
        "--y-pred",
        NLL_ROWS,
        "--reduction",
        "none",
        "-f",
        "plain",
    )
    assert run.exit_code == 0
    assert [float(v) for v in run.lines()] == pytest.approx(
        [0.35667494393873245, 0.0, 1.6094379124341003, 0.0], rel=1e-12
    )
    assert "left out 2 examples" in run.stderr
    grad = cli(
        "grad",
        "ce",
        "--ignore-label",
        "2",
        "--y-true",
        "0,2",
        "--y-pred",
        "0.7,0.2,0.1;0.3,0.3,0.4",
        "--reduction",
        "mean",
        "--json",
    )
    assert grad.exit_code == 0
    rows = grad.json()["grad"]
    assert rows[1] == [0.0, 0.0, 0.0]
    assert rows[0][0] == pytest.approx(-1 / 0.7)


def test_ignore_label_from_a_table_and_when_nothing_is_left(cli, tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("y,p0,p1\n-100,0.5,0.5\n0,0.8,0.2\n1,0.4,0.6\n")
    run = cli(
        "compute", "ce", str(table), "-t", "y", "-p", "p*", "--ignore-label", "-100", "--json"
    )
    assert run.exit_code == 0, run.stderr
    assert run.json()["value"] == pytest.approx((-np_log(0.8) - np_log(0.6)) / 2)
    assert "row 1" in run.json()["warnings"][0]
    none_left = cli(
        "compute", "ce", "--ignore-label", "1", "--y-true", "1,1", "--y-pred", "0.3,0.7;0.6,0.4"
    )
    assert none_left.exit_code == 3
    assert "all 2 rows have the label given to --ignore-label" in none_left.stderr
    refused = cli("compute", "mse", "--ignore-label", "1", "--y-true", "1", "--y-pred", "2")
    assert refused.exit_code == 2
    assert "takes no class labels" in refused.stderr


def np_log(x: float) -> float:
    import math

    return math.log(x)
