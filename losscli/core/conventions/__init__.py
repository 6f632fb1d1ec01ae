"""Named conventions: each loss the way a framework computes it, as data.

The catalog's definitions (docs/design.md section 4) are one convention among others. Every other
convention states, per loss, what the framework does differently and how losscli reproduces
it, without a second implementation: a Rule only

- sets framework defaults for the loss's own parameters (torchvision's focal alpha = 0.25),
- passes fixed settings to the loss's value and gradient functions (a log clamp, a clip) or
  to its input preparation (label polarity, label mapping),
- scales the loss (Optax's l2_loss is half the squared error),
- picks how the mean is taken (reduce.MEAN_RULES),
- refuses parameters the framework does not have.

The family modules stay the one place that computes; their settings' defaults are the
catalog's. Each rule names the framework's function and links its documentation. A
convention that has no such loss says why (`missing`), and asking for it is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from losscli.core.conventions import framework_rules as more

# The Rule and the shared wording live in rules.py (framework_rules.py uses them too);
# re-exported here, where callers look for them.
from losscli.core.conventions.rules import (
    CATALOG_RULE,
    FLOAT64_EPS,
    KERAS_EPSILON,
    KERAS_HINGE,
    KERAS_PROBABILISTIC,
    KERAS_REGRESSION,
    LOGITS_READ_AS,
    OPTAX_DOCS,
    SKLEARN_DOCS,
    TORCH_BCE_GRAD_FLOOR,
    TORCH_DOCS,
    TORCH_LOG_FLOOR,
    Rule,
)
from losscli.core.errors import UsageError
from losscli.core.evaluation.reduce import MEAN_RULES
from losscli.core.losses import registry
from losscli.core.losses.types import Loss, ParamValue


@dataclass(frozen=True)
class Convention:
    name: str
    title: str
    summary: str
    rules: Mapping[str, Rule]
    missing: Mapping[str, str] = field(default_factory=dict)  # loss -> why there is none
    missing_default: str = ""  # why, for a loss that `missing` does not name
    # What the mean divides Σ w·L by when sample weights are given (reduce.WEIGHTED_MEANS),
    # how the framework does it, and the losses that do it the other way (loss -> why).
    weighted_mean: str = "weights"
    weighted_mean_how: str = "Σ w·L / Σ w, the weighted mean"
    weighted_mean_except: Mapping[str, str] = field(default_factory=dict)

    def weighted_mean_for(self, loss: str) -> tuple[str, str]:
        """(what the mean with sample weights divides by, how the framework does it)."""
        if loss in self.weighted_mean_except:
            other = "weights" if self.weighted_mean == "count" else "count"
            return other, self.weighted_mean_except[loss]
        return self.weighted_mean, self.weighted_mean_how


# --- the conventions ----------------------------------------------------------------------

TORCH = Convention(
    name="torch",
    title="PyTorch (torch.nn, torchvision.ops)",
    summary="PyTorch 2.x losses, float64, reduction='mean' unless said otherwise.",
    rules={
        "mse": Rule("torch.nn.MSELoss", TORCH_DOCS + "torch.nn.MSELoss.html"),
        "mae": Rule(
            "torch.nn.L1Loss",
            TORCH_DOCS + "torch.nn.L1Loss.html",
            notes=("Its subgradient at r = 0 is 0, the catalog's choice.",),
        ),
        "huber": Rule("torch.nn.HuberLoss(delta=1.0)", TORCH_DOCS + "torch.nn.HuberLoss.html"),
        "smooth-l1": Rule(
            "torch.nn.SmoothL1Loss(beta=1.0)",
            TORCH_DOCS + "torch.nn.SmoothL1Loss.html",
            notes=("The catalog's smooth-l1 is PyTorch's definition.",),
        ),
        "binary-cross-entropy": Rule(
            "torch.nn.BCELoss (probabilities), torch.nn.BCEWithLogitsLoss (logits)",
            TORCH_DOCS + "torch.nn.BCELoss.html",
            differences=(
                "On probabilities each log is clamped at -100: p = 0 for a positive costs 100, "
                "not inf. BCEWithLogitsLoss on logits is exact, as the catalog.",
                "Its gradient with respect to p is (p - y) / max(p (1 - p), 1e-12).",
            ),
            summary="log clamped at -100",
            settings={"log_floor": TORCH_LOG_FLOOR, "grad_floor": TORCH_BCE_GRAD_FLOOR},
            refuses={
                "label_smoothing": "PyTorch's BCELoss has no label smoothing (smooth the "
                "targets yourself, or see --convention keras)",
            },
        ),
        "cross-entropy": Rule(
            "torch.nn.CrossEntropyLoss (logits), torch.nn.NLLLoss (log-probabilities)",
            TORCH_DOCS + "torch.nn.CrossEntropyLoss.html",
            differences=(
                "With class weights (--class-weights), 'mean' divides by the sum of the "
                "weights of the examples' labels, Σ w[y_i], not by n: a weighted mean. "
                "Without class weights, or with target rows, it is the catalog's mean.",
            ),
            summary="class-weighted mean: / Σ w[y]",
            notes=(
                "CrossEntropyLoss takes logits: passing probabilities to it computes something "
                "else. On probabilities losscli computes NLLLoss(log p), unclamped.",
                "label_smoothing is (1 - eps) y + eps/C, as the catalog.",
            ),
            mean="target-weights",
        ),
        "focal": Rule(
            "torchvision.ops.sigmoid_focal_loss(alpha=0.25, gamma=2)",
            "https://docs.pytorch.org/vision/stable/generated/"
            "torchvision.ops.sigmoid_focal_loss.html",
            differences=(
                "alpha = 0.25 is applied by default: positives weigh 0.25, negatives 0.75 "
                "(torchvision disables it with alpha < 0: --alpha -1 gives the catalog's "
                "unweighted loss).",
            ),
            summary="alpha = 0.25 by default",
            notes=(
                "sigmoid_focal_loss " + LOGITS_READ_AS + ".",
                "Its default reduction is 'none'.",
                "Its gradient is NaN at saturated logits for gamma < 1; losscli's log-space "
                "form stays finite.",
            ),
            defaults={"alpha": 0.25},
        ),
        "kl": Rule(
            "torch.nn.functional.kl_div(input=log Q, target=P), torch.nn.KLDivLoss",
            TORCH_DOCS + "torch.nn.KLDivLoss.html",
            differences=(
                "reduction='mean' (PyTorch's default) divides by the number of elements n x C, "
                "not by the n rows: --reduction mean gives PyTorch's 'mean'. The catalog's "
                "mean is PyTorch's 'batchmean', the true mean KL.",
                "Like kl_div, rows are taken cell by cell as given: P and Q need not sum to 1 "
                "(no renormalisation; the value can then be below 0); --normalize rescales "
                "count rows first, --log-target reads the targets as ln P (log_target=True).",
            ),
            summary="mean over n x C elements; rows taken as given",
            notes=(
                "The input is log Q and the target comes second: kl_div(log Q, P) is "
                "KL(P || Q), the catalog's forward direction. losscli takes the log of "
                "probabilities for you; passing probabilities as the input is a known "
                "mistake (pytorch#43348).",
                "--reduction none gives one value per row (PyTorch: one per element).",
            ),
            mean="elements",
            settings={"pointwise": True},
            input_settings={"pointwise": True},
        ),
        **more.TORCH_RULES,
    },
    missing={
        "hinge": "PyTorch has no binary hinge loss: HingeEmbeddingLoss works on distances and "
        "MultiMarginLoss on one score per class",
        "contrastive": "PyTorch has no pair contrastive loss (CosineEmbeddingLoss and "
        "HingeEmbeddingLoss are other losses); see --convention pml",
        **more.TORCH_MISSING,
    },
    weighted_mean="count",
    weighted_mean_how="Σ w·L / N: PyTorch's element weights (BCELoss(weight=w), or "
    "(w * loss).mean() of reduction='none') divide by the number of elements, not by Σ w",
)

KERAS = Convention(
    name="keras",
    title="Keras 3 (keras.losses)",
    summary="Keras 3 losses, computed here in float64 (Keras defaults to float32).",
    rules={
        "mse": Rule("keras.losses.MeanSquaredError", KERAS_REGRESSION),
        "mae": Rule("keras.losses.MeanAbsoluteError", KERAS_REGRESSION),
        "huber": Rule("keras.losses.Huber(delta=1.0)", KERAS_REGRESSION),
        "binary-cross-entropy": Rule(
            "keras.losses.BinaryCrossentropy",
            KERAS_PROBABILISTIC,
            differences=(
                "Probabilities are clipped to [1e-7, 1 - 1e-7] (keras.config.epsilon()): "
                "p = 0 for a positive costs -ln(1e-7) = 16.118, not inf.",
            ),
            summary="p clipped to [1e-7, 1 - 1e-7]",
            notes=(
                "from_logits=True is exact on the TensorFlow and JAX backends, as the catalog "
                "(the numpy backend clips after a sigmoid).",
                "label_smoothing squeezes towards 0.5: y (1 - eps) + eps/2, as the catalog.",
            ),
            settings={"clip": KERAS_EPSILON},
        ),
        "cross-entropy": Rule(
            "keras.losses.CategoricalCrossentropy, SparseCategoricalCrossentropy",
            KERAS_PROBABILISTIC,
            differences=(
                "Probabilities are clipped to [1e-7, 1 - 1e-7]: p = 0 on the true class costs "
                "16.118, not inf.",
            ),
            summary="p clipped to [1e-7, 1 - 1e-7]",
            notes=(
                "Keras renormalises probability rows silently; losscli asks for --normalize.",
                "label_smoothing is (1 - eps) y + eps/C, as the catalog.",
                "It has no class weights; model.fit(class_weight=...) weighs each example by "
                "w[y] and divides by n, the catalog's plain mean with --class-weights.",
            ),
            settings={"clip": KERAS_EPSILON},
        ),
        "focal": Rule(
            "keras.losses.BinaryFocalCrossentropy(apply_class_balancing=False)",
            KERAS_PROBABILISTIC,
            differences=(
                "The cross-entropy factor clips p to [1e-7, 1 - 1e-7]; the focal weight "
                "(1 - p_t)^gamma uses the unclipped p.",
            ),
            summary="p clipped inside the log",
            notes=(
                "alpha applies only with apply_class_balancing=True: without --alpha, as the "
                "catalog, no weighting; with --alpha, as class balancing.",
                "CategoricalFocalCrossentropy (multi-class) applies alpha = 0.25 to every "
                "class by default.",
            ),
            settings={"clip": KERAS_EPSILON},
        ),
        "hinge": Rule(
            "keras.losses.Hinge",
            KERAS_HINGE,
            notes=("Labels 0/1 throughout are mapped to -1/+1, as the catalog.",),
        ),
        "kl": Rule(
            "keras.losses.KLDivergence",
            KERAS_PROBABILISTIC,
            differences=(
                "Both P and Q are clipped to [1e-7, 1]: a zero in P adds 1e-7 ln(1e-7/Q) "
                "(negative where Q > 1e-7), and Q = 0 where P > 0 is finite.",
            ),
            summary="P and Q clipped to [1e-7, 1]",
            notes=("It takes probabilities; logits and log-probabilities are turned into them.",),
            settings={"clip_both": KERAS_EPSILON},
        ),
        **more.KERAS_RULES,
    },
    missing={
        "smooth-l1": "Keras has no SmoothL1 loss (keras.losses.Huber(delta=beta) is beta times "
        "smooth-l1)",
        "contrastive": "Keras 3 has no pair contrastive loss (TensorFlow Addons had one: the "
        "catalog's formula)",
        **more.KERAS_MISSING,
    },
    weighted_mean="count",
    weighted_mean_how="Σ w·L / N: Keras's default reduction 'sum_over_batch_size' divides the "
    "weighted sum by the batch size, so a scalar sample_weight scales the loss",
    weighted_mean_except={
        "rmse": "Σ w·r² / Σ w under the root: RootMeanSquaredError is a metric, and Keras's "
        "metrics take the weighted mean",
    },
)

SKLEARN = Convention(
    name="sklearn",
    title="scikit-learn (sklearn.metrics)",
    summary="scikit-learn metrics: float64, the mean over samples (sample_weight weighted).",
    weighted_mean_how="Σ w·L / Σ w: sample_weight gives the weighted average (numpy.average)",
    rules={
        "mse": Rule(
            "sklearn.metrics.mean_squared_error",
            SKLEARN_DOCS + "sklearn.metrics.mean_squared_error.html",
        ),
        "mae": Rule(
            "sklearn.metrics.mean_absolute_error",
            SKLEARN_DOCS + "sklearn.metrics.mean_absolute_error.html",
        ),
        "binary-cross-entropy": Rule(
            "sklearn.metrics.log_loss",
            SKLEARN_DOCS + "sklearn.metrics.log_loss.html",
            differences=(
                "Probabilities are clipped to [eps, 1 - eps] with eps the machine epsilon of "
                "their dtype: p = 0 for a positive costs -ln(2.22e-16) = 36.04 in float64 "
                "(15.94 for float32 input), not inf.",
            ),
            summary="p clipped to [2.2e-16, 1 - 2.2e-16]",
            notes=(
                "Its eps argument was removed in scikit-learn 1.5 (scikit-learn#28851).",
                "It takes probabilities; on logits losscli is exact, as scikit-learn's private "
                "loss module.",
            ),
            settings={"clip": FLOAT64_EPS},
            refuses={"label_smoothing": "scikit-learn's log_loss has no label smoothing"},
        ),
        "cross-entropy": Rule(
            "sklearn.metrics.log_loss",
            SKLEARN_DOCS + "sklearn.metrics.log_loss.html",
            differences=(
                "Probabilities are clipped to [eps, 1 - eps], eps = 2.22e-16: p = 0 on the true "
                "class costs 36.04, not inf.",
            ),
            summary="p clipped to [2.2e-16, 1 - 2.2e-16]",
            notes=("log_loss takes class labels or one-hot rows, not soft targets.",),
            settings={"clip": FLOAT64_EPS},
            refuses={
                "label_smoothing": "scikit-learn's log_loss has no label smoothing",
                "class_weights": "scikit-learn's log_loss has no class weights (its "
                "sample_weight = w[y] gives PyTorch's weighted mean: --convention torch)",
            },
        ),
        "hinge": Rule(
            "sklearn.metrics.hinge_loss",
            SKLEARN_DOCS + "sklearn.metrics.hinge_loss.html",
            differences=(
                "Any two labels are accepted, the larger one the positive class ({0, 2}: 2 is "
                "+1), as hinge_loss's LabelBinarizer reads them (said on stderr); the catalog "
                "takes -1/+1 or 0/1. Each block of a long table must hold both.",
            ),
            summary="any two labels",
            input_settings={"two_labels": True},
            notes=(
                "With a single label value in y_true it treats every example as the negative "
                "class; losscli does not reproduce that.",
                "Multi-class input gives Crammer-Singer's hinge, another loss.",
            ),
        ),
        **more.SKLEARN_RULES,
    },
    missing={
        "huber": "scikit-learn has no Huber metric (HuberRegressor fits a scaled loss of its "
        "own; gradient boosting's Huber loss sets delta to the 0.9 quantile of |errors|)",
        "smooth-l1": "scikit-learn has no smooth L1 metric",
        "focal": "scikit-learn has no focal loss",
        "kl": "scikit-learn has no KL divergence (scipy.special.rel_entr is the catalog's "
        "per-cell term)",
        "contrastive": "scikit-learn has no contrastive loss",
        **more.SKLEARN_MISSING,
    },
)

OPTAX = Convention(
    name="optax",
    title="Optax (optax.losses)",
    summary="Optax losses: elementwise values, the mean taken by the caller.",
    weighted_mean_how="Σ w·L / Σ w, the catalog's weighted mean (Optax's losses are elementwise: "
    "the caller weighs and reduces them)",
    rules={
        "mse": Rule(
            "optax.losses.l2_loss",
            OPTAX_DOCS + "#optax.losses.l2_loss",
            differences=(
                "l2_loss is half the squared error, (ŷ - y)^2 / 2, with gradient ŷ - y "
                "(optax.losses.squared_error is the catalog's mse).",
            ),
            summary="half the squared error",
            scale=0.5,
        ),
        "huber": Rule(
            "optax.losses.huber_loss(delta=1.0)", OPTAX_DOCS + "#optax.losses.huber_loss"
        ),
        "binary-cross-entropy": Rule(
            "optax.losses.sigmoid_binary_cross_entropy",
            OPTAX_DOCS + "#optax.losses.sigmoid_binary_cross_entropy",
            notes=(
                "It " + LOGITS_READ_AS + " (inf at p = 0 for a positive).",
                "optax.smooth_labels with 2 classes is y (1 - eps) + eps/2, as the catalog.",
            ),
        ),
        "cross-entropy": Rule(
            "optax.losses.softmax_cross_entropy, softmax_cross_entropy_with_integer_labels",
            OPTAX_DOCS + "#optax.losses.softmax_cross_entropy",
            notes=(
                "It " + LOGITS_READ_AS + " (log p).",
                "optax.smooth_labels is (1 - eps) y + eps/C, as the catalog.",
            ),
            refuses={
                "class_weights": "Optax's softmax_cross_entropy has no class weights (weigh "
                "the elementwise losses yourself: the catalog's plain mean)",
            },
        ),
        "focal": Rule(
            "optax.losses.sigmoid_focal_loss(alpha=None, gamma=2)",
            OPTAX_DOCS + "#optax.losses.sigmoid_focal_loss",
            notes=(
                "No alpha weighting by default, as the catalog.",
                "It " + LOGITS_READ_AS + ".",
            ),
        ),
        "hinge": Rule(
            "optax.losses.hinge_loss",
            OPTAX_DOCS + "#optax.losses.hinge_loss",
            differences=(
                "Labels are used as given: it needs -1/+1, and a label 0 is not mapped, so it "
                "costs max(0, 1 - 0 f) = 1 whatever the score.",
            ),
            summary="labels as given: 0 not mapped",
            input_settings={"map_01": False},
        ),
        "kl": Rule(
            "optax.losses.kl_divergence(log_predictions, targets)",
            OPTAX_DOCS + "#optax.losses.kl_divergence",
            differences=(
                "Rows are taken cell by cell as given: the targets need not sum to 1 (no "
                "renormalisation), and the value can then be below 0.",
            ),
            summary="rows taken as given",
            notes=(
                "It takes log Q first and the targets P second and computes KL(P || Q), the "
                "catalog's forward direction; zero targets contribute 0.",
                "optax.losses.kl_divergence_with_log_targets is --log-target.",
            ),
            settings={"pointwise": True},
            input_settings={"pointwise": True},
        ),
        **more.OPTAX_RULES,
    },
    missing={
        "mae": "Optax has no absolute-error loss",
        "smooth-l1": "Optax has no smooth L1 loss (optax.losses.huber_loss(delta=beta) is beta "
        "times smooth-l1)",
        "contrastive": "Optax has no pair contrastive loss (optax.losses.ntxent is a batch-wise "
        "loss of another kind)",
        **more.OPTAX_MISSING,
    },
)

HADSELL = Convention(
    name="hadsell",
    title="Hadsell, Chopra, LeCun (CVPR 2006)",
    summary="The contrastive loss as first published.",
    rules={
        "contrastive": Rule(
            "Hadsell et al. 2006, equation 4",
            "https://yann.lecun.com/exdb/publis/pdf/hadsell-chopra-lecun-06.pdf",
            differences=(
                "Label 0 marks a similar pair and 1 a dissimilar one: the catalog's opposite.",
                "Both terms carry a factor 1/2: L = (1 - Y) D^2/2 + Y max(0, m - D)^2/2.",
            ),
            summary="label 0 = similar; factors 1/2",
            input_settings={"similar_label": 0},
            scale=0.5,
            refuses={
                "pos_margin": "the paper's loss has no positive margin",
                "distance": "the paper's loss uses the Euclidean distance",
            },
        ),
    },
    missing_default="the hadsell convention defines only the contrastive loss",
    weighted_mean_how="Σ w·L / Σ w, the catalog's weighted mean (the paper has no sample weights)",
)

PML = Convention(
    name="pml",
    title="pytorch-metric-learning (losses.ContrastiveLoss)",
    summary="pytorch-metric-learning's ContrastiveLoss(pos_margin=0, neg_margin=1).",
    rules={
        "contrastive": Rule(
            "pytorch_metric_learning.losses.ContrastiveLoss(pos_margin=0, neg_margin=1)",
            "https://kevinmusgrave.github.io/pytorch-metric-learning/losses/#contrastiveloss",
            differences=(
                "No squares: a similar pair costs d, a dissimilar one max(0, m - d).",
                "Embeddings are L2-normalised before the distance (LpDistance with "
                "normalize_embeddings=True); a distance column is used as given.",
                "--reduction mean is AvgNonZeroReducer: the mean over pairs with a non-zero "
                "loss, taken for similar and dissimilar pairs separately and added.",
            ),
            summary="no squares; unit embeddings; non-zero mean",
            notes=(
                "--margin is neg_margin and --pos-margin pos_margin (default 0); --distance "
                "squared is LpDistance(power=2), the margins compared with d^2.",
            ),
            settings={"squared": False, "normalize": True},
            mean="nonzero-by-label",
        ),
        "triplet": Rule(
            "pytorch_metric_learning.losses.TripletMarginLoss(margin=0.05)",
            "https://kevinmusgrave.github.io/pytorch-metric-learning/losses/#tripletmarginloss",
            differences=(
                "Embeddings are L2-normalised before the distances (LpDistance with "
                "normalize_embeddings=True); given distances are used as they are.",
                "The default margin is 0.05.",
                "--reduction mean is AvgNonZeroReducer: the mean over the triplets with a "
                "non-zero loss (0 when there is none).",
            ),
            summary="unit embeddings; margin 0.05; non-zero mean",
            notes=(
                "Each row is one triplet (losscli does not mine triplets from labels).",
                "--distance squared is not offered for triplets; --p-norm is LpDistance's p.",
            ),
            defaults={"margin": 0.05},
            settings={"normalize": True},
            input_settings={"one_group": True},
            mean="nonzero-by-label",
        ),
    },
    missing_default="the pml convention defines only the contrastive and triplet losses",
)

CATALOG = Convention(
    name="catalog",
    title="losscli catalog",
    summary="The catalog's own definitions: exact values, inf where the loss is infinite.",
    rules={},
)

CONVENTIONS: dict[str, Convention] = {
    c.name: c for c in (CATALOG, TORCH, KERAS, SKLEARN, OPTAX, HADSELL, PML)
}
NAMES: tuple[str, ...] = tuple(CONVENTIONS)


def get_convention(name: str) -> Convention:
    key = name.strip().lower()
    if key not in CONVENTIONS:
        raise UsageError(f"unknown convention {name!r} (one of {', '.join(NAMES)})")
    return CONVENTIONS[key]


def rule_for(convention: str, loss: str | Loss) -> Rule:
    """The rule of `convention` for `loss`, or UsageError saying why it has none."""
    conv = get_convention(convention)
    record = registry.get(loss) if isinstance(loss, str) else loss
    if conv is CATALOG:
        return CATALOG_RULE
    if record.name in conv.rules:
        return conv.rules[record.name]
    why = conv.missing.get(record.name) or conv.missing_default
    raise UsageError(f"--convention {conv.name} has no {record.name} loss: {why}")


def covers(convention: str, loss: str | Loss) -> bool:
    try:
        rule_for(convention, loss)
    except UsageError:
        return False
    return True


def describe(loss: str | Loss) -> list[dict[str, Any]]:
    """How each convention computes `loss`, as plain data (for `show` and JSON)."""
    record = registry.get(loss) if isinstance(loss, str) else loss
    out: list[dict[str, Any]] = []
    for conv in CONVENTIONS.values():
        entry: dict[str, Any] = {"name": conv.name, "title": conv.title}
        try:
            rule = rule_for(conv.name, record)
        except UsageError:
            why = conv.missing.get(record.name) or conv.missing_default
            out.append(entry | {"available": False, "why": why})
            continue
        out.append(
            entry
            | {
                "available": True,
                "function": rule.function,
                "reference": rule.reference,
                "same_as_catalog": rule.same_as_catalog,
                "differences": list(rule.differences),
                "notes": list(rule.notes),
                "defaults": dict(rule.defaults),
                "weighted_mean": conv.weighted_mean_for(record.name)[1],
            }
        )
    return out


def resolve_params(rule: Rule, loss: Loss, given: Mapping[str, ParamValue]) -> dict[str, Any]:
    """The loss's parameters under a rule: the user's values over the framework's defaults
    over the catalog's; a parameter the framework does not have is refused unless it is left
    at the catalog's default."""
    defaults = loss.defaults()
    for name, why in rule.refuses.items():
        if name in given and given[name] != defaults.get(name):
            option = "--" + name.replace("_", "-")
            raise UsageError(f"{option} does not apply under this convention: {why}")
    return loss.resolve_params({**rule.defaults, **given})


def _check_rules() -> None:
    # A rule's mean must be one the reducer knows; checked once at import.
    for conv in CONVENTIONS.values():
        for rule in conv.rules.values():
            if rule.mean not in MEAN_RULES:
                raise ValueError(f"{conv.name}: unknown mean rule {rule.mean!r}")


_check_rules()
