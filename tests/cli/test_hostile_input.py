"""Issue 18, as the user typed it: wrong numbers, crashes on options, streams, memory and
signals. Each test runs the command line that failed and checks exit code and output."""

from __future__ import annotations

import math

import pytest

# --- wrong numbers with exit 0 -----------------------------------------------------------------


def test_mean_of_finite_losses_is_finite(cli) -> None:
    r = cli("compute", "mae", "--y-true", "0,0", "--y-pred", "1e308,1e308")
    assert r.exit_code == 0 and float(r.stdout) == 1e308
    for loss in ("huber", "log-cosh", "pseudo-huber", "smooth-l1"):
        r = cli("compute", loss, "--y-true", "0,0", "--y-pred", "1e308,1e308")
        assert r.exit_code == 0, r.stderr
        assert float(r.stdout) == pytest.approx(1e308, rel=1e-15), loss


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
    assert [float(row["grad"]) for row in r.tsv()] == [1.0, 2.0]
