"""scikit-learn's metrics (sklearn.metrics), as a convention:
a Rule for each loss it has, and why it has none where that is worth saying.
conventions/__init__.py says how rules are applied."""

from __future__ import annotations

from losscli.core.conventions.rules import (
    FLOAT64_EPS,
    SKLEARN_DOCS,
    Convention,
    Rule,
)

SKLEARN = Convention(
    name="sklearn",
    title="scikit-learn (sklearn.metrics)",
    framework="scikit-learn",
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
    },
    missing={
        "huber": "scikit-learn has no Huber metric (HuberRegressor fits a scaled loss of its "
        "own; gradient boosting's Huber loss sets delta to the 0.9 quantile of |errors|)",
        "kl": "scikit-learn has no KL divergence (scipy.special.rel_entr is the catalog's "
        "per-cell term)",
        "gaussian-nll": "scikit-learn has no Gaussian NLL metric (scipy.stats.norm.logpdf is its "
        "negative, with ½ ln 2π)",
        "squared-hinge": "scikit-learn has no squared hinge metric (LinearSVC minimises it "
        "internally)",
        "perceptron": "scikit-learn has no perceptron metric (Perceptron minimises it internally)",
        "multilabel-bce": "scikit-learn's log_loss does not take multi-label targets",
        "multi-margin": "scikit-learn has no Weston-Watkins hinge (hinge_loss is Crammer-Singer's)",
        "js": "scikit-learn has no Jensen-Shannon divergence (SciPy has its square root: "
        "scipy.spatial.distance.jensenshannon)",
        "generalized-kl": "scikit-learn has no generalized KL metric (NMF's beta_loss="
        "'kullback-leibler' minimises it; scipy.special.kl_div is its cell)",
        "distribution-cross-entropy": "scikit-learn's log_loss takes labels or one-hot rows, not "
        "target distributions",
        "cosine-embedding": "scikit-learn has no cosine embedding loss (metrics.pairwise."
        "cosine_distances is 1 - cos)",
    },
)
