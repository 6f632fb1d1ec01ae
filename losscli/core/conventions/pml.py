"""pytorch-metric-learning's ContrastiveLoss and TripletMarginLoss, as a convention:
a Rule for each loss it has, and why it has none where that is worth saying.
conventions/__init__.py says how rules are applied."""

from __future__ import annotations

from losscli.core.conventions.rules import (
    Convention,
    Rule,
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
)
