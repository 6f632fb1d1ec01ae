"""The decision guide: every rule and caveat fires where it should and stays quiet elsewhere;
stated facts are checked; suggestions are valid parameters of the catalog's losses."""

from __future__ import annotations

from dataclasses import replace

import pytest

from losscli.core.advice.profile import LabelProfile, PairProfile, SpreadProfile
from losscli.core.advice.recommend import (
    CAVEATS,
    RULES,
    Situation,
    from_facts,
    from_profile,
    outlier_level,
    recommend,
)
from losscli.core.errors import UsageError
from losscli.core.losses.registry import get, names_and_aliases


def spread(**changes: object) -> SpreadProfile:
    """A profile of Gaussian-looking residuals with scale 2, changed where the test says."""
    base = dict(
        n=20000,
        basis="residuals",
        mean=0.0,
        std=2.0,
        median=0.0,
        scale=2.0,
        scale_method="MAD x 1.4826",
        tail_share=0.0027,
        quartile_skew=0.0,
        skew=0.0,
        excess_kurtosis=0.0,
        robust_from=20000,
    )
    return SpreadProfile(**{**base, **changes})  # type: ignore[arg-type]


def labels(counts: dict[float, int]) -> LabelProfile:
    n = sum(counts.values())
    if len(counts) == 2:
        positive = max(counts)
        return LabelProfile(
            n, "binary", counts, min(counts.values()) / n, positive, counts[positive] / n
        )
    return LabelProfile(n, "multiclass", counts, min(counts.values()) / n, None, None)


COUNTS = from_facts(task="regression", target_kind="counts")

# rule id: (facts that make it fire, facts where it must not); a Situation where no flag
# states the fact (a measured dispersion)
RULE_CASES: dict[str, tuple[dict | Situation, dict | Situation]] = {
    "poisson-counts": (
        {"task": "regression", "target_kind": "counts"},
        {"task": "regression", "target_kind": "counts", "target_stat": "median"},
    ),
    "tweedie-overdispersed-counts": (
        replace(COUNTS, dispersion=3.0, variance_power=1.3),
        replace(COUNTS, dispersion=1.1),
    ),
    "tweedie-zero-inflated": (
        {"task": "regression", "target_kind": "zero-inflated"},
        {"task": "regression", "target_kind": "positive"},
    ),
    "gamma-positive": (
        {"task": "regression", "target_kind": "positive"},
        {"task": "regression", "outliers": "heavy"},
    ),
    "msle-positive": (
        {"task": "regression", "target_kind": "positive"},
        {"task": "regression", "target_kind": "positive", "want": "relative"},
    ),
    "msle-relative": (
        {"task": "regression", "want": "relative"},
        {"task": "regression", "target_kind": "positive"},
    ),
    "bce-default": ({"task": "binary"}, {"task": "multiclass"}),
    "ce-default": ({"task": "multiclass"}, {"task": "binary"}),
    "bce-probabilities": (
        {"task": "binary", "want": "probabilities"},
        {"task": "binary", "want": "margin"},
    ),
    "ce-probabilities": (
        {"task": "multiclass", "want": "probabilities"},
        {"task": "multiclass"},
    ),
    "focal-rare-class": (
        {"task": "binary", "positive_rate": 0.005},
        {"task": "binary", "positive_rate": 0.02},
    ),
    "focal-imbalanced": (
        {"task": "binary", "class_counts": [950, 50]},
        {"task": "multiclass", "class_counts": [900, 50, 50]},
    ),
    "softmax-focal-rare-class": (
        {"task": "multiclass", "class_counts": [990, 5, 5]},
        {"task": "binary", "positive_rate": 0.005},
    ),
    "softmax-focal-imbalanced": (
        {"task": "multiclass", "class_counts": [900, 50, 50]},
        {"task": "multiclass", "class_counts": [900, 95, 5]},
    ),
    "hinge-margin": ({"task": "binary", "want": "margin"}, {"task": "binary"}),
    "multiclass-hinge-margin": (
        {"task": "multiclass", "want": "margin"},
        {"task": "binary", "want": "margin"},
    ),
    "pairwise-ranking": (
        {"task": "binary", "want": "ranking"},
        {"task": "binary", "want": "probabilities"},
    ),
    "mse-gaussian": (
        {"task": "regression", "outliers": "none"},
        {"task": "regression", "outliers": "some"},
    ),
    "huber-unsure": ({"task": "regression"}, {"task": "regression", "outliers": "none"}),
    "huber-heavy-tails": (
        {"task": "regression", "outliers": "some"},
        {"task": "regression", "outliers": "heavy", "target_stat": "median"},
    ),
    "mae-gross-outliers": (
        {"task": "regression", "outliers": "heavy"},
        {"task": "regression", "outliers": "some"},
    ),
    "mae-median": (
        {"task": "regression", "target_stat": "median"},
        {"task": "regression", "target_stat": "mean"},
    ),
    "pinball-quantile": (
        {"task": "regression", "target_stat": "quantile", "quantile": 0.9},
        {"task": "regression", "target_stat": "median"},
    ),
    "kl-distillation": ({"task": "multiclass", "distillation": True}, {"task": "distribution"}),
    "kl-variational": ({"variational": True}, {"task": "distribution", "distillation": True}),
    "kl-fit": ({"task": "distribution"}, {"task": "distribution", "variational": True}),
    "ce-soft-targets": (
        {"task": "distribution", "distillation": True},
        {"task": "distribution", "variational": True},
    ),
    "contrastive-pairs": ({"task": "embedding"}, {"task": "distribution"}),
    "triplet-relative": ({"task": "embedding"}, {"task": "regression"}),
    "triplet-ranking": ({"task": "embedding", "want": "ranking"}, {"task": "embedding"}),
    "infonce-batch": ({"task": "embedding"}, {"task": "multiclass"}),
}

# caveat id: (situation where it is attached, situation where it is not)
CAVEAT_CASES: dict[str, tuple[Situation, Situation]] = {
    "pairs-polarity": (
        from_profile(PairProfile(100, {0.0: 50, 1.0: 50}, {0.0: 0.3, 1.0: 1.6})),
        from_profile(PairProfile(100, {0.0: 50, 1.0: 50}, {0.0: 1.6, 1.0: 0.3})),
    ),
    "imbalance-metrics": (
        from_facts(task="binary", positive_rate=0.05),
        from_facts(task="binary", positive_rate=0.3),
    ),
    "skewed-noise": (
        from_profile(spread(quartile_skew=0.26, skew=2.0)),
        from_profile(spread(quartile_skew=0.01, skew=-1.5)),
    ),
    "scale-from-target": (
        from_profile(spread(basis="target", tail_share=0.03)),
        from_profile(spread(tail_share=0.03)),
    ),
    "delta-unscaled": (
        from_facts(task="regression", outliers="heavy"),
        from_facts(task="regression", outliers="heavy", residual_scale=2.0),
    ),
}


def fired(situation: Situation) -> set[str]:
    return {rule_id for r in recommend(situation) for rule_id in r.rules}


def caveats_of(situation: Situation) -> dict[str, tuple[str, ...]]:
    return {r.loss: r.caveats for r in recommend(situation)}


def test_every_rule_and_caveat_has_cases():
    assert set(RULE_CASES) == {r.id for r in RULES}
    assert set(CAVEAT_CASES) == {c.id for c in CAVEATS}
    assert len({r.id for r in RULES}) == len(RULES)


def situation(case: dict | Situation) -> Situation:
    return case if isinstance(case, Situation) else from_facts(**case)


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_rule_fires(rule_id):
    assert rule_id in fired(situation(RULE_CASES[rule_id][0]))


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_rule_does_not_fire(rule_id):
    assert rule_id not in fired(situation(RULE_CASES[rule_id][1]))


def _has_caveat(situation: Situation, caveat_id: str) -> bool:
    caveat = next(c for c in CAVEATS if c.id == caveat_id)
    words = situation.words()
    text = caveat.text.format_map(words)
    return any(text in caveats for caveats in caveats_of(situation).values())


@pytest.mark.parametrize("caveat_id", sorted(CAVEAT_CASES))
def test_caveat_attached(caveat_id):
    assert _has_caveat(CAVEAT_CASES[caveat_id][0], caveat_id)


@pytest.mark.parametrize("caveat_id", sorted(CAVEAT_CASES))
def test_caveat_not_attached(caveat_id):
    assert not _has_caveat(CAVEAT_CASES[caveat_id][1], caveat_id)


def test_guide_defaults():
    top = {
        "binary": "binary-cross-entropy",
        "multiclass": "cross-entropy",
        "regression": "mse",
        "distribution": "kl",
        "embedding": "contrastive",
    }
    for task, loss in top.items():
        assert recommend(from_facts(task=task))[0].loss == loss


@pytest.mark.parametrize(
    ("facts", "first"),
    [
        ({"task": "binary", "positive_rate": 0.005}, "focal"),
        ({"task": "binary", "positive_rate": 0.995}, "focal"),  # the rare class is negative
        ({"task": "binary", "positive_rate": 0.3}, "binary-cross-entropy"),
        (
            {"task": "binary", "positive_rate": 0.005, "want": "probabilities"},
            "binary-cross-entropy",
        ),
        ({"task": "binary", "want": "margin"}, "hinge"),
        ({"task": "regression", "outliers": "none"}, "mse"),
        ({"task": "regression", "outliers": "heavy"}, "huber"),
        ({"task": "regression", "outliers": "heavy", "target_stat": "median"}, "mae"),
        ({"task": "regression", "quantile": 0.1}, "pinball"),
        ({"task": "multiclass", "distillation": True}, "kl"),
        ({"variational": True}, "kl"),
        ({"task": "embedding", "want": "ranking"}, "triplet"),
    ],
)
def test_first_choice(facts, first):
    assert recommend(from_facts(**facts))[0].loss == first


def test_ranked_by_score_and_reasons_merge():
    found = recommend(from_facts(task="embedding", want="ranking"))
    scores = [r.score for r in found]
    assert scores == sorted(scores, reverse=True)
    triplet = found[0]
    assert triplet.rules == ("triplet-ranking", "triplet-relative")
    assert len(triplet.reasons) == 2 and triplet.score == 0.9


def test_focal_alpha_and_its_caveat_agree():
    # Lin et al. 2017 (Table 1a): alpha = 0.25 on the rare class with gamma = 2. The caveat
    # quotes the alpha suggested, and the balancing alpha only as the gamma = 0 alternative.
    (focal,) = [
        r for r in recommend(from_facts(task="binary", positive_rate=0.005)) if r.loss == "focal"
    ]
    assert focal.params == {"gamma": 2.0, "alpha": 0.25}
    (alpha_caveat,) = [c for c in focal.caveats if "torchvision" in c]
    assert alpha_caveat.startswith("alpha = 0.25 weights the positive class")
    assert "at gamma = 0 the balancing alpha would be 0.995" in alpha_caveat
    # The rare class is negative: the positive class gets 1 - 0.25.
    (focal,) = [
        r
        for r in recommend(from_facts(task="binary", class_counts=[10, 1990]))
        if r.loss == "focal"
    ]
    assert focal.params["alpha"] == 0.75
    assert any(c.startswith("alpha = 0.75 weights") for c in focal.caveats)


def test_multiclass_focal_is_the_catalogs_softmax_focal():
    focal = recommend(from_facts(task="multiclass", class_counts=[990, 5, 5]))[0]
    assert focal.loss == "softmax-focal" and focal.params == {"gamma": 2.0}
    text = " ".join(focal.reasons + focal.caveats)
    assert "softmax focal" in text and "not in the catalog" not in text


def test_huber_delta_follows_residual_scale():
    huber = recommend(from_facts(task="regression", outliers="heavy", residual_scale=2.5))[0]
    assert huber.params == {"delta": 3.362}  # 1.345 x 2.5 = 3.3625, to 4 digits
    assert "residual scale 2.5 = 3.362" in huber.reasons[0]


def test_every_rule_names_a_catalog_loss_with_valid_params():
    # Walks every rule (each fires in its RULE_CASES situation): the loss is a canonical
    # registry name, so `losscli compute NAME` accepts it, and the parameters it suggests
    # pass the catalog's own checks. Issue 12 item 5: pairwise-logistic was refused.
    catalog = set(names_and_aliases().values())
    for rule in RULES:
        assert rule.loss in catalog, rule.id
    for case, _ in RULE_CASES.values():
        for r in recommend(situation(case)):
            assert get(r.loss).name == r.loss
            get(r.loss).resolve_params(r.params)
            assert not any("not in the catalog" in c for c in r.caveats)


def test_every_reason_has_a_reference():
    for rule in RULES:
        assert rule.reference and rule.reason
    for r in recommend(from_facts(task="binary", positive_rate=0.005, want="probabilities")):
        assert r.references


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        ({}, "give --task"),
        ({"task": "clustering"}, "--task must be one of"),
        (
            {"task": "binary", "outliers": "heavy"},
            "--outliers applies to --task regression, not binary",
        ),
        ({"task": "regression", "positive_rate": 0.1}, "--positive-rate applies to --task binary"),
        ({"task": "binary", "positive_rate": 0}, "between 0 and 1"),
        ({"task": "binary", "positive_rate": 1.5}, "between 0 and 1"),
        ({"task": "binary", "positive_rate": 0.1, "class_counts": [9, 1]}, "not both"),
        ({"task": "binary", "class_counts": [5, 3, 2]}, "two counts"),
        ({"task": "multiclass", "class_counts": [5]}, "at least two"),
        ({"task": "multiclass", "class_counts": [5, 0, 2]}, "must all be positive"),
        ({"task": "regression", "target_stat": "quantile"}, "needs --quantile"),
        (
            {"task": "regression", "target_stat": "median", "quantile": 0.5},
            "goes with --target-stat quantile",
        ),
        ({"task": "regression", "quantile": 1.0}, "between 0 and 1"),
        ({"task": "regression", "residual_scale": 0.0}, "positive number"),
        ({"task": "regression", "residual_scale": float("nan")}, "positive number"),
        ({"task": "regression", "want": "margin"}, "--want margin applies"),
        ({"task": "embedding", "want": "probabilities"}, "--want probabilities applies"),
        ({"task": "regression", "distillation": True}, "--distillation applies"),
        ({"task": "binary", "want": "fast"}, "--want must be one of"),
    ],
)
def test_facts_that_do_not_fit_are_usage_errors(facts, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        from_facts(**facts)


@pytest.mark.parametrize(
    ("tail", "kurtosis", "level"),
    [
        (0.0027, 0.05, "none"),
        (0.012, 0.5, "some"),
        (0.005, 3.0, "some"),
        (0.068, 3.0, "heavy"),
        (0.021, 131.0, "heavy"),
        (0.001, None, "heavy"),  # a fourth moment that overflows float64
    ],
)
def test_outlier_level(tail, kurtosis, level):
    assert outlier_level(spread(tail_share=tail, excess_kurtosis=kurtosis)) == level


def test_profile_numbers_are_the_reasons():
    situation = from_profile(spread(tail_share=0.024, excess_kurtosis=11.8, scale=0.5))
    huber = recommend(situation)[0]
    assert huber.loss == "huber" and huber.params == {"delta": 0.6725}
    assert "2.4% of residuals lie beyond 3 robust SD; excess kurtosis 11.8" in huber.reasons[0]


def test_label_profile_reasons():
    binary = recommend(from_profile(labels({0.0: 19900, 1.0: 100})))
    assert binary[0].loss == "focal"
    assert binary[0].reasons[0].startswith("0.5% of the 20000 labels are positive (100 of class 1)")
    multi = recommend(from_profile(labels({0.0: 500, 1.0: 480, 2.0: 20})))
    assert [r.loss for r in multi] == ["cross-entropy", "softmax-focal"]
    assert "the smallest class (2) holds 2.0% of the 1000 labels" in multi[1].reasons[0]


def test_profile_accepts_only_what_it_does_not_measure():
    assert recommend(from_profile(spread(), target_stat="median"))[0].loss == "mae"
    assert recommend(from_profile(labels({0.0: 50, 1.0: 50}), want="margin"))[0].loss == "hinge"
    with pytest.raises(UsageError, match="--target-stat applies to --task regression"):
        from_profile(labels({0.0: 50, 1.0: 50}), target_stat="median")
