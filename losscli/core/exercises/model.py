"""Exercises: the model, variants, and answers computed by the core that `compute` uses.

An exercise has parameters (textbook defaults, and how a seeded variant draws new ones),
named quantities (a loss or its gradient, evaluated by `evaluate`/`gradient` on inputs built
from the parameters), parts whose answers derive from those quantities by a small declared
set of operations (OPS, optionally times a `scale` formula), known mistakes derived the same
way, hints, and a worked solution. There is never a bare answer key.

No file access here: losscli.inputs.exercises reads the TOML files into these records.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, TypeAlias

import numpy as np

from losscli.core.errors import DataError, LossError
from losscli.core.exercises.expressions import Expression, ExpressionError
from losscli.core.exercises.grading import (
    MISTAKE_REL,
    SAME,
    Candidate,
    Tolerance,
    Verdict,
    how_far,
    matching_mistakes,
)
from losscli.core.losses.types import Loss

Value = float | tuple[float, ...]
Values = Mapping[str, Value]
Leaf: TypeAlias = "float | Expression"
Template: TypeAlias = "Leaf | tuple[Template, ...]"
Result: TypeAlias = "float | np.ndarray"

# How a part's answer (or a mistake's value) is made from quantities.
OPS: dict[str, Callable[[list[float]], float]] = {
    "value": lambda xs: xs[0],
    "ratio": lambda xs: xs[0] / xs[1],
    "difference": lambda xs: xs[0] - xs[1],
    "sum": math.fsum,
    "product": math.prod,
}
ARITY = {"value": 1, "ratio": 2, "difference": 2}  # sum and product take two or more


class ExerciseError(DataError):
    """An exercise that cannot be used as written: names its file and key (exit 3)."""

    def __init__(self, source: str, key: str, message: str) -> None:
        super().__init__(f"{source}: {key}: {message}" if key else f"{source}: {message}")


@dataclass(frozen=True)
class Draw:
    """How a parameter gets its value in a seeded variant.

    fixed: the default in every variant; uniform: low..high in multiples of step (integers
    with step 1); choice: one of `choices`; simplex: a probability row of the default's
    length in multiples of step, each at least step; formula: computed from the parameters
    before it.
    """

    kind: Literal["fixed", "uniform", "choice", "simplex", "formula"]
    low: float = 0.0
    high: float = 0.0
    step: float = 0.0
    choices: tuple[float, ...] = ()
    formula: Expression | None = None


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Value | None  # None for a formula
    draw: Draw


@dataclass(frozen=True)
class Quantity:
    """A core result: `kind` value (reduced unless reduction is none) or grad (per example)."""

    name: str
    loss: str
    kind: Literal["value", "grad"]
    y_true: tuple[Template, ...]
    y_pred: tuple[Template, ...]
    params: Mapping[str, str | Leaf]  # str: a choice such as direction = "reverse"
    space: str | None = None
    reduction: str = "mean"
    convention: str = "catalog"  # another framework's version: slips, never an answer


@dataclass(frozen=True)
class Ref:
    """A quantity, or one element of it: `huber[1]`, `grad[0][2]`."""

    name: str
    index: tuple[int, ...] = ()

    def __str__(self) -> str:
        return self.name + "".join(f"[{i}]" for i in self.index)


REF = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")


def parse_ref(text: str) -> Ref | None:
    match = REF.fullmatch(text.strip())
    if not match:
        return None
    return Ref(match[1], tuple(int(i) for i in re.findall(r"\d+", match[2])))


@dataclass(frozen=True)
class Derived:
    op: str
    refs: tuple[Ref, ...]
    scale: Expression | None = None


@dataclass(frozen=True)
class Fact:
    """An answer read from the catalog instead of computed: a loss's property (`convex` of
    `huber`, or which of the options has it), or what `recommend` gives for stated facts
    (the loss, or one of its parameters). The bank cannot disagree with `list` and
    `recommend`, because it asks them."""

    property: str | None = None
    loss: str | None = None
    recommend: tuple[tuple[str, object], ...] = ()
    param: str | None = None


@dataclass(frozen=True)
class Domain:
    """Where a formula's variable is sampled: low..high, or one of `choices`."""

    low: float = 0.0
    high: float = 0.0
    choices: tuple[float, ...] = ()


@dataclass(frozen=True)
class Part:
    name: str
    prompt: str
    answer: Derived
    why: str
    tolerance: Tolerance = field(default_factory=Tolerance)
    accepts: Literal["expression", "number", "formula", "choice"] = "expression"
    expected: float | None = None  # the default variant's value, as a cross-check
    constant: bool = False  # the same answer in every variant, on purpose
    fact: Fact | None = None  # the answer comes from the catalog, not from `answer`
    options: tuple[str, ...] = ()  # a choice: A, B, C ... (true/false: true, false)
    formula: Expression | None = None  # a formula part: the reference, checked vs `answer`
    domain: Mapping[str, Domain] = field(default_factory=dict)  # its variables

    @property
    def numeric(self) -> bool:
        return self.accepts in ("expression", "number")

    def accepts_text(self) -> str:
        if self.accepts == "choice":
            if self.options == ("true", "false"):
                return "true or false"
            letters = ", ".join(f"{chr(65 + i)}" for i in range(len(self.options)))
            return f"a letter ({letters}) or the option itself"
        if self.accepts == "formula":
            names = ", ".join(self.domain)
            return (
                f"a formula in {names}, such as sigmoid(z) - y or clip(r, -delta, delta); "
                "checked at random points"
            )
        if self.accepts == "number":
            what = "a decimal number"
        else:
            what = "a number or an expression such as -ln(0.7), 1/3, 2^-3"
        return f"{what}, {self.tolerance.describe()}"


@dataclass(frozen=True)
class Mistake:
    name: str
    part: str
    answer: Derived
    feedback: str
    tolerance: Tolerance
    formula: Expression | None = None  # a slip of a formula part, as a formula


@dataclass(frozen=True)
class Hint:
    after: int  # graded attempts on the variant (on the part, for a part's hint) that unlock it
    text: str
    part: str | None = None  # None: a hint for the whole exercise


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    level: int
    topics: tuple[str, ...]
    losses: tuple[str, ...]
    prompt: str
    params: tuple[Parameter, ...]
    quantities: tuple[Quantity, ...]
    parts: tuple[Part, ...]
    mistakes: tuple[Mistake, ...]
    hints: tuple[Hint, ...]
    solution: str
    source: str = "<exercise>"
    order: int | None = None  # the catalog's own problems: 1, 2, 3 come first

    @property
    def sort_key(self) -> tuple[bool, int, int, str]:
        """The catalog's order: its own problems first, then by level, then by id."""
        return (self.order is None, self.order or 0, self.level, self.id)

    def part(self, name: str) -> Part:
        return next(p for p in self.parts if p.name == name)

    def error(self, key: str, message: str) -> ExerciseError:
        return ExerciseError(self.source, key, message)


@dataclass(frozen=True)
class Variant:
    seed: int | None
    values: Values

    @property
    def key(self) -> str:
        """How progress files name it: 'default' or the seed."""
        return "default" if self.seed is None else str(self.seed)

    @property
    def label(self) -> str:
        return "default" if self.seed is None else f"seed {self.seed}"


MAX_REDRAWS = 20


def draw_variant(exercise: Exercise, seed: int | None = None) -> Variant:
    """The textbook numbers (seed None) or a reproducible variant drawn from `seed`."""
    return work_variant(exercise, seed).variant


def work_variant(exercise: Exercise, seed: int | None = None) -> Worked:
    """The variant of `seed` (None: the textbook numbers), worked out.

    A seeded draw in which a slip or a tempting value would grade right, or two parts
    have the same answer, is drawn again from the same generator (up to MAX_REDRAWS
    times), so each seed stays reproducible and no variant is degenerate; a draw that
    stays degenerate is kept for `validate` to report.
    """
    rng = random.Random(f"{exercise.id}@{seed}") if seed is not None else None
    first: Worked | None = None
    for _ in range(MAX_REDRAWS if rng is not None else 1):
        worked = work(exercise, Variant(seed, _values(exercise, rng)))
        if rng is None or not degenerate(worked):
            return worked
        first = first or worked
    assert first is not None
    return first


def degenerate(worked: Worked) -> list[Slip]:
    """The slips that grade right in this variant (empty for a fair variant).

    A tempting value that is exactly the answer of a part whose answer is the same in
    every variant (the hinge past its margin is 0) is that part's point, not a slip.
    """
    found = []
    parts = {p.name: p for p in worked.exercise.parts}
    for slip in worked.slips:
        part = parts[slip.part]
        answer = worked.answers[slip.part]
        if not part.tolerance.accepts(slip.value, answer):
            continue
        if slip.kind == "tempting" and part.constant and _same(slip.value, answer):
            continue
        found.append(slip)
    return found


def _values(exercise: Exercise, rng: random.Random | None) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for p in exercise.params:
        if p.draw.kind == "formula":
            assert p.draw.formula is not None
            try:
                # Tidied like a drawn value: 1 - 0.9 is shown as 0.1, not 0.09999999999999998.
                values[p.name] = _tidy(p.draw.formula.evaluate(values))
            except ExpressionError as error:
                raise exercise.error(f"params.{p.name}", str(error)) from None
        elif rng is None or p.draw.kind == "fixed":
            assert p.default is not None
            values[p.name] = p.default
        else:
            values[p.name] = _draw(p, rng)
    return values


def _tidy(x: float) -> float:
    """Remove float noise from a multiple of a decimal step: 0.30000000000000004 -> 0.3."""
    return float(f"{x:.12g}")


def _draw(p: Parameter, rng: random.Random) -> Value:
    d = p.draw
    if d.kind == "choice":
        return rng.choice(d.choices)
    if d.kind == "uniform":
        steps = round((d.high - d.low) / d.step)
        return _tidy(d.low + d.step * rng.randint(0, steps))
    # simplex: k positive multiples of step summing to 1, uniformly over such rows
    assert isinstance(p.default, tuple)
    units = round(1 / d.step)
    cuts = sorted(rng.sample(range(1, units), len(p.default) - 1))
    edges = [0, *cuts, units]
    return tuple(_tidy((b - a) / units) for a, b in itertools.pairwise(edges))


@dataclass(frozen=True)
class Worked:
    """One variant with every part's answer and every applicable mistake's value."""

    exercise: Exercise
    variant: Variant
    quantities: Mapping[str, Result]
    answers: Mapping[str, float]
    mistakes: tuple[tuple[Mistake, float], ...] = field(default=())
    # Mistakes that do not apply to this variant, with the reason.
    skipped: tuple[tuple[Mistake, str], ...] = field(default=())
    # Every slip of this variant: the known mistakes, the generic ones, tempting values.
    slips: tuple[Slip, ...] = field(default=())


def work(exercise: Exercise, variant: Variant) -> Worked:
    """Compute every part with the core. A part that fails is an error in the exercise; a
    mistake that fails (a wrong class index past the last class) just does not apply."""
    cache: dict[str, Result | LossError] = {}
    answers = {
        part.name: (
            fact_answer(exercise, part)
            if part.fact is not None
            else _derive_or_raise(exercise, part.answer, variant, cache, f"parts.{part.name}")
        )
        for part in exercise.parts
    }
    mistakes, skipped = [], []
    for m in exercise.mistakes:
        if m.formula is not None:
            continue  # a formula's slip is compared as a formula, in check_formula
        try:
            mistakes.append((m, _derive(exercise, m.answer, variant, cache)))
        except LossError as error:
            skipped.append((m, str(error)))
    computed = {k: v for k, v in cache.items() if not isinstance(v, LossError)}
    found = _slips(exercise, variant, computed, answers, mistakes)
    return Worked(exercise, variant, computed, answers, tuple(mistakes), tuple(skipped), found)


def _derive_or_raise(
    exercise: Exercise, d: Derived, variant: Variant, cache: dict[str, Result | LossError], key: str
) -> float:
    try:
        return _derive(exercise, d, variant, cache)
    except ExerciseError:
        raise
    except LossError as error:
        raise exercise.error(key, str(error)) from None


def _derive(
    exercise: Exercise, d: Derived, variant: Variant, cache: dict[str, Result | LossError]
) -> float:
    xs = [_element(exercise, ref, variant, cache) for ref in d.refs]
    try:
        x = OPS[d.op](xs)
    except ZeroDivisionError:
        raise ExpressionError(
            f"{d.op} of {', '.join(map(str, d.refs))}: division by zero"
        ) from None
    if d.scale is not None:
        x *= d.scale.evaluate(variant.values)
    if not math.isfinite(x):
        raise DataError(f"{d.op} of {', '.join(map(str, d.refs))} is {x!r}, not a finite number")
    return float(x)


def _element(
    exercise: Exercise, ref: Ref, variant: Variant, cache: dict[str, Result | LossError]
) -> float:
    if ref.name not in cache:
        q = next(q for q in exercise.quantities if q.name == ref.name)
        try:
            cache[ref.name] = evaluate_quantity(q, variant.values)
        except LossError as error:
            cache[ref.name] = error
    result = cache[ref.name]
    if isinstance(result, LossError):
        raise result
    array = np.asarray(result)
    if len(ref.index) != array.ndim or any(
        i >= n for i, n in zip(ref.index, array.shape, strict=True)
    ):
        raise ExpressionError(
            f"{ref} does not pick one number from {ref.name}, which has shape {array.shape}"
        )
    return float(array[ref.index])


def evaluate_quantity(q: Quantity, values: Values) -> Result:
    """The loss (or gradient) of the quantity's inputs, by the same core as `compute`."""
    from losscli.core.evaluation.requests import evaluate, gradient, make_request

    params = {
        name: spec if isinstance(spec, str) else _leaf(spec, values)
        for name, spec in q.params.items()
    }
    request = make_request(
        _record(q.loss),
        params,
        space=q.space,  # type: ignore[arg-type]
        convention=q.convention,
    )
    # No targets (a triplet loss): y_true is left out of the file and passed as None.
    y_true = build(q.y_true, values) if q.y_true else None
    y_pred = build(q.y_pred, values)
    if q.kind == "grad":
        return gradient(request, y_true, y_pred, reduction=q.reduction).grads
    result = evaluate(request, y_true, y_pred, reduction=q.reduction)
    if result.value is None:
        return result.values
    return result.value


def _leaf(leaf: Leaf, values: Values) -> float:
    return leaf if isinstance(leaf, float) else leaf.evaluate(values)


def build(template: tuple[Template, ...], values: Values) -> list[object]:
    """Nested lists of numbers: a bare name of a list parameter becomes that list."""
    out: list[object] = []
    for item in template:
        if isinstance(item, tuple):
            out.append(build(item, values))
        elif isinstance(item, Expression) and isinstance(values.get(item.bare_name or ""), tuple):
            out.append(list(values[item.bare_name or ""]))  # type: ignore[arg-type]
        else:
            out.append(_leaf(item, values))
    return out


# --- slips -------------------------------------------------------------------------------
#
# A slip is a wrong answer a student plausibly gives. An exercise declares its own
# (`mistakes`); the generic ones below apply to every part automatically, computed by the
# same core: the loss under another log base, reduction, argument order or framework
# convention, and the final answer with its sign flipped or a factor 2 off. Tempting values
# (0, 1, -1, another part's answer) are slips too. `check` names the slip a wrong answer
# matches; `validate` fails when any slip would grade right.


@dataclass(frozen=True)
class Slip:
    name: str
    part: str
    value: float
    feedback: str  # filled in for this variant; empty for a bare tempting value
    tolerance: Tolerance
    kind: Literal["known", "generic", "tempting"]


# Generic slips that change one step of the computation: how a quantity is recomputed.
# Each returns the quantity's result under the slip, or None where it does not apply.
QuantitySlip = Callable[[Quantity, Result], "Result | Quantity | None"]
LN10, LN2 = math.log(10), math.log(2)


@functools.cache
def _record(name: str) -> Loss:
    from losscli.core.losses import registry

    return registry.get(name)


@functools.cache
def _loss_traits(name: str) -> tuple[bool, bool]:
    """(takes a log_base parameter, is probabilistic) for a catalog loss."""
    from losscli.core.losses import registry

    loss = registry.get(name)
    return any(p.name == "log_base" for p in loss.params), loss.properties.probabilistic


@functools.cache
def _convention_applies(convention: str, loss: str) -> bool:
    from losscli.core.conventions import covers, rule_for

    return covers(convention, loss) and not rule_for(convention, loss).same_as_catalog


def _log_base(base: str, factor: float) -> QuantitySlip:
    def apply(q: Quantity, result: Result) -> Result | Quantity | None:
        has_log_base, probabilistic = _loss_traits(q.loss)
        if has_log_base:
            current = str(q.params.get("log_base", "e"))
            if current == base:
                return None
            return replace(q, params={**q.params, "log_base": base})
        if base == "e" or not probabilistic:
            return None
        return result / factor

    return apply


def _other_reduction(q: Quantity, result: Result) -> Result | Quantity | None:
    if q.kind == "value" and q.reduction in ("mean", "sum"):
        return replace(q, reduction="sum" if q.reduction == "mean" else "mean")
    if q.kind == "grad" and q.reduction in ("mean", "sum"):
        return replace(q, reduction="sum" if q.reduction == "mean" else "mean")
    return None


def _swapped(q: Quantity, result: Result) -> Result | Quantity | None:
    if q.loss == "kl":
        direction = q.params.get("direction", "forward")
        return replace(
            q,
            params={**q.params, "direction": "reverse" if direction == "forward" else "forward"},
        )
    if q.loss in ("distribution-cross-entropy", "generalized-kl"):
        return replace(q, y_true=q.y_pred, y_pred=q.y_true)
    return None


def _convention(name: str) -> QuantitySlip:
    def apply(q: Quantity, result: Result) -> Result | Quantity | None:
        if q.convention != "catalog" or not _convention_applies(name, q.loss):
            return None
        return replace(q, convention=name)

    return apply


def _convention_feedback(name: str, losses: Iterable[str]) -> str:
    """Names the framework's convention for the losses a part uses, as that convention."""
    from losscli.core.conventions import get_convention, rule_for

    convention = get_convention(name)
    chosen = sorted(set(losses))
    what = "; ".join(
        f"{rule.function}: {rule.short}"
        for rule in (rule_for(name, loss) for loss in chosen)
        if not rule.same_as_catalog
    )
    return (
        f"That is the {convention.title} convention ({what}), a convention a framework "
        f"really uses; this exercise asks for the catalog's definition "
        f"(losscli show {chosen[0]} compares the conventions)."
    )


@functools.cache
def _quantity_slips() -> list[tuple[str, QuantitySlip, str]]:
    from losscli.core.conventions import NAMES

    slips: list[tuple[str, QuantitySlip, str]] = [
        (
            "log-base-10",
            _log_base("10", LN10),
            "That is with the base-10 logarithm; the loss uses the natural log ln "
            "(log means ln in ML code and here).",
        ),
        (
            "log-base-2",
            _log_base("2", LN2),
            "That is with the base-2 logarithm (bits); the loss uses the natural log ln.",
        ),
        (
            "natural-log",
            _log_base("e", 1.0),
            "That is with the natural log; this part asks for another base (see the prompt).",
        ),
        (
            "sum-or-mean",
            _other_reduction,
            "That is the sum over the examples where the mean is asked, or the mean where "
            "the sum is asked: check the reduction (mean = sum / n).",
        ),
        (
            "arguments-swapped",
            _swapped,
            "That has the two distributions swapped: the target P comes first and weights "
            "the terms, KL(P || Q) = sum P ln(P/Q), H(P, Q) = -sum P ln Q.",
        ),
    ]
    slips += [(f"convention-{n}", _convention(n), "") for n in NAMES if n != "catalog"]
    return slips


# Slips of the final number, whatever the loss.
VALUE_SLIPS: tuple[tuple[str, Callable[[float], float], str], ...] = (
    ("sign", lambda x: -x, "The size is right but the sign is wrong."),
    (
        "factor-half",
        lambda x: x / 2,
        "That is half the right value: a factor 2 is missing (or a 1/2 too many).",
    ),
    (
        "factor-two",
        lambda x: 2 * x,
        "That is twice the right value: a factor 1/2 is missing (or a 2 too many).",
    ),
)
TEMPTING = (0.0, 1.0, -1.0)


def _slips(
    exercise: Exercise,
    variant: Variant,
    computed: Mapping[str, Result],
    answers: Mapping[str, float],
    mistakes: list[tuple[Mistake, float]],
) -> tuple[Slip, ...]:
    found = [
        Slip(m.name, m.part, value, fill(m.feedback, exercise, variant), m.tolerance, "known")
        for m, value in mistakes
    ]
    generic: list[tuple[str, str, float, str]] = []  # part, name, value, feedback
    for name, quantity_slip, feedback in _quantity_slips():
        cache = _slipped_cache(exercise, variant, computed, quantity_slip)
        if cache is None:
            continue
        changed = {
            q.name: q.loss
            for q in exercise.quantities
            if cache.get(q.name) is not computed.get(q.name)
        }
        for part in exercise.parts:
            if not part.numeric or part.fact is not None:
                continue
            try:
                value = _derive(exercise, part.answer, variant, cache)
            except LossError:
                continue
            said = feedback
            if name.startswith("convention-"):
                used = [changed[r.name] for r in part.answer.refs if r.name in changed]
                if not used:
                    continue
                said = _convention_feedback(name.removeprefix("convention-"), used)
            generic.append((part.name, name, value, said))
    numeric = [p for p in exercise.parts if p.numeric]
    for part in numeric:
        answer = answers[part.name]
        for name, change, feedback in VALUE_SLIPS:
            generic.append((part.name, name, change(answer), feedback))
    parts = {p.name: p for p in exercise.parts}
    known: dict[str, list[float]] = {}
    for known_slip in found:
        known.setdefault(known_slip.part, []).append(known_slip.value)
    value_slips = {name for name, _, _ in VALUE_SLIPS}
    for part_name, name, value, feedback in generic:
        part = parts[part_name]
        answer = answers[part_name]
        if _same(value, answer):
            continue  # no slip here: it gives the right number
        if any(_same(v, value) for v in known.get(part_name, ())):
            continue  # the exercise names this slip in its own words
        if name in value_slips and any(_same(s.value, value) for s in found if s.part == part_name):
            continue  # a named step (PyTorch's Poisson NLL) explains it better than "sign"
        tolerance = Tolerance(MISTAKE_REL, part.tolerance.abs)
        found.append(Slip(name, part_name, value, feedback, tolerance, "generic"))
    for part in numeric:
        for value in TEMPTING:
            found.append(
                Slip(f"tempting-{value:g}", part.name, value, "", part.tolerance, "tempting")
            )
        for other in numeric:
            if other.name != part.name and not any(
                _same(v, answers[other.name]) for v in known.get(part.name, ())
            ):
                feedback = f"That is the answer to part {other.name}, not to this one."
                found.append(
                    Slip(
                        f"answer-of-{other.name}",
                        part.name,
                        answers[other.name],
                        feedback,
                        Tolerance(MISTAKE_REL, part.tolerance.abs),
                        "tempting",
                    )
                )
    return tuple(found)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=SAME, abs_tol=1e-300)


def _slipped_cache(
    exercise: Exercise, variant: Variant, computed: Mapping[str, Result], slip: QuantitySlip
) -> dict[str, Result | LossError] | None:
    """Every quantity under the slip (unchanged where it does not apply); None if it
    applies to none."""
    cache: dict[str, Result | LossError] = dict(computed)
    changed = False
    for q in exercise.quantities:
        if q.name not in computed:
            continue
        try:
            outcome = slip(q, computed[q.name])
            if outcome is None:
                continue
            if isinstance(outcome, Quantity):
                outcome = evaluate_quantity(outcome, variant.values)
        except (LossError, ArithmeticError, ValueError):
            continue
        cache[q.name] = outcome
        changed = True
    return cache if changed else None


# --- text --------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_-]*(?:\[\d+\])*)\}")


def format_value(value: Value, digits: int = 10) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(format_value(v, digits) for v in value) + ")"
    return f"{value:.{digits}g}"


def fill(text: str, exercise: Exercise, variant: Variant, worked: Worked | None = None) -> str:
    """Replace {param} (and, given `worked`, {quantity[i]} and {part}) in a text.

    Texts a student sees before answering get no `worked`, so they cannot show an answer.
    """

    def replace(match: re.Match[str]) -> str:
        name = match[1]
        if name in variant.values:
            return format_value(variant.values[name])
        if worked is not None:
            if name in worked.answers:
                part = next(p for p in exercise.parts if p.name == name)
                if part.accepts == "choice":
                    return option_label(part, int(worked.answers[name]))
                if part.accepts == "formula" and part.formula is not None:
                    return part.formula.text
                return format_value(worked.answers[name], 6)
            ref = parse_ref(name)
            if ref is not None and ref.name in {q.name for q in exercise.quantities}:
                value = _element(exercise, ref, variant, dict(worked.quantities))
                return format_value(value, 6)
        known = "parameters" if worked is None else "parameters, quantities or parts"
        raise ExpressionError(f"{{{name}}} names none of the exercise's {known}")

    def shown(match: re.Match[str]) -> str:
        value = replace(match)
        # A negative number raised to a power or after an operator reads back in the answer
        # grammar as something else (-0.5^2 is -0.25): it is shown in parentheses.
        after = match.string[match.end() : match.end() + 1]
        before = match.string[: match.start()].rstrip()[-1:]
        if value.startswith("-") and (after == "^" or before in ("-", "+", "*", "/", "^")):
            return f"({value})"
        return value

    return reflow(PLACEHOLDER.sub(shown, text))


def reflow(text: str) -> str:
    """A TOML multi-line string as paragraphs on one line each, for the terminal to wrap.

    Lines indented by two spaces (formulas, steps) keep their own line; a blank line
    separates paragraphs.
    """
    out: list[str] = []
    paragraph: list[str] = []
    for line in [*text.strip("\n").splitlines(), ""]:
        if line.strip() and not line.startswith("  "):
            paragraph.append(line.strip())
            continue
        if paragraph:
            out.append(" ".join(paragraph))
            paragraph.clear()
        if line.strip() or (out and out[-1]):
            out.append(line.rstrip())
    return "\n".join(out).strip()


# --- checking ----------------------------------------------------------------------------


def check(worked: Worked, answers: Mapping[str, float | Expression]) -> list[Verdict]:
    """A verdict for every answered part, in the exercise's order of parts."""
    exercise, variant = worked.exercise, worked.variant
    verdicts = []
    for part in exercise.parts:
        if part.name not in answers:
            continue
        given_any, answer = answers[part.name], worked.answers[part.name]
        if isinstance(given_any, Expression):
            verdicts.append(check_formula(worked, part, given_any))
            continue
        given = given_any
        if part.accepts == "choice":
            right = int(given) == int(answer)
            message = (
                fill(part.why, exercise, variant, worked)
                if right
                else _choice_feedback(part, int(given))
            )
            verdicts.append(Verdict(part.name, given, right, message))
            continue
        if part.tolerance.accepts(given, answer):
            why = fill(part.why, exercise, variant, worked)
            verdicts.append(Verdict(part.name, given, True, why, value=answer))
            continue
        candidates = [
            Candidate(slip.name, slip.value, slip.tolerance, slip.feedback)
            for slip in worked.slips
            if slip.part == part.name and slip.feedback
        ]
        found = matching_mistakes(given, answer, candidates)
        if found:
            # Two slips that give the same number are both named: either may be the one.
            message = " Or: ".join(dict.fromkeys(c.feedback for c in found))
            names = "+".join(c.name for c in found)
            verdicts.append(Verdict(part.name, given, False, message, mistake=names))
        elif part.tolerance.near:
            # Graded on the distance from the bound, and told so: "1" is not 0.995 rounded.
            near = part.tolerance.near
            off = how_far(given - near, answer - near)
            message = f"graded on the distance from {near:g}, which is {off}"
            if given == near:
                message = f"{near:g} is the limit, not the value here: give the digits that differ"
            verdicts.append(Verdict(part.name, given, False, message))
        else:
            verdicts.append(Verdict(part.name, given, False, how_far(given, answer)))
    return verdicts


# --- validation --------------------------------------------------------------------------


SEEDS = range(300)
MAX_SHOWN = 4  # variants named in one problem, then "..."
MIN_SEEDS_TO_VARY = 20
NICE_DIGITS = 6  # a number in a statement has at most this many significant digits


def problems(exercise: Exercise, seeds: Iterable[int] = SEEDS) -> list[str]:
    """Everything wrong with an exercise, each as 'key: what'; empty when it is sound.

    The textbook variant must compute, match any recorded `expected` value to 1e-9
    relative, and fill every text. In it and in every seeded variant, no slip (the
    exercise's own, the generic ones, the tempting values 0, 1, -1 and the other parts'
    answers) may grade right, every part must compute, and every drawn number must be a
    nice one. Across the variants every part must change (unless the part says its answer
    is the same in every variant).
    """
    found: list[str] = []
    try:
        worked = work(exercise, draw_variant(exercise))
    except LossError as error:
        return [str(error)]
    for part in exercise.parts:
        value = worked.answers[part.name]
        if part.expected is not None and not math.isclose(
            value, part.expected, rel_tol=1e-9, abs_tol=1e-15
        ):
            found.append(
                f"{exercise.source}: parts.{part.name}.expected: the core computes {value!r}, "
                f"not {part.expected!r}"
            )
    for m, why in worked.skipped:
        found.append(f"{exercise.source}: mistakes.{m.name}: cannot be computed: {why}")
    general = any(h.part is None for h in exercise.hints)
    for part in exercise.parts:
        if not general and not any(h.part == part.name for h in exercise.hints):
            found.append(
                f"{exercise.source}: parts.{part.name}: has no hint (add one with "
                f'part = "{part.name}", or a hint for the whole exercise)'
            )
    found.extend(_text_problems(exercise, worked))
    found.extend(_variant_problems(exercise, worked, list(seeds)))
    found.extend(_formula_problems(exercise, list(seeds)))
    return found


def _variant_problems(exercise: Exercise, textbook: Worked, seeds: list[int]) -> list[str]:
    # (part, slip name) -> the variants where it grades right, with its value in the first
    graded_right: dict[tuple[str, str], list[tuple[str, float]]] = {}
    answers: dict[str, set[float]] = {p.name: set() for p in exercise.parts}
    ugly: dict[str, tuple[str, float]] = {}
    failed: list[str] = []
    total = 0
    shown = _shown_names(exercise)
    for seed in [None, *seeds]:
        label = "default" if seed is None else f"seed {seed}"
        try:
            worked = textbook if seed is None else work_variant(exercise, seed)
        except LossError as error:
            failed.append(f"{label}: {error}")
            continue
        total += 1
        for part in exercise.parts:
            answers[part.name].add(worked.answers[part.name])
        for slip in degenerate(worked):
            graded_right.setdefault((slip.part, slip.name), []).append((label, slip.value))
        for name, value in worked.variant.values.items():
            if name in shown and name not in ugly:
                for x in value if isinstance(value, tuple) else (value,):
                    if float(f"{x:.{NICE_DIGITS}g}") != x:
                        ugly[name] = (label, x)
                        break
    out = [f"{exercise.source}: {f}" for f in failed[:MAX_SHOWN]]
    if len(failed) > MAX_SHOWN:
        out.append(f"{exercise.source}: ... {len(failed)} variants in all cannot be computed")
    pairs: set[frozenset[str]] = set()
    for (part_name, name), where in graded_right.items():
        labels = [label for label, _ in where]
        listed = ", ".join(labels[:MAX_SHOWN]) + (", ..." if len(labels) > MAX_SHOWN else "")
        value = where[0][1]
        if name.startswith("answer-of-"):
            other = name.removeprefix("answer-of-")
            pair = frozenset((part_name, other))
            if pair in pairs:
                continue  # the same two parts, named once
            pairs.add(pair)
            what = f"parts {part_name} and {other} have equal answers"
        elif name.startswith("tempting-"):
            what = f"parts.{part_name}: the tempting value {value:g} grades right"
        else:
            kind = "slip" if any(m.name == name for m in exercise.mistakes) else "generic slip"
            what = f"parts.{part_name}: the {kind} {name} ({value:.6g}) grades right"
        draw = " (a degenerate draw)" if "default" not in labels else ""
        out.append(
            f"{exercise.source}: {what} in {len(labels)} of {total} variants{draw}: {listed}"
        )
    for name, (label, x) in ugly.items():
        out.append(
            f"{exercise.source}: params.{name}: {label} puts {x!r} in the statement: draw "
            f"numbers of at most {NICE_DIGITS} significant digits"
        )
    # Only over enough variants: with three seeds a part can repeat by chance.
    if len(seeds) >= MIN_SEEDS_TO_VARY and total > 1:
        for part in exercise.parts:
            if part.constant or not part.numeric or part.fact is not None:
                continue
            values = sorted(answers[part.name])
            if math.isclose(values[0], values[-1], rel_tol=1e-12, abs_tol=1e-300):
                out.append(
                    f"{exercise.source}: parts.{part.name}: the same answer {values[0]:.6g} in "
                    "every variant: draw parameters that change it (or declare "
                    "same_in_every_variant = true when that is the point)"
                )
    return out


def _shown_names(exercise: Exercise) -> set[str]:
    """The parameters a student sees: drawn ones, and formulas named in a statement."""
    texts = [
        exercise.prompt,
        *(p.prompt for p in exercise.parts),
        *(h.text for h in exercise.hints),
    ]
    named = {m[1] for text in texts for m in PLACEHOLDER.finditer(text)}
    return {p.name for p in exercise.params if p.draw.kind != "formula" or p.name in named}


def _text_problems(exercise: Exercise, worked: Worked) -> list[str]:
    variant = worked.variant
    before = [("prompt", exercise.prompt)]
    before += [(f"parts.{p.name}.prompt", p.prompt) for p in exercise.parts]
    before += [(f"hints[{i}]", h.text) for i, h in enumerate(exercise.hints)]
    before += [(f"mistakes.{m.name}.feedback", m.feedback) for m in exercise.mistakes]
    after = [(f"parts.{p.name}.why", p.why) for p in exercise.parts]
    after += [("solution", exercise.solution)]
    found = []
    for texts, given in ((before, None), (after, worked)):
        for key, text in texts:
            try:
                fill(text, exercise, variant, given)
            except LossError as error:
                found.append(f"{exercise.source}: {key}: {error}")
    return found


def unlocked_hints(
    exercise: Exercise, attempts: int, part_attempts: Mapping[str, int]
) -> list[Hint]:
    """The hints a variant's attempts unlock: a general hint by the variant's attempts, a
    part's hint by the attempts on that part."""
    return [
        h
        for h in exercise.hints
        if h.after <= (attempts if h.part is None else part_attempts.get(h.part, 0))
    ]


# --- facts, choices and formulas -----------------------------------------------------------

TRUE_FALSE = ("true", "false")


def fact_answer(exercise: Exercise, part: Part) -> float:
    """A choice's index (true/false: 0 for true), or a number, read from the catalog."""
    from losscli.core.advice import recommend
    from losscli.core.losses import registry

    fact = part.fact
    assert fact is not None
    try:
        if fact.recommend:
            top = recommend.recommend(recommend.from_facts(**dict(fact.recommend)))[0]  # type: ignore[arg-type]
            if fact.param is not None:
                value = top.params.get(fact.param)
                if not isinstance(value, (int, float)):
                    raise exercise.error(
                        f"parts.{part.name}.answer",
                        f"recommend gives {top.loss} no numeric parameter {fact.param!r}",
                    )
                return float(value)
            return float(_option_index(exercise, part, top.loss))
        assert fact.property is not None
        if fact.loss is not None:  # true or false: does this loss have the property?
            has = bool(getattr(registry.get(fact.loss).properties, fact.property))
            return 0.0 if has else 1.0
        having = [
            i
            for i, option in enumerate(part.options)
            if getattr(registry.get(option).properties, fact.property)
        ]
    except LossError as error:
        raise exercise.error(f"parts.{part.name}.answer", str(error)) from None
    if len(having) != 1:
        shown = ", ".join(part.options[i] for i in having) or "none"
        raise exercise.error(
            f"parts.{part.name}.answer",
            f"exactly one option must be {fact.property}; the catalog says: {shown}",
        )
    return float(having[0])


def _option_index(exercise: Exercise, part: Part, loss: str) -> int:
    from losscli.core.losses import registry

    names = [registry.get(o).name for o in part.options]
    if loss not in names:
        raise exercise.error(
            f"parts.{part.name}.options",
            f"recommend's first choice {loss} is not among the options",
        )
    return names.index(loss)


def option_label(part: Part, index: int) -> str:
    if part.options == TRUE_FALSE:
        return part.options[index]
    return f"{chr(65 + index)}) {part.options[index]}"


POINTS = 40  # where a formula is compared (WeBWorK checks a handful of random points)


def formula_points(exercise: Exercise, variant: Variant, part: Part) -> list[dict[str, float]]:
    """The random points of the part's domain where formulas are compared: the same for
    the same exercise, variant and part."""
    rng = random.Random(f"{exercise.id}@{variant.key}/{part.name}")
    points = []
    for _ in range(POINTS):
        point: dict[str, float] = {}
        for name, domain in part.domain.items():
            if domain.choices:
                point[name] = rng.choice(domain.choices)
            else:
                point[name] = _tidy(rng.uniform(domain.low, domain.high))
        points.append(point)
    return points


def _formula_values(
    expression: Expression, values: Values, points: list[dict[str, float]]
) -> list[float | None]:
    out: list[float | None] = []
    for point in points:
        try:
            out.append(expression.evaluate({**values, **point}))
        except ExpressionError:
            out.append(None)
    return out


def check_formula(worked: Worked, part: Part, given: Expression) -> Verdict:
    """WeBWorK's method: the student's formula and the reference at random points."""
    assert part.formula is not None
    exercise, variant = worked.exercise, worked.variant
    points = formula_points(exercise, variant, part)
    want = _formula_values(part.formula, variant.values, points)
    got = _formula_values(given, variant.values, points)
    tolerance = Tolerance(1e-6, 1e-9)
    agree = [
        w is not None and g is not None and tolerance.accepts(g, w)
        for w, g in zip(want, got, strict=True)
    ]
    if all(agree):
        why = fill(part.why, exercise, variant, worked)
        return Verdict(part.name, math.nan, True, why, value=None)

    def at(i: int) -> str:
        return ", ".join(f"{k} = {format_value(v, 6)}" for k, v in points[i].items())

    first_wrong = agree.index(False)
    undefined = [
        i for i, (w, g) in enumerate(zip(want, got, strict=True)) if g is None and w is not None
    ]
    if undefined:
        message = f"your formula cannot be computed at {at(undefined[0])}, where the answer can"
        return Verdict(part.name, math.nan, False, message)
    for m in exercise.mistakes:
        if m.part == part.name and m.formula is not None:
            slip = _formula_values(m.formula, variant.values, points)
            if all(
                s is not None and g is not None and tolerance.accepts(g, s)
                for s, g in zip(slip, got, strict=True)
            ):
                message = fill(m.feedback, exercise, variant)
                return Verdict(part.name, math.nan, False, message, mistake=m.name)
    ratios = {
        round(g / w, 9)
        for w, g in zip(want, got, strict=True)
        if w is not None and g is not None and abs(w) > 1e-12
    }
    if len(ratios) == 1 and all(
        w is not None and (abs(w) > 1e-12 or (g is not None and abs(g) <= 1e-9))
        for w, g in zip(want, got, strict=True)
    ):
        factor = ratios.pop()
        if factor == -1:
            return Verdict(part.name, math.nan, False, "right except for the sign", "sign")
        return Verdict(
            part.name,
            math.nan,
            False,
            f"off by a constant factor: yours is {factor:g} times the answer everywhere",
            mistake="factor",
        )
    if sum(agree) >= len(agree) / 4:
        return Verdict(
            part.name,
            math.nan,
            False,
            f"right at some points but not at {at(first_wrong)}: check each case (both sides "
            "of a kink of max, clip or abs, each branch of a case split, each label value)",
            mistake="kink",
        )
    return Verdict(
        part.name, math.nan, False, f"not the same function: it differs at {at(first_wrong)}"
    )


def _formula_problems(exercise: Exercise, seeds: list[int]) -> list[str]:
    """A formula part's reference must equal the core's quantity at its random points; its
    known slips must differ from it somewhere."""
    found = []
    for part in exercise.parts:
        if part.accepts != "formula" or part.formula is None:
            continue
        key = f"{exercise.source}: parts.{part.name}.formula"
        for seed in [None, *seeds[:20]]:
            variant = draw_variant(exercise, seed)
            points = formula_points(exercise, variant, part)
            want = _formula_values(part.formula, variant.values, points)
            for point, value in zip(points, want, strict=True):
                values = {**variant.values, **point}
                try:
                    core = _derive(exercise, part.answer, Variant(seed, values), {})
                except LossError as error:
                    found.append(f"{key}: the core cannot compute it at {point}: {error}")
                    return found
                if value is None or not math.isclose(value, core, rel_tol=1e-9, abs_tol=1e-12):
                    found.append(
                        f"{key}: {part.formula.text} gives {value!r} at {point}, the core "
                        f"computes {core!r}"
                    )
                    return found
            for m in exercise.mistakes:
                if m.part == part.name and m.formula is not None:
                    slip = _formula_values(m.formula, variant.values, points)
                    if slip == want:
                        found.append(
                            f"{exercise.source}: mistakes.{m.name}: equals the answer at every "
                            "point: it would grade right"
                        )
                        return found
    return found


def _choice_feedback(part: Part, index: int) -> str:
    """Why a wrong option is wrong, from the same source as the answer: never the answer."""
    fact = part.fact
    label = option_label(part, index)
    if fact is not None and fact.property is not None and fact.loss is None:
        return (
            f"not {label}: the comparison table does not mark {part.options[index]} "
            f"{fact.property} (losscli show {part.options[index]} says why)"
        )
    if fact is not None and fact.loss is not None:
        return f"not {label}: losscli show {fact.loss} lists its properties with the reasons"
    if fact is not None and fact.recommend:
        return f"not {label}: losscli recommend with the same facts ranks another loss first"
    return f"not {label}"
