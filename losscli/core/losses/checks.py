"""Input checks shared by the loss families. Each raises DataError at the first bad cell."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from losscli.core.errors import DataError, counted
from losscli.core.losses.numerics import row_sum
from losscli.core.losses.types import Array

if TYPE_CHECKING:
    from numpy.typing import NDArray

# Tolerance for "this row sums to 1": generous enough for probabilities written with 7
# significant digits, tight enough that the loss of the row as given is the loss intended.
ROW_SUM_TOLERANCE = 1e-6

# Cells of an array that `bounds` reduces at a time: a block its min and max both read from
# the cache (512 KiB of float64).
BOUNDS_BLOCK = 1 << 16


def as_2d(a: object, side: str) -> Array:
    """A float64 matrix with one row per example; a vector becomes one column."""
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{side} values are not numbers", side=side) from None
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    elif arr.ndim != 2:
        raise DataError(f"{side} must be a vector or a matrix, not {arr.ndim}-dimensional")
    return arr


def first_bad(mask: NDArray[np.bool_]) -> tuple[int, int]:
    """(row, column) of the first True cell of a 2-d mask, in reading order."""
    flat = int(np.argmax(mask.reshape(-1)))
    return divmod(flat, mask.shape[1])


def _all_finite(a: Array) -> bool:
    """One pass, no temporary: a sum is finite only if every term is (inf and NaN stay in
    it); when it is not (a bad cell, or finite terms whose total overflows) the caller looks
    cell by cell."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.sum(a)))


_DEFERRED = threading.local()


@contextmanager
def finiteness_deferred() -> Iterator[list[Array]]:
    """Within it (in this thread), check_finite notes the arrays it is given instead of
    reading them: the caller reads them in the blocks of a pass it makes anyway and, if a
    block's sum is not finite, prepares again outside (where check_finite raises the
    DataError naming the first bad cell, before any check that came after it)."""
    arrays: list[Array] = []
    _DEFERRED.arrays = arrays
    try:
        yield arrays
    finally:
        _DEFERRED.arrays = None


def check_finite(a: Array, side: str) -> None:
    deferred = getattr(_DEFERRED, "arrays", None)
    if deferred is not None:
        deferred.append(a)
        return
    if _all_finite(a):
        return
    bad = ~np.isfinite(a)
    if bad.any():
        row, col = first_bad(bad)
        raise DataError("is not a finite number", row=row, side=side, column=col, value=a[row, col])


def check_rows(y_true: Array, y_pred: Array) -> None:
    if y_true.shape[0] != y_pred.shape[0]:
        raise DataError(
            f"{counted(y_true.shape[0], 'target')} but "
            f"{counted(y_pred.shape[0], 'prediction')}; "
            "they must have the same length"
        )
    if y_true.shape[0] == 0:
        raise DataError("no examples: the input is empty")


def check_columns(a: Array, side: str, allowed: tuple[int, ...] | None, what: str) -> None:
    """Raise unless the number of columns is in `allowed` (None: any)."""
    if allowed is not None and a.shape[1] not in allowed:
        want = " or ".join(str(k) for k in allowed)
        raise DataError(f"{side} must have {want} column(s) {what}, not {a.shape[1]}", side=side)


def check_range(
    a: Array,
    side: str,
    low: float,
    high: float,
    what: str,
    *,
    high_open: bool = False,
    low_open: bool = False,
) -> None:
    if in_range(a, low, high, high_open=high_open, low_open=low_open):
        return
    bad = (a <= low if low_open else a < low) | (a >= high if high_open else a > high)
    if bad.any():
        row, col = first_bad(bad)
        raise DataError(f"must be {what}", row=row, side=side, column=col, value=a[row, col])


def bounds(a: Array) -> tuple[float, float]:
    """The smallest and the largest cell (NaN if any cell is NaN), from one read of `a`: the
    two reductions take it a cache-sized block at a time, where two whole-array reductions
    would each read it from memory."""
    flat = a.reshape(-1)
    if flat.size <= BOUNDS_BLOCK:
        return float(flat.min()), float(flat.max())
    lows, highs = [], []
    for start in range(0, flat.size, BOUNDS_BLOCK):
        block = flat[start : start + BOUNDS_BLOCK]
        lows.append(block.min())
        highs.append(block.max())
    # np.min and np.max, unlike Python's, return NaN when a block's bound is NaN.
    return float(np.min(lows)), float(np.max(highs))


def in_range(
    a: Array, low: float, high: float, *, high_open: bool = False, low_open: bool = False
) -> bool:
    """Whether every cell is within [low, high] (open ends as given): False for a NaN, and
    so for an infinity where the bounds are finite. Raises nothing (check_range does)."""
    if not a.size:
        return False
    # Two reductions instead of two comparisons and a mask; the mask only when a cell fails
    # (or a NaN, which min and max return, hides what the other cells are).
    smallest, largest = bounds(a)
    low_ok = smallest > low if low_open else smallest >= low
    high_ok = largest < high if high_open else largest <= high
    return bool(low_ok and high_ok)


def is_binary(y: Array) -> bool:
    """Whether every cell is 0 or 1 (False for NaN and inf). Raises nothing."""
    with np.errstate(over="ignore", invalid="ignore"):
        # y (1 - y) is 0 exactly for y in {0, 1} and nonzero for every other finite y (NaN
        # and inf are not 0 either): one product and a count, the mask only on failure.
        return not np.count_nonzero(y * (1.0 - y))


def is_sign(y: Array) -> bool:
    """Whether every cell is -1 or +1 (False for NaN and inf). Raises nothing."""
    flat = y.reshape(-1)
    if not flat.size:
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        # y^2 - 1 is 0 exactly for y = -1 or 1 (the squares of the doubles next to 1 are not
        # 1): a count per cache-sized block, without an array of the whole input.
        for start in range(0, flat.size, BOUNDS_BLOCK):
            block = flat[start : start + BOUNDS_BLOCK]
            square = np.multiply(block, block)
            square -= 1.0
            if np.count_nonzero(square):
                return False
    return True


def check_labels(y: Array, n_classes: int, side: str = "target") -> None:
    """Integer class labels in [0, n_classes)."""
    bad = (y != np.round(y)) | (y < 0) | (y >= n_classes)
    if bad.any():
        row, col = first_bad(bad)
        raise DataError(
            f"must be a class label 0..{n_classes - 1}",
            row=row,
            side=side,
            column=col,
            value=y[row, col],
        )


def check_binary(y: Array, side: str = "target") -> None:
    if is_binary(y):
        return
    bad = (y != 0) & (y != 1)
    if bad.any():
        row, col = first_bad(bad)
        raise DataError("must be a label 0 or 1", row=row, side=side, column=col, value=y[row, col])


def rows_summing_to_one(a: Array, side: str, normalize: bool) -> Array:
    """Check that each row sums to 1, or divide it by its sum when `normalize` is set."""
    sums = row_sum(a)
    if normalize:
        zero = sums <= 0
        if zero.any():
            row = int(np.argmax(zero))
            raise DataError(
                f"sums to {float(sums[row])!r} and cannot be normalised", row=row, side=side
            )
        return a / sums[:, None]
    bad = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"sums to {float(sums[row])!r}, not 1 (pass --normalize to rescale rows)",
            row=row,
            side=side,
        )
    return a


def log_rows_summing_to_one(a: Array, side: str, normalize: bool) -> Array:
    """The same for log-probabilities: each row's logsumexp must be 0."""
    bad = a > 0
    if bad.any():
        row, col = first_bad(bad)
        raise DataError(
            "must be a log-probability (<= 0)", row=row, side=side, column=col, value=a[row, col]
        )
    m = a.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(a - m).sum(axis=1, keepdims=True)))[:, 0]
    if normalize:
        return a - lse[:, None]
    off = np.abs(lse) > ROW_SUM_TOLERANCE
    if off.any():
        # Log-probabilities written with d decimals are each off by up to 0.5e-d, which moves
        # the row's log-sum by as much: a row of such numbers sums to 1 within that rounding.
        off &= np.abs(lse) > _decimal_rounding(a) * (1.0 + 1e-9)
    if off.any():
        row = int(np.argmax(off))
        raise DataError(
            f"probabilities sum to {float(np.exp(lse[row]))!r}, not 1 "
            "(pass --normalize to rescale rows)",
            row=row,
            side=side,
        )
    return a


def _decimal_rounding(a: Array) -> Array:
    """Per row, half a unit of the last decimal its cells are written with (0.5e-d for the
    fewest decimals d <= 8 that every cell of the row has), or 0 for longer numbers."""
    out = np.zeros(a.shape[0])
    for d in range(8, 0, -1):
        scaled = a * 10.0**d
        exact = np.all(
            np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, np.abs(scaled)), axis=1
        )
        out = np.where(exact, 0.5 * 10.0**-d, out)
    return out


def check_finite_or_masked(a: Array, side: str) -> None:
    """Finite, except -inf: a masked class's logit (Optax), probability 0. Each row keeps at
    least one finite logit (a row of masked classes has no distribution)."""
    if _all_finite(a):  # the usual case, from one pass without temporaries
        return
    bad = ~np.isfinite(a) & (a != -np.inf)
    if bad.any():
        row, col = first_bad(bad)
        raise DataError("is not a finite number", row=row, side=side, column=col, value=a[row, col])
    masked = np.all(a == -np.inf, axis=1)
    if masked.any():
        row = int(np.argmax(masked))
        raise DataError(
            "masks every class (-inf logits): at least one must be finite", row=row, side=side
        )
