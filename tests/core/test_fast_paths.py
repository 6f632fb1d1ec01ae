"""Faster forms of a formula give the catalog's numbers bit for bit (issue 13's speed work).

The reference is the formula as the catalog states it, written the direct way with NumPy;
the inputs are random bit patterns (tiny, subnormal, huge), ordinary residuals and the edges.
"""

from __future__ import annotations

import numpy as np

from losscli.core.losses.regression import smooth_l1_grad, smooth_l1_value


def residuals() -> np.ndarray:
    rng = np.random.default_rng(13)
    bits = rng.integers(0, 2**64 - 1, 100_000, dtype=np.uint64, endpoint=True).view(np.float64)
    edges = [0.0, -0.0, 1.0, -1.0, 0.5, 5e-324, 2.2250738585072014e-308, 1e-160, 1.5e-154]
    edges += [1e308, -1e308, np.nextafter(1.0, 0.0), np.nextafter(1.0, 2.0)]
    return np.concatenate([bits[np.isfinite(bits)], rng.normal(0.0, 1.0, 100_000), edges])


def test_smooth_l1_at_beta_1_is_the_where_formula_bit_for_bit():
    r = residuals()
    zero = np.zeros_like(r)
    a = np.abs(r)
    with np.errstate(over="ignore"):
        value = np.where(a < 1.0, 0.5 * a * a / 1.0, a - 0.5 * 1.0)
        fast = smooth_l1_value(zero, r, beta=1.0)
    assert fast.view(np.uint64).tolist() == value.view(np.uint64).tolist()
    grad = np.clip(r / 1.0, -1.0, 1.0)
    assert (
        smooth_l1_grad(zero, r, beta=1.0).view(np.uint64).tolist() == grad.view(np.uint64).tolist()
    )
