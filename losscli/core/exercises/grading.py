"""Tolerance checking and feedback for one numeric answer: right, a known mistake, or off.

The feedback for a wrong answer never reveals the answer: it names a known mistake when the
answer matches one, and otherwise says only in which direction the answer is off and, in
coarse steps, by how much (within 1%, within 10%, ... or a rough factor).

Mistakes are matched more loosely than answers (by default within 5% instead of 0.5%):
a student who took log base 10 and rounded, `0.155` for -log10(0.7) = 0.15490, should hear
about the logarithm, not about rounding. A mistake's window never reaches past half the way
to the right answer, so a near-miss is never blamed on a mistake that lies beyond it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Three significant figures pass: rounding to 3 figures is off by at most 0.5%.
DEFAULT_REL = 5e-3
DEFAULT_ABS = 1e-9
# A known mistake, rounded to 2 significant figures, is within 5% of its exact value.
MISTAKE_REL = 5e-2
# Two slips closer than this (relative) give the same number: both are named.
SAME = 1e-6


@dataclass(frozen=True)
class Tolerance:
    """|given - target| <= max(rel * |target - near|, abs), or N significant figures.

    `near` grades what varies: a share close to 1 with near = 1 is judged on 1 - share, so
    the slip "1" is not accepted as 0.997 rounded. `sigfigs` (PrairieLearn's sigfig mode)
    accepts any correct rounding of the target to that many significant figures, and
    nothing coarser.
    """

    rel: float = DEFAULT_REL
    abs: float = DEFAULT_ABS
    near: float = 0.0
    sigfigs: int | None = None

    def window(self, target: float) -> float:
        if self.sigfigs is not None and target != 0:
            unit = 10.0 ** (math.floor(math.log10(abs(target))) - self.sigfigs + 1)
            return unit / 2 * (1 + 1e-9)  # a correct rounding is within half a unit
        return max(self.rel * abs(target - self.near), self.abs)

    def accepts(self, given: float, target: float) -> bool:
        return abs(given - target) <= self.window(target)

    def describe(self) -> str:
        if self.sigfigs is not None:
            return f"to {self.sigfigs} significant figures"
        rel = f"{self.rel * 100:g}%"
        if self.near:
            return f"within {rel} of its distance from {self.near:g}"
        return f"within {rel} (or {self.abs:g})" if self.abs >= 1e-6 else f"within {rel}"


@dataclass(frozen=True)
class Candidate:
    """A known mistake's value in this variant, with its name and matching tolerance."""

    name: str
    value: float
    tolerance: Tolerance
    feedback: str = ""


@dataclass(frozen=True)
class Verdict:
    """The outcome for one part. `value` (the exact answer) is set only when it was right."""

    part: str
    given: float
    right: bool
    message: str
    mistake: str | None = None
    value: float | None = None


def matching_mistakes(
    given: float, answer: float, candidates: Sequence[Candidate]
) -> list[Candidate]:
    """The known mistake closest to `given` whose window contains it, with every other
    mistake that gives the same number; empty if none matches.

    A mistake within the answer's own tolerance is never a candidate (the caller drops it),
    and a mistake's window never reaches past half the way to the right answer.
    """
    best: tuple[float, Candidate] | None = None
    for candidate in candidates:
        gap = abs(candidate.value - answer)
        window = min(candidate.tolerance.window(candidate.value), gap / 2)
        distance = abs(given - candidate.value)
        if distance <= window and (best is None or distance < best[0]):
            best = (distance, candidate)
    if best is None:
        return []
    value = best[1].value
    return [c for c in candidates if math.isclose(c.value, value, rel_tol=SAME, abs_tol=0)]


def matching_mistake(
    given: float, answer: float, candidates: Sequence[Candidate]
) -> Candidate | None:
    """The closest matching known mistake, if any (see matching_mistakes)."""
    found = matching_mistakes(given, answer, candidates)
    return found[0] if found else None


def how_far(given: float, answer: float) -> str:
    """Direction and rough size of the error, never precise enough to recover the answer.

    The size is compared in log space, so an answer of exp(709) or 5e-324 gets its
    "about 1e+300 times too large" like any other instead of overflowing a ratio.
    """
    if answer == 0:
        return "too high" if given > 0 else "too low"
    if given == 0:
        return "too low" if answer > 0 else "too high"
    if (given > 0) != (answer > 0):
        return "wrong sign"
    # log10 of |given| / |answer|: both are finite and non-zero, so this is finite.
    log_ratio = math.log10(abs(given)) - math.log10(abs(answer))
    high = log_ratio > 0  # larger in size than the answer
    # A negative answer is judged by its size: "too high" for -0.04 against -0.2 would
    # contradict "5 times too small".
    if answer > 0:
        direction = "too high" if high else "too low"
    else:
        direction = "too large in size" if high else "too small in size"
    ratio = 10**log_ratio if abs(log_ratio) < 300 else (math.inf if high else 0.0)
    off = ratio - 1 if high else 1 - ratio
    if off < 0.01:
        digits = "" if _is_round(answer) else ": keep more digits"
        return f"close, but {direction} by less than 1%{digits}"
    if off < 0.1:
        return f"{direction} by less than 10%"
    if high and ratio <= 2:
        return f"{direction} by 10% to 100%"
    if not high and ratio >= 0.5:
        return f"{direction} by 10% to 50%"
    factor = _one_figure(abs(log_ratio))
    if answer > 0:
        return f"{direction}: about {factor} times too {'large' if high else 'small'}"
    return f"about {factor} times {direction}"


def _is_round(answer: float) -> bool:
    """True for an answer with at most 3 significant figures (4, 0.125, 9.5): more digits
    would not help a student who is 1% off such a number."""
    return math.isclose(float(f"{answer:.3g}"), answer, rel_tol=1e-12)


def _one_figure(log10_factor: float) -> str:
    """10**log10_factor rounded to one significant figure: log10(3.7) -> '4', 470 -> '500'."""
    exponent = math.floor(log10_factor)
    leading = round(10 ** (log10_factor - exponent))
    if leading == 10:
        leading, exponent = 1, exponent + 1
    if exponent < 6:
        return f"{leading * 10**exponent:g}"
    return f"{leading}e+{exponent:02d}"
