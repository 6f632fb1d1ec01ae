"""Options shared by several commands, declared once (Typer `Annotated` aliases).

Nothing here imports NumPy or Polars: `losscli --help` must stay fast.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Annotated

import typer

from losscli.cli.candidates import column_names, loss_names, parameter_values


class OutputFormat(enum.StrEnum):
    auto = "auto"
    table = "table"
    plain = "plain"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"


class Color(enum.StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


class InputFormat(enum.StrEnum):
    csv = "csv"
    tsv = "tsv"
    parquet = "parquet"
    ndjson = "ndjson"
    jsonl = "jsonl"


class NanPolicy(enum.StrEnum):
    error = "error"
    skip = "skip"


class Reduction(enum.StrEnum):
    mean = "mean"
    sum = "sum"
    none = "none"


class ConventionName(enum.StrEnum):
    """The conventions of core/conventions/ (a test keeps the two lists equal)."""

    catalog = "catalog"
    torch = "torch"
    keras = "keras"
    sklearn = "sklearn"
    optax = "optax"
    hadsell = "hadsell"
    pml = "pml"


LossName = Annotated[
    str,
    typer.Argument(
        metavar="LOSS", help="Loss name or alias (losscli list).", autocompletion=loss_names
    ),
]

OUTPUT = "Output"
INPUT = "Input"
PARAMS = "Loss parameters"

Format = Annotated[
    OutputFormat,
    typer.Option(
        "-f",
        "--format",
        help="auto: a table on a terminal; piped, a bare number or TSV with a header.",
        rich_help_panel=OUTPUT,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Same as -f json.", rich_help_panel=OUTPUT)]
ColorOpt = Annotated[
    Color,
    typer.Option(
        "--color",
        help="Colour for human output (NO_COLOR and FORCE_COLOR honoured).",
        rich_help_panel=OUTPUT,
    ),
]

YTrue = Annotated[
    str | None,
    typer.Option(
        "--y-true",
        metavar="LIST",
        help="Targets, comma-separated; ';' separates rows: 2,0 or \"0.2,0.8;1,0\".",
        rich_help_panel=INPUT,
    ),
]
YPred = Annotated[
    str | None,
    typer.Option(
        "--y-pred",
        metavar="LIST",
        help="Predictions, comma-separated; ';' separates rows: \"0.1,0.2,0.7;0.3,0.3,0.4\".",
        rich_help_panel=INPUT,
    ),
]
Weights = Annotated[
    str | None,
    typer.Option(
        "--weights",
        metavar="LIST",
        help="Inline sample weights, one per example (weighted mean).",
        rich_help_panel=INPUT,
    ),
]
File = Annotated[
    str | None,
    typer.Argument(
        metavar="FILE",
        help="Table to read (.csv .tsv .parquet .jsonl .ndjson), '-' for stdin. "
        "Without FILE or inline values, a table piped to stdin is read.",
        show_default=False,
    ),
]
InputFormatOpt = Annotated[
    InputFormat | None,
    typer.Option(
        "--input-format",
        help="Table format when the extension does not say.",
        rich_help_panel=INPUT,
    ),
]
Delimiter = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        metavar="CHAR",
        help="Field separator of a CSV-like table.",
        rich_help_panel=INPUT,
    ),
]
Header = Annotated[
    bool | None,
    typer.Option(
        "--header/--no-header",
        help="Whether the first line of a CSV-like table is column names. Default: a header "
        "unless it looks like data (said on stderr); without one, columns are named 1..N.",
        show_default=False,
        rich_help_panel=INPUT,
    ),
]
Labels = Annotated[
    str | None,
    typer.Option(
        "--labels",
        metavar="LIST",
        help="Class labels written as text (cat,dog), in class order: the first is class 0. "
        "Default for a file or inline values: sorted order, as scikit-learn (said on stderr).",
        rich_help_panel=INPUT,
    ),
]
Target = Annotated[
    str | None,
    typer.Option(
        "-t",
        "--target",
        metavar="COLS",
        help="Target column(s): names, 1-based indices or globs ('p*'), comma-separated. "
        "Default: y_true, else the first column.",
        rich_help_panel=INPUT,
        autocompletion=column_names,
    ),
]
Pred = Annotated[
    str | None,
    typer.Option(
        "-p",
        "--pred",
        metavar="COLS",
        help="Prediction column(s), as for --target. Default: y_pred, else the rest.",
        rich_help_panel=INPUT,
        autocompletion=column_names,
    ),
]
WeightColumn = Annotated[
    str | None,
    typer.Option(
        "--weight",
        metavar="COL",
        help="Column of sample weights (weighted mean).",
        rich_help_panel=INPUT,
        autocompletion=column_names,
    ),
]
Nan = Annotated[
    NanPolicy,
    typer.Option(
        "--nan",
        help="error: stop at a missing or non-finite value; skip: drop the "
        "row and say how many were dropped.",
        rich_help_panel=INPUT,
    ),
]
NoProgress = Annotated[
    bool,
    typer.Option(
        "--no-progress", help="No progress bar on stderr for large files.", rich_help_panel=INPUT
    ),
]
Logits = Annotated[
    bool,
    typer.Option(
        "--logits",
        help="Predictions are raw scores: softmax/sigmoid is applied inside, stably.",
        rich_help_panel=INPUT,
    ),
]
LogProbs = Annotated[
    bool,
    typer.Option("--log-probs", help="Predictions are log-probabilities.", rich_help_panel=INPUT),
]
LogInput = Annotated[
    bool,
    typer.Option(
        "--log-input",
        help="Positive predictions are natural logs: a Poisson log-rate, a log-mean, a "
        "log-variance.",
        rich_help_panel=INPUT,
    ),
]
Normalize = Annotated[
    bool,
    typer.Option(
        "--normalize",
        help="Rescale probability rows to sum to 1 instead of rejecting them.",
        rich_help_panel=INPUT,
    ),
]

# Loss parameters: one option each, named after the math. Which loss takes which is the
# registry's business; a test checks that every registered parameter has an option here.
Delta = Annotated[
    float | None,
    typer.Option(
        "--delta", help="Huber: where quadratic turns linear (default 1).", rich_help_panel=PARAMS
    ),
]
Gamma = Annotated[
    float | None,
    typer.Option(
        "--gamma",
        help="Focal: focusing exponent (default 2; 0 is cross-entropy).",
        rich_help_panel=PARAMS,
    ),
]
Alpha = Annotated[
    str | None,
    typer.Option(
        "--alpha",
        metavar="A[,A...]",
        help="Focal: weight of the positive class; softmax-focal: one weight for every class "
        "or one per class (default: none).",
        rich_help_panel=PARAMS,
    ),
]
Margin = Annotated[
    float | None,
    typer.Option(
        "--margin",
        help="Contrastive: margin for dissimilar pairs (default 1).",
        rich_help_panel=PARAMS,
    ),
]
Eps = Annotated[
    float | None,
    typer.Option(
        "--eps",
        help="Clip probabilities to [eps, 1-eps] (default 0: exact).",
        rich_help_panel=PARAMS,
    ),
]
Direction = Annotated[
    str | None,
    typer.Option(
        "--direction",
        metavar="forward|reverse",
        help="KL: forward KL(P||Q) or reverse KL(Q||P).",
        autocompletion=parameter_values("--direction"),
        rich_help_panel=PARAMS,
    ),
]
Beta = Annotated[
    float | None,
    typer.Option(
        "--beta",
        help="Smooth L1: where quadratic turns linear (default 1; 0 is plain L1).",
        rich_help_panel=PARAMS,
    ),
]
LabelSmoothing = Annotated[
    float | None,
    typer.Option(
        "--label-smoothing",
        metavar="EPS",
        help="Cross-entropy, softmax-focal: targets (1-eps) y + eps/C; binary and multi-label: "
        "y (1-eps) + eps/2 (default 0).",
        rich_help_panel=PARAMS,
    ),
]
LogBase = Annotated[
    str | None,
    typer.Option(
        "--log-base",
        metavar="e|2|10",
        help="KL: logarithm base (default e, nats).",
        autocompletion=parameter_values("--log-base"),
        rich_help_panel=PARAMS,
    ),
]


Convention = Annotated[
    ConventionName | None,
    typer.Option(
        "--convention",
        help="Compute as this framework does: catalog (exact, the default), torch, keras, "
        "sklearn, optax; for contrastive also hadsell, pml. An alias that names a framework's "
        "function (bce-with-logits, kl-div) computes as that framework. 'losscli show LOSS' "
        "lists the differences.",
        rich_help_panel=PARAMS,
    ),
]


# Parameters of the catalog's further losses (issue 8); appended to keep the list above intact.
Quantile = Annotated[
    float | None,
    typer.Option(
        "--quantile",
        metavar="TAU",
        help="Pinball: the quantile τ in (0, 1] (default 0.5, the median).",
        rich_help_panel=PARAMS,
    ),
]
Power = Annotated[
    float | None,
    typer.Option(
        "--power",
        help="Tweedie: variance power p <= 0 or p >= 1 (0 squared error, 1 Poisson, 2 gamma; "
        "default 1.5).",
        rich_help_panel=PARAMS,
    ),
]
Variance = Annotated[
    float | None,
    typer.Option(
        "--variance",
        metavar="SIGMA2",
        help="Gaussian NLL: a fixed variance σ² when predictions are means only.",
        rich_help_panel=PARAMS,
    ),
]
PosWeight = Annotated[
    str | None,
    typer.Option(
        "--pos-weight",
        metavar="W[,W...]",
        help="Multi-label BCE: weight of the positive term, one value or one per label.",
        rich_help_panel=PARAMS,
    ),
]
ClassWeights = Annotated[
    str | None,
    typer.Option(
        "--class-weights",
        metavar="W,W,...",
        help="Cross-entropy: one weight per class column (mean: plain; torch: / Σ w[y]).",
        rich_help_panel=PARAMS,
    ),
]
PolyEpsilon = Annotated[
    float | None,
    typer.Option(
        "--poly-epsilon",
        metavar="EPS",
        help="Poly-1: weight ε of the (1 - p_t) term, >= -1 (default 2; 0 is cross-entropy).",
        rich_help_panel=PARAMS,
    ),
]
Temperature = Annotated[
    float | None,
    typer.Option(
        "--temperature",
        metavar="TAU",
        help="InfoNCE, NT-Xent: similarities are divided by τ (default 0.07).",
        rich_help_panel=PARAMS,
    ),
]
BatchSize = Annotated[
    int | None,
    typer.Option(
        "--batch-size",
        metavar="N",
        help="NT-Xent: rows per batch in input order (default: the whole input).",
        rich_help_panel=PARAMS,
    ),
]
PNorm = Annotated[
    float | None,
    typer.Option(
        "--p-norm",
        metavar="P",
        help="Triplet: the p of the p-norm distance, >= 1 (default 2); multi-margin: the "
        "exponent of each term, 1 or 2 (default 1).",
        rich_help_panel=PARAMS,
    ),
]
Swap = Annotated[
    bool | None,
    typer.Option(
        "--swap",
        help="Triplet: the negative's distance is min(d(a, n), d(p, n)) (PyTorch swap=True).",
        show_default=False,
        rich_help_panel=PARAMS,
    ),
]
PosMargin = Annotated[
    float | None,
    typer.Option(
        "--pos-margin",
        help="Contrastive: distance below which a similar pair costs nothing (default 0).",
        rich_help_panel=PARAMS,
    ),
]
Distance = Annotated[
    str | None,
    typer.Option(
        "--distance",
        metavar="euclidean|squared",
        help="Contrastive: squared puts d^2 in place of d, margins included (default euclidean).",
        autocompletion=parameter_values("--distance"),
        rich_help_panel=PARAMS,
    ),
]
Full = Annotated[
    bool | None,
    typer.Option(
        "--full",
        help="Poisson: the whole negative log-likelihood, with ln y! (PyTorch full=True: "
        "Stirling's approximation).",
        show_default=False,
        rich_help_panel=PARAMS,
    ),
]

# Settings of how rows are read and reduced, given with the parameters (issue 12); the core's
# make_request takes them out of the parameters (evaluation.REQUEST_SETTINGS).
IgnoreLabel = Annotated[
    float | None,
    typer.Option(
        "--ignore-label",
        metavar="K",
        help="Leave rows whose class label is K out of the value and the mean (PyTorch "
        "ignore_index, Keras ignore_class); said on stderr.",
        rich_help_panel=INPUT,
    ),
]
LogTarget = Annotated[
    bool | None,
    typer.Option(
        "--log-target",
        help="KL, JS, distribution cross-entropy: target rows are ln P (PyTorch log_target).",
        show_default=False,
        rich_help_panel=INPUT,
    ),
]


class MultiOutputName(enum.StrEnum):
    raw = "raw"
    uniform = "uniform"


MultiOutput = Annotated[
    MultiOutputName | None,
    typer.Option(
        "--multioutput",
        help="Regression with several outputs (target and prediction columns paired in order): "
        "raw, one value per output; uniform, their mean (scikit-learn multioutput).",
        rich_help_panel=INPUT,
    ),
]


class PrecisionName(enum.StrEnum):
    float64 = "float64"
    float32 = "float32"


Precision = Annotated[
    PrecisionName | None,
    typer.Option(
        "--precision",
        help="float32 computes each example as the frameworks do by default (default "
        "float64, exact).",
        rich_help_panel=PARAMS,
    ),
]


def space_from_flags(logits: bool, log_probs: bool, log_input: bool = False) -> str | None:
    from losscli.core.errors import UsageError

    given = [
        flag
        for flag, on in (
            ("--logits", logits),
            ("--log-probs", log_probs),
            ("--log-input", log_input),
        )
        if on
    ]
    if len(given) > 1:
        raise UsageError(f"{given[0]} and {given[1]} exclude each other")
    if log_input:
        return "log"
    return "logit" if logits else "logprob" if log_probs else None


# Every loss parameter option, by its name in the math. A command declares the options it
# offers and hands its arguments (`locals()`) to `loss_params`, so a new parameter is one
# option above, one name here and one argument per command (a test checks all three).
LOSS_PARAMS = (
    "delta",
    "gamma",
    "alpha",
    "margin",
    "eps",
    "direction",
    "log_base",
    "beta",
    "label_smoothing",
    "quantile",
    "power",
    "variance",
    "pos_weight",
    "class_weights",
    "poly_epsilon",
    "temperature",
    "batch_size",
    "p_norm",
    "swap",
    "full",
    "pos_margin",
    "distance",
    "ignore_label",
    "log_target",
    "multioutput",
    "precision",
)


def loss_params(arguments: Mapping[str, object]) -> dict[str, object]:
    """The loss parameters the user actually gave (not None), from a command's arguments."""
    return {name: arguments[name] for name in LOSS_PARAMS if arguments.get(name) is not None}


def input_format(value: InputFormat | None) -> str | None:
    if value is None:
        return None
    return "ndjson" if value is InputFormat.jsonl else value.value


def output_format(fmt: OutputFormat, json_flag: bool) -> str:
    return "json" if json_flag else fmt.value


def check_number(
    option: str,
    value: float | None,
    low: float | None = None,
    high: float | None = None,
    *,
    infinite: bool = False,
) -> None:
    """Refuse a number option outside [low, high], NaN, or infinite (unless `infinite`),
    before the command does any work: a usage error naming the option and the value."""
    import math

    if value is None:
        return
    bounds = (
        f"between {low:g} and {high:g}"
        if low is not None and high is not None
        else f"at least {low:g}"
        if low is not None
        else f"at most {high:g}"
        if high is not None
        else "a number"
    )
    finite = math.isfinite(value) or (infinite and not math.isnan(value))
    if not finite or (low is not None and value < low) or (high is not None and value > high):
        from losscli.core.errors import UsageError

        raise UsageError(f"{option} must be {bounds}, not {value:g}")
