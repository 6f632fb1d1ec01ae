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
    "Accumulator": "losscli.core.reduce",
    "reduce_values": "losscli.core.reduce",
    "CompareState": "losscli.core.states",
    "GradState": "losscli.core.states",
    "LossState": "losscli.core.states",
    "ProfileState": "losscli.core.states",
    "merge_all": "losscli.core.states",
    "DataError": "losscli.core.errors",
    "LossError": "losscli.core.errors",
    "UsageError": "losscli.core.errors",
    "Evaluation": "losscli.core.evaluation",
    "Gradient": "losscli.core.evaluation",
    "GradientCheck": "losscli.core.evaluation",
    "Request": "losscli.core.evaluation",
    "check_gradient": "losscli.core.evaluation",
    "evaluate": "losscli.core.evaluation",
    "gradient": "losscli.core.evaluation",
    "make_request": "losscli.core.evaluation",
    "Loss": "losscli.core.registry",
    "Notice": "losscli.core.registry",
    "Param": "losscli.core.registry",
    "Properties": "losscli.core.registry",
    "all_losses": "losscli.core.registry",
    "get": "losscli.core.registry",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'losscli.core' has no attribute {name!r}")
