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


def test_js_normalize_on_count_rows(cli):
    # SciPy: jensenshannon([1, 2], [0.5, 1.5]) = 0.0649045071124932, the root of JS.
    run = cli("compute", "js", "--normalize", "--y-true", "1,2;", "--y-pred", "0.5,1.5;", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["value"] ** 0.5 == pytest.approx(0.0649045071124932, rel=1e-12)
    refused = cli("compute", "js", "--y-true", "1,2;", "--y-pred", "0.5,1.5;")
    assert refused.exit_code == 3
    assert "--normalize" in refused.stderr


def test_kl_torch_and_log_target_from_the_command_line(cli):
    # F.kl_div(Q.log(), P) = -0.013249221028219757 with rows not summing to 1.
    run = cli(
        "compute",
        "kl",
        "--convention",
        "torch",
        "--y-true",
        "0.2,0.5,0.4;0.1,0.1,0.1",
        "--y-pred",
        "0.3,0.3,0.3;0.5,0.2,0.4",
        "-f",
        "plain",
    )
    assert run.exit_code == 0, run.stderr
    assert float(run.stdout) == pytest.approx(-0.013249221028219757, rel=1e-12)
    # F.kl_div(log Q, log P, log_target=True, reduction='sum') = 0.025776095804356802.
    logged = cli(
        "compute",
        "kl",
        "--log-target",
        "--y-true",
        "-1.6094,-0.2231",
        "--y-pred",
        "0.3,0.7",
        "-f",
        "plain",
    )
    assert logged.exit_code == 0, logged.stderr
    assert float(logged.stdout) == pytest.approx(0.025776095804356802, rel=1e-12)
    wrong = cli("compute", "mse", "--log-target", "--y-true", "1", "--y-pred", "1")
    assert wrong.exit_code == 2


MULTI = ("--y-true", "1,2;2.5,-1;4.5,3;5,7", "--y-pred", "1,1;2,-1;5,4;5,6.5")


def test_multioutput_from_the_command_line(cli, tmp_path):
    # scikit-learn: mean_squared_error(..., multioutput='raw_values') = [0.125, 0.5625];
    # root_mean_squared_error(...) = 0.5517766952966369 (uniform average of the roots).
    raw = cli("compute", "mse", "--multioutput", "raw", *MULTI, "--json")
    assert raw.exit_code == 0, raw.stderr
    assert raw.json()["values"] == {"1": 0.125, "2": 0.5625}
    uniform = cli("compute", "rmse", "--multioutput", "uniform", *MULTI, "-f", "plain")
    assert float(uniform.stdout) == pytest.approx(0.5517766952966369, rel=1e-15)
    # Keras's per-sample loss: the mean over the last axis (MeanAbsoluteError per row).
    rows = cli(
        "compute", "mae", "--multioutput", "uniform", "--reduction", "none", *MULTI, "-f", "plain"
    )
    assert [float(v) for v in rows.lines()] == [0.5, 0.25, 0.75, 0.25]
    table = tmp_path / "two.csv"
    table.write_text("a,b,pa,pb\n1,2,1,1\n2.5,-1,2,-1\n4.5,3,5,4\n5,7,5,6.5\n")
    named = cli("compute", "mse", str(table), "-t", "a,b", "-p", "pa,pb", "--multioutput", "raw")
    assert named.exit_code == 0, named.stderr
    assert named.tsv() == [{"output": "pa", "value": "0.125"}, {"output": "pb", "value": "0.5625"}]
    bad = cli("compute", "mse", "--multioutput", "raw", "--y-true", "1,2", "--y-pred", "1,2,3;")
    assert bad.exit_code in (2, 3)


def test_precision_float32_from_the_command_line(cli):
    # keras/src/losses/losses_test.py BinaryCrossentropyTest.test_unweighted expects 3.98559.
    args = ("--convention", "keras", "--y-true", "1,0;1,0", "--y-pred", "1,1;1,0", "-f", "plain")
    single = cli("compute", "multilabel-bce", "--precision", "float32", *args)
    assert single.exit_code == 0, single.stderr
    assert float(single.stdout) == pytest.approx(3.98559, abs=1e-5)
    double = cli("compute", "multilabel-bce", *args)
    assert float(double.stdout) == pytest.approx(4.029523987871173, rel=1e-12)
    check = cli(
        "grad",
        "bce",
        "--precision",
        "float32",
        "--logits",
        "--y-true",
        "1,0",
        "--y-pred",
        "0.3,-2",
        "--check",
        "-f",
        "plain",
    )
    assert check.exit_code == 0, check.stderr
    bad = cli("compute", "mse", "--precision", "float16", "--y-true", "1", "--y-pred", "1")
    assert bad.exit_code == 2


@pytest.mark.parametrize(
    ("loss", "options"),
    [
        ("ce", {"--ignore-label", "--precision"}),
        ("kl", {"--log-target", "--normalize", "--precision"}),
        ("rmse", {"--multioutput", "--precision"}),
    ],
)
def test_show_says_what_each_new_option_does(cli, loss, options):
    shown = cli("show", loss, "--json")
    assert shown.exit_code == 0
    assert {o["option"] for o in shown.json()["options"]} == options
    text = cli("show", loss, "-f", "plain").stdout
    assert all(f"option {o}" in text for o in options)
    assert "torch" in cli("show", loss).stdout


def test_readme_peer_parity_examples_are_true(cli):
    import re
    import shlex

    from conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Forms, parameters and reductions the frameworks test", 1)[1]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block
    commands: list[tuple[str, list[str]]] = []
    for line in block.group(1).splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        else:
            commands[-1][1].append(line)
    assert len(commands) == 4
    for command, expected in commands:
        run = cli(*shlex.split(command)[1:])
        assert run.exit_code == 0, run.stderr
        assert run.stdout.splitlines() == expected


def test_compare_passes_the_row_settings_to_the_losses_they_apply_to(cli):
    rows = ("--y-true", "0,2,1", "--y-pred", "0.7,0.2,0.1;0.3,0.3,0.4;0.2,0.6,0.2")
    run = cli("compare", "ce", "multiclass-hinge", "--ignore-label", "2", *rows, "-f", "tsv")
    assert run.exit_code == 0, run.stderr
    values = {row["loss"]: float(row["value"]) for row in run.tsv()}
    # Rows 1 and 3 only: (-ln 0.7 - ln 0.6) / 2.
    assert values["cross-entropy"] == pytest.approx((-np_log(0.7) - np_log(0.6)) / 2)
    assert "left out 1 example labelled 2" in run.stderr
    single = cli(
        "compare",
        "mse",
        "mae",
        "--precision",
        "float32",
        "--y-true",
        "0,1",
        "--y-pred",
        "0.3,0.2",
        "-f",
        "tsv",
    )
    assert single.exit_code == 0, single.stderr
    assert float(single.tsv()[0]["value"]) == pytest.approx(0.365, rel=1e-7)
    none = cli("compare", "mse", "mae", "--ignore-label", "1", "--y-true", "0", "--y-pred", "1")
    assert none.exit_code == 2 and "none of the losses compared" in none.stderr


def test_ignore_label_gradient_of_the_mean_from_a_file(cli, tmp_path):
    # A FILE is read twice for the gradient of the mean (totals, then rows): the ignored row
    # is 0 and the others are divided by the 2 kept rows.
    table = tmp_path / "t.csv"
    table.write_text("y,p0,p1,p2\n0,0.7,0.2,0.1\n2,0.3,0.3,0.4\n1,0.2,0.6,0.2\n")
    run = cli(
        "grad",
        "ce",
        str(table),
        "-t",
        "y",
        "-p",
        "p*",
        "--ignore-label",
        "2",
        "--reduction",
        "mean",
        "--json",
    )
    assert run.exit_code == 0, run.stderr
    rows = run.json()["grad"]
    assert rows[1] == [0.0, 0.0, 0.0]
    assert rows[0][0] == pytest.approx(-1 / 0.7 / 2)
    assert rows[2][1] == pytest.approx(-1 / 0.6 / 2)
