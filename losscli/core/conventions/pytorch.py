"""PyTorch's losses (torch.nn, torchvision.ops' focal loss), as a convention:
a Rule for each loss it has, and why it has none where that is worth saying.
conventions/__init__.py says how rules are applied."""

from __future__ import annotations

from losscli.core.conventions.rules import (
    LOGITS_READ_AS,
    NATS_ONLY,
    TORCH_BCE_GRAD_FLOOR,
    TORCH_DOCS,
    TORCH_LOG_FLOOR,
    TORCH_TRIPLET_EPS,
    Convention,
    Rule,
)

TORCH = Convention(
    name="torch",
    title="PyTorch (torch.nn, torchvision.ops)",
    framework="PyTorch",
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
    },
    missing={
        "hinge": "PyTorch has no binary hinge loss: HingeEmbeddingLoss works on distances and "
        "MultiMarginLoss on one score per class",
        "contrastive": "PyTorch has no pair contrastive loss (CosineEmbeddingLoss and "
        "HingeEmbeddingLoss are other losses); see --convention pml",
        "log-cosh": "PyTorch has no log-cosh loss (torch.log(torch.cosh(r)) overflows beyond |r| = "
        "710)",
        "pseudo-huber": "PyTorch has no pseudo-Huber loss (HuberLoss and SmoothL1Loss have a "
        "kink in the curvature)",
        "rmse": "PyTorch has no RMSE loss: torch.sqrt(MSELoss()(...)) computes it",
        "squared-hinge": "PyTorch has no binary squared hinge (MultiMarginLoss(p=2) is the "
        "multi-class one)",
        "multiclass-hinge": "PyTorch has no Crammer-Singer hinge: MultiMarginLoss sums over the "
        "classes (multi-margin)",
        "softmax-focal": "PyTorch has no multi-class focal loss (torchvision's sigmoid_focal_loss "
        "is the binary one)",
        "generalized-kl": "PyTorch has no generalized KL (KLDivLoss is KL's term without -P + Q)",
        "infonce": "PyTorch has no InfoNCE loss: F.cross_entropy(s / τ, y) computes it",
        "nt-xent": "PyTorch has no NT-Xent loss (pytorch-metric-learning's NTXentLoss is this one)",
    },
    weighted_mean="count",
    weighted_mean_how="Σ w·L / N: PyTorch's element weights (BCELoss(weight=w), or "
    "(w * loss).mean() of reduction='none') divide by the number of elements, not by Σ w",
)
