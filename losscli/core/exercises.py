"""Exercises: the model, variants, and answers computed by the core that `compute` uses.

An exercise has parameters (textbook defaults, and how a seeded variant draws new ones),
named quantities (a loss or its gradient, evaluated by `evaluate`/`gradient` on inputs built
from the parameters), parts whose answers derive from those quantities by a small declared
set of operations (OPS, optionally times a `scale` formula), known mistakes derived the same
way, hints, and a worked solution. There is never a bare answer key.

No file access here: losscli.inputs.exercises reads the TOML files into these records.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

import numpy as np

from losscli.core.errors import DataError, LossError
from losscli.core.expressions import Expression, ExpressionError
from losscli.core.grading import Candidate, Tolerance, Verdict, how_far, matching_mistake

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
class Part:
    name: str
    prompt: str
    answer: Derived
    why: str
    tolerance: Tolerance = field(default_factory=Tolerance)
    accepts: Literal["expression", "number"] = "expression"
    expected: float | None = None  # the default variant's value, as a cross-check

    def accepts_text(self) -> str:
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


@dataclass(frozen=True)
class Hint:
    after: int  # graded attempts that unlock it
    text: str


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


def draw_variant(exercise: Exercise, seed: int | None = None) -> Variant:
    """The textbook numbers (seed None) or a reproducible variant drawn from `seed`."""
    rng = random.Random(f"{exercise.id}@{seed}") if seed is not None else None
    values: dict[str, Value] = {}
    for p in exercise.params:
        if p.draw.kind == "formula":
            assert p.draw.formula is not None
            try:
                values[p.name] = p.draw.formula.evaluate(values)
            except ExpressionError as error:
                raise exercise.error(f"params.{p.name}", str(error)) from None
        elif rng is None or p.draw.kind == "fixed":
            assert p.default is not None
            values[p.name] = p.default
        else:
            values[p.name] = _draw(p, rng)
    return Variant(seed, values)


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


def work(exercise: Exercise, variant: Variant) -> Worked:
    """Compute every part with the core. A part that fails is an error in the exercise; a
    mistake that fails (a wrong class index past the last class) just does not apply."""
    cache: dict[str, Result | LossError] = {}
    answers = {
        part.name: _derive_or_raise(exercise, part.answer, variant, cache, f"parts.{part.name}")
        for part in exercise.parts
    }
    mistakes, skipped = [], []
    for m in exercise.mistakes:
        try:
            mistakes.append((m, _derive(exercise, m.answer, variant, cache)))
        except LossError as error:
            skipped.append((m, str(error)))
    computed = {k: v for k, v in cache.items() if not isinstance(v, LossError)}
    return Worked(exercise, variant, computed, answers, tuple(mistakes), tuple(skipped))


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
    from losscli.core.evaluation import evaluate, gradient, make_request

    params = {
        name: spec if isinstance(spec, str) else _leaf(spec, values)
        for name, spec in q.params.items()
    }
    request = make_request(q.loss, params, space=q.space)  # type: ignore[arg-type]
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
                return format_value(worked.answers[name], 6)
            ref = parse_ref(name)
            if ref is not None and ref.name in {q.name for q in exercise.quantities}:
                value = _element(exercise, ref, variant, dict(worked.quantities))
                return format_value(value, 6)
        known = "parameters" if worked is None else "parameters, quantities or parts"
        raise ExpressionError(f"{{{name}}} names none of the exercise's {known}")

    return reflow(PLACEHOLDER.sub(replace, text))


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


def check(worked: Worked, answers: Mapping[str, float]) -> list[Verdict]:
    """A verdict for every answered part, in the exercise's order of parts."""
    exercise, variant = worked.exercise, worked.variant
    verdicts = []
    for part in exercise.parts:
        if part.name not in answers:
            continue
        given, answer = answers[part.name], worked.answers[part.name]
        if part.tolerance.accepts(given, answer):
            why = fill(part.why, exercise, variant, worked)
            verdicts.append(Verdict(part.name, given, True, why, value=answer))
            continue
        candidates = [
            Candidate(m.name, value, m.tolerance)
            for m, value in worked.mistakes
            if m.part == part.name and not part.tolerance.accepts(value, answer)
        ]
        found = matching_mistake(given, answer, candidates)
        if found is not None:
            mistake = next(m for m, _ in worked.mistakes if m.name == found.name)
            message = fill(mistake.feedback, exercise, variant)
            verdicts.append(Verdict(part.name, given, False, message, mistake=found.name))
        else:
            verdicts.append(Verdict(part.name, given, False, how_far(given, answer)))
    return verdicts


# --- validation --------------------------------------------------------------------------


def problems(exercise: Exercise, seeds: Iterable[int] = range(21)) -> list[str]:
    """Everything wrong with an exercise, each as 'key: what'; empty when it is sound.

    The default variant must compute, match any recorded `expected` values, fill every
    text, and keep each known mistake distinct from the right answer; each seeded variant
    must compute every part.
    """
    found: list[str] = []
    try:
        worked = work(exercise, draw_variant(exercise))
    except LossError as error:
        return [str(error)]
    for part in exercise.parts:
        value = worked.answers[part.name]
        if part.expected is not None and not math.isclose(
            value, part.expected, rel_tol=1e-5, abs_tol=1e-12
        ):
            found.append(
                f"{exercise.source}: parts.{part.name}.expected: the core computes {value!r}, "
                f"not {part.expected!r}"
            )
    for m, why in worked.skipped:
        found.append(f"{exercise.source}: mistakes.{m.name}: cannot be computed: {why}")
    for m, value in worked.mistakes:
        if exercise.part(m.part).tolerance.accepts(value, worked.answers[m.part]):
            found.append(
                f"{exercise.source}: mistakes.{m.name}: its value {value:.6g} would pass "
                "as the right answer"
            )
    found.extend(_text_problems(exercise, worked))
    for seed in seeds:
        try:
            work(exercise, draw_variant(exercise, seed))
        except LossError as error:
            found.append(f"seed {seed}: {error}")
    return found


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
