"""The pure NumPy core of losscli: losses, gradients, reductions. No I/O, no terminal.

>>> from losscli.core import make_request, evaluate
>>> evaluate(make_request("huber", {"delta": 1.0}), [0, 0, 0], [0.5, 2, 10]).value
3.7083333333333335

Names are loaded lazily (PEP 562) so that `losscli.core.errors` can be imported without
NumPy: `losscli --help` must stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Accumulator": "losscli.core.evaluation.reduce",
    "CompareState": "losscli.core.evaluation.states",
    "GradState": "losscli.core.evaluation.states",
    "LossState": "losscli.core.evaluation.states",
    "ProfileState": "losscli.core.evaluation.states",
    "merge_all": "losscli.core.evaluation.states",
    "DataError": "losscli.core.errors",
    "LossError": "losscli.core.errors",
    "UsageError": "losscli.core.errors",
    "Evaluation": "losscli.core.evaluation.requests",
    "Gradient": "losscli.core.evaluation.requests",
    "GradientCheck": "losscli.core.evaluation.requests",
    "Request": "losscli.core.evaluation.requests",
    "check_gradient": "losscli.core.evaluation.requests",
    "evaluate": "losscli.core.evaluation.requests",
    "gradient": "losscli.core.evaluation.requests",
    "make_request": "losscli.core.evaluation.requests",
    "Loss": "losscli.core.losses.types",
    "Notice": "losscli.core.losses.types",
    "Param": "losscli.core.losses.types",
    "Properties": "losscli.core.losses.types",
    "all_losses": "losscli.core.losses.registry",
    "get": "losscli.core.losses.registry",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'losscli.core' has no attribute {name!r}")
