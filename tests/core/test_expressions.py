"""The safe expression parser: what answers may say, and hostile input refused quickly."""

from __future__ import annotations

import math
import time

import pytest

from losscli.core.errors import UsageError
from losscli.core.exercises.expressions import ExpressionError, answer_value, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.356675", 0.356675),
        ("-ln(0.7)", -math.log(0.7)),
        ("1/3", 1 / 3),
        ("2^-3", 0.125),
        ("2**-3", 0.125),
        ("0.5*2^2", 2.0),
        ("e^-1", math.exp(-1)),
        ("sqrt(2)/2", math.sqrt(2) / 2),
        ("\u2212ln(0.7)", -math.log(0.7)),  # Unicode minus
        ("3 \u00d7 2 \u00f7 4", 1.5),  # times and divide signs
        ("-log(0.7)", -math.log(0.7)),  # log is the natural log
        ("log2(8)", 3.0),
        ("log10(1000)", 3.0),
        ("exp(0)", 1.0),
        ("abs(-2)", 2.0),
        ("pi", math.pi),
        ("2 pi".replace(" ", "*"), 2 * math.pi),
        ("LN(0.7)", math.log(0.7)),  # case folded for people typing
        ("1e-3", 1e-3),
        ("+4", 4.0),
        ("-2^2", -4.0),  # power binds tighter than unary minus, as in mathematics
        ("2^3^2", 512.0),  # and is right-associative
        ("  0.25  ", 0.25),
        ("(((1)))", 1.0),
    ],
)
def test_accepted_answers(text, expected):
    assert answer_value(text) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("__import__('os')", "unexpected character"),
        ("__import__", "unknown name"),
        ("(1).real", "attribute access"),
        ("a.b", "attribute access"),
        ("x", "unknown name 'x'"),
        ("ln", "ln is a function"),
        ("ln(1, 2)", "ln() takes one argument"),
        ("(1, 2)", "a list of numbers is not allowed"),
        ("ln(x=1)", "unexpected character '='"),
        ("2ln(2)", "not a valid expression"),
        ("1 +", "not a valid expression"),
        ("", "empty"),
        ("True", "non-number"),
        ("1j", "non-number"),
        ("[1]", "unexpected character '['"),
        ("1 < 2", "unexpected character '<'"),
        ("lambda: 1", "unexpected character ':'"),
        ("1 // 2", "only the operators"),
        ("1 % 2", "unexpected character '%'"),
        ("not 1", "only the operators"),
        ("1 and 2", "only the operators"),
        ("1/0", "division by zero"),
        ("ln(0)", "domain"),
        ("sqrt(-1)", "domain"),
        ("(-8)^(1/3)", "domain"),
        ("1e999", "too large"),
        ("exp(1000)", "too large"),
        ("1e308 * 10", "too large"),
        ("10**10**10", "too large"),
        ("9" * 400, "too large"),
        ("nan", "unknown name"),
        ("inf", "unknown name"),
        ("abs", "abs is a function"),
        ("\x00", "unexpected character"),
    ],
)
def test_rejected_answers(text, fragment):
    with pytest.raises(ExpressionError) as caught:
        answer_value(text)
    assert fragment in str(caught.value)
    assert isinstance(caught.value, UsageError)  # exit 2, not a wrong answer


@pytest.mark.parametrize(
    "text",
    [
        "(" * 10_000 + "1" + ")" * 10_000,
        "-" * 10_000 + "1",
        "1" + "+1" * 500_000,
        "1" * 1_000_000,
        "2**" * 30 + "2",
        "(" * 33 + "1" + ")" * 33,
        "-" * 100 + "1",
    ],
    ids=["nested-parens", "unary-chain", "1MB-sum", "1MB-number", "tower", "33-deep", "100-minus"],
)
def test_hostile_input_is_refused_quickly(text):
    start = time.perf_counter()
    with pytest.raises(ExpressionError):
        answer_value(text)
    assert time.perf_counter() - start < 0.5


def test_plain_number_answers():
    assert answer_value("0.155", plain_number=True) == 0.155
    assert answer_value("-1.5e-3", plain_number=True) == -1.5e-3
    assert answer_value("\u22120.5", plain_number=True) == -0.5
    for text in ("1/3", "-ln(0.7)", "e", "1e999", ""):
        with pytest.raises(ExpressionError):
            answer_value(text, plain_number=True)


def test_formulas_of_exercise_files_use_parameter_names():
    formula = parse("1 - p", names=frozenset({"p"}))
    assert formula.names == {"p"}
    assert formula.evaluate({"p": 0.25}) == 0.75
    assert parse("p", names=frozenset({"p"})).bare_name == "p"
    with pytest.raises(ExpressionError, match=r"unknown name 'q'.*parameters: p"):
        parse("q + 1", names=frozenset({"p"}))
    with pytest.raises(ExpressionError, match="list of numbers"):
        parse("2 * p", names=frozenset({"p"})).evaluate({"p": (0.5, 0.5)})
    with pytest.raises(ExpressionError, match="P"):
        parse("P", names=frozenset({"p"}))  # exercise files are case-sensitive
