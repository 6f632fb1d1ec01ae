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


@dataclass(frozen=True)
class Tolerance:
    """|given - target| <= max(rel * |target|, abs)."""

    rel: float = DEFAULT_REL
    abs: float = DEFAULT_ABS

    def window(self, target: float) -> float:
        return max(self.rel * abs(target), self.abs)

    def accepts(self, given: float, target: float) -> bool:
        return abs(given - target) <= self.window(target)

    def describe(self) -> str:
        rel = f"{self.rel * 100:g}%"
        return f"within {rel} (or {self.abs:g})" if self.abs >= 1e-6 else f"within {rel}"


@dataclass(frozen=True)
class Candidate:
    """A known mistake's value in this variant, with its name and matching tolerance."""

    name: str
    value: float
    tolerance: Tolerance


@dataclass(frozen=True)
class Verdict:
    """The outcome for one part. `value` (the exact answer) is set only when it was right."""

    part: str
    given: float
    right: bool
    message: str
    mistake: str | None = None
    value: float | None = None


def matching_mistake(
    given: float, answer: float, candidates: Sequence[Candidate]
) -> Candidate | None:
    """The known mistake closest to `given` whose window contains it, if any."""
    best: tuple[float, Candidate] | None = None
    for candidate in candidates:
        gap = abs(candidate.value - answer)
        window = min(candidate.tolerance.window(candidate.value), gap / 2)
        distance = abs(given - candidate.value)
        if distance <= window and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None


def how_far(given: float, answer: float) -> str:
    """Direction and rough size of the error, never precise enough to recover the answer."""
    if answer == 0:
        return "too high" if given > 0 else "too low"
    if given == 0:
        return "too low" if answer > 0 else "too high"
    if (given > 0) != (answer > 0):
        return "wrong sign"
    ratio = given / answer
    high = ratio > 1  # larger in size than the answer
    direction = "too high" if given > answer else "too low"
    off = ratio - 1 if high else 1 - ratio
    if off < 0.01:
        return f"close, but {direction} by less than 1%: keep more digits"
    if off < 0.1:
        return f"{direction} by less than 10%"
    if high and ratio <= 2:
        return f"{direction} by 10% to 100%"
    if not high and ratio >= 0.5:
        return f"{direction} by 10% to 50%"
    factor = ratio if high else 1 / ratio
    size = "" if answer > 0 else " in size"
    return (
        f"{direction}: about {_one_figure(factor)} times too {'large' if high else 'small'}{size}"
    )


def _one_figure(x: float) -> str:
    """x rounded to one significant figure: 3.7 -> '4', 470 -> '500'."""
    exponent = math.floor(math.log10(x))
    rounded = round(x / 10**exponent) * 10**exponent
    return f"{rounded:g}" if rounded < 1e6 else f"{rounded:.0e}"
