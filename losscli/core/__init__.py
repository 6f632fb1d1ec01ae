"""The pure NumPy core of losscli: losses, gradients, reductions. No I/O, no terminal.

>>> from losscli.core import make_request, evaluate
>>> evaluate(make_request("huber", {"delta": 1.0}), [0, 0, 0], [0.5, 2, 10]).value
3.7083333333333335
"""

from losscli.core.errors import DataError, LossError, UsageError
from losscli.core.evaluate import (
    Evaluation,
    Gradient,
    GradientCheck,
    Request,
    check_gradient,
    evaluate,
    gradient,
    make_request,
)
from losscli.core.reduce import Accumulator, reduce
from losscli.core.registry import Loss, Notice, Param, Properties, all_losses, get

__all__ = [
    "Accumulator",
    "DataError",
    "Evaluation",
    "Gradient",
    "GradientCheck",
    "Loss",
    "LossError",
    "Notice",
    "Param",
    "Properties",
    "Request",
    "UsageError",
    "all_losses",
    "check_gradient",
    "evaluate",
    "get",
    "gradient",
    "make_request",
    "reduce",
]
