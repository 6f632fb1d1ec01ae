"""Issue 15: generated data of every kind gets the loss a careful practitioner would pick,
end to end through `losscli recommend FILE`. Each case names the expected loss and why; the
generators are seeded and every case holds for five seeds."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import pytest

N = 4000
SEEDS = range(5)


def regression(noise: Callable[[np.random.Generator, int], np.ndarray]):
    def make(rng: np.random.Generator) -> dict[str, np.ndarray]:
        x = rng.uniform(0, 10, N)
        return {"y_true": 3 * x + 2 + noise(rng, N), "y_pred": 3 * x + 2}

    return make


def gross(rng: np.random.Generator, n: int) -> np.ndarray:
    noise = rng.normal(0, 1, n)
    bad = rng.random(n) < 0.02
    noise[bad] = rng.choice([-1, 1], bad.sum()) * rng.uniform(20, 50, bad.sum())
    return noise


def counts(mean: float):
    def make(rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {"events": rng.poisson(mean, N)}

    return make


def counts_with_rates(rng: np.random.Generator) -> dict[str, np.ndarray]:
    rate = np.exp(rng.uniform(0.0, 2.5, N))
    return {"y_true": rng.poisson(rate), "y_pred": rate}


def zero_inflated_tweedie(rng: np.random.Generator) -> dict[str, np.ndarray]:
    # Compound Poisson-gamma: a Poisson(0.8) number of Gamma(2, 50) claims (45% exact zeros).
    claims = rng.poisson(0.8, N)
    amount = np.array([rng.gamma(2.0, 50.0, k).sum() for k in claims])
    return {"claims": amount}


def lognormal_prices(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {"price": np.round(np.exp(rng.normal(5, 1, N)), 2)}


def gamma_with_means(rng: np.random.Generator) -> dict[str, np.ndarray]:
    mean = np.exp(rng.uniform(0, 3, N))
    return {"y_true": rng.gamma(3.0, mean / 3.0), "y_pred": mean}


def rare_positives(rng: np.random.Generator) -> dict[str, np.ndarray]:
    y = np.zeros(N, dtype=np.int64)
    y[rng.choice(N, N // 200, replace=False)] = 1
    return {"label": y}


def balanced(classes: int):
    def make(rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {"label": rng.integers(0, classes, N)}

    return make


def soft_labels(rng: np.random.Generator) -> dict[str, np.ndarray]:
    p = rng.dirichlet([2.0, 1.0, 1.0], N)
    return {"p0": p[:, 0], "p1": p[:, 1], "p2": p[:, 2]}


def pairs_with_distances(rng: np.random.Generator) -> dict[str, np.ndarray]:
    similar = rng.integers(0, 2, N)
    distance = np.where(similar == 1, rng.gamma(2, 0.2, N), rng.gamma(6, 0.3, N))
    return {"similar": similar, "distance": distance}


# kind: (generator, extra arguments, expected first loss, why, text the reasons must hold)
CASES = {
    "gaussian": (
        regression(lambda rng, n: rng.normal(0, 1, n)),
        [],
        "mse",
        "Gaussian residuals: squared error is their maximum likelihood",
        "light tails",
    ),
    "student-t2": (
        regression(lambda rng, n: rng.standard_t(2, n)),
        [],
        "huber",
        "Student-t(2) residuals have no finite variance: Huber bounds their influence",
        "heavy tails",
    ),
    "gross-outliers-2pct": (
        regression(gross),
        [],
        "huber",
        "2% gross errors on Gaussian noise: Huber keeps the mean and ignores how far they lie",
        "heavy tails",
    ),
    "poisson-mean-3": (
        counts(3),
        [],
        "poisson",
        "counts 0..12 with variance = mean are counts, not 13 classes",
        "Poisson: 1",
    ),
    "poisson-mean-30": (
        counts(30),
        [],
        "poisson",
        "counts around 30 with variance = mean: Poisson, not Huber",
        "Poisson: 1",
    ),
    "poisson-with-rates": (
        counts_with_rates,
        [],
        "poisson",
        "counts whose residual variance grows like the predicted rate (slope 1)",
        "variance-to-mean slope",
    ),
    "zero-inflated-tweedie": (
        zero_inflated_tweedie,
        [],
        "tweedie",
        "many exact zeros beside continuous positive claims: compound Poisson-gamma",
        "are exactly 0",
    ),
    "lognormal-prices": (
        lognormal_prices,
        [],
        "gamma-deviance",
        "positive prices whose log is symmetric: multiplicative noise, judged by ratios",
        "ln y is near symmetric",
    ),
    "gamma-with-means": (
        gamma_with_means,
        [],
        "gamma-deviance",
        "positive targets whose variance grows as the mean squared (slope 2)",
        "variance-to-mean slope",
    ),
    "positives-0.5pct": (
        rare_positives,
        [],
        "focal",
        "0.5% positives: easy negatives swamp cross-entropy",
        "0.5% of the 4000 labels are positive",
    ),
    "balanced-binary": (
        balanced(2),
        [],
        "binary-cross-entropy",
        "balanced labels: cross-entropy, the Bernoulli likelihood",
        "binary labels",
    ),
    "balanced-multiclass": (
        balanced(5),
        [],
        "cross-entropy",
        "five equally frequent classes (not count-shaped): categorical likelihood",
        "multiclass labels",
    ),
    "soft-labels": (
        soft_labels,
        ["-t", "p0,p1,p2"],
        "kl",
        "rows of probabilities: fit Q to P by forward KL",
        "rows over 3 columns are soft",
    ),
    "pairs-with-distances": (
        pairs_with_distances,
        ["-t", "similar", "-p", "distance"],
        "contrastive",
        "similar/dissimilar pairs with distances: contrastive loss",
        "mean distance",
    ),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_every_kind_gets_the_loss_a_practitioner_would_pick(cli, tmp_path, kind):
    make, args, expected, why, evidence = CASES[kind]
    for seed in SEEDS:
        path = tmp_path / f"{kind}-{seed}.csv"
        pl.DataFrame(make(np.random.default_rng(seed))).write_csv(path)
        run = cli("recommend", str(path), *args, "--json")
        assert run.exit_code == 0, run.stderr
        first = run.json()["recommendations"][0]
        assert first["loss"] == expected, (seed, why, first)
        assert any(evidence in reason for reason in first["reasons"]), (seed, first["reasons"])


def test_count_reasons_say_which_checks_fired(cli, tmp_path):
    path = tmp_path / "c.csv"
    pl.DataFrame(counts_with_rates(np.random.default_rng(7))).write_csv(path)
    doc = cli("recommend", str(path), "--json").json()
    profile = doc["profile"]
    assert profile["target_kind"] == "counts"
    assert profile["variance_slope"] == pytest.approx(1.0, abs=0.25)  # Poisson: 1
    reason = doc["recommendations"][0]["reasons"][0]
    for check in ("zeros", "mean", "variance", "count fit", "variance-to-mean slope"):
        assert check in reason


def test_few_count_values_say_both_readings(cli, tmp_path):
    # Three values 0, 1, 2 with a count-like shape: read as classes, and said how to choose.
    rng = np.random.default_rng(8)
    path = tmp_path / "few.csv"
    pl.DataFrame({"y": rng.choice(3, 3000, p=[0.87, 0.11, 0.02])}).write_csv(path)
    doc = cli("recommend", str(path), "--json").json()
    assert doc["profile"]["task"] == "multiclass"
    assert any(
        "if they are ordered counts" in w and "--task regression" in w for w in doc["warnings"]
    )
    # Poisson counts: read as counts, and the class reading named (on stderr without --json).
    pl.DataFrame({"y": rng.poisson(2, 3000)}).write_csv(path)
    run = cli("recommend", str(path), "-f", "plain")
    assert run.lines()[0] == "poisson"
    assert "if they are class ids, say --task multiclass" in run.stderr
    forced = cli("recommend", str(path), "--task", "multiclass", "--json").json()
    assert forced["profile"]["task"] == "multiclass"
    assert not any("if they are class ids" in w for w in forced["warnings"])


def test_flipped_pair_labels_are_caveated(cli, tmp_path):
    data = pairs_with_distances(np.random.default_rng(9))
    data["similar"] = 1 - data["similar"]
    path = tmp_path / "flip.csv"
    pl.DataFrame(data).write_csv(path)
    first = cli("recommend", str(path), "-t", "similar", "-p", "distance", "--json").json()[
        "recommendations"
    ][0]
    assert first["loss"] == "contrastive"
    assert any("--convention hadsell" in c for c in first["caveats"])


def test_relative_error_wanted_gives_msle(cli, tmp_path):
    path = tmp_path / "p.csv"
    pl.DataFrame(lognormal_prices(np.random.default_rng(10))).write_csv(path)
    run = cli("recommend", str(path), "--want", "relative", "-f", "plain")
    assert run.lines()[0] == "msle"
