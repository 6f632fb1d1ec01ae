"""Numerically stable building blocks shared by the loss families."""

from __future__ import annotations

import numpy as np

from losscli.core.registry import Array


def softplus(z: Array) -> Array:
    """ln(1 + e^z) without overflow: logaddexp(0, z)."""
    return np.logaddexp(0.0, z)


def log_sigmoid(z: Array) -> Array:
    """ln sigmoid(z) = -softplus(-z); exact in the tails (about -e^-z... or z for z << 0)."""
    return -np.logaddexp(0.0, -z)


def sigmoid(z: Array) -> Array:
    """sigmoid(z) via exp(log_sigmoid(z)): full relative precision for very negative z."""
    return np.exp(log_sigmoid(z))


def log_softmax(z: Array) -> Array:
    """Row-wise log-softmax, max-shifted so no exponential overflows.

    The largest logit contributes exactly exp(0) = 1 to the shifted sum, so the log of the sum
    is log1p(sum of the others): a confident correct row keeps full relative precision
    (log(1 + 1e-20) would round to 0).
    """
    top = np.argmax(z, axis=-1)[..., None]
    m = np.take_along_axis(z, top, axis=-1)
    shifted = z - m
    others = np.exp(shifted)
    np.put_along_axis(others, top, 0.0, axis=-1)
    return shifted - np.log1p(np.sum(others, axis=-1, keepdims=True))


def softmax(z: Array) -> Array:
    return np.exp(log_softmax(z))


def xlogy(x: Array, y: Array) -> Array:
    """x * ln(y), defined as 0 where x == 0 (so 0 ln 0 = 0, as in SciPy's xlogy)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(y)
    return np.where(x == 0, 0.0, out)


def x_times(x: Array | float, y: Array) -> Array:
    """x * y, defined as 0 where x == 0 even if y is infinite."""
    with np.errstate(invalid="ignore"):
        out = x * y
    return np.where(x == 0, 0.0, out)


def safe_divide(x: Array, y: Array) -> Array:
    """x / y, defined as 0 where x == 0 (the derivative of xlogy in y)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x / y
    return np.where(x == 0, 0.0, out)


def sign(x: Array) -> Array:
    """sign(x) with sign(0) = 0: the subgradient losscli states at kinks."""
    return np.sign(x).astype(np.float64)
