"""Sweeps (issue 19): a loss parameter given a list runs the loss at each value. Every value
of a sweep is checked against a run with that value alone: the numbers must be equal,
bit for bit, whatever the input (inline values, a file, stdin) and the reduction."""

from __future__ import annotations

import re
import shlex

import pytest
from conftest import REPO

RESIDUALS = str(REPO / "examples" / "residuals_outliers.csv")
CLASSES = str(REPO / "examples" / "classification.csv")
INLINE = ("--y-true", "0,0,0,0", "--y-pred", "0.1,-0.2,0.3,10")

# (loss, option, the values swept, the input): one of each kind of parameter.
SWEEPS = [
    ("huber", "--delta", ["0.5", "1", "2"], ("file", RESIDUALS)),
    ("pinball", "--quantile", ["0.1", "0.5", "0.9"], ("inline", INLINE)),
    ("softmax-focal", "--gamma", ["0", "0.5", "2", "5"], ("file", CLASSES)),
    (
        "kl",
        "--log-base",
        ["e", "2", "10"],
        ("inline", ("--y-true", "0.2,0.8", "--y-pred", "0.5,0.5")),
    ),
    ("cross-entropy", "--class-weights", ["1,1,1", "1,2,3"], ("stdin", CLASSES)),
    ("multi-margin", "--p-norm", ["1", "2"], ("stdin", CLASSES)),
]


def arguments(source):
    kind, value = source
    if kind == "inline":
        return list(value), None
    if kind == "file":
        return [value], None
    with open(value, encoding="utf-8") as handle:  # stdin: read once, shared by every value
        return [], handle.read()


def joined(option, values):
    return (";" if option == "--class-weights" else ",").join(values)


@pytest.mark.parametrize(("loss", "option", "values", "source"), SWEEPS)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_compute_sweep_rows_are_the_single_runs(cli, loss, option, values, source, reduction):
    args, stdin = arguments(source)
    common = ["compute", loss, *args, "--reduction", reduction, "--json"]
    run = cli(*common, option, joined(option, values), input=stdin)
    assert run.exit_code == 0, run.stderr
    document = run.json()
    assert document["loss"] == loss
    assert len(document["results"]) == len(values)
    for value, record in zip(values, document["results"], strict=True):
        single = cli(*common, option, value, input=stdin).json()
        single.pop("warnings")
        assert record == single


@pytest.mark.parametrize(("loss", "option", "values", "source"), SWEEPS)
def test_compute_sweep_per_example_columns_are_the_single_runs(cli, loss, option, values, source):
    args, stdin = arguments(source)
    common = ["compute", loss, *args, "--reduction", "none", "--json"]
    document = cli(*common, option, joined(option, values), input=stdin).json()
    for value, record in zip(values, document["results"], strict=True):
        single = cli(*common, option, value, input=stdin).json()
        assert record == {"params": single["params"], "values": single["values"]}
        assert document["n"] == single["n"]


@pytest.mark.parametrize(("loss", "option", "values", "source"), SWEEPS)
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_grad_sweep_columns_are_the_single_runs(cli, loss, option, values, source, reduction):
    args, stdin = arguments(source)
    common = ["grad", loss, *args, "--reduction", reduction, "--json"]
    run = cli(*common, option, joined(option, values), input=stdin)
    assert run.exit_code == 0, run.stderr
    document = run.json()
    for value, record in zip(values, document["results"], strict=True):
        single = cli(*common, option, value, input=stdin).json()
        assert record == {"params": single["params"], "grad": single["grad"]}
        assert (document["n"], document["wrt"]) == (single["n"], single["wrt"])


def test_grad_sweep_table_has_one_column_per_value(cli):
    run = cli("grad", "huber", "--delta", "0.5,1,2", "--y-true", "0,0,0", "--y-pred", "0.5,2,-10")
    assert run.exit_code == 0, run.stderr
    # Huber's gradient is r inside delta and delta * sign(r) beyond it.
    assert run.lines() == [
        "row\tdL/dy_pred delta=0.5\tdL/dy_pred delta=1\tdL/dy_pred delta=2",
        "1\t0.5\t0.5\t0.5",
        "2\t0.5\t1.0\t2.0",
        "3\t-0.5\t-1.0\t-2.0",
    ]


def test_compute_sweep_names_the_parameter_in_tsv_and_csv(cli):
    run = cli("compute", "huber", "--delta", "0.5,1,2", "--y-true", "0,0,0", "--y-pred", "0.5,2,10")
    assert run.exit_code == 0, run.stderr
    # Huber with delta 1 on residuals 0.5, 2, 10: (0.125 + 1.5 + 9.5) / 3.
    assert run.tsv()[1] == {
        "loss": "huber",
        "delta": "1",
        "reduction": "mean",
        "n": "3",
        "value": repr((0.125 + 1.5 + 9.5) / 3),
    }
    csv = cli("compute", "huber", "--delta", "0.5,1", *INLINE, "-f", "csv", "--reduction", "none")
    assert csv.lines()[0] == "row,delta=0.5,delta=1"
    jsonl = cli("compute", "huber", "--delta", "0.5,1", *INLINE, "-f", "jsonl")
    assert [line.count('"params": {"delta": ') for line in jsonl.lines()] == [1, 1]


def test_compare_sweep_with_several_losses(cli):
    common = ["compare", "mse", "huber", "pseudo-huber", RESIDUALS, "--json"]
    run = cli(*common, "--delta", "0.5,1,2")
    assert run.exit_code == 0, run.stderr
    records = run.json()["losses"]
    assert [(r["loss"], r["params"].get("delta")) for r in records] == [
        ("mse", None),
        ("huber", 0.5),
        ("huber", 1.0),
        ("huber", 2.0),
        ("pseudo-huber", 0.5),
        ("pseudo-huber", 1.0),
        ("pseudo-huber", 2.0),
    ]
    for value in ("0.5", "1", "2"):
        single = cli(*common, "--delta", value).json()["losses"]
        swept = [r for r in records if r["params"].get("delta") in (None, float(value))]
        assert swept == single
    table = cli("compare", "mse", "huber", RESIDUALS, "--delta", "0.5,2", "-f", "tsv").tsv()
    assert [(row["loss"], row["delta"]) for row in table] == [
        ("mse", ""),
        ("huber", "0.5"),
        ("huber", "2"),
    ]
    per_example = cli("compare", "mse", "huber", *INLINE, "--delta", "0.5,1", "--per-example")
    assert per_example.lines()[0] == "row\tmse\thuber delta=0.5\thuber delta=1"


def test_two_swept_parameters_give_every_combination(cli):
    run = cli(
        "compute", "focal", "--gamma", "0,2", "--alpha", "0.25,0.75", "--y-true", "1,0",
        "--y-pred", "0.9,0.3", "--json",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    settings = [(r["params"]["gamma"], r["params"]["alpha"]) for r in run.json()["results"]]
    assert settings == [(0.0, 0.25), (0.0, 0.75), (2.0, 0.25), (2.0, 0.75)]
    assert run.json()["swept"] == ["gamma", "alpha"]


def test_a_sweep_over_many_files_is_the_single_runs(cli):
    days = str(REPO / "examples" / "days")
    swept = cli("compute", "huber", days, "--delta", "0.5,2", "--json").json()["results"]
    for value, record in zip(("0.5", "2"), swept, strict=True):
        single = cli("compute", "huber", days, "--delta", value, "--json").json()
        single.pop("warnings")
        assert record == single


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--delta", "0.5,x,2"], "--delta: 'x' is not a number (item 2 of --delta 0.5,x,2)"),
        (
            ["--delta", "0.5,-1"],
            "--delta must be greater than 0, not -1 (item 2 of --delta 0.5,-1)",
        ),
        (["--delta", "0.5,,2"], "--delta 0.5,,2: item 2 is empty"),
        (["--delta", "0.5,1", "--expect", "1"], "--expect compares one number"),
        (["--delta", "0.5,1", "--state"], "--state writes the state of one loss"),
        (["--delta", "0.5", "--delta", "1"], "give one list: --delta 0.5,1"),
    ],
)
def test_a_bad_sweep_is_a_usage_error_naming_the_item(cli, args, message):
    run = cli("compute", "huber", *INLINE, *args)
    assert run.exit_code == 2
    assert run.stdout == ""
    assert message in run.stderr


def test_a_choice_sweep_names_the_bad_item(cli):
    run = cli("compute", "kl", "--y-true", "0.2,0.8", "--y-pred", "0.5,0.5", "--log-base", "e,3")
    assert run.exit_code == 2
    assert "--log-base must be one of e, 2, 10, not '3' (item 2 of --log-base e,3)" in run.stderr


def test_plot_draws_one_curve_per_value(cli):
    run = cli("plot", "focal", "--gamma", "0,0.5,1,2,5", "--width", "100", "--height", "20")
    assert run.exit_code == 0, run.stderr
    legend = " ".join(run.lines()[-2:])
    for gamma in ("0", "0.5", "1", "2", "5"):
        assert f"focal (gamma={gamma})" in legend


def test_the_readme_focal_figure_is_one_plot_command(cli, tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    line = next(line for line in readme.splitlines() if line.startswith("losscli plot focal"))
    args = shlex.split(line)[1:]
    at = args.index("--output")
    assert args[at + 1] == "docs/plot-focal.png"
    assert "(docs/plot-focal.png)" in readme and (REPO / "docs" / "plot-focal.png").is_file()
    args[at + 1] = str(tmp_path / "focal.png")
    run = cli(*args)
    assert run.exit_code == 0, run.stderr
    png = (tmp_path / "focal.png").read_bytes()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    size = re.search(r"--size (\d+)x(\d+)", line)
    assert size is not None and (width, height) == (int(size[1]), int(size[2]))


def test_explore_draws_a_swept_parameter_at_each_value_without_a_slider():
    from losscli.cli.explore import make_setup

    setup = make_setup(["focal"], {"gamma": "0,1,2"}, False, None, None)
    assert setup.swept == {"gamma": (0.0, 1.0, 2.0)}
    assert "gamma" not in setup.params
    assert "alpha" in setup.params


def test_a_choice_completes_after_a_comma():
    from losscli.cli.candidates import parameter_values

    assert parameter_values("--log-base")("e,") == ["e,e", "e,2", "e,10"]
    assert parameter_values("--direction")("") == ["forward", "reverse"]
