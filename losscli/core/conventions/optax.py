"""Optax's losses (optax.losses), as a convention:
a Rule for each loss it has, and why it has none where that is worth saying.
conventions/__init__.py says how rules are applied."""

from __future__ import annotations

from losscli.core.conventions.rules import (
    LOGITS_READ_AS,
    NATS_ONLY,
    OPTAX_DOCS,
    OPTAX_TRIPLET_EPS,
    Convention,
    Rule,
)

NO_POS_WEIGHT = "Optax's sigmoid_binary_cross_entropy has no pos_weight"

OPTAX = Convention(
    name="optax",
    title="Optax (optax.losses)",
    framework="Optax",
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
    },
    missing={
        "smooth-l1": "Optax has no smooth L1 loss (optax.losses.huber_loss(delta=beta) is beta "
        "times smooth-l1)",
        "contrastive": "Optax has no pair contrastive loss (optax.losses.ntxent is a batch-wise "
        "loss of another kind)",
        "multi-margin": "Optax has no Weston-Watkins hinge (multiclass_hinge_loss is "
        "Crammer-Singer's)",
        "softmax-focal": "Optax has no multi-class focal loss (sigmoid_focal_loss is the "
        "binary one)",
        "cosine-embedding": "Optax has no cosine embedding loss (cosine_distance is 1 - cos, the "
        "similar pairs' term)",
        "margin-ranking": "Optax has no pairwise margin ranking loss (its ranking losses are "
        "listwise)",
        "infonce": "Optax has no InfoNCE on a similarity matrix (softmax_cross_entropy of s / τ "
        "computes it; ntxent is the batch form)",
    },
)
