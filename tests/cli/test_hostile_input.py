"""Issue 18, as the user typed it: wrong numbers, crashes on options, streams, memory and
signals. Each test runs the command line that failed and checks exit code and output."""

from __future__ import annotations

import math

import pytest
from conftest import REPO, run_subprocess

from losscli.core import all_losses, evaluate, make_request

# The robust, symmetric losses of a real target: they grow at most like |r|, so the loss at
# 1e308 stays finite.
LINEAR_TAILS = [
    loss.name
    for loss in all_losses()
    if loss.properties.robust and loss.properties.symmetric and loss.target == "real"
]

# --- wrong numbers with exit 0 -----------------------------------------------------------------


def test_mean_of_finite_losses_is_finite(cli) -> None:
    r = cli("compute", "mae", "--y-true", "0,0", "--y-pred", "1e308,1e308")
    assert r.exit_code == 0 and float(r.stdout) == 1e308
    # The other robust residual losses (huber, log-cosh, ...): the core's finite mean, whose
    # value at 1e308 tests/core/test_float_extremes.py checks (1e308 for every one today).
    for loss in LINEAR_TAILS:
        r = cli("compute", loss, "--y-true", "0,0", "--y-pred", "1e308,1e308")
        assert r.exit_code == 0, r.stderr
        core = evaluate(make_request(loss), [0.0, 0.0], [1e308, 1e308]).value
        assert core is not None and math.isfinite(core), loss
        assert float(r.stdout) == core, loss


def test_margin_losses_at_a_huge_margin(cli) -> None:
    r = cli("compute", "contrastive", "--margin", "1e308", "--y-true", "0,0", "--y-pred", "0,0")
    assert r.exit_code == 0, r.stderr
    # 0.5 · max(0, m - d)² = 0.5e616 overflows for each pair: inf is the exact answer.
    assert float(r.stdout) == math.inf and "infinite" in r.stderr
    r = cli(
        "compute", "margin-ranking", "--margin", "1e308", "--y-true", "1,1", "--y-pred", "0,0;0,0"
    )
    assert r.exit_code == 0, r.stderr
    assert float(r.stdout) == 1e308


def test_compare_of_huge_losses(cli) -> None:
    r = cli("compare", "mae", "mse", "huber", "--y-true", "0,0", "--y-pred", "1e308,1e308")
    assert r.exit_code == 0, r.stderr
    rows = {row["loss"]: row for row in r.tsv()}
    assert float(rows["mae"]["value"]) == 1e308 and float(rows["mae"]["top_1pct_share"]) == 0.5
    assert float(rows["huber"]["value"]) == pytest.approx(1e308, rel=1e-15)
    assert float(rows["mse"]["value"]) == math.inf  # 1e616 really is beyond float64


def test_weights_near_the_largest_float(cli) -> None:
    r = cli("compute", "mse", "--y-true", "0,0", "--y-pred", "1,1", "--weights", "1e308,1e308")
    assert r.exit_code == 0 and float(r.stdout) == 1.0
    r = cli(
        "grad", "mse", "--y-true", "0,0", "--y-pred", "1,2",
        "--weights", "1e308,1e308", "--reduction", "mean",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert [float(row["dL/dy_pred"]) for row in r.tsv()] == [1.0, 2.0]


# --- options and environment, checked before any work ---------------------------------------


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if not line.startswith("hint:")]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("losscli: error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("compute", "mse", "--y-true", "0", "--y-pred", "1", "--expect", "1", "--rtol", "-1"),
         "--rtol must be at least 0, not -1"),
        (("compute", "mse", "--y-true", "0", "--y-pred", "1", "--expect", "1", "--atol", "nan"),
         "--atol must be at least 0, not nan"),
        (("compute", "mse", "--y-true", "0", "--y-pred", "1", "--expect", "nan"),
         "--expect must be a number, not nan"),
        (("plot", "mse", "-o", "x.png", "--dpi", "100000"), "--dpi must be between 10 and 2400"),
        (("plot", "mse", "-o", "x.png", "--dpi", "1e300"), "--dpi must be between 10 and 2400"),
        (("plot", "mse", "-o", "x.png", "--dpi", "1"), "--dpi must be between 10 and 2400"),
        (("plot", "mse", "--width", "10000000000"), "--width must be between 30 and 1000"),
        (("plot", "mse", "--height", "100000"), "--height must be between 8 and 500"),
        (("exercise", "validate", "--seeds", "10000000000"), "less than or equal to 10000"),
    ],
)  # fmt: skip
def test_bad_option_values_are_usage_errors(cli, tmp_path, monkeypatch, args, says) -> None:
    monkeypatch.chdir(tmp_path)
    r = cli(*args)
    assert r.exit_code == 2, r.stderr
    assert says in one_error_line(r.stderr)
    assert r.stdout == ""  # the value is not printed before the error
    assert not (tmp_path / "x.png").exists()


def test_expect_inf_is_a_value(cli) -> None:
    r = cli("compute", "mse", "--y-true", "0", "--y-pred", "1e200", "--expect", "inf")
    assert r.exit_code == 0 and float(r.stdout) == math.inf


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LOSSCLI_CHUNK_BYTES", "abc"),
        ("LOSSCLI_CHUNK_BYTES", "0"),
        ("LOSSCLI_CHUNK_BYTES", "1e9"),
        ("LOSSCLI_CHUNK_BYTES", str(1 << 40)),
        ("COLUMNS", "100000000"),
        ("LINES", "many"),
        ("LOSSCLI_MAX_LINE_BYTES", "64M"),
    ],
)
def test_bad_environment_is_a_usage_error(name, value) -> None:
    # A real process: the environment as a shell user sets it.
    done = run_subprocess(
        "compute", "mse", str(REPO / "examples/regression.csv"), env={name: value}
    )
    assert done.returncode == 2, done.stderr
    line = one_error_line(done.stderr.decode())
    assert name in line and repr(value) in line
    assert done.stdout == b""


def test_good_environment_is_used(cli) -> None:
    r = cli(
        "compute", "mse", str(REPO / "examples/regression.csv"), env={"LOSSCLI_CHUNK_BYTES": "64"}
    )
    whole = cli("compute", "mse", str(REPO / "examples/regression.csv"))
    assert r.exit_code == whole.exit_code == 0
    assert float(r.stdout) == pytest.approx(float(whole.stdout), rel=1e-15)
    r = cli("list", env={"LOSSCLI_DEBUG": "yes"})
    assert r.exit_code == 2 and "LOSSCLI_DEBUG must be 1" in one_error_line(r.stderr)
    # --help works whatever the environment says.
    assert cli("--help", env={"LOSSCLI_CHUNK_BYTES": "abc"}).exit_code == 0


# --- temperatures below the smallest normal float ------------------------------------------------


def test_nt_xent_and_infonce_at_a_subnormal_temperature(cli) -> None:
    # Each row's partner is its nearest neighbour: the loss tends to 0 as τ -> 0 (it is
    # ln(1 + Σ e^((cos_k - cos_partner)/τ)), every exponent -inf); it printed nan.
    r = cli(
        "compute", "nt-xent", "--temperature", "1e-309", "--y-true", "0,0,1,1",
        "--y-pred", "1,0;1,0.1;0,1;0.1,1", "--reduction", "none",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert [float(row["value"]) for row in r.tsv()] == [0.0] * 4
    assert "infinite" not in r.stderr
    # Partners far apart: (cos_best - cos_partner) / τ overflows, the loss is really infinite.
    r = cli(
        "compute", "nt-xent", "--temperature", "1e-309", "--y-true", "0,1,0,1",
        "--y-pred", "1,0;1,0.1;0,1;0.1,1",
    )  # fmt: skip
    assert r.exit_code == 0 and float(r.stdout) == math.inf and "infinite" in r.stderr
    r = cli(
        "grad", "nt-xent", "--temperature", "5e-324", "--y-true", "0,0,1,1",
        "--y-pred", "1,0;1,0.1;0,1;0.1,1",
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert all(float(v) == 0.0 for row in r.tsv() for k, v in row.items() if k != "row")
    # InfoNCE: the right candidate scores highest in row 1 (loss 0), not in row 2 (inf).
    r = cli(
        "compute", "infonce", "--temperature", "1e-309", "--y-true", "0,0",
        "--y-pred", "1,0.5;0.2,1", "--reduction", "none",
    )  # fmt: skip
    assert [float(row["value"]) for row in r.tsv()] == [0.0, math.inf]


def test_figure_on_a_full_disk_is_exit_74(cli, tmp_path, monkeypatch) -> None:
    # plot -o on a full disk: the same exit 74 as stdout on /dev/full, not a usage error.
    import errno

    import matplotlib.figure

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "curve.png"))

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", full)
    r = cli("plot", "mse", "-o", str(tmp_path / "curve.png"))
    assert r.exit_code == 74
    assert one_error_line(r.stderr).startswith("losscli: error: no space left on device (")
