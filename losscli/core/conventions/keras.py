"""Keras 3's losses (keras.losses, and the keras.metrics that are losses), as a convention:
a Rule for each loss it has, and why it has none where that is worth saying.
conventions/__init__.py says how rules are applied."""

from __future__ import annotations

from losscli.core.conventions.rules import (
    KERAS_EPSILON,
    KERAS_HINGE,
    KERAS_METRICS,
    KERAS_PROBABILISTIC,
    KERAS_REGRESSION,
    NATS_ONLY,
    Convention,
    Rule,
)

KERAS = Convention(
    name="keras",
    title="Keras 3 (keras.losses)",
    framework="Keras",
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
    },
    missing={
        "smooth-l1": "Keras has no SmoothL1 loss (keras.losses.Huber(delta=beta) is beta times "
        "smooth-l1)",
        "contrastive": "Keras 3 has no pair contrastive loss (TensorFlow Addons had one: the "
        "catalog's formula)",
        "pseudo-huber": "Keras has no pseudo-Huber loss (keras.losses.Huber has the kink)",
        "rmsle": "Keras has no root mean squared logarithmic error (MeanSquaredLogarithmicError "
        "is msle)",
        "multi-margin": "Keras has no Weston-Watkins hinge (CategoricalHinge is Crammer-Singer's)",
        "triplet": "Keras 3 has no triplet loss (TensorFlow Addons had one)",
        "cosine-embedding": "Keras has no cosine embedding loss: keras.losses.CosineSimilarity is "
        "-cos, another loss",
    },
    weighted_mean="count",
    weighted_mean_how="Σ w·L / N: Keras's default reduction 'sum_over_batch_size' divides the "
    "weighted sum by the batch size, so a scalar sample_weight scales the loss",
    weighted_mean_except={
        "rmse": "Σ w·r² / Σ w under the root: RootMeanSquaredError is a metric, and Keras's "
        "metrics take the weighted mean",
    },
)
