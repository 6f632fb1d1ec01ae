"""Hadsell, Chopra and LeCun's contrastive loss (CVPR 2006), as a convention:
a Rule for each loss it has, and why it has none where that is worth saying.
conventions/__init__.py says how rules are applied."""

from __future__ import annotations

from losscli.core.conventions.rules import (
    Convention,
    Rule,
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
    weighted_mean_how="Σ w·L / Σ w, the catalog's weighted mean (the paper has no sample weights)",
)
