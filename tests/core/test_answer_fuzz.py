"""Fuzzing the answer parser (issue 18): whatever a student types, `answer_value` returns a
finite float or raises ExpressionError, quickly. Bounded and deterministic: Hypothesis runs
derandomized with a fixed number of examples, so CI sees the same inputs every time."""

from __future__ import annotations

import math
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losscli.core.exercises.expressions import ExpressionError, answer_value, parse

FUZZ = settings(
    derandomize=True,
    max_examples=400,
    deadline=None,  # the time bound is asserted per input below, not by Hypothesis
    suppress_health_check=[HealthCheck.too_slow],
)
# Every character the parser reads, the spellings it translates, and some it must refuse.
ALPHABET = "0123456789.eE+-*/^()  _abcdefghilnopqrstxyzLNPI−×÷π,;[]'\"=<>!@#\\\x1b\n"
ATOMS = ["1", "0", "2", "0.5", "1e308", "1e-310", "5e-324", "e", "pi", "x", "709", "1e999"]
FUNCS = ["ln", "log", "log2", "log10", "exp", "sqrt", "abs", "sigmoid", "LN", "Exp"]
OPS = ["+", "-", "*", "/", "^", "**"]


def _expressions() -> st.SearchStrategy[str]:
    atom = st.sampled_from(ATOMS)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(OPS), inner).map(lambda t: f"{t[0]}{t[1]}{t[2]}"),
            st.tuples(st.sampled_from(FUNCS), inner).map(lambda t: f"{t[0]}({t[1]})"),
            inner.map(lambda s: f"-({s})"),
            inner.map(lambda s: f"({s})"),
        )

    return st.recursive(atom, extend, max_leaves=30)


def _answer_or_refusal(text: str) -> None:
    start = time.perf_counter()
    try:
        value = answer_value(text)
    except ExpressionError as error:
        assert str(error) and "\n" not in str(error)
    else:
        assert isinstance(value, float) and math.isfinite(value)
    try:
        answer_value(text, plain_number=True)
    except ExpressionError:
        pass
    assert time.perf_counter() - start < 0.5, f"{text!r} took too long"


@FUZZ
@given(st.text(alphabet=ALPHABET, max_size=80))
def test_any_typed_text_is_answered_or_refused(text):
    _answer_or_refusal(text)


@FUZZ
@given(_expressions())
def test_well_formed_expressions_compute_or_refuse(text):
    _answer_or_refusal(text)


@FUZZ
@given(st.text(max_size=60))
def test_any_unicode_is_answered_or_refused(text):
    _answer_or_refusal(text)


@FUZZ
@given(_expressions())
def test_formulas_with_variables_compute_or_refuse(text):
    # The same parser reads exercise formulas with parameter names.
    try:
        expression = parse(text, names=frozenset({"x"}))
        value = expression.evaluate({"x": 0.7})
    except ExpressionError:
        return
    assert math.isfinite(value)
