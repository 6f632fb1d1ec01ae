"""The conventions of the catalog's further losses (log-cosh to NT-Xent): for each framework,
a Rule where it has the loss, else the reason it has none. conventions.py merges these into
its Convention records; the rules work the same way as its own (see there).
"""

from __future__ import annotations

from losscli.core.conventions.rules import (
    FLOAT64_EPS,
    KERAS_EPSILON,
    KERAS_HINGE,
    KERAS_PROBABILISTIC,
    KERAS_REGRESSION,
    OPTAX_DOCS,
    SKLEARN_DOCS,
    TORCH_BCE_GRAD_FLOOR,
    TORCH_DOCS,
    TORCH_LOG_FLOOR,
    Rule,
)

KERAS_METRICS = "https://keras.io/api/metrics/regression_metrics/"
TORCH_TRIPLET_EPS = 1e-6  # torch.nn.TripletMarginLoss(eps=1e-6), added to a - p
OPTAX_TRIPLET_EPS = 1e-6  # optax.losses.triplet_margin_loss(eps=1e-6), under the root
NATS_ONLY = "it computes in nats: divide by ln 2 for bits"

# --- PyTorch -----------------------------------------------------------------------------

TORCH_RULES = {
    "poisson": Rule(
        "torch.nn.PoissonNLLLoss(log_input=..., full=False, eps=1e-8)",
        TORCH_DOCS + "torch.nn.PoissonNLLLoss.html",
        differences=(
            "It drops the target's constant: with log-rates (log_input=True, --log-input) "
            "e^η - y η, with rates μ - y ln(μ + 1e-8). Both differ from the catalog by "
            "y - y ln y (the same gradient in η) and can be negative.",
        ),
        summary="no target constant; eps 1e-8 on rates",
        notes=(
            "--full is full=True: it adds Stirling's approximation of ln(y!), y ln y - y + "
            "½ ln(2π y), for y > 1 only.",
        ),
        settings={"nll_eps": 1e-8},
    ),
    "gaussian-nll": Rule(
        "torch.nn.GaussianNLLLoss(full=False, eps=1e-6)",
        TORCH_DOCS + "torch.nn.GaussianNLLLoss.html",
        differences=(
            "full=False omits the constant ½ ln(2π) = 0.9189 per example.",
            "σ² is clamped below at 1e-6 (its gradient is taken at the clamped value).",
        ),
        summary="no ½ ln 2π; σ² >= 1e-6",
        notes=("It takes the variance σ², as losscli; there is no log-variance input.",),
        settings={"full": False, "var_floor": 1e-6},
    ),
    "multilabel-bce": Rule(
        "torch.nn.BCEWithLogitsLoss(pos_weight=w) (logits), torch.nn.BCELoss (probabilities)",
        TORCH_DOCS + "torch.nn.BCEWithLogitsLoss.html",
        differences=(
            "On probabilities (BCELoss) each log is clamped at -100 and the gradient's "
            "denominator p (1 - p) at 1e-12, as binary-cross-entropy under torch; on logits "
            "it is exact, as the catalog.",
        ),
        summary="log clamped at -100 on probabilities",
        notes=(
            "'mean' averages over all n x K elements: the catalog's mean of per-example "
            "means over labels.",
            "pos_weight exists only in BCEWithLogitsLoss; on probabilities losscli applies it "
            "as the catalog does.",
            "MultiLabelSoftMarginLoss is the same loss on logits without pos_weight.",
        ),
        settings={"log_floor": TORCH_LOG_FLOOR, "grad_floor": TORCH_BCE_GRAD_FLOOR},
        refuses={
            "label_smoothing": "PyTorch's BCEWithLogitsLoss has no label smoothing (smooth "
            "the targets yourself, or see --convention keras)",
        },
    ),
    "multi-margin": Rule(
        "torch.nn.MultiMarginLoss(p=1, margin=1)",
        TORCH_DOCS + "torch.nn.MultiMarginLoss.html",
        differences=("The sum over the other classes is divided by the number of classes C.",),
        summary="divided by C",
        settings={"per_class": True},
    ),
    "distribution-cross-entropy": Rule(
        "torch.nn.CrossEntropyLoss (probability targets)",
        TORCH_DOCS + "torch.nn.CrossEntropyLoss.html",
        differences=(
            "Target rows are taken as given, cell by cell: they need not sum to 1 (PyTorch "
            "does not renormalise them); --normalize rescales count rows first.",
        ),
        summary="target rows taken as given",
        notes=("It takes logits: on probabilities losscli computes -Σ P ln Q, unclamped.",),
        refuses={"log_base": NATS_ONLY},
        input_settings={"pointwise": True},
    ),
    "triplet": Rule(
        "torch.nn.TripletMarginLoss(margin=1.0, p=2.0, eps=1e-6, swap=False)",
        TORCH_DOCS + "torch.nn.TripletMarginLoss.html",
        differences=(
            "eps = 1e-6 is added to every coordinate of the difference: d(x, y) = "
            "||x - y + eps||_p, so d(a, a) = 1e-6 D^(1/p), not 0.",
        ),
        summary="eps 1e-6 added to the difference",
        notes=("Given distances (two columns) are used as they are.",),
        settings={"distance_eps": TORCH_TRIPLET_EPS, "eps_placement": "difference"},
    ),
    "cosine-embedding": Rule(
        "torch.nn.CosineEmbeddingLoss(margin=0)",
        TORCH_DOCS + "torch.nn.CosineEmbeddingLoss.html",
        notes=(
            "It adds 1e-12 to each squared norm, changing cosines by about 1e-12 / |x|^2 "
            "(below float32 resolution); a zero vector gets cosine 0 there, an error here.",
        ),
    ),
    "margin-ranking": Rule(
        "torch.nn.MarginRankingLoss(margin=0)",
        TORCH_DOCS + "torch.nn.MarginRankingLoss.html",
    ),
}

TORCH_MISSING = {
    "log-cosh": "PyTorch has no log-cosh loss (torch.log(torch.cosh(r)) overflows beyond |r| = "
    "710)",
    "pseudo-huber": "PyTorch has no pseudo-Huber loss (HuberLoss and SmoothL1Loss have a kink in "
    "the curvature)",
    "pinball": "PyTorch has no quantile (pinball) loss",
    "mape": "PyTorch has no percentage-error loss",
    "msle": "PyTorch has no squared-log-error loss",
    "rmsle": "PyTorch has no squared-log-error loss",
    "rmse": "PyTorch has no RMSE loss: torch.sqrt(MSELoss()(...)) computes it",
    "tweedie": "PyTorch has no Tweedie deviance",
    "gamma-deviance": "PyTorch has no gamma deviance",
    "squared-hinge": "PyTorch has no binary squared hinge (MultiMarginLoss(p=2) is the "
    "multi-class one)",
    "perceptron": "PyTorch has no perceptron loss",
    "multiclass-hinge": "PyTorch has no Crammer-Singer hinge: MultiMarginLoss sums over the "
    "classes (multi-margin)",
    "multiclass-perceptron": "PyTorch has no multi-class perceptron loss",
    "softmax-focal": "PyTorch has no multi-class focal loss (torchvision's sigmoid_focal_loss "
    "is the binary one)",
    "poly1": "PyTorch has no PolyLoss",
    "brier": "PyTorch has no Brier score",
    "js": "PyTorch has no Jensen-Shannon divergence",
    "generalized-kl": "PyTorch has no generalized KL (KLDivLoss is KL's term without -P + Q)",
    "infonce": "PyTorch has no InfoNCE loss: F.cross_entropy(s / τ, y) computes it",
    "nt-xent": "PyTorch has no NT-Xent loss (pytorch-metric-learning's NTXentLoss is this one)",
}

# --- Keras -------------------------------------------------------------------------------

KERAS_RULES = {
    "log-cosh": Rule("keras.losses.LogCosh", KERAS_REGRESSION),
    "mape": Rule(
        "keras.losses.MeanAbsolutePercentageError",
        KERAS_REGRESSION,
        differences=(
            "A percentage: 100 times the fraction.",
            "It divides by max(|y|, 1e-7): a target of 0 gives 1e9 |ŷ| %, not inf.",
        ),
        summary="x 100; |y| floored at 1e-7",
        settings={"floor": KERAS_EPSILON},
        scale=100.0,
    ),
    "msle": Rule(
        "keras.losses.MeanSquaredLogarithmicError",
        KERAS_REGRESSION,
        differences=(
            "y and ŷ are raised to at least 1e-7 first: negative values count as 0 "
            "(their gradient is 0).",
        ),
        summary="y, ŷ raised to 1e-7",
        settings={"clip_below": KERAS_EPSILON},
        # The clip comes first, so values <= -1 are accepted (counted as 0).
        input_settings={"clip_below": KERAS_EPSILON},
    ),
    "rmse": Rule(
        "keras.metrics.RootMeanSquaredError",
        KERAS_METRICS,
        notes=("A metric, not a loss: Keras has no RMSE loss to train with.",),
    ),
    "poisson": Rule(
        "keras.losses.Poisson",
        KERAS_PROBABILISTIC,
        differences=(
            "It computes ŷ - y ln(ŷ + 1e-7): without the target's constant y - y ln y (same "
            "gradient, can be negative), with 1e-7 inside the log.",
        ),
        summary="no target constant; eps 1e-7",
        notes=("It takes rates; with --log-input losscli uses ŷ = e^η in its formula.",),
        settings={"nll_eps": KERAS_EPSILON, "nll_eps_in_log": True},
        refuses={"full": "keras.losses.Poisson has no full=True (no ln y! term)"},
    ),
    "squared-hinge": Rule(
        "keras.losses.SquaredHinge",
        KERAS_HINGE,
        notes=("Labels 0/1 throughout are mapped to -1/+1, as the catalog.",),
    ),
    "multilabel-bce": Rule(
        "keras.losses.BinaryCrossentropy",
        KERAS_PROBABILISTIC,
        differences=(
            "Probabilities are clipped to [1e-7, 1 - 1e-7]: p = 0 for a positive label costs "
            "16.118, not inf.",
        ),
        summary="p clipped to [1e-7, 1 - 1e-7]",
        notes=("It averages over the last axis, the labels, as the catalog.",),
        settings={"clip": KERAS_EPSILON},
        refuses={"pos_weight": "Keras's BinaryCrossentropy has no pos_weight"},
    ),
    "multiclass-hinge": Rule(
        "keras.losses.CategoricalHinge",
        KERAS_HINGE,
        differences=(
            "The best other score is taken over all columns with the true one zeroed, "
            "max((1 - y) f): at least 0, so it differs when every other score is negative.",
        ),
        summary="best other score floored at 0",
        settings={"floor_others": True},
        refuses={"margin": "Keras's CategoricalHinge has a margin of 1"},
    ),
    "softmax-focal": Rule(
        "keras.losses.CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0)",
        KERAS_PROBABILISTIC,
        differences=(
            "alpha = 0.25 multiplies every class's term by default (a factor of 0.25 on the "
            "loss); --alpha sets it, one number or one per class.",
            "Probabilities are clipped to [1e-7, 1 - 1e-7], in the log and in the weight.",
        ),
        summary="x 0.25 (alpha); p clipped",
        notes=(
            "--alpha sets Keras's alpha: one number for every class, or one per class; "
            "--label-smoothing is (1 - eps) y + eps/C, as the catalog.",
        ),
        settings={"clip": KERAS_EPSILON},
        defaults={"alpha": (0.25,)},
    ),
    "distribution-cross-entropy": Rule(
        "keras.losses.CategoricalCrossentropy",
        KERAS_PROBABILISTIC,
        differences=(
            "Probabilities are clipped to [1e-7, 1 - 1e-7]: Q = 0 where P > 0 costs "
            "16.118 P, not inf. With from_logits=True (--logits) it is exact.",
        ),
        summary="Q clipped to [1e-7, 1 - 1e-7]",
        settings={"clip": KERAS_EPSILON},
        refuses={"log_base": NATS_ONLY},
    ),
}

KERAS_MISSING = {
    "pseudo-huber": "Keras has no pseudo-Huber loss (keras.losses.Huber has the kink)",
    "pinball": "Keras has no quantile (pinball) loss",
    "rmsle": "Keras has no root mean squared logarithmic error (MeanSquaredLogarithmicError "
    "is msle)",
    "gaussian-nll": "Keras has no Gaussian negative log-likelihood loss",
    "tweedie": "Keras has no Tweedie deviance",
    "gamma-deviance": "Keras has no gamma deviance",
    "perceptron": "Keras has no perceptron loss",
    "multi-margin": "Keras has no Weston-Watkins hinge (CategoricalHinge is Crammer-Singer's)",
    "multiclass-perceptron": "Keras has no multi-class perceptron loss",
    "poly1": "Keras has no PolyLoss",
    "brier": "Keras has no Brier score",
    "js": "Keras has no Jensen-Shannon divergence",
    "generalized-kl": "Keras has no generalized KL divergence",
    "triplet": "Keras 3 has no triplet loss (TensorFlow Addons had one)",
    "cosine-embedding": "Keras has no cosine embedding loss: keras.losses.CosineSimilarity is "
    "-cos, another loss",
    "margin-ranking": "Keras has no margin ranking loss",
    "infonce": "Keras has no InfoNCE loss",
    "nt-xent": "Keras has no NT-Xent loss",
}

# --- scikit-learn ------------------------------------------------------------------------

SKLEARN_RULES = {
    "pinball": Rule(
        "sklearn.metrics.mean_pinball_loss(alpha=0.5)",
        SKLEARN_DOCS + "sklearn.metrics.mean_pinball_loss.html",
        notes=("Its alpha is the quantile, --quantile here.",),
    ),
    "mape": Rule(
        "sklearn.metrics.mean_absolute_percentage_error",
        SKLEARN_DOCS + "sklearn.metrics.mean_absolute_percentage_error.html",
        differences=(
            "It divides by max(|y|, eps), eps = 2.22e-16: a target of 0 gives a huge finite "
            "number (4.5e15 |ŷ|), not inf.",
        ),
        summary="|y| floored at 2.2e-16",
        notes=("A fraction, as the catalog (not multiplied by 100).",),
        settings={"floor": FLOAT64_EPS},
    ),
    "msle": Rule(
        "sklearn.metrics.mean_squared_log_error",
        SKLEARN_DOCS + "sklearn.metrics.mean_squared_log_error.html",
    ),
    "rmse": Rule(
        "sklearn.metrics.root_mean_squared_error",
        SKLEARN_DOCS + "sklearn.metrics.root_mean_squared_error.html",
    ),
    "rmsle": Rule(
        "sklearn.metrics.root_mean_squared_log_error",
        SKLEARN_DOCS + "sklearn.metrics.root_mean_squared_log_error.html",
    ),
    "poisson": Rule(
        "sklearn.metrics.mean_poisson_deviance",
        SKLEARN_DOCS + "sklearn.metrics.mean_poisson_deviance.html",
        differences=("The deviance: twice the catalog's value, 2 (y ln(y/μ) - y + μ).",),
        summary="x 2 (deviance)",
        scale=2.0,
        refuses={"full": "mean_poisson_deviance is a deviance, without ln y!"},
    ),
    "tweedie": Rule(
        "sklearn.metrics.mean_tweedie_deviance(power=...)",
        SKLEARN_DOCS + "sklearn.metrics.mean_tweedie_deviance.html",
        notes=("Its default power is 0 (squared error); pass --power.",),
    ),
    "gamma-deviance": Rule(
        "sklearn.metrics.mean_gamma_deviance",
        SKLEARN_DOCS + "sklearn.metrics.mean_gamma_deviance.html",
    ),
    "multiclass-hinge": Rule(
        "sklearn.metrics.hinge_loss (more than two classes)",
        SKLEARN_DOCS + "sklearn.metrics.hinge_loss.html",
        refuses={"margin": "scikit-learn's hinge_loss has a margin of 1"},
    ),
    "brier": Rule(
        "sklearn.metrics.brier_score_loss(scale_by_half='auto')",
        SKLEARN_DOCS + "sklearn.metrics.brier_score_loss.html",
        differences=(
            "With two probability columns the sum over classes is halved (the binary Brier "
            "score); one column and three or more are as the catalog.",
        ),
        summary="halved for two columns",
        settings={"half_for_two_columns": True},
    ),
}

SKLEARN_MISSING = {
    "log-cosh": "scikit-learn has no log-cosh metric",
    "pseudo-huber": "scikit-learn has no pseudo-Huber metric",
    "gaussian-nll": "scikit-learn has no Gaussian NLL metric (scipy.stats.norm.logpdf is its "
    "negative, with ½ ln 2π)",
    "squared-hinge": "scikit-learn has no squared hinge metric (LinearSVC minimises it internally)",
    "perceptron": "scikit-learn has no perceptron metric (Perceptron minimises it internally)",
    "multilabel-bce": "scikit-learn's log_loss does not take multi-label targets",
    "multi-margin": "scikit-learn has no Weston-Watkins hinge (hinge_loss is Crammer-Singer's)",
    "multiclass-perceptron": "scikit-learn has no multi-class perceptron metric",
    "softmax-focal": "scikit-learn has no focal loss",
    "poly1": "scikit-learn has no PolyLoss",
    "js": "scikit-learn has no Jensen-Shannon divergence (SciPy has its square root: "
    "scipy.spatial.distance.jensenshannon)",
    "generalized-kl": "scikit-learn has no generalized KL metric (NMF's beta_loss="
    "'kullback-leibler' minimises it; scipy.special.kl_div is its cell)",
    "distribution-cross-entropy": "scikit-learn's log_loss takes labels or one-hot rows, not "
    "target distributions",
    "triplet": "scikit-learn has no triplet loss",
    "cosine-embedding": "scikit-learn has no cosine embedding loss (metrics.pairwise."
    "cosine_distances is 1 - cos)",
    "margin-ranking": "scikit-learn has no margin ranking loss",
    "infonce": "scikit-learn has no InfoNCE loss",
    "nt-xent": "scikit-learn has no NT-Xent loss",
}

# --- Optax -------------------------------------------------------------------------------

NO_POS_WEIGHT = "Optax's sigmoid_binary_cross_entropy has no pos_weight"

OPTAX_RULES = {
    "log-cosh": Rule("optax.losses.log_cosh", OPTAX_DOCS + "#optax.losses.log_cosh"),
    "perceptron": Rule(
        "optax.losses.perceptron_loss",
        OPTAX_DOCS + "#optax.losses.perceptron_loss",
        differences=(
            "Labels are used as given: it needs -1/+1, and a label 0 is not mapped, so it "
            "costs max(0, -0 f) = 0 whatever the score.",
        ),
        summary="labels as given: 0 not mapped",
        input_settings={"map_01": False},
    ),
    "multilabel-bce": Rule(
        "optax.losses.sigmoid_binary_cross_entropy",
        OPTAX_DOCS + "#optax.losses.sigmoid_binary_cross_entropy",
        notes=(
            "Elementwise; the caller's mean over all n x K elements is the catalog's mean.",
            "It takes logits only; on probabilities losscli is exact, as the catalog.",
        ),
        refuses={
            "pos_weight": NO_POS_WEIGHT,
            "label_smoothing": "optax.losses.sigmoid_binary_cross_entropy has no label "
            "smoothing (optax.smooth_labels smooths the targets first)",
        },
    ),
    "multiclass-hinge": Rule(
        "optax.losses.multiclass_hinge_loss",
        OPTAX_DOCS + "#optax.losses.multiclass_hinge_loss",
        refuses={"margin": "Optax's multiclass_hinge_loss has a margin of 1"},
    ),
    "multiclass-perceptron": Rule(
        "optax.losses.multiclass_perceptron_loss",
        OPTAX_DOCS + "#optax.losses.multiclass_perceptron_loss",
    ),
    "poly1": Rule(
        "optax.losses.poly_loss_cross_entropy(epsilon=2.0)",
        OPTAX_DOCS + "#optax.losses.poly_loss_cross_entropy",
        notes=("Its epsilon is --poly-epsilon; it takes logits and one-hot or soft labels.",),
    ),
    "generalized-kl": Rule(
        "optax.losses.generalized_kl_divergence(log_predictions, targets)",
        OPTAX_DOCS + "#optax.losses.generalized_kl_divergence",
        notes=("It takes log Q (--log-input); on Q itself losscli takes the log for you.",),
    ),
    "distribution-cross-entropy": Rule(
        "optax.losses.softmax_cross_entropy",
        OPTAX_DOCS + "#optax.losses.softmax_cross_entropy",
        differences=("Target rows are taken as given, cell by cell: they need not sum to 1.",),
        summary="target rows taken as given",
        notes=("It takes logits; on probabilities losscli is exact, as the catalog.",),
        refuses={"log_base": NATS_ONLY},
        input_settings={"pointwise": True},
    ),
    "triplet": Rule(
        "optax.losses.triplet_margin_loss(norm_degree=2, margin=1.0, eps=1e-6)",
        OPTAX_DOCS + "#optax.losses.triplet_margin_loss",
        differences=(
            "eps = 1e-6 is added under the root: d(x, y) = (Σ (x_k - y_k)^p + eps)^(1/p), so "
            "d(a, a) = 1e-6^(1/p) (1e-3 for p = 2).",
            "It omits the absolute value, so only even p are distances: losscli refuses odd "
            "or fractional --p-norm under optax.",
        ),
        summary="eps under the root; even p only",
        notes=("Given distances (two columns) are used as they are.",),
        settings={"distance_eps": OPTAX_TRIPLET_EPS, "eps_placement": "root"},
        input_settings={"even_p_only": True},
    ),
    "nt-xent": Rule(
        "optax.losses.ntxent(embeddings, labels, temperature=0.07)",
        OPTAX_DOCS + "#optax.losses.ntxent",
        differences=(
            "Its cosine floors each norm, so a zero vector has cosine 0 with every row "
            "(the catalog refuses it); its gradient is taken as 0 there (the cosine has "
            "no derivative at 0).",
        ),
        summary="zero vectors: cosine 0",
        notes=("It returns the mean over positive pairs, groups of any size, as the catalog.",),
        settings={"zero_vectors": True},
        input_settings={"zero_vectors": True},
    ),
}

OPTAX_MISSING = {
    "pseudo-huber": "Optax has no pseudo-Huber loss",
    "pinball": "Optax has no quantile (pinball) loss",
    "mape": "Optax has no percentage-error loss",
    "msle": "Optax has no squared-log-error loss",
    "rmsle": "Optax has no squared-log-error loss",
    "rmse": "Optax has no RMSE loss",
    "poisson": "Optax has no Poisson loss",
    "gaussian-nll": "Optax has no Gaussian NLL loss",
    "tweedie": "Optax has no Tweedie deviance",
    "gamma-deviance": "Optax has no gamma deviance",
    "squared-hinge": "Optax has no squared hinge loss",
    "multi-margin": "Optax has no Weston-Watkins hinge (multiclass_hinge_loss is Crammer-Singer's)",
    "softmax-focal": "Optax has no multi-class focal loss (sigmoid_focal_loss is the binary one)",
    "brier": "Optax has no Brier score",
    "js": "Optax has no Jensen-Shannon divergence",
    "cosine-embedding": "Optax has no cosine embedding loss (cosine_distance is 1 - cos, the "
    "similar pairs' term)",
    "margin-ranking": "Optax has no pairwise margin ranking loss (its ranking losses are listwise)",
    "infonce": "Optax has no InfoNCE on a similarity matrix (softmax_cross_entropy of s / τ "
    "computes it; ntxent is the batch form)",
}
