"""Safe arithmetic expressions: students' answers and the formulas in exercise files.

An expression is parsed with `ast.parse` and then walked over a whitelist: numbers, + - * /
** (also written ^), unary minus and plus, the functions ln log log2 log10 exp sqrt abs tanh
sigmoid sign, clip(x, low, high), max and min of several, softmax(x, others...) (the softmax
component of x), the constants e and pi, and the names of variables where a formula is asked
(and, in exercise files, the exercise's parameter names). Nothing is
ever passed to eval: every node is computed here, in float64, with Python's math module.

Hostile input is refused before it costs anything: answers longer than MAX_CHARS, nesting
deeper than MAX_DEPTH, characters outside a small set; every intermediate result must be a
finite float (`10**10**10` overflows to an error, not to a hang on big integers).

>>> answer_value("-ln(0.7)")
0.35667494393873245
>>> answer_value("2^-3")
0.125
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from losscli.core.errors import UsageError

MAX_CHARS = 500
MAX_DEPTH = 32


def _sigmoid(x: float) -> float:
    # Stable on both sides: exp never sees a large positive argument.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softmax(x: float, *others: float) -> float:
    """The softmax component of x against the others: e^x / (e^x + sum e^other)."""
    top = max(x, *others)
    total = math.exp(x - top) + math.fsum(math.exp(o - top) for o in others)
    return math.exp(x - top) / total


def _clip(x: float, low: float, high: float) -> float:
    if low > high:
        raise ValueError("clip(x, low, high) needs low <= high")
    return min(max(x, low), high)


def _sign(x: float) -> float:
    return float((x > 0) - (x < 0))


FUNCTIONS: dict[str, Callable[..., float]] = {
    "ln": math.log,
    "log": math.log,  # natural log, as in NumPy and most ML code
    "log2": math.log2,
    "log10": math.log10,
    "exp": math.exp,
    "sqrt": math.sqrt,
    "abs": abs,
    "tanh": math.tanh,
    "sigmoid": _sigmoid,
    "sign": _sign,
    "softmax": _softmax,
    "clip": _clip,
    "max": max,
    "min": min,
}
# How many arguments each takes: (fewest, most); one unless listed.
ARITY: dict[str, tuple[int, int]] = {
    "softmax": (2, 16),
    "clip": (3, 3),
    "max": (2, 16),
    "min": (2, 16),
}
CONSTANTS = {"e": math.e, "pi": math.pi}
RESERVED = frozenset(FUNCTIONS) | frozenset(CONSTANTS)

# Spellings people paste from documents, mapped to what the parser reads.
_REPLACE = str.maketrans({"−": "-", "–": "-", "×": "*", "·": "*", "÷": "/", "π": "pi", "^": "**"})
_ALLOWED_CHARS = re.compile(r"[0-9A-Za-z_.+\-*/(), \t]*")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: math.pow,  # floats only: math.pow raises instead of building a huge integer
}
HOW = "answers are numbers or expressions such as -ln(0.7), 1/3, 2^-3, e^-1 or sqrt(2)/2"


class ExpressionError(UsageError):
    """An answer or formula that cannot be read or computed (a usage error: exit 2)."""


@dataclass(frozen=True)
class Expression:
    """A parsed, whitelisted expression; `evaluate` computes it for given parameter values."""

    text: str
    tree: ast.expr

    @property
    def names(self) -> frozenset[str]:
        """The parameter names it uses (not functions or constants)."""
        return frozenset(
            node.id
            for node in ast.walk(self.tree)
            if isinstance(node, ast.Name) and node.id not in RESERVED
        )

    @property
    def bare_name(self) -> str | None:
        """The name, when the whole expression is one name (`p`), else None."""
        return self.tree.id if isinstance(self.tree, ast.Name) else None

    def evaluate(self, values: Mapping[str, float | tuple[float, ...]] | None = None) -> float:
        """The value, with `values` for the parameter names (a list-valued name is an error)."""
        return _compute(self.tree, {**CONSTANTS, **(values or {})}, self.text)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def parse(text: str, *, names: frozenset[str] = frozenset(), fold_case: bool = False) -> Expression:
    """Parse `text` into an Expression that may use `names` besides the whitelist.

    `fold_case` accepts LN(0.7) and Pi for people typing answers; exercise files are exact.
    Raises ExpressionError saying what is wrong.
    """
    if len(text) > MAX_CHARS:
        raise ExpressionError(
            f"an answer of {len(text)} characters is too long (at most {MAX_CHARS})"
        )
    source = text.translate(_REPLACE).strip()
    if not source:
        raise ExpressionError(f"the answer is empty; {HOW}")
    if not _ALLOWED_CHARS.fullmatch(source):
        bad = next(c for c in source if not _ALLOWED_CHARS.fullmatch(c))
        raise ExpressionError(f"cannot read {_shown(text)}: unexpected character {bad!r}; {HOW}")
    depth = max(_running_depth(source), default=0)
    if depth > MAX_DEPTH:
        raise ExpressionError(f"cannot read {_shown(text)}: nested more than {MAX_DEPTH} deep")
    try:
        tree = ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ExpressionError(
            f"cannot read {_shown(text)}: not a valid expression; {HOW}"
        ) from None
    tree = _check(tree, names, fold_case, text, 0)
    return Expression(text.strip(), tree)


def _running_depth(source: str) -> Iterator[int]:
    depth = 0
    for char in source:
        depth += (char == "(") - (char == ")")
        yield depth


def _check(
    node: ast.AST, names: frozenset[str], fold_case: bool, text: str, depth: int
) -> ast.expr:
    """Return the node (names case-folded if asked) or raise if anything is not whitelisted."""
    if depth > MAX_DEPTH:
        raise ExpressionError(f"cannot read {_shown(text)}: nested more than {MAX_DEPTH} deep")

    def sub(child: ast.AST) -> ast.expr:
        return _check(child, names, fold_case, text, depth + 1)

    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return ast.UnaryOp(node.op, sub(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return ast.BinOp(sub(node.left), node.op, sub(node.right))
    if isinstance(node, ast.Name):
        name = _known_name(node.id, names | frozenset(CONSTANTS), fold_case, text)
        return ast.Name(name, ast.Load())
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        func = _known_name(node.func.id, frozenset(FUNCTIONS), fold_case, text)
        fewest, most = ARITY.get(func, (1, 1))
        starred = any(isinstance(a, ast.Starred) for a in node.args)
        if not fewest <= len(node.args) <= most or node.keywords or starred:
            wanted = "one argument" if most == 1 else f"{fewest} to {most} arguments"
            if fewest == most > 1:
                wanted = f"{fewest} arguments"
            raise ExpressionError(f"cannot read {_shown(text)}: {func}() takes {wanted}")
        return ast.Call(ast.Name(func, ast.Load()), [sub(a) for a in node.args], [])
    if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.BoolOp)):
        raise ExpressionError(
            f"cannot read {_shown(text)}: only the operators + - * / ^ (or **) are allowed"
        )
    what = {
        ast.Attribute: "attribute access",
        ast.Subscript: "indexing",
        ast.Constant: "a text or other non-number",
        ast.Call: "calling anything but a named function",
        ast.Compare: "comparisons",
        ast.Tuple: "a list of numbers",
    }.get(type(node), f"{type(node).__name__} expressions")
    raise ExpressionError(f"cannot read {_shown(text)}: {what} is not allowed; {HOW}")


def _known_name(name: str, known: frozenset[str], fold_case: bool, text: str) -> str:
    if name in known:
        return name
    if fold_case and name.lower() in known:
        return name.lower()
    if name in FUNCTIONS or (fold_case and name.lower() in FUNCTIONS):
        raise ExpressionError(f"cannot read {_shown(text)}: {name} is a function: write {name}(x)")
    params = sorted(known - frozenset(CONSTANTS))
    extra = f" (parameters: {', '.join(params)})" if params else ""
    raise ExpressionError(f"cannot read {_shown(text)}: unknown name {name!r}{extra}; {HOW}")


def _compute(node: ast.expr, values: Mapping[str, float | tuple[float, ...]], text: str) -> float:
    try:
        result = _node_value(node, values)
    except ZeroDivisionError:
        raise ExpressionError(f"cannot compute {_shown(text)}: division by zero") from None
    except OverflowError:
        raise ExpressionError(f"cannot compute {_shown(text)}: the number is too large") from None
    except KeyError as missing:
        raise ExpressionError(f"cannot compute {_shown(text)}: no value for {missing}") from None
    except ValueError:
        raise ExpressionError(
            f"cannot compute {_shown(text)}: outside a function's domain "
            "(the log or sqrt of a negative number, or a negative number to a fractional power)"
        ) from None
    return result


def _finite(x: float) -> float:
    if not math.isfinite(x):
        raise OverflowError
    return x


def _node_value(node: ast.expr, values: Mapping[str, float | tuple[float, ...]]) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return _finite(float(node.value))
    if isinstance(node, ast.Name):
        value = values[node.id]
        if not isinstance(value, (int, float)):
            raise ExpressionError(
                f"{node.id} is a list of numbers; it cannot be used in arithmetic"
            )
        return float(value)
    if isinstance(node, ast.UnaryOp):
        operand = _node_value(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left = _node_value(node.left, values)
        right = _node_value(node.right, values)
        return _finite(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [_node_value(a, values) for a in node.args]
        return _finite(float(FUNCTIONS[node.func.id](*args)))
    raise AssertionError(f"unchecked node {type(node).__name__}")  # _check lets none through


def answer_value(text: str, *, plain_number: bool = False) -> float:
    """A student's answer as a float; ExpressionError if it cannot be read or computed.

    With `plain_number` only a decimal number is accepted (for parts that ask for one).
    """
    if plain_number:
        cleaned = text.translate(_REPLACE).strip()
        if len(text) > MAX_CHARS or not _NUMBER.fullmatch(cleaned):
            raise ExpressionError(f"{_shown(text)} is not a plain decimal number (like 0.357)")
        return _finite_number(float(cleaned), text)
    return parse(text, fold_case=True).evaluate()


def _finite_number(x: float, text: str) -> float:
    if not math.isfinite(x):
        raise ExpressionError(f"cannot compute {_shown(text)}: the number is too large")
    return x
