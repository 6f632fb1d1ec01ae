"""The loss registry: one record per loss, everything the catalog and the commands need.

A family module (regression.py, classification.py, ...) defines its losses as `Loss` records
and passes each to `register`. `list`, `show`, `compare`, completion and the property tests
all read from here, so adding a loss is one record plus its reference data.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from losscli.core.errors import UsageError

Array = NDArray[np.float64]
# What the predictions are: raw values or scores, probabilities, logits, log-probabilities,
# or natural logs of a positive prediction (a Poisson log-rate, a log-mean, a log-variance).
Space = Literal["raw", "prob", "logit", "logprob", "log"]
SPACES: tuple[Space, ...] = ("raw", "prob", "logit", "logprob", "log")
ParamValue = float | str | tuple[float, ...]
Params = Mapping[str, ParamValue]


@dataclass(frozen=True)
class Notice:
    """Something the user should know about a result; never an error.

    `rows` holds the 0-based indices it concerns (the input layer adds its offset).
    """

    text: str
    rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class Prepared:
    """Inputs checked and brought into the form the value and gradient functions expect."""

    y_true: Array
    y_pred: Array
    notices: tuple[Notice, ...] = ()
    # Per-example weights a convention's mean divides by instead of counting examples
    # (PyTorch's class-weighted cross-entropy); None: every example counts 1.
    mean_weights: Array | None = None


@dataclass(frozen=True)
class Param:
    """A loss parameter: its name (as in the math), default, meaning and allowed range.

    A `vector` parameter holds one number per class or label (`--class-weights 1,2,0.5`),
    each checked against the range; an `integer` parameter must be a whole number.
    """

    name: str
    default: ParamValue | None
    doc: str
    choices: tuple[str, ...] = ()
    lower: float | None = None
    lower_open: bool = False
    upper: float | None = None
    vector: bool = False
    integer: bool = False
    # An open interval of values refused inside [lower, upper] (Tweedie's 0 < p < 1).
    gap: tuple[float, float] | None = None

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    def check(self, value: ParamValue) -> ParamValue:
        """Return the value in its canonical type, or raise UsageError naming the option."""
        if self.choices:
            # A flag (--swap) gives True: the yes of a no/yes choice.
            text = ("yes" if value else "no") if isinstance(value, bool) else str(value)
            if text.strip().lower() in self.choices:  # any case, as loss names
                text = text.strip().lower()
            if text not in self.choices:
                raise UsageError(
                    f"{self.option} must be one of {', '.join(self.choices)}, not {text!r}"
                )
            return text
        if self.vector:
            return self._check_vector(value)
        number = self._check_number(value)
        if self.integer:
            if number != round(number):
                raise UsageError(f"{self.option} must be a whole number, not {value}")
            return int(number)
        return number

    def _check_vector(self, value: ParamValue) -> tuple[float, ...]:
        parts: list[Any]
        if isinstance(value, str):
            parts = [v.strip() for v in value.split(",")]
        elif isinstance(value, (int, float)):
            parts = [value]
        else:
            parts = list(value)
        if not parts or any(isinstance(p, str) and not p for p in parts):
            raise UsageError(f"{self.option} must be comma-separated numbers, not {value!r}")
        return tuple(self._check_number(p) for p in parts)

    def _check_number(self, value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise UsageError(f"{self.option} must be a number, not {value!r}") from None
        if not np.isfinite(number):
            raise UsageError(f"{self.option} must be finite, not {value!r}")
        if self.lower is not None:
            if self.lower_open and number <= self.lower:
                raise UsageError(f"{self.option} must be greater than {self.lower:g}, not {value}")
            if not self.lower_open and number < self.lower:
                raise UsageError(f"{self.option} must be at least {self.lower:g}, not {value}")
        if self.upper is not None and number > self.upper:
            raise UsageError(f"{self.option} must be at most {self.upper:g}, not {value}")
        if self.gap is not None and self.gap[0] < number < self.gap[1]:
            low, high = self.gap
            raise UsageError(
                f"{self.option} must be at most {low:g} or at least {high:g}, not {value}"
            )
        return number


@dataclass(frozen=True)
class Properties:
    """The catalog's comparison columns, plus facts the property tests rely on."""

    convex: bool
    smooth: bool
    robust: bool
    probabilistic: bool
    # The loss is exactly 0 when the prediction equals a hard target.
    zero_at_perfect: bool = True
    # For residual losses: value(r) == value(-r).
    symmetric: bool = False
    # Never below 0 (a negative log-density, such as Gaussian NLL, can be).
    nonnegative: bool = True


ValueFn = Callable[..., Array]
PrepareFn = Callable[[Array, Array, Space, Mapping[str, Any], bool], Prepared]


@dataclass(frozen=True)
class Loss:
    """One loss of the catalog.

    `value(y_true, y_pred, space=..., **params)` returns one value per example (shape (n,));
    `grad(...)` returns the derivative of each example's loss with respect to its prediction
    in the given space, with the shape of `y_pred`. Both take prepared inputs (see `prepare`).
    `prepare(y_true, y_pred, space, params, normalize)` validates raw arrays and returns them
    in that form, raising DataError with the row and column of the first bad cell.
    `pred_columns` is "one" (y_pred shape (n,)), "many" ((n, k)) or "any" ((n, k), k >= 1).

    `takes_target` is False for a loss of predictions alone (triplets: anchor, positive,
    negative). `batch` marks a loss whose per-example values depend on the other rows of the
    batch (NT-Xent: the other rows are the negatives): it is evaluated on the whole input at
    once, its `grad` returns d(sum of the values)/d(prediction) per row, and it takes no
    sample weights. `root` marks a loss reported as the square root of its reduction (RMSE:
    the per-example values are the squared errors under the root). `infinity_note` says
    when the exact loss is infinite and what to do, for the notice that names the rows.
    """

    name: str
    family: str
    summary: str
    target: str
    pred_columns: Literal["one", "many", "any"]
    spaces: tuple[Space, ...]
    params: tuple[Param, ...]
    properties: Properties
    value: ValueFn
    grad: ValueFn
    prepare: PrepareFn
    formula: str
    grad_formula: str
    typical_use: str
    aliases: tuple[str, ...] = ()
    confusions: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    kink_note: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    takes_target: bool = True
    batch: bool = False
    root: bool = False
    infinity_note: str = ""
    # Optional: (value(...), grad(...)) from one call with the same arguments, sharing the work
    # the two have in common; it must return exactly what the two separate calls return.
    value_and_grad: Callable[..., tuple[Array, Array]] | None = None

    def defaults(self) -> dict[str, ParamValue]:
        return {p.name: p.default for p in self.params if p.default is not None}

    def resolve_params(self, given: Params) -> dict[str, ParamValue]:
        """Defaults overlaid with the given values, each checked; unknown names raise."""
        known = {p.name: p for p in self.params}
        resolved: dict[str, ParamValue] = {}
        for name, value in given.items():
            if name not in known:
                accepted = ", ".join(p.option for p in self.params) or "no parameters"
                option = "--" + name.replace("_", "-")
                raise UsageError(f"{self.name} has no parameter {option} (it takes {accepted})")
            resolved[name] = known[name].check(value)
        for p in self.params:
            if p.name not in resolved and p.default is not None:
                resolved[p.name] = p.default
        return resolved

    def resolve_space(self, space: Space | None) -> Space:
        if space is None:
            return self.spaces[0]
        if space not in self.spaces:
            if self.spaces == ("raw",):
                how = "takes raw predictions"
            else:
                how = "takes " + " or ".join(_SPACE_WORDS[s] for s in self.spaces)
            raise UsageError(f"{self.name} {how}, not {_SPACE_WORDS[space]}")
        return space


_SPACE_WORDS: dict[str, str] = {
    "raw": "raw scores",
    "prob": "probabilities",
    "logit": "logits (--logits)",
    "logprob": "log-probabilities (--log-probs)",
    "log": "natural logs (--log-input)",
}

_LOSSES: dict[str, Loss] = {}
_NAMES: dict[str, str] = {}


def register(loss: Loss) -> Loss:
    for key in (loss.name, *loss.aliases):
        if key in _NAMES:
            raise ValueError(f"loss name {key!r} registered twice")
        _NAMES[key] = loss.name
    _LOSSES[loss.name] = loss
    return loss


def _load_families() -> None:
    # Imported for their side effect of registering; kept here so `get` always sees them all.
    # The catalog's first nine first, family by family; then the modules that add to them.
    from losscli.core import regression  # noqa: F401, I001
    from losscli.core import classification, divergence, metric  # noqa: F401
    from losscli.core import likelihood, multiclass, nce  # noqa: F401


def all_losses() -> tuple[Loss, ...]:
    _load_families()
    return tuple(_LOSSES.values())


def names_and_aliases() -> dict[str, str]:
    """Every accepted spelling mapped to its canonical name."""
    _load_families()
    return dict(_NAMES)


def get(name: str) -> Loss:
    """The loss named `name` or one of its aliases (case and _/- insensitive)."""
    _load_families()
    key = name.strip().lower().replace("_", "-")
    if key in _NAMES:
        return _LOSSES[_NAMES[key]]
    close = difflib.get_close_matches(key, list(_NAMES), n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    raise UsageError(f"unknown loss {name!r}{hint} (losscli list shows them all)")


@dataclass(frozen=True)
class AliasMeaning:
    """What an alias that names one framework's function reads and computes, where that is
    not the catalog's default: the space of its predictions and the convention."""

    function: str
    space: Space | None = None
    convention: str | None = None

    def describe(self, alias: str) -> str:
        reads = {None: "", "logit": "reads logits", "logprob": "reads log-probabilities",
                 "log": "reads natural logs (log-rates)", "prob": "reads probabilities",
                 "raw": "reads raw scores"}[self.space]  # fmt: skip
        how = [part for part in (reads, self.convention and f"computes as --convention "
               f"{self.convention}") if part]  # fmt: skip
        return f"{alias} is {self.function}: it {' and '.join(how)}"


# An alias that names one framework's function computes what that function computes: the
# space it reads (BCEWithLogitsLoss takes logits) and the framework's convention. A generic
# name, or one that several frameworks share with different meanings (huber-loss,
# mean-absolute-percentage-error, sigmoid-focal), is the catalog's loss. `--logits` and the
# like, or `--convention`, given explicitly, win. tests/cli/test_aliases.py checks every alias
# against the formula of the function it names.
ALIAS_MEANINGS: dict[str, AliasMeaning] = {
    "bce-with-logits": AliasMeaning("torch.nn.BCEWithLogitsLoss", "logit", "torch"),
    "multilabel-soft-margin": AliasMeaning("torch.nn.MultiLabelSoftMarginLoss", "logit", "torch"),
    "sigmoid-cross-entropy": AliasMeaning(
        "tf.nn.sigmoid_cross_entropy_with_logits (optax.losses.sigmoid_binary_cross_entropy)",
        "logit",
    ),
    "sigmoid-focal": AliasMeaning(
        "sigmoid_focal_loss (Optax's, alpha=None; torchvision's alpha=0.25 is --convention torch)",
        "logit",
    ),
    "nll": AliasMeaning("torch.nn.NLLLoss", "logprob", "torch"),
    "kl-div": AliasMeaning("torch.nn.functional.kl_div(log Q, P)", "logprob", "torch"),
    "kld": AliasMeaning("keras.losses.kld", None, "keras"),
    "poisson-nll": AliasMeaning("torch.nn.PoissonNLLLoss(log_input=True)", "log", "torch"),
    "gaussian-nll-loss": AliasMeaning("torch.nn.GaussianNLLLoss", None, "torch"),
    "smooth-l1-loss": AliasMeaning("torch.nn.SmoothL1Loss", None, "torch"),
    "multi-margin-loss": AliasMeaning("torch.nn.MultiMarginLoss", None, "torch"),
    "triplet-margin-loss": AliasMeaning("torch.nn.TripletMarginLoss", None, "torch"),
    "cosine-embedding-loss": AliasMeaning("torch.nn.CosineEmbeddingLoss", None, "torch"),
    "margin-ranking-loss": AliasMeaning("torch.nn.MarginRankingLoss", None, "torch"),
    "binary-crossentropy": AliasMeaning("keras.losses.binary_crossentropy", None, "keras"),
    "categorical-hinge": AliasMeaning("keras.losses.CategoricalHinge", None, "keras"),
    "categorical-focal": AliasMeaning("keras.losses.CategoricalFocalCrossentropy", None, "keras"),
    "log-loss": AliasMeaning("sklearn.metrics.log_loss", None, "sklearn"),
    "logloss": AliasMeaning("sklearn.metrics.log_loss", None, "sklearn"),
    "poisson-deviance": AliasMeaning("sklearn.metrics.mean_poisson_deviance", None, "sklearn"),
    "mean-tweedie-deviance": AliasMeaning("sklearn.metrics.mean_tweedie_deviance", None, "sklearn"),
    "mean-gamma-deviance": AliasMeaning("sklearn.metrics.mean_gamma_deviance", None, "sklearn"),
    "mean-squared-log-error": AliasMeaning(
        "sklearn.metrics.mean_squared_log_error", None, "sklearn"
    ),
    "root-mean-squared-error": AliasMeaning(
        "sklearn.metrics.root_mean_squared_error", None, "sklearn"
    ),
    "pinball-loss": AliasMeaning("sklearn.metrics.mean_pinball_loss", None, "sklearn"),
    "brier-score-loss": AliasMeaning("sklearn.metrics.brier_score_loss", None, "sklearn"),
    "perceptron-loss": AliasMeaning("optax.losses.perceptron_loss", None, "optax"),
    "poly1-cross-entropy": AliasMeaning("optax.losses.poly_loss_cross_entropy", "logit", "optax"),
}


def alias_meaning(name: str) -> AliasMeaning | None:
    """What `name` reads and computes when it is an alias naming one framework's function."""
    return ALIAS_MEANINGS.get(name.strip().lower().replace("_", "-"))
