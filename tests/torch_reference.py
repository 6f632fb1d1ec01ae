"""PyTorch's numbers for the oracle tests, frozen as data so that the tests run where PyTorch is
not installed (it is never a test dependency).

A test hands `torch_reference(key, record)` a function `record(torch) -> {name: array}` that
draws its inputs and computes PyTorch's values (and autograd's gradients). Normally the arrays
are read from tests/data/torch_references.npz, inputs included, and `record` is not called.
`python tools/freeze_torch_references.py` (PyTorch installed, e.g. `pip install torch==2.13.0`)
runs the oracle tests with LOSSCLI_RECORD_TORCH=1: then every `record` runs against the real
PyTorch and the file is rewritten.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).resolve().parent / "data" / "torch_references.npz"
RECORD = os.environ.get("LOSSCLI_RECORD_TORCH") == "1"
SEPARATOR = "|"

_frozen: dict[str, np.ndarray] | None = None


def _load() -> dict[str, np.ndarray]:
    global _frozen
    if _frozen is None:
        if DATA.exists():
            with np.load(DATA) as data:
                _frozen = {name: data[name] for name in data.files}
        else:
            _frozen = {}
    return _frozen


def torch_reference(key: str, record: Callable[[Any], dict[str, Any]]) -> dict[str, np.ndarray]:
    """The arrays `record` computes with PyTorch, frozen under `key`."""
    if RECORD:
        import torch

        arrays = {
            name: np.asarray(value, dtype=np.float64) for name, value in record(torch).items()
        }
        frozen = {k: v for k, v in _load().items() if not k.startswith(key + SEPARATOR)}
        frozen |= {key + SEPARATOR + name: value for name, value in arrays.items()}
        DATA.parent.mkdir(exist_ok=True)
        np.savez_compressed(DATA, **frozen)
        _load().clear()
        _load().update(frozen)
        return arrays
    prefix = key + SEPARATOR
    found = {
        name[len(prefix) :]: value for name, value in _load().items() if name.startswith(prefix)
    }
    assert found, f"no frozen PyTorch values for {key!r}: run tools/freeze_torch_references.py"
    return found


def as_numpy(tensor: Any) -> np.ndarray:
    return np.asarray(tensor.detach().numpy(), dtype=np.float64)
