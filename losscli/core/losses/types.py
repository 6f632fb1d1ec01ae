"""The records of the catalog: a `Loss`, its `Param`s and `Properties`, what `prepare` returns
(`Prepared`), the `Notice`s a result carries, and the array and space types they are written in.

The bottom of the losses: the registry and every family module import these, and this module
imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from losscli.core.errors import UsageError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
else:  # the same arrays; numpy.typing (it parses docstrings on import) is for the checker
    Array = np.ndarray
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

    def values(self, given: object) -> tuple[ParamValue, ...]:
        """The values of a sweep, each checked: `0.5,1,2` for a number, `e,2` for a choice,
        `1,2;2,1` for a vector (whose items are separated by commas, so its values by `;`).
        One value is a sweep of one; a bad item is a UsageError that names it."""
        if not isinstance(given, str):
            return (self.check(given),)  # type: ignore[arg-type]
        items = given.split(";" if self.vector else ",")
        if len(items) == 1:
            return (self.check(given),)
        values = []
        for position, item in enumerate(items, 1):
            if not item.strip():
                raise UsageError(f"{self.option} {given}: item {position} is empty")
            try:
                values.append(self.check(item.strip()))
            except UsageError as error:
                raise UsageError(f"{error} (item {position} of {self.option} {given})") from None
        return tuple(values)

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
            raise UsageError(not_a_number(self.option, value)) from None
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


def not_a_number(option: str, value: object) -> str:
    """What a number option says of a value that is not a number, in Click's voice: what to
    type instead (`10%` is 0.1; numbers separated by spaces are a comma list)."""
    text = str(value).strip()
    if text.startswith("-") and not text[1:2].isdigit() and text[1:2] != ".":
        return f"{option} needs a number, not the option {text}"
    message = f"{option}: {text!r} is not a number"
    if text.endswith("%"):
        try:
            percent = float(text[:-1])
        except ValueError:
            return message
        return f"{message}; write a percentage as a fraction: {percent / 100:.15g}, not {text}"
    words = text.split()
    if len(words) > 1:
        try:
            [float(word) for word in words]
        except ValueError:
            return message
        return f"{message}; separate numbers with commas: {','.join(words)}"
    return message


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
    # The formula and its derivative in a few words, for the README's table of losses
    # (tools/generate.py writes it); empty: the table shows `formula` and `grad_formula`.
    short_formula: str = ""
    short_grad_formula: str = ""
    # Each framework's own name for the loss, for the README's table of names: a key of
    # tools/generate.py's FRAMEWORKS ("torch", "keras", "optax", "sklearn", "scipy"), code in
    # `backticks`, a related quantity in parentheses. A name outside parentheses is given
    # exactly where that framework's convention has the loss (tests/test_catalog_readme.py).
    framework_names: Mapping[str, str] = field(default_factory=dict)

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

    def sweep(self, given: Mapping[str, object]) -> list[dict[str, object]]:
        """The settings of a sweep: one dict per combination of the values given to this
        loss's parameters (`--delta 0.5,1,2` gives three), the first given varying slowest;
        each value checked. Names that are not parameters of this loss pass through unchanged."""
        import itertools

        known = {p.name: p for p in self.params}
        choices = [
            [(name, v) for v in known[name].values(value)] if name in known else [(name, value)]
            for name, value in given.items()
        ]
        return [dict(combination) for combination in itertools.product(*choices)]

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


# A key of Loss.extra: True where an example's value is not finite only where a cell of its
# gradient is not finite either (for finite inputs, under every convention's settings). The
# pass that computes the gradient of a mean then computes a block's values (for the notice
# naming the infinite rows) only where its gradients' sum is not finite
# (tests/core/test_leaves.py holds each loss that says so to it).
GRAD_SHOWS_INFINITY = "grad_shows_infinity"

# A key of Loss.extra: True where an example's value is NaN or infinite wherever a cell of its
# inputs is (under every convention's settings). The pass of a mean then looks at a block's
# inputs only where the sum of its values is not finite, instead of summing them as well
# (tests/core/test_leaves.py holds each loss that says so to it).
VALUE_SHOWS_BAD_INPUT = "value_shows_bad_input"
