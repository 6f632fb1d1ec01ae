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
    if z.ndim == 2:
        rows = shifted_exp(z)
        return rows.shifted - np.log1p(rows.others_sum)[:, None]
    top = np.argmax(z, axis=-1)[..., None]
    m = np.take_along_axis(z, top, axis=-1)
    shifted = z - m
    others = np.exp(shifted)
    np.put_along_axis(others, top, 0.0, axis=-1)
    return shifted - np.log1p(np.sum(others, axis=-1, keepdims=True))


# Up to this many columns row_sum adds columns (strided views) instead of calling np.sum along
# the rows, whose per-row inner loop costs more than the additions of a narrow row.
ROW_SUM_COLUMNS = 16
# Cells row_sum adds at a time (a block of rows that stays in the cache).
ROW_SUM_BLOCK = 1 << 14


def row_sum(a: Array) -> Array:
    """np.sum(a, axis=1), bit for bit, faster for narrow rows.

    NumPy sums a contiguous row of n <= 128 cells in a fixed order, then adds the result to
    0: for n < 8 one by one; else eight running sums (cells j, j + 8, ...) combined as
    ((0+1)+(2+3))+((4+5)+(6+7)), then the n % 8 last cells one by one. Adding whole columns
    in that order gives the same numbers without NumPy's per-row loop
    (tests/core/test_class_row_kernels.py holds NumPy to it).
    """
    n = a.shape[1]
    # Rows that are not contiguous NumPy may sum in another order; float32 (--precision) keeps
    # np.sum.
    if (
        not 0 < n <= ROW_SUM_COLUMNS
        or not a.size
        or not a.flags.c_contiguous
        or a.dtype != np.float64
    ):
        return np.sum(a, axis=1)
    step = max(1, ROW_SUM_BLOCK // n)
    if a.shape[0] <= step:
        return _column_sum(a)
    # A column of a big array is a pass over all of it: take blocks of rows that the cache holds.
    out = np.empty(a.shape[0])
    for start in range(0, a.shape[0], step):
        out[start : start + step] = _column_sum(a[start : start + step])
    return out


def _column_sum(a: Array) -> Array:
    n = a.shape[1]
    if n < 8:
        total = a[:, 0] + 0.0
        for j in range(1, n):
            total += a[:, j]
        return total
    tail = n - n % 8
    r = [a[:, j] + a[:, j + 8] if tail > 8 else a[:, j] for j in range(8)]
    for start in range(16, tail, 8):
        for j in range(8):
            r[j] += a[:, start + j]
    total, pair = r[0] + r[1], r[2] + r[3]
    total += pair
    quad = r[4] + r[5]
    np.add(r[6], r[7], out=pair)
    quad += pair
    total += quad
    for j in range(tail, n):
        total += a[:, j]
    total += 0.0  # a row of -0.0 cells sums to 0.0, as NumPy's does
    return total


class ShiftedExp:
    """What log-softmax and softmax of rows of logits share, in a few passes over the rows.

    `shifted` = z - max of its row; `others` = e^shifted with the (first) largest cell set to 0,
    and `others_sum` its row sums S, so that ln(sum of e^shifted) = log1p(S); `top` is the flat
    index (into z.reshape(-1)) of each row's largest cell.
    """

    def __init__(self, shifted: Array, others: Array, others_sum: Array, top: np.ndarray) -> None:
        self.shifted = shifted
        self.others = others
        self.others_sum = others_sum
        self.top = top


def shifted_exp(z: Array) -> ShiftedExp:
    """ShiftedExp of a 2-d array of logits: the same numbers as log_softmax's steps."""
    n, k = z.shape
    z = np.ascontiguousarray(z)
    starts = np.arange(0, n * k, k)
    top = starts + np.argmax(z, axis=1)
    shifted = z - z.reshape(-1)[top][:, None]
    others = np.exp(shifted)
    others.reshape(-1)[top] = 0.0
    return ShiftedExp(shifted, others, row_sum(others), top)


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
