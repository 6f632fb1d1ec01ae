"""The catalog's decision guide as data: which loss, with which parameters, and why.

A `Situation` holds what is known about a problem, either stated (`from_facts`, the flags of
`losscli recommend`) or measured (`from_profile`, a profile of the data). `RULES` is the
guide: each rule names a loss, a condition over the situation, a score, suggested
parameters, a reason (a template filled from the situation, so measured numbers appear in
it), caveats and a reference. `CAVEATS` adds warnings to a loss when their condition holds.
`recommend` applies them all and ranks the losses.

Scores say how well a loss fits: about 0.9 and above, the guide's first choice for what was
stated or measured; 0.7 to 0.85, a sound default; 0.5 to 0.7, an alternative worth trying.
A loss that several rules support takes the highest of their scores and all their reasons.

>>> [r.loss for r in recommend(from_facts(task="binary", positive_rate=0.005))]
['focal', 'binary-cross-entropy']
>>> [r.loss for r in recommend(from_facts(task="binary", want="ranking"))]
['margin-ranking', 'binary-cross-entropy']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from losscli.core.advice.profile import (
    DistributionProfile,
    LabelProfile,
    PairProfile,
    Profile,
    SpreadProfile,
    TargetSummary,
    label_text,
    looks_like_counts,
)
from losscli.core.errors import UsageError

TASKS = ("binary", "multiclass", "regression", "distribution", "embedding")
OUTLIER_LEVELS = ("none", "some", "heavy")
TARGET_STATS = ("mean", "median", "quantile")
WANTS = ("probabilities", "margin", "ranking", "relative")
# What kind of numbers a regression target holds, beyond real numbers with additive noise.
TARGET_KINDS = ("counts", "zero-inflated", "positive")

# Focal loss pays off when the rare class is under about 1% (Lin et al. 2017); from 1% to
# 10% it is an alternative to try.
RARE_SHARE = 0.01
IMBALANCED_SHARE = 0.10
# Huber's delta = 1.345 x the residual scale gives 95% efficiency under Gaussian noise.
HUBER_K = 1.345
# Outlier levels from a profile. Gaussian noise puts 0.27% of values beyond 3 robust SD and
# has excess kurtosis 0; Laplace noise about 4.6% and 3; Student-t(2) about 6.8% and no
# finite kurtosis; 2% gross errors about 2.3% and a kurtosis in the tens.
SOME_TAIL_SHARE = 0.01
SOME_KURTOSIS = 1.0
HEAVY_TAIL_SHARE = 0.05
HEAVY_KURTOSIS = 10.0
# Bowley's quartile skewness: 0.26 for exponential noise, 0.08 for Gamma(4) (moment skew 1).
SKEWED = 0.1
# Target kinds from a profile. A variance-to-mean slope below 0.5 is additive noise; a
# moment skew above 1 with ln y within half of it of symmetric is multiplicative (log-normal
# or gamma-like); a tenth of exact zeros beside continuous positive values is Tweedie's.
ADDITIVE_SLOPE = 0.5
MULTIPLICATIVE_SKEW = 1.0
ZERO_HEAVY = 0.1
OVERDISPERSED = 1.5
TWEEDIE_POWER = 1.5

# Lin et al. (2017, Table 1a) found alpha = 0.25 best with gamma = 2 (torchvision's default).
FOCAL_ALPHA = 0.25
FOCAL_GAMMA = 2.0


@dataclass(frozen=True)
class Situation:
    """What is known about the problem. None means not stated and not measured.

    `evidence` holds the words that reasons quote: how the imbalance, the outliers and the
    residual scale were learnt ("--positive-rate 0.005", "2.4% of residuals lie beyond 3
    robust SD; excess kurtosis 11.8").
    """

    task: str
    positive_rate: float | None = None
    minority_share: float | None = None
    n_classes: int | None = None
    outliers: str | None = None
    residual_scale: float | None = None
    scale_basis: str | None = None  # "residuals", "target" or "stated"
    quartile_skew: float | None = None
    skew: float | None = None
    target_stat: str | None = None
    quantile: float | None = None
    want: str | None = None
    distillation: bool = False
    variational: bool = False
    measured: bool = False
    target_kind: str | None = None
    dispersion: float | None = None  # variance / mean of the target
    variance_power: float | None = None  # the variance-to-mean slope, when measured
    pairs_flipped: bool = False  # measured pairs labelled 1 lie farther apart than those of 0
    evidence: Mapping[str, str] = field(default_factory=dict)

    @property
    def mean_target(self) -> bool:
        return self.target_stat in (None, "mean")

    @property
    def additive(self) -> bool:
        """A regression on real numbers with additive noise (no count or positive kind)."""
        return self.task == "regression" and self.target_kind is None

    def words(self) -> dict[str, str]:
        """The values reason and caveat templates are filled with."""
        words = {
            "task": self.task,
            "basis": "residuals",
            "imbalance": "",
            "outliers": "",
            "quantile": _num(self.quantile),
            "skew": "not finite" if self.measured and self.skew is None else _num(self.skew, 3),
            "quartile_skew": _num(self.quartile_skew, 2),
            "scale": "1 (assumed)" if self.residual_scale is None else _num(self.residual_scale),
            "delta": _num(huber_delta(self)),
            "focal_alpha": _num(_focal_params(self).get("alpha", FOCAL_ALPHA)),  # type: ignore[arg-type]
            "power": _num(tweedie_power(self), 3),
            "dispersion": _num(self.dispersion, 3),
            "kind": "",
            "pairs": "",
            "distributions": "",
            "balance_alpha": "1 - positive rate"
            if self.positive_rate is None
            else _num(_round(1.0 - self.positive_rate)),
        }
        words.update(self.evidence)
        return words


Params = dict[str, float | str]


@dataclass(frozen=True)
class GuideRule:
    """One rule of the decision guide (not a convention's Rule): when `when` holds, `loss` is
    recommended with `score`."""

    id: str
    loss: str
    score: float
    when: Callable[[Situation], bool]
    reason: str
    reference: str
    params: Callable[[Situation], Params] = lambda s: {}
    caveats: tuple[str, ...] = ()


@dataclass(frozen=True)
class Caveat:
    """A warning added to `losses` when `when` holds; `text` is a template like reasons."""

    id: str
    losses: tuple[str, ...]
    when: Callable[[Situation], bool]
    text: str


@dataclass(frozen=True)
class Recommendation:
    loss: str
    params: Params
    score: float
    reasons: tuple[str, ...]
    caveats: tuple[str, ...]
    references: tuple[str, ...]
    rules: tuple[str, ...]


def huber_delta(s: Situation) -> float:
    scale = s.residual_scale if s.residual_scale is not None else 1.0
    return _round(HUBER_K * scale)


def tweedie_power(s: Situation) -> float:
    """The measured variance power within Tweedie's compound Poisson-gamma range, else 1.5."""
    if s.variance_power is None:
        return TWEEDIE_POWER
    return _round(min(1.9, max(1.1, s.variance_power)))


def _kind(*kinds: str) -> Callable[[Situation], bool]:
    return lambda s: s.task == "regression" and s.target_kind in kinds and s.mean_target


def _focal_params(s: Situation) -> Params:
    # The sigmoid form takes alpha, the weight of the positive class: the rare class gets
    # FOCAL_ALPHA as in Lin et al., so alpha is 1 - 0.25 when the positives are common. The
    # catalog's softmax form has gamma alone.
    if s.task != "binary":
        return {"gamma": FOCAL_GAMMA}
    positives_rare = s.positive_rate is None or s.positive_rate <= 0.5
    return {"gamma": FOCAL_GAMMA, "alpha": FOCAL_ALPHA if positives_rare else 1 - FOCAL_ALPHA}


def _is(*tasks: str) -> Callable[[Situation], bool]:
    return lambda s: s.task in tasks


def _rare(s: Situation) -> bool:
    return s.minority_share is not None and s.minority_share < RARE_SHARE


def _imbalanced(s: Situation) -> bool:
    return s.minority_share is not None and RARE_SHARE <= s.minority_share < IMBALANCED_SHARE


LIN_2017 = "Lin, Goyal, Girshick, He, Dollár. Focal Loss for Dense Object Detection. ICCV 2017."
FOCAL_CAVEATS = (
    "alpha = {focal_alpha} weights the positive class so that the rare class gets 0.25, with "
    "gamma = 2, as Lin et al. found best (torchvision's sigmoid_focal_loss default): the "
    "focusing term already mutes the easy examples of the common class, so alpha does not "
    "balance the class frequencies; at gamma = 0 the balancing alpha would be {balance_alpha}",
    "focal probabilities are under-confident: recalibrate (temperature or Platt scaling) "
    "before reading them as probabilities",
)

RULES: tuple[GuideRule, ...] = (
    # Classification.
    GuideRule(
        id="bce-default",
        loss="binary-cross-entropy",
        score=0.8,
        when=_is("binary"),
        reason="binary labels: cross-entropy is the negative log-likelihood of a Bernoulli "
        "model, the classification default",
        reference="Bishop. Pattern Recognition and Machine Learning, 2006, §4.3.2.",
        caveats=("train on logits (--logits here; BCEWithLogitsLoss in PyTorch) for stability",),
    ),
    GuideRule(
        id="ce-default",
        loss="cross-entropy",
        score=0.8,
        when=_is("multiclass"),
        reason="{task} labels: cross-entropy is the negative log-likelihood of a categorical "
        "model, the classification default",
        reference="Goodfellow, Bengio, Courville. Deep Learning, 2016, §6.2.2.3.",
    ),
    GuideRule(
        id="bce-probabilities",
        loss="binary-cross-entropy",
        score=0.92,
        when=lambda s: s.task == "binary" and s.want == "probabilities",
        reason="you want probabilities: log-loss is a strictly proper scoring rule, minimised "
        "by calibrated probabilities",
        reference="Gneiting, Raftery. Strictly Proper Scoring Rules. JASA 102(477), 2007.",
    ),
    GuideRule(
        id="ce-probabilities",
        loss="cross-entropy",
        score=0.92,
        when=lambda s: s.task == "multiclass" and s.want == "probabilities",
        reason="you want probabilities: log-loss is a strictly proper scoring rule, minimised "
        "by calibrated probabilities",
        reference="Gneiting, Raftery. Strictly Proper Scoring Rules. JASA 102(477), 2007.",
    ),
    GuideRule(
        id="focal-rare-class",
        loss="focal",
        score=0.9,
        when=lambda s: s.task == "binary" and _rare(s),
        reason="{imbalance}: under about 1%, the many easy examples of the common class "
        "dominate cross-entropy; focal loss scales each by (1 - p_t)^gamma",
        reference=LIN_2017,
        params=_focal_params,
        caveats=FOCAL_CAVEATS,
    ),
    GuideRule(
        id="focal-imbalanced",
        loss="focal",
        score=0.6,
        when=lambda s: s.task == "binary" and _imbalanced(s),
        reason="{imbalance}: a moderate imbalance that cross-entropy usually handles (with "
        "class weights or resampling); focal loss is worth a try if easy examples swamp "
        "training",
        reference=LIN_2017,
        params=_focal_params,
        caveats=FOCAL_CAVEATS,
    ),
    GuideRule(
        id="softmax-focal-rare-class",
        loss="softmax-focal",
        score=0.9,
        when=lambda s: s.task == "multiclass" and _rare(s),
        reason="{imbalance}: under about 1%, the many easy examples of the common classes "
        "dominate cross-entropy; softmax focal loss scales each by (1 - p_y)^gamma",
        reference=LIN_2017,
        params=_focal_params,
        caveats=FOCAL_CAVEATS[1:],
    ),
    GuideRule(
        id="softmax-focal-imbalanced",
        loss="softmax-focal",
        score=0.6,
        when=lambda s: s.task == "multiclass" and _imbalanced(s),
        reason="{imbalance}: a moderate imbalance that cross-entropy usually handles (with "
        "class weights or resampling); softmax focal loss is worth a try if easy examples "
        "swamp training",
        reference=LIN_2017,
        params=_focal_params,
        caveats=FOCAL_CAVEATS[1:],
    ),
    GuideRule(
        id="hinge-margin",
        loss="hinge",
        score=0.95,
        when=lambda s: s.task == "binary" and s.want == "margin",
        reason="you want a max-margin decision, not probabilities: hinge loss is zero beyond "
        "the margin, so only examples near the boundary shape it",
        reference="Cortes, Vapnik. Support-Vector Networks. Machine Learning 20, 1995.",
        caveats=(
            "scores are not probabilities: calibrate them (Platt scaling) if you need them",
            "labels are -1/+1 (0/1 are mapped, and said)",
        ),
    ),
    GuideRule(
        id="multiclass-hinge-margin",
        loss="multiclass-hinge",
        score=0.95,
        when=lambda s: s.task == "multiclass" and s.want == "margin",
        reason="you want a max-margin decision over several classes: the Crammer-Singer hinge "
        "asks the true class to beat the best other one by a margin",
        reference="Crammer, Singer. On the Algorithmic Implementation of Multiclass "
        "Kernel-based Vector Machines. JMLR 2, 2001.",
        params=lambda s: {"margin": 1.0},
        caveats=("scores are not probabilities",),
    ),
    GuideRule(
        id="pairwise-ranking",
        loss="margin-ranking",
        score=0.85,
        when=lambda s: s.task == "binary" and s.want == "ranking",
        reason="you rank by score (AUC, precision at k): a pairwise loss on (positive, "
        "negative) pairs optimises the order directly (RankSVM's hinge; RankNet's logistic "
        "form is the smooth alternative); cross-entropy's scores also rank well",
        reference="Herbrich, Graepel, Obermayer. Large Margin Rank Boundaries for Ordinal "
        "Regression. 2000; Joachims. Optimizing Search Engines using Clickthrough Data. KDD "
        "2002.",
        params=lambda s: {"margin": 1.0},
        caveats=(
            "it scores pairs: target +1 and two prediction columns, x1 the positive's score "
            "and x2 the negative's (sample the pairs; all of them grow as n^2)",
        ),
    ),
    # Regression.
    GuideRule(
        id="mse-gaussian",
        loss="mse",
        score=0.85,
        when=lambda s: s.additive and s.outliers in (None, "none") and s.mean_target,
        reason="{outliers}: squared error is the maximum-likelihood loss under Gaussian noise "
        "and estimates the conditional mean",
        reference="Hastie, Tibshirani, Friedman. The Elements of Statistical Learning, 2nd "
        "ed., 2009, §2.4.",
        caveats=("one residual of 10 costs as much as 100 residuals of 1: outliers dominate",),
    ),
    GuideRule(
        id="huber-unsure",
        loss="huber",
        score=0.6,
        when=lambda s: s.additive and s.outliers is None and s.mean_target,
        reason="no outlier level was stated: Huber is squared error for residuals within "
        "delta and bounds the influence of larger ones, a safe choice when unsure",
        reference="Huber. Robust Estimation of a Location Parameter. Ann. Math. Statist. "
        "35(1), 1964.",
        params=lambda s: {"delta": huber_delta(s)},
    ),
    GuideRule(
        id="huber-heavy-tails",
        loss="huber",
        score=0.9,
        when=lambda s: s.additive and s.outliers in ("some", "heavy") and s.mean_target,
        reason="{outliers}: Huber is quadratic within delta and linear beyond it, so heavy "
        "tails and mislabeled targets have bounded influence; delta = 1.345 x residual scale "
        "{scale} = {delta} keeps 95% efficiency when the noise is Gaussian",
        reference="Huber, Ronchetti. Robust Statistics, 2nd ed., 2009, §4.5 (k = 1.345).",
        params=lambda s: {"delta": huber_delta(s)},
    ),
    GuideRule(
        id="mae-gross-outliers",
        loss="mae",
        score=0.65,
        when=lambda s: s.additive and s.outliers == "heavy" and s.mean_target,
        reason="{outliers}: absolute error ignores how far gross errors lie; it estimates the "
        "median, which is the mean only when the noise is symmetric",
        reference="Koenker. Quantile Regression, 2005, §1.",
        caveats=("its gradient does not shrink near the optimum: lower the learning rate late",),
    ),
    GuideRule(
        id="mae-median",
        loss="mae",
        score=0.95,
        when=lambda s: s.task == "regression" and s.target_stat == "median",
        reason="you want the conditional median: absolute error is minimised by the median, "
        "and large residuals have bounded influence",
        reference="Koenker. Quantile Regression, 2005, §1.",
    ),
    GuideRule(
        id="pinball-quantile",
        loss="pinball",
        score=0.95,
        when=lambda s: s.task == "regression" and s.target_stat == "quantile",
        reason="you want the {quantile} quantile: the pinball loss q max(r, 0) + (1 - q) "
        "max(-r, 0), r = y_true - y_pred, is minimised by it",
        reference="Koenker, Bassett. Regression Quantiles. Econometrica 46(1), 1978.",
        params=lambda s: {"quantile": s.quantile if s.quantile is not None else 0.5},
        caveats=(
            "scikit-learn's mean_pinball_loss(alpha=0.5) is MAE/2: its alpha is the quantile",
        ),
    ),
    # Regression on counts and positive values.
    GuideRule(
        id="poisson-counts",
        loss="poisson",
        score=0.93,
        when=_kind("counts"),
        reason="{kind}: the Poisson likelihood fits counts (its variance equals its mean, it "
        "is minimised by the conditional mean, and with a log link it never predicts below "
        "0)",
        reference="McCullagh, Nelder. Generalized Linear Models, 2nd ed., 1989, §6.2.",
        caveats=("predict the log-rate (--log-input here, log_input=True in PyTorch)",),
    ),
    GuideRule(
        id="tweedie-overdispersed-counts",
        loss="tweedie",
        score=0.6,
        when=lambda s: _kind("counts")(s) and (s.dispersion or 0.0) > OVERDISPERSED,
        reason="the counts are overdispersed (variance {dispersion} x the mean): a Tweedie "
        "deviance with power {power} lets the variance grow faster than the mean",
        reference="Jørgensen. The Theory of Dispersion Models, 1997, ch. 4.",
        params=lambda s: {"power": tweedie_power(s)},
    ),
    GuideRule(
        id="tweedie-zero-inflated",
        loss="tweedie",
        score=0.93,
        when=_kind("zero-inflated"),
        reason="{kind}: the Tweedie deviance with 1 < power < 2 is a compound Poisson-gamma "
        "model, with a point mass at 0 and a continuous positive part; power {power}",
        reference="Jørgensen. The Theory of Dispersion Models, 1997, ch. 4; Smyth, Jørgensen. "
        "Fitting Tweedie's Compound Poisson Model to Insurance Claims Data. ASTIN Bulletin "
        "32(1), 2002.",
        params=lambda s: {"power": tweedie_power(s)},
        caveats=("predict the log-mean (--log-input here): the mean must stay positive",),
    ),
    GuideRule(
        id="gamma-positive",
        loss="gamma-deviance",
        score=0.92,
        when=_kind("positive"),
        reason="{kind}: the gamma deviance depends only on the ratio of prediction to target, "
        "the right error when the spread grows in proportion to the mean",
        reference="McCullagh, Nelder. Generalized Linear Models, 2nd ed., 1989, §8.1.",
        caveats=(
            "the targets must be positive; predict the log-mean (--log-input here)",
            "checking the spread needs predictions: profile with -p to measure the "
            "variance-to-mean slope (gamma: 2)",
        ),
    ),
    GuideRule(
        id="msle-positive",
        loss="msle",
        score=0.7,
        when=lambda s: _kind("positive", "counts", "zero-inflated")(s) and s.want != "relative",
        reason="if relative error is the goal (10% off is as bad at 10 as at 1000): squared "
        "error of ln(1 + y), the same as fitting MSE to a log target; say --want relative",
        reference="Hyndman, Koehler. Another Look at Measures of Forecast Accuracy. Int. J. "
        "Forecasting 22(4), 2006.",
        caveats=(
            "it estimates the geometric, not the arithmetic, mean: exp of a log-scale "
            "prediction under-predicts the mean",
        ),
    ),
    GuideRule(
        id="msle-relative",
        loss="msle",
        score=0.95,
        when=lambda s: s.task == "regression" and s.want == "relative",
        reason="you want relative error: squared error of ln(1 + y) treats 10% off alike at "
        "every size (the same as fitting MSE to a log target)",
        reference="Hyndman, Koehler. Another Look at Measures of Forecast Accuracy. Int. J. "
        "Forecasting 22(4), 2006.",
        caveats=(
            "it estimates the geometric, not the arithmetic, mean: exp of a log-scale "
            "prediction under-predicts the mean",
            "targets must be above -1; for targets far above 1 it is MSE on ln y",
        ),
    ),
    # Distributions.
    GuideRule(
        id="kl-distillation",
        loss="kl",
        score=0.95,
        when=lambda s: s.distillation,
        reason="distillation fits the student Q to the teacher P: forward KL(P||Q) is "
        "mass-covering, so the student keeps the teacher's dark knowledge",
        reference="Hinton, Vinyals, Dean. Distilling the Knowledge in a Neural Network. 2015.",
        params=lambda s: {"direction": "forward"},
        caveats=(
            "soften teacher and student with the same temperature T and scale the loss by T^2",
            "PyTorch's kl_div(input, target) takes log Q as input and computes KL(target||Q)",
        ),
    ),
    GuideRule(
        id="kl-variational",
        loss="kl",
        score=0.95,
        when=lambda s: s.variational,
        reason="variational inference fits the approximation Q to the posterior P through "
        "reverse KL(Q||P), which only needs samples from Q (the ELBO)",
        reference="Blei, Kucukelbir, McAuliffe. Variational Inference: A Review for "
        "Statisticians. JASA 112(518), 2017.",
        params=lambda s: {"direction": "reverse"},
        caveats=(
            "reverse KL is mode-seeking: Q under-covers a multimodal P",
            "P is usually known only up to a constant: maximise the ELBO rather than "
            "computing the KL itself",
        ),
    ),
    GuideRule(
        id="kl-fit",
        loss="kl",
        score=0.8,
        when=lambda s: s.task == "distribution" and not (s.distillation or s.variational),
        reason="fitting predicted distributions Q to target distributions P{distributions}: "
        "forward KL(P||Q) "
        "is zero exactly when they match and covers all of P's mass",
        reference="Kullback, Leibler. On Information and Sufficiency. Ann. Math. Statist. "
        "22(1), 1951.",
        params=lambda s: {"direction": "forward"},
    ),
    GuideRule(
        id="ce-soft-targets",
        loss="distribution-cross-entropy",
        score=0.7,
        when=lambda s: s.task == "distribution" and not s.variational,
        reason="cross-entropy with soft targets has the same gradient in Q as forward KL; the "
        "two differ by the entropy of P, a constant",
        reference="Goodfellow, Bengio, Courville. Deep Learning, 2016, §3.13.",
    ),
    # Embeddings.
    GuideRule(
        id="contrastive-pairs",
        loss="contrastive",
        score=0.8,
        when=_is("embedding"),
        reason="from labelled pairs{pairs}, contrastive loss pulls similar pairs together and "
        "pushes "
        "dissimilar ones beyond the margin",
        reference="Hadsell, Chopra, LeCun. Dimensionality Reduction by Learning an Invariant "
        "Mapping. CVPR 2006.",
        params=lambda s: {"margin": 1.0},
        caveats=(
            "the margin is in distance units: on L2-normalised embeddings distances lie in [0, 2]",
            "label polarity differs: Hadsell et al. use 0 for similar pairs, losscli uses 1",
        ),
    ),
    GuideRule(
        id="triplet-relative",
        loss="triplet",
        score=0.7,
        when=_is("embedding"),
        reason="from (anchor, positive, negative) triplets, triplet loss asks only that "
        "d(a, p) + margin < d(a, n): relative distances, no absolute target",
        reference="Schroff, Kalenichenko, Philbin. FaceNet. CVPR 2015.",
        params=lambda s: {"margin": 0.2},
        caveats=("mine hard or semi-hard negatives: random triplets are mostly already met",),
    ),
    GuideRule(
        id="triplet-ranking",
        loss="triplet",
        score=0.9,
        when=lambda s: s.task == "embedding" and s.want == "ranking",
        reason="you want the right order of neighbours (retrieval): triplet loss trains that "
        "order directly",
        reference="Schroff, Kalenichenko, Philbin. FaceNet. CVPR 2015.",
        params=lambda s: {"margin": 0.2},
    ),
    GuideRule(
        id="infonce-batch",
        loss="infonce",
        score=0.75,
        when=_is("embedding"),
        reason="with many negatives per batch (self-supervised or retrieval), InfoNCE treats "
        "each positive as a classification against all of them",
        reference="van den Oord, Li, Vinyals. Representation Learning with Contrastive "
        "Predictive Coding. 2018; He et al. MoCo. CVPR 2020 (temperature 0.07).",
        params=lambda s: {"temperature": 0.07},
        caveats=("quality grows with the number of negatives, so with the batch size",),
    ),
)

CAVEATS: tuple[Caveat, ...] = (
    Caveat(
        id="pairs-polarity",
        losses=("contrastive",),
        when=lambda s: s.pairs_flipped,
        text="the pairs labelled 1 lie farther apart than those labelled 0: losscli's "
        "contrastive reads 1 as similar, so use --convention hadsell (0 similar) or 1 - y",
    ),
    Caveat(
        id="imbalance-metrics",
        losses=("binary-cross-entropy", "cross-entropy"),
        when=lambda s: s.minority_share is not None and s.minority_share < IMBALANCED_SHARE,
        text="{imbalance}: accuracy is misleading here; judge by precision-recall AUC or "
        "per-class recall, and consider class weights",
    ),
    Caveat(
        id="skewed-noise",
        losses=("mse", "huber"),
        when=lambda s: s.quartile_skew is not None and abs(s.quartile_skew) > SKEWED,
        text="the {basis} are skewed (quartile skew {quartile_skew}, moment skew {skew}): "
        "their mean and median differ and Huber lands between them; say which you want "
        "with --target-stat",
    ),
    Caveat(
        id="scale-from-target",
        losses=("huber",),
        when=lambda s: s.scale_basis == "target",
        text="the scale was measured on the target around its median, not on residuals: it "
        "includes what a model would explain, so delta is an upper bound; profile residuals "
        "with --pred",
    ),
    Caveat(
        id="delta-unscaled",
        losses=("huber",),
        when=lambda s: s.task == "regression" and s.residual_scale is None,
        text="delta 1.345 assumes residuals with a robust SD of 1: multiply it by yours (MAD "
        "x 1.4826), give --residual-scale, or profile a file with --pred",
    ),
)


def recommend(situation: Situation) -> list[Recommendation]:
    """Every loss some rule supports, best first, with parameters, reasons and caveats."""
    words = situation.words()
    fired: dict[str, list[GuideRule]] = {}
    for rule in RULES:
        if rule.when(situation):
            fired.setdefault(rule.loss, []).append(rule)
    found = []
    for loss, rules in fired.items():
        rules.sort(key=lambda r: -r.score)
        params: Params = {}
        for rule in reversed(rules):  # the strongest rule's parameters win
            params.update(rule.params(situation))
        caveats = [c for rule in rules for c in rule.caveats]
        caveats += [c.text for c in CAVEATS if loss in c.losses and c.when(situation)]
        found.append(
            Recommendation(
                loss=loss,
                params=params,
                score=rules[0].score,
                reasons=tuple(r.reason.format_map(words) for r in rules),
                caveats=tuple(dict.fromkeys(c.format_map(words) for c in caveats)),
                references=tuple(dict.fromkeys(r.reference for r in rules)),
                rules=tuple(r.id for r in rules),
            )
        )
    found.sort(key=lambda r: -r.score)  # stable: ties keep the order of RULES
    return found


def from_facts(
    *,
    task: str | None = None,
    positive_rate: float | None = None,
    class_counts: Sequence[int] | None = None,
    outliers: str | None = None,
    residual_scale: float | None = None,
    target_stat: str | None = None,
    quantile: float | None = None,
    want: str | None = None,
    distillation: bool = False,
    variational: bool = False,
    target_kind: str | None = None,
) -> Situation:
    """The situation the user states; raises UsageError naming a flag that does not fit."""
    if task is None:
        if not (distillation or variational):
            raise UsageError(
                "give --task (" + "|".join(TASKS) + "), or a FILE to profile with --target"
            )
        task = "distribution"
    _choice("--task", task, TASKS)
    _choice("--outliers", outliers, OUTLIER_LEVELS)
    _choice("--target-stat", target_stat, TARGET_STATS)
    _choice("--want", want, WANTS)
    _choice("--target-kind", target_kind, TARGET_KINDS)
    given = {
        "--target-kind": target_kind,
        "--positive-rate": positive_rate,
        "--class-counts": class_counts,
        "--outliers": outliers,
        "--residual-scale": residual_scale,
        "--target-stat": target_stat,
        "--quantile": quantile,
        "--distillation": distillation or None,
    }
    _check_applies(task, given, want)
    evidence: dict[str, str] = {}
    minority = n_classes = None
    if positive_rate is not None:
        if class_counts is not None:
            raise UsageError("give --positive-rate or --class-counts, not both")
        if not 0.0 < positive_rate < 1.0:
            raise UsageError(f"--positive-rate must be between 0 and 1, not {positive_rate:g}")
        minority, n_classes = min(positive_rate, 1.0 - positive_rate), 2
        evidence["imbalance"] = (
            f"positives are {_percent(positive_rate)} of examples (--positive-rate "
            f"{positive_rate:g})"
        )
    if class_counts is not None:
        positive_rate, minority, n_classes, evidence["imbalance"] = _from_counts(task, class_counts)
    if outliers is not None:
        evidence["outliers"] = (
            "you expect no outliers (--outliers none)"
            if outliers == "none"
            else f"you expect {outliers} outliers (--outliers {outliers})"
        )
    else:
        evidence["outliers"] = "no outlier level was stated (--outliers)"
    if residual_scale is not None and not (residual_scale > 0 and math.isfinite(residual_scale)):
        raise UsageError(f"--residual-scale must be a positive number, not {residual_scale:g}")
    target_stat, quantile = _check_quantile(target_stat, quantile)
    if target_kind is not None:
        evidence["kind"] = f"{_KIND_WORDS[target_kind]} (--target-kind {target_kind})"
    return Situation(
        task=task,
        target_kind=target_kind,
        positive_rate=positive_rate,
        minority_share=minority,
        n_classes=n_classes,
        outliers=outliers,
        residual_scale=residual_scale,
        scale_basis="stated" if residual_scale is not None else None,
        target_stat=target_stat,
        quantile=quantile,
        want=want,
        distillation=distillation,
        variational=variational,
        evidence=evidence,
    )


def from_profile(
    profile: Profile,
    *,
    target_stat: str | None = None,
    quantile: float | None = None,
    want: str | None = None,
) -> Situation:
    """The situation a profile of the data measures; the numbers become the evidence."""
    _choice("--target-stat", target_stat, TARGET_STATS)
    _choice("--want", want, WANTS)
    if isinstance(profile, PairProfile):
        task = "embedding"
    elif isinstance(profile, DistributionProfile):
        task = "distribution"
    else:
        task = profile.task if isinstance(profile, LabelProfile) else "regression"
    _check_applies(task, {"--target-stat": target_stat, "--quantile": quantile}, want)
    target_stat, quantile = _check_quantile(target_stat, quantile)
    base = Situation(
        task=task, target_stat=target_stat, quantile=quantile, want=want, measured=True
    )
    if isinstance(profile, PairProfile):
        flipped = profile.closer_label != max(profile.counts)
        return replace(base, pairs_flipped=flipped, evidence={"pairs": _pair_evidence(profile)})
    if isinstance(profile, DistributionProfile):
        soft = 1.0 - profile.one_hot_share
        words = (
            f" ({_percent(soft)} of {profile.n} rows over {profile.columns} columns are soft; "
            f"mean entropy {profile.mean_entropy:.3g} of at most {profile.max_entropy:.3g} nats)"
        )
        return replace(base, evidence={"distributions": words})
    if isinstance(profile, LabelProfile):
        return replace(
            base,
            positive_rate=profile.positive_rate,
            minority_share=profile.minority_share,
            n_classes=len(profile.counts),
            evidence={"imbalance": _label_evidence(profile)},
        )
    level = outlier_level(profile)
    kind, kind_words = (None, "") if profile.target is None else target_kind(profile.target)
    summary = profile.target
    return replace(
        base,
        target_kind=kind,
        dispersion=None if summary is None else summary.dispersion,
        variance_power=None if summary is None else summary.variance_slope,
        outliers=level,
        residual_scale=profile.scale,
        scale_basis=profile.basis,
        quartile_skew=profile.quartile_skew,
        skew=profile.skew,
        evidence={
            "outliers": _spread_evidence(profile, level),
            "basis": "residuals" if profile.basis == "residuals" else "targets",
            "kind": kind_words,
        },
    )


def target_kind(t: TargetSummary) -> tuple[str | None, str]:
    """counts, zero-inflated, positive or None (real numbers with additive noise), and the
    checks that decided it, in words."""
    slope = ""
    if t.variance_slope is not None:
        slope = (
            f"; variance-to-mean slope {t.variance_slope:.2f} over {t.slope_bins} bins of the "
            "predictions (constant noise 0, Poisson 1, gamma 2)"
        )
    if t.minimum < 0:
        return None, ""
    if t.variance_slope is not None and t.variance_slope < ADDITIVE_SLOPE:
        return None, ""
    skew = _num(t.skew, 3) if t.skew is not None else "not finite"
    if t.integer and looks_like_counts(t):
        distinct = f"{t.distinct} distinct values" if t.distinct else "many distinct values"
        fit = "" if t.count_fit is None else f", count fit {t.count_fit:.2g} (0 is perfect)"
        ratio = _num(t.dispersion, 3)
        words = (
            f"non-negative integers ({distinct}, {_percent(t.zero_share)} zeros) with mean "
            f"{_num(t.mean)} and variance {_num(t.variance)} (ratio {ratio}; Poisson: 1){fit}"
        )
        return "counts", words + slope
    skewed = t.skew is None or t.skew > MULTIPLICATIVE_SKEW
    if t.minimum == 0 and not t.integer and (t.zero_share >= ZERO_HEAVY or skewed):
        words = (
            f"{_percent(t.zero_share)} of the targets are exactly 0 and the rest continuous "
            f"and positive (skew {skew})"
        )
        return "zero-inflated", words + slope
    if t.minimum > 0 and not t.integer:
        multiplicative = (
            skewed and t.log_skew is not None and abs(t.log_skew) < 0.5 * (t.skew or math.inf)
        )
        by_slope = t.variance_slope is not None and t.variance_slope >= 1.5
        if multiplicative or by_slope:
            log_skew = _num(t.log_skew, 2) if t.log_skew is not None else "not finite"
            words = (
                f"positive continuous targets from {_num(t.minimum)} to {_num(t.maximum)}, "
                f"right-skewed (skew {skew}) while ln y is near symmetric (skew {log_skew})"
            )
            return "positive", words + slope
    return None, ""


def _pair_evidence(p: PairProfile) -> str:
    near = p.closer_label
    far = next(k for k in p.counts if k != near)
    return (
        f" ({p.n} pairs; mean distance {_num(p.mean_distance[near])} for label "
        f"{label_text(near)}, {_num(p.mean_distance[far])} for label {label_text(far)})"
    )


def outlier_level(profile: SpreadProfile) -> str:
    """none, some or heavy, from the tail share and the excess kurtosis."""
    tail = profile.tail_share
    # A kurtosis that overflowed float64 counts as heavy.
    kurtosis = math.inf if profile.excess_kurtosis is None else profile.excess_kurtosis
    if tail > HEAVY_TAIL_SHARE or kurtosis > HEAVY_KURTOSIS:
        return "heavy"
    if tail > SOME_TAIL_SHARE or kurtosis > SOME_KURTOSIS:
        return "some"
    return "none"


def _spread_evidence(p: SpreadProfile, level: str) -> str:
    what = "residuals" if p.basis == "residuals" else "targets"
    kurtosis = "not finite" if p.excess_kurtosis is None else _num(p.excess_kurtosis, 3)
    numbers = (
        f"{_percent(p.tail_share)} of {what} lie beyond 3 robust SD; excess kurtosis {kurtosis}"
    )
    summary = {"none": "light tails", "some": "heavier tails than Gaussian", "heavy": "heavy tails"}
    return f"{summary[level]} ({numbers})"


def _label_evidence(p: LabelProfile) -> str:
    if p.positive_label is not None and p.positive_rate is not None:
        count = p.counts[p.positive_label]
        return (
            f"{_percent(p.positive_rate)} of the {p.n} labels are positive ({count} of class "
            f"{label_text(p.positive_label)})"
        )
    smallest = min(p.counts, key=lambda k: p.counts[k])
    return (
        f"the smallest class ({label_text(smallest)}) holds {_percent(p.minority_share)} of the "
        f"{p.n} labels"
    )


def _from_counts(task: str, counts: Sequence[int]) -> tuple[float | None, float, int, str]:
    if len(counts) < 2:
        raise UsageError("--class-counts needs a count for each class, at least two")
    if task == "binary" and len(counts) != 2:
        raise UsageError(
            f"--class-counts for --task binary is two counts (class 0, class 1), not {len(counts)}"
        )
    if any(c <= 0 for c in counts):
        raise UsageError("--class-counts must all be positive: a class with no examples")
    total = sum(counts)
    minority = min(counts) / total
    listed = ",".join(str(c) for c in counts)
    if task == "binary":
        rate = counts[1] / total
        words = f"positives are {_percent(rate)} of examples (--class-counts {listed})"
        return rate, minority, 2, words
    words = f"the smallest class holds {_percent(minority)} of examples (--class-counts {listed})"
    return None, minority, len(counts), words


_KIND_WORDS = {
    "counts": "you say the target holds counts",
    "zero-inflated": "you say the target has many exact zeros and a continuous positive part",
    "positive": "you say the target is positive with a spread that grows with the mean",
}

# Which tasks each fact applies to; anything else is a usage error that says so.
_APPLIES = {
    "--target-kind": ("regression",),
    "--positive-rate": ("binary",),
    "--class-counts": ("binary", "multiclass"),
    "--outliers": ("regression",),
    "--residual-scale": ("regression",),
    "--target-stat": ("regression",),
    "--quantile": ("regression",),
    "--distillation": ("binary", "multiclass", "distribution"),
}
_WANT_APPLIES = {
    "probabilities": ("binary", "multiclass"),
    "margin": ("binary", "multiclass"),
    "ranking": ("binary", "embedding"),
    "relative": ("regression",),
}


def _check_applies(task: str, given: Mapping[str, object], want: str | None) -> None:
    for flag, value in given.items():
        if value is not None and task not in _APPLIES[flag]:
            tasks = " or ".join(_APPLIES[flag])
            raise UsageError(f"{flag} applies to --task {tasks}, not {task}")
    if want is not None and task not in _WANT_APPLIES[want]:
        tasks = " or ".join(_WANT_APPLIES[want])
        raise UsageError(f"--want {want} applies to --task {tasks}, not {task}")


def _check_quantile(
    target_stat: str | None, quantile: float | None
) -> tuple[str | None, float | None]:
    if quantile is None:
        if target_stat == "quantile":
            raise UsageError("--target-stat quantile needs --quantile q, for example 0.9")
        return target_stat, None
    if target_stat not in (None, "quantile"):
        raise UsageError(f"--quantile goes with --target-stat quantile, not {target_stat}")
    if not 0.0 < quantile < 1.0:
        raise UsageError(f"--quantile must be between 0 and 1, not {quantile:g}")
    return "quantile", quantile


def _choice(flag: str, value: str | None, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise UsageError(f"{flag} must be one of {', '.join(choices)}, not {value!r}")


def _round(x: float) -> float:
    """Four significant digits: suggestions, not measurements."""
    return float(f"{x:.4g}")


def _num(x: float | None, digits: int = 4) -> str:
    return "" if x is None else f"{x:.{digits}g}"


def _percent(share: float) -> str:
    """0.0027 -> '0.27%', 0.005 -> '0.5%', 0.02 -> '2.0%', 0.5 -> '50%'."""
    value = 100.0 * share
    if value < 1:
        return f"{value:.2g}%"
    return f"{value:.1f}%" if value < 10 else f"{value:.0f}%"
