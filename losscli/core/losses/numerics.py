"""Numerically stable building blocks shared by the loss families."""

from __future__ import annotations

import math

import numpy as np

from losscli.core.losses.types import Array


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


# Taylor coefficients 1/k! for k = 2..19: e^x - 1 - x = x^2 (1/2! + x (1/3! + ...)); at
# |x| < 1/2 the first omitted term is below 1e-22 of the sum.
_EXP_TAIL = tuple(1.0 / math.factorial(k) for k in range(2, 20))


def expm1_minus(x: Array) -> Array:
    """e^x - 1 - x, to full relative precision also near 0, where it is about x^2/2 and
    expm1(x) - x would lose the digits that cancel."""
    x = np.asarray(x, dtype=np.float64)
    small = np.abs(x) < 0.5
    xs = np.where(small, x, 0.0)
    tail = np.full(xs.shape, _EXP_TAIL[-1])
    for c in reversed(_EXP_TAIL[:-1]):
        tail = tail * xs + c
    with np.errstate(over="ignore"):
        direct = np.expm1(x) - x
    return np.where(small, xs * xs * tail, direct)


def log_ratio(a: Array, b: Array) -> Array:
    """ln(a / b) for a, b > 0, accurate when a and b are close (where ln a - ln b would keep
    only the absolute precision of the larger logarithm) and without overflow of a / b."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        near = np.abs(a - b) < 0.5 * b
        close = np.log1p((a - b) / np.where(near, b, 1.0))
        far = np.log(a) - np.log(b)
    return np.where(near, close, far)


def generalized_kl_cells(p: Array, q: Array) -> Array:
    """p ln(p/q) - p + q per cell for p, q >= 0: 0 at p = q, q at p = 0, inf at q = 0 < p.

    Written as p (e^u - 1 - u) with u = ln(q/p), so that the cancellation near p = q (where
    the cell is about (q - p)^2 / (2p)) costs no digits; for q > e p, where nothing cancels
    badly, as q - p - p u, which cannot overflow where the cell does not.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        u = log_ratio(q, np.where(p > 0, p, 1.0))
        cells = np.where(u > 1.0, q - p - p * u, p * expm1_minus(np.minimum(u, 1.0)))
    cells = np.where(p == 0, q, cells)
    return np.where((q == 0) & (p > 0), np.inf, cells)


def generalized_kl_from_log(p: Array, log_q: Array) -> Array:
    """generalized_kl_cells(p, e^log_q), exact where e^log_q would round or overflow."""
    u = log_q - np.log(np.where(p > 0, p, 1.0))  # ln(q/p)
    with np.errstate(over="ignore", invalid="ignore"):
        q = np.exp(log_q)
        cells = np.where(u > 1.0, q - p - p * u, p * expm1_minus(np.minimum(u, 1.0)))
    # Q beyond float64 (log_q > 709.78): the cell is infinite, not inf - inf.
    return np.where(p == 0, q, np.where(np.isinf(q), np.inf, cells))


def row_mean(cells: Array) -> Array:
    """The mean of each row, finite wherever the exact mean is: a row of finite cells whose
    sum overflows is averaged scaled by a power of two (exact), then scaled back."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean = np.mean(cells, axis=1)
        redo = ~np.isfinite(mean) & np.all(np.isfinite(cells), axis=1)
        if redo.any():
            rows = cells[redo]
            exponent = np.frexp(np.max(np.abs(rows), axis=1))[1]
            scaled = np.mean(np.ldexp(rows, -exponent[:, None]), axis=1)
            mean[redo] = np.ldexp(scaled, exponent)
    return mean
