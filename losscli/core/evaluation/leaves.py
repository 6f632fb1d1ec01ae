"""A mean or sum of a loss over one batch without its array of per-example values.

NumPy sums n > 128 contiguous float64 values pairwise: the sum of the first
n2 = n//2 - (n//2) % 8 values plus the sum of the rest, each summed the same way
(tests/core/test_row_blocks.py holds NumPy to it). Split that way until a piece has at most
a block's rows, the pieces (the leaves) are the blocks of one pass: each block's values are
computed into a small buffer of its thread, still in the cache, and summed there; the
leaves' sums added up the tree, in the tree's order, are np.sum of the whole array of
values bit for bit, without the array (for 10M examples, 80 MB written and read back).

The same pass tells which rows' values are not finite (a block whose sum is finite has
none), and may write the gradients of the mean (times 1/n) while the block is in the cache.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli.core.losses.types import GRAD_SHOWS_INFINITY, VALUE_SHOWS_BAD_INPUT, Array, Prepared

if TYPE_CHECKING:
    from losscli.core.evaluation.requests import Request

# Pieces of at most this many values are summed by NumPy without a split (its PW_BLOCKSIZE).
PAIRWISE_BLOCK = 128


def pairwise_leaves(n: int, most: int) -> list[tuple[int, int]]:
    """(start, stop) of the pieces of NumPy's pairwise sum of n values, split until a piece
    has at most max(most, 128) values, in order."""
    most = max(most, PAIRWISE_BLOCK)
    leaves: list[tuple[int, int]] = []
    pending = [(0, n)]  # a stack: the first half on top, so leaves come out in order
    while pending:
        start, size = pending.pop()
        if size <= most:
            leaves.append((start, start + size))
            continue
        half = size // 2 - (size // 2) % 8
        pending.append((start + half, size - half))
        pending.append((start, half))
    return leaves


def tree_sum(sums: list[float], n: int, most: int) -> float:
    """The sums of pairwise_leaves(n, most), in order, added as NumPy adds its halves."""
    most = max(most, PAIRWISE_BLOCK)
    leaf = iter(sums)

    def total(size: int) -> float:
        if size <= most:
            return next(leaf)
        half = size // 2 - (size // 2) % 8
        first = total(half)  # the first half's leaves come first
        return first + total(size - half)

    return total(n)


@dataclass(frozen=True)
class LeafPass:
    """What one pass over a batch's leaves found."""

    # np.sum of the per-example values, bit for bit (inf or NaN where a value is); None where
    # the gradients showed the values finite without them (GRAD_SHOWS_INFINITY).
    total: float | None
    # The rows whose value is not finite, in order.
    bad_rows: np.ndarray
    # The gradients times the factor asked for, when asked for.
    grads: Array | None
    # Whether every block of the `unchecked` arrays had a finite sum (then every cell is).
    inputs_finite: bool = True


_SCRATCH = threading.local()


def _scratch(rows: int) -> Array:
    """A buffer of at least `rows` values of the calling thread's own, made once."""
    buffer: Array | None = getattr(_SCRATCH, "buffer", None)
    if buffer is None or buffer.shape[0] < rows:
        buffer = np.empty(rows)
        _SCRATCH.buffer = buffer
    return buffer


def leaf_pass(
    request: Request,
    prepared: Prepared,
    rows: int,
    pool: Any,
    *,
    grad_factor: float | None = None,
    unchecked: Sequence[Array] = (),
) -> LeafPass:
    """The sum of the loss's values over the batch and the rows where a value is not finite,
    from blocks that are the leaves of NumPy's pairwise sum (at most `rows` rows each), on
    `pool`'s threads (None: in this thread). With `grad_factor`, also the gradients times it.
    `unchecked`: arrays of one row per example whose finiteness prepare left to this pass
    (checks.finiteness_deferred), summed block by block while the block is in the cache.

    The values are those of Request.values (the convention's scale, -0.0 made 0.0), each
    block's in a buffer of its thread; the gradients those of Request.values_and_grads."""
    prepared = request._computed(prepared)  # float32 inputs under --precision float32
    y_true, y_pred = prepared.y_true, prepared.y_pred
    kwargs = {"space": request.space, **request.params, **request.rule.settings}
    n = y_pred.shape[0]
    most = max(rows, PAIRWISE_BLOCK)
    leaves = pairwise_leaves(n, most)
    loss = request.loss
    grads: list[Array] = []  # the output, made once the first block tells its shape

    plain = request.rule.scale == 1.0
    inputs_finite = [True]

    grad_alone = grad_factor is not None and bool(loss.extra.get(GRAD_SHOWS_INFINITY))
    factor = 1.0 if grad_factor is None else grad_factor

    def _grad_rows(start: int, stop: int, grad: Any) -> Array:
        """The rows of the gradients' output, made by the first block (its gradients tell
        the shape)."""
        if not grads:
            grads.append(np.empty((n, *np.shape(grad)[1:])))
        return grads[0][start:stop]

    # The values show a NaN or inf input: the inputs' sums are taken only where theirs is not
    # finite.
    values_show = bool(loss.extra.get(VALUE_SHOWS_BAD_INPUT)) and not grad_alone

    def check_inputs(start: int, stop: int) -> None:
        for a in unchecked:
            if not math.isfinite(np.sum(a[start:stop])):
                inputs_finite[0] = False  # prepared again outside: it names the cell

    def block(leaf: tuple[int, int]) -> tuple[float, np.ndarray | None]:
        start, stop = leaf
        # errstate is per thread: each block sets its own.
        with np.errstate(all="ignore"):
            if not values_show:
                check_inputs(start, stop)
            t, p = y_true[start:stop], y_pred[start:stop]
            if grad_alone:
                grad = loss.grad(t, p, **kwargs)
                out = request._scaled(grad, None, into=_grad_rows(start, stop, grad))
                out *= factor
                if math.isfinite(np.sum(out)):
                    return math.nan, None  # so every value of the block is finite
                value = loss.value(t, p, **kwargs)
                values = request._scaled(value, None, into=_scratch(most)[: stop - start])
                return math.nan, np.flatnonzero(~np.isfinite(values)) + start
            if grad_factor is None:
                value = loss.value(t, p, **kwargs)
            elif loss.value_and_grad is not None:
                value, grad = loss.value_and_grad(t, p, **kwargs)
            else:
                value, grad = loss.value(t, p, **kwargs), loss.grad(t, p, **kwargs)
            if grad_factor is not None:
                out = request._scaled(grad, None, into=_grad_rows(start, stop, grad))
                if grad_factor != 1.0:
                    out *= grad_factor  # while the block is in the cache
            if plain and _summable(value):
                # Summed as the loss gave them: Request.values adds 0.0 to each value (-0.0
                # made 0.0), which changes their sum only where it is a zero (to 0.0).
                values = value
                total = np.sum(values) + 0.0
            else:
                values = request._scaled(value, None, into=_scratch(most)[: stop - start])
                total = np.sum(values)
            if math.isfinite(total):  # inf and NaN stay in a sum: none in this block
                return float(total), None
            if values_show:
                check_inputs(start, stop)
            return float(total), np.flatnonzero(~np.isfinite(values)) + start

    first = block(leaves[0])  # the first block tells the shape of the gradients
    rest: Iterator[tuple[float, np.ndarray | None]]
    # NumPy releases the GIL inside each operation: blocks run on both cores.
    rest = map(block, leaves[1:]) if pool is None else pool.map(block, leaves[1:])
    found = [first, *rest]
    total = None if grad_alone else tree_sum([s for s, _ in found], n, most)
    bad = [r for _, r in found if r is not None and r.size]
    bad_rows = np.concatenate(bad) if bad else np.zeros(0, dtype=np.intp)
    return LeafPass(total, bad_rows, grads[0] if grads else None, inputs_finite[0])


def _summable(values: object) -> bool:
    """Whether np.sum of `values` is that of the same float64 numbers in a fresh array: one
    contiguous row of float64 (a strided or other array is summed in another order)."""
    return (
        isinstance(values, np.ndarray)
        and values.dtype == np.float64
        and values.ndim == 1
        and values.flags.c_contiguous
    )
