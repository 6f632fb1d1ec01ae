"""Every alias of the registry computes what the name promises (issue 12).

An alias that names one framework's function (registry.ALIAS_MEANINGS: `bce-with-logits` is
torch.nn.BCEWithLogitsLoss) computes what that function computes: it is checked here against
the function's formula, written out in NumPy from the framework's documentation, or against
the function itself where it is a test dependency (scikit-learn). Every other alias is a
generic name and computes exactly what its loss's canonical name computes. A new alias fails
`test_every_alias_is_walked` until it is placed in one of the two groups.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics

from losscli.core.losses.registry import ALIAS_MEANINGS, alias_meaning, get, names_and_aliases


def softplus(z):
    return np.logaddexp(0.0, z)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


Y3 = np.array([1.0, 0.0, 1.0])
Z3 = np.array([0.3, -1.2, 2.0])
LABELS = np.array([2, 0])
PROBS = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]])
SCORES = np.array([[-0.5, -0.2, 0.3], [1.0, 0.5, -0.7]])


def _kl_div_torch() -> float:
    # torch.nn.functional.kl_div(input=log Q, target=P, reduction="mean"): the pointwise
    # P (ln P - input), averaged over all n x C elements.
    p, q = np.array([[0.2, 0.8], [0.5, 0.5]]), np.array([[0.4, 0.6], [0.1, 0.9]])
    return float(np.mean(p * (np.log(p) - np.log(q))))


def _kld_keras() -> float:
    # keras.losses.kld: P and Q clipped to [1e-7, 1], Σ P ln(P/Q) over the last axis, batch mean.
    p, q = np.clip([[0.0, 1.0]], 1e-7, 1), np.clip([[0.3, 0.7]], 1e-7, 1)
    return float(np.mean(np.sum(p * np.log(p / q), axis=1)))


def _gaussian_nll_torch() -> float:
    # torch.nn.GaussianNLLLoss(full=False, eps=1e-6): ½ (ln max(σ², eps) + (μ - y)² / max(σ², eps)).
    y, mu, var = np.array([1.0, 2.0]), np.array([1.5, 0.0]), np.array([0.5, 1e-8])
    v = np.maximum(var, 1e-6)
    return float(np.mean(0.5 * (np.log(v) + (mu - y) ** 2 / v)))


def _triplet_torch() -> float:
    # torch.nn.TripletMarginLoss(margin=1, p=2, eps=1e-6): d(x, y) = ||x - y + eps||.
    a, p, n = np.array([0.0, 0.0]), np.array([0.3, 0.4]), np.array([1.2, 0.0])
    d_ap, d_an = np.linalg.norm(a - p + 1e-6), np.linalg.norm(a - n + 1e-6)
    return float(max(d_ap - d_an + 1.0, 0.0))


def _cosine_embedding_torch() -> float:
    x1, x2, y = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([[2.0, 1.0], [1.0, 1.0]]), [1, -1]
    cos = np.sum(x1 * x2, axis=1) / (np.linalg.norm(x1, axis=1) * np.linalg.norm(x2, axis=1))
    return float(np.mean(np.where(np.array(y) == 1, 1 - cos, np.maximum(0.0, cos))))


def _multi_margin_torch() -> float:
    # torch.nn.MultiMarginLoss(p=1, margin=1): Σ_{i≠y} max(0, 1 - x[y] + x[i]) / C.
    total = []
    for x, y in zip(SCORES, LABELS, strict=True):
        others = np.delete(x, y)
        total.append(np.sum(np.maximum(0.0, 1.0 - x[y] + others)) / x.size)
    return float(np.mean(total))


def _categorical_hinge_keras() -> float:
    # keras.losses.CategoricalHinge: max(0, max((1 - y) f) - Σ y f + 1) on one-hot y.
    onehot = np.eye(3)[LABELS]
    pos = np.sum(onehot * SCORES, axis=1)
    neg = np.max((1.0 - onehot) * SCORES, axis=1)
    return float(np.mean(np.maximum(0.0, neg - pos + 1.0)))


def _categorical_focal_keras() -> float:
    # keras.losses.CategoricalFocalCrossentropy(alpha=0.25, gamma=2): -Σ α y (1 - p)^γ ln p.
    p = np.clip(PROBS, 1e-7, 1 - 1e-7)
    onehot = np.eye(3)[LABELS]
    return float(np.mean(np.sum(-0.25 * onehot * (1 - p) ** 2 * np.log(p), axis=1)))


def _poly1_optax() -> float:
    # optax.losses.poly_loss_cross_entropy(logits, one-hot labels, epsilon=2): CE + ε (1 - p_t).
    logp = SCORES - np.logaddexp.reduce(SCORES, axis=1, keepdims=True)
    onehot = np.eye(3)[LABELS]
    p_t = np.sum(onehot * np.exp(logp), axis=1)
    return float(np.mean(-np.sum(onehot * logp, axis=1) + 2.0 * (1.0 - p_t)))


def _sigmoid_focal_optax() -> float:
    # optax.losses.sigmoid_focal_loss(logits, labels, alpha=None, gamma=2).
    p = sigmoid(Z3)
    ce = softplus(Z3) - Y3 * Z3
    p_t = p * Y3 + (1 - p) * (1 - Y3)
    return float(np.mean(ce * (1 - p_t) ** 2))


def _soft_margin_torch() -> float:
    # torch.nn.MultiLabelSoftMarginLoss: -mean over classes of y ln σ(z) + (1 - y) ln σ(-z).
    y = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    z = np.array([[0.3, -1.2, 2.0], [1.0, 0.5, -0.7]])
    per = y * softplus(-z) + (1 - y) * softplus(z)
    return float(np.mean(np.mean(per, axis=1)))


ROWS3 = "1,0,1;0,1,1"
LOGITS3 = "0.3,-1.2,2;1,0.5,-0.7"
PROBS_TEXT = "0.1,0.2,0.7;0.5,0.3,0.2"
SCORES_TEXT = "-0.5,-0.2,0.3;1,0.5,-0.7"

# alias -> (arguments after `compute ALIAS`, the framework function's value)
FRAMEWORK_CASES: dict[str, tuple[tuple[str, ...], float]] = {
    "bce-with-logits": (
        ("--y-true", "1,0,1", "--y-pred", "0.3,-1.2,2"),
        float(np.mean(softplus(Z3) - Y3 * Z3)),  # torch.nn.BCEWithLogitsLoss
    ),
    "sigmoid-cross-entropy": (
        ("--y-true", "1,0,1", "--y-pred", "0.3,-1.2,2"),
        # max(z, 0) - z y + ln(1 + e^-|z|), tf.nn.sigmoid_cross_entropy_with_logits' formula
        float(np.mean(np.maximum(Z3, 0) - Z3 * Y3 + np.log1p(np.exp(-np.abs(Z3))))),
    ),
    "multilabel-soft-margin": (("--y-true", ROWS3, "--y-pred", LOGITS3), _soft_margin_torch()),
    "sigmoid-focal": (("--y-true", "1,0,1", "--y-pred", "0.3,-1.2,2"), _sigmoid_focal_optax()),
    "nll": (
        (
            "--y-true",
            "2,0",
            "--y-pred",
            ";".join(",".join(repr(float(v)) for v in np.log(r)) for r in PROBS),
        ),
        float(-np.mean(np.log(PROBS[[0, 1], LABELS]))),  # torch.nn.NLLLoss: -mean input[y]
    ),
    "kl-div": (
        (
            "--y-true",
            "0.2,0.8;0.5,0.5",
            "--y-pred",
            f"{math.log(0.4)!r},{math.log(0.6)!r};{math.log(0.1)!r},{math.log(0.9)!r}",
        ),
        _kl_div_torch(),
    ),
    "kld": (("--y-true", "0,1;", "--y-pred", "0.3,0.7"), _kld_keras()),
    "poisson-nll": (
        ("--y-true", "2,0,5", "--y-pred", "0.5,-1,1.7"),
        # torch.nn.PoissonNLLLoss(log_input=True, full=False): e^η - y η
        float(np.mean(np.exp([0.5, -1, 1.7]) - np.array([2, 0, 5]) * np.array([0.5, -1, 1.7]))),
    ),
    "gaussian-nll-loss": (("--y-true", "1,2", "--y-pred", "1.5,0.5;0,1e-8"), _gaussian_nll_torch()),
    "smooth-l1-loss": (
        ("--y-true", "0,0,0", "--y-pred", "0.5,2,-3"),
        float(np.mean([0.5 * 0.5**2, 2 - 0.5, 3 - 0.5])),  # torch.nn.SmoothL1Loss(beta=1)
    ),
    "multi-margin-loss": (("--y-true", "2,0", "--y-pred", SCORES_TEXT), _multi_margin_torch()),
    "triplet-margin-loss": (("--y-pred", "0,0,0.3,0.4,1.2,0"), _triplet_torch()),
    "cosine-embedding-loss": (
        ("--y-true", "1,-1", "--y-pred", "1,2,2,1;0.5,-1,1,1"),
        _cosine_embedding_torch(),
    ),
    "margin-ranking-loss": (
        ("--y-true", "1,-1", "--y-pred", "0.2,0.5;0.9,0.1"),
        float(np.mean([max(0.0, -(0.2 - 0.5)), max(0.0, (0.9 - 0.1))])),  # margin 0
    ),
    "binary-crossentropy": (
        ("--y-true", "1,0", "--y-pred", "0,0.3"),
        # keras.losses.binary_crossentropy: p clipped to [1e-7, 1 - 1e-7]
        float(np.mean([-math.log(1e-7), -math.log(0.7)])),
    ),
    "categorical-hinge": (("--y-true", "2,0", "--y-pred", SCORES_TEXT), _categorical_hinge_keras()),
    "categorical-focal": (("--y-true", "2,0", "--y-pred", PROBS_TEXT), _categorical_focal_keras()),
    "log-loss": (
        ("--y-true", "2,0", "--y-pred", "0.1,0.2,0.7;0,0.5,0.5"),
        float(metrics.log_loss([2, 0], [[0.1, 0.2, 0.7], [0.0, 0.5, 0.5]], labels=[0, 1, 2])),
    ),
    "logloss": (
        ("--y-true", "1,0", "--y-pred", "0.9,0.4"),
        float(metrics.log_loss([1, 0], [0.9, 0.4])),
    ),
    "poisson-deviance": (
        ("--y-true", "2,0,5", "--y-pred", "1.5,0.5,4"),
        float(metrics.mean_poisson_deviance([2, 0, 5], [1.5, 0.5, 4])),
    ),
    "mean-tweedie-deviance": (
        ("--power", "1.5", "--y-true", "2,0,5", "--y-pred", "1.5,0.5,4"),
        float(metrics.mean_tweedie_deviance([2, 0, 5], [1.5, 0.5, 4], power=1.5)),
    ),
    "mean-gamma-deviance": (
        ("--y-true", "2,1,5", "--y-pred", "1.5,0.5,4"),
        float(metrics.mean_gamma_deviance([2, 1, 5], [1.5, 0.5, 4])),
    ),
    "mean-squared-log-error": (
        ("--y-true", "3,5,2.5,7", "--y-pred", "2.5,5,4,8"),
        float(metrics.mean_squared_log_error([3, 5, 2.5, 7], [2.5, 5, 4, 8])),
    ),
    "root-mean-squared-error": (
        ("--y-true", "3,-0.5,2,7", "--y-pred", "2.5,0,2,8"),
        float(metrics.root_mean_squared_error([3, -0.5, 2, 7], [2.5, 0, 2, 8])),
    ),
    "pinball-loss": (
        ("--y-true", "1,2,3", "--y-pred", "0,2,3.5"),
        float(metrics.mean_pinball_loss([1, 2, 3], [0, 2, 3.5])),
    ),
    "brier-score-loss": (
        ("--y-true", "0,1,1,0", "--y-pred", "0.1,0.9,0.8,0.3"),
        float(metrics.brier_score_loss([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3])),
    ),
    "perceptron-loss": (
        ("--y-true", "1,-1,1", "--y-pred", "0.5,0.3,-2"),
        float(np.mean([0.0, 0.3, 2.0])),  # optax.losses.perceptron_loss: max(0, -y f)
    ),
    "poly1-cross-entropy": (("--y-true", "2,0", "--y-pred", SCORES_TEXT), _poly1_optax()),
}

# One input per target domain (the record's `target`), for the generic aliases: the alias must
# print what the canonical name does, so a new loss of a known domain needs no case here.
GENERIC_CASES: dict[str, tuple[str, ...]] = {
    "real": ("--y-true", "0,0", "--y-pred", "0.5,3"),
    "nonzero-real": ("--y-true", "1,2", "--y-pred", "1.5,3"),
    "above-minus-one": ("--y-true", "1,2", "--y-pred", "1.5,3"),
    "binary": ("--y-true", "1,0", "--y-pred", "0.8,0.3"),
    "labels": ("--y-true", "2,0", "--y-pred", PROBS_TEXT),
    "sign": ("--y-true", "1,-1", "--y-pred", "0.5,0.3"),
    "multilabel": ("--y-true", ROWS3, "--y-pred", "0.3,0.2,0.9;0.4,0.6,0.5"),
    "distribution": ("--y-true", "0.2,0.8;", "--y-pred", "0.4,0.6"),
    "nonnegative-rows": ("--y-true", "0.2,1.8;", "--y-pred", "0.4,0.6"),
    "similarity": ("--y-true", "1,0", "--y-pred", "0.5,0.3"),
    "triplet": ("--y-pred", "0,0,0.3,0.4,1.2,0"),
    "cosine-pairs": ("--y-true", "1,-1", "--y-pred", "1,2,2,1;0.5,-1,1,1"),
    "ranked-pairs": ("--y-true", "1,-1", "--y-pred", "0.2,0.5;0.9,0.1"),
    "count": ("--y-true", "2,0,5", "--y-pred", "1.5,0.5,4"),
    "mean-variance": ("--y-true", "1,2", "--y-pred", "1.5,0.5;0,2"),
    "positive": ("--y-true", "2,1,5", "--y-pred", "1.5,0.5,4"),
    "class": ("--y-true", "2,0", "--y-pred", SCORES_TEXT),
    "pair-ids": ("--y-true", "0,1,0,1", "--y-pred", "1,0;0,1;0.9,0.1;0.1,0.9"),
}

ALIASES = sorted(alias for alias, name in names_and_aliases().items() if alias != name)


def test_every_alias_is_walked() -> None:
    assert set(ALIAS_MEANINGS) == set(FRAMEWORK_CASES), "a framework alias without its formula"
    for alias in ALIASES:
        assert alias in FRAMEWORK_CASES or get(alias).target in GENERIC_CASES, alias


def test_alias_meanings_name_real_aliases() -> None:
    from losscli.core.conventions import rule_for

    for alias, meaning in ALIAS_MEANINGS.items():
        assert alias in ALIASES, f"{alias} is no alias of the registry"
        loss = get(alias)
        if meaning.space is not None:
            assert loss.resolve_space(meaning.space) == meaning.space
        if meaning.convention is not None:
            rule_for(meaning.convention, loss)  # the convention has this loss


@pytest.mark.parametrize("alias", sorted(FRAMEWORK_CASES))
def test_an_alias_naming_a_framework_function_computes_it(cli, alias: str) -> None:
    args, expected = FRAMEWORK_CASES[alias]
    run = cli("compute", alias, *args)
    assert run.exit_code == 0, run.stderr
    assert math.isclose(float(run.stdout), expected, rel_tol=1e-9, abs_tol=1e-12), (
        alias,
        float(run.stdout),
        expected,
    )
    meaning = alias_meaning(alias)
    assert meaning is not None
    if meaning.space is not None or meaning.convention is not None:
        assert f"{alias} is {meaning.function}" in run.stderr


@pytest.mark.parametrize("alias", [a for a in ALIASES if a not in FRAMEWORK_CASES])
def test_a_generic_alias_computes_its_loss(cli, alias: str) -> None:
    loss = get(alias)
    name, args = loss.name, GENERIC_CASES[loss.target]
    run, reference = cli("compute", alias, *args), cli("compute", name, *args)
    assert run.exit_code == reference.exit_code == 0, (run.stderr, reference.stderr)
    assert run.stdout == reference.stdout
    assert run.stderr == reference.stderr


def test_the_issue_command(cli) -> None:
    # compute bce-with-logits --y-true 1 --y-pred 0.3 printed 1.2040 (-ln 0.3), probabilities;
    # torch.nn.BCEWithLogitsLoss()(tensor([0.3]), tensor([1.])) = ln(1 + e^-0.3) = 0.5544.
    run = cli("compute", "bce-with-logits", "--y-true", "1", "--y-pred", "0.3")
    assert math.isclose(float(run.stdout), math.log1p(math.exp(-0.3)), rel_tol=1e-12)
    assert round(float(run.stdout), 4) == 0.5544


def test_explicit_flags_win_over_an_alias(cli) -> None:
    run = cli("compute", "log-loss", "--convention", "catalog", "--y-true", "0", "--y-pred", "0,1;")
    assert run.stdout.strip() == "inf"
    # kl-div under the catalog: the mean over rows ('batchmean'), C = 2 times PyTorch's 'mean'.
    args, torch_mean = FRAMEWORK_CASES["kl-div"]
    run = cli("compute", "kl-div", "--convention", "catalog", *args)
    assert math.isclose(float(run.stdout), 2 * torch_mean, rel_tol=1e-12)
    run = cli("compute", "bce-with-logits", "--logits", "--y-true", "1", "--y-pred", "0.3")
    assert math.isclose(float(run.stdout), math.log1p(math.exp(-0.3)), rel_tol=1e-12)


def test_compare_keeps_an_alias_apart_from_its_loss(cli) -> None:
    run = cli("compare", "bce", "bce-with-logits", "--json", "--y-true", "1", "--y-pred", "0.3")
    rows = {r["loss"]: r["value"] for r in run.json()["losses"]}
    assert math.isclose(rows["binary-cross-entropy"], -math.log(0.3), rel_tol=1e-12)
    assert math.isclose(rows["bce-with-logits"], math.log1p(math.exp(-0.3)), rel_tol=1e-12)


def test_show_says_what_each_framework_alias_computes(cli) -> None:
    run = cli("show", "bce-with-logits", "--json")
    assert run.exit_code == 0
    aliases = run.json()["framework_aliases"]
    assert aliases["bce-with-logits"].startswith("bce-with-logits is torch.nn.BCEWithLogitsLoss")
    assert "reads logits" in aliases["multilabel-soft-margin"]
    assert "bce-with-logits is torch.nn.BCEWithLogitsLoss" in run.stderr
    assert cli("show", "mse", "--json").json()["framework_aliases"] == {}
