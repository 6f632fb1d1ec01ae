"""Tolerances, mistake matching and the feedback for a wrong answer."""

from __future__ import annotations

import math

import pytest

from losscli.core.exercises.grading import Candidate, Tolerance, how_far, matching_mistake


def test_tolerance_is_relative_to_the_answer_with_an_absolute_floor():
    t = Tolerance(rel=5e-3, abs=1e-9)
    assert t.accepts(0.357, -math.log(0.7))  # three significant figures pass
    assert not t.accepts(0.36, -math.log(0.7))
    assert t.accepts(1e-10, 0.0) and not t.accepts(1e-8, 0.0)
    assert t.describe() == "within 0.5%"
    assert Tolerance(rel=0.01, abs=0.001).describe() == "within 1% (or 0.001)"


LOG10 = Candidate("log10", -math.log10(0.7), Tolerance(rel=0.05))


def test_log10_rounded_is_recognised():
    answer = -math.log(0.7)
    assert matching_mistake(0.155, answer, [LOG10]) is LOG10
    assert matching_mistake(0.15, answer, [LOG10]) is LOG10  # 2 figures, 3% off
    assert matching_mistake(0.2, answer, [LOG10]) is None


def test_closest_mistake_wins():
    near = Candidate("near", 1.0, Tolerance(rel=0.05))
    nearer = Candidate("nearer", 1.04, Tolerance(rel=0.05))
    assert matching_mistake(1.03, 10.0, [near, nearer]) is nearer


def test_a_mistake_never_claims_answers_closer_to_the_right_one():
    # The mistake is 2% from the answer: its window shrinks to 1%, half the gap.
    mistake = Candidate("m", 1.02, Tolerance(rel=0.05))
    assert matching_mistake(1.012, 1.0, [mistake]) is mistake
    assert matching_mistake(1.008, 1.0, [mistake]) is None


@pytest.mark.parametrize(
    ("given", "answer", "expected"),
    [
        (0.36, 0.356675, "close, but too high by less than 1%: keep more digits"),
        (0.35, 0.356675, "too low by less than 10%"),
        (0.4, 0.356675, "too high by 10% to 100%"),
        (0.2, 0.356675, "too low by 10% to 50%"),
        (3.0, 0.356675, "too high: about 8 times too large"),
        (0.0001, 0.356675, "too low: about 4000 times too small"),
        (-0.356675, 0.356675, "wrong sign"),
        (0.0, 0.356675, "too low"),
        (0.1, 0.0, "too high"),
        (-0.1, 0.0, "too low"),
        (-2.0, -0.2, "about 10 times too large in size"),
        (-0.04, -0.2, "about 5 times too small in size"),
        (-0.19, -0.2, "too small in size by less than 10%"),
        (0.1255, 0.125, "close, but too high by less than 1%"),  # a round answer
        # Issue 18: answers at the ends of float64 are graded, not crashed on.
        (math.exp(709), 0.356675, "too high: about 2e+308 times too large"),
        (1e-310, 0.356675, "too low: about 4e+309 times too small"),
        (5e-324, 0.356675, "too low: about 7e+322 times too small"),
        (-5e-324, -1e308, "about 2e+631 times too small in size"),
    ],
)
def test_how_far(given, answer, expected):
    assert how_far(given, answer) == expected


def test_how_far_never_pins_the_answer_down():
    # Whatever the answer, the message is one of a few coarse buckets.
    messages = {how_far(g, 1.0) for g in (1.001, 1.002, 1.005, 1.009)}
    assert len(messages) == 1
