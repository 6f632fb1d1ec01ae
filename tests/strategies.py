"""Hypothesis strategies for valid loss inputs, one generator per target domain.

The registry says what each loss takes: `loss.target` (the target domain), `loss.pred_columns`
and `loss.spaces`. This module knows how to draw valid inputs for each target domain in each
space, so the property tests pick up a new loss with a known target without being edited. A loss
whose target domain (or space) is unknown here makes
`test_properties.py::test_every_target_domain_has_strategies` fail, like scikit-learn's
"unclassified metric" test.

Inputs come in two modes:

- "finite": anything valid whose exact loss is finite: extreme logits (+-1e4), probabilities
  arbitrarily close to 0 and 1 (but not equal where that makes the loss infinite), zeros in
  target distributions;
- "smooth": valid inputs away from domain edges and singularities, with moderate magnitudes,
  for comparing gradients with finite differences;
- "edge": any valid input at all: probabilities of exactly 0 and 1, subnormals, logits and
  reals over the whole float64 range. The exact loss may be infinite here; it is never NaN.

Predictions have their natural shape: a vector (n,) for `pred_columns == "one"`, a matrix (n, k)
otherwise, so a gradient must come back with exactly the shape of `y_pred`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from losscli.core import Loss, all_losses

# Shared Hypothesis settings for the core property tests: few enough examples that the whole
# tests/core suite stays well under 20 s, no per-example deadline (first calls import things).
# The number comes from the Hypothesis profile (tests/conftest.py: "ci" 25, derandomised;
# "explore" 200, random); LOSSCLI_EXAMPLES=500 runs a deeper search locally.
EXAMPLES = int(os.environ.get("LOSSCLI_EXAMPLES", settings.default.max_examples))
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# For tests of plumbing rather than numerics (validation messages): fewer examples do.
LIGHT_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=max(EXAMPLES // 3, 5))

MODES = ("finite", "smooth", "edge")
ANY_FLOAT = st.floats(allow_nan=False, allow_infinity=False)
MAX_ROWS = 6


class UnknownDomain(LookupError):
    """The strategies cannot draw inputs for this loss's target domain or space."""


@dataclass(frozen=True, repr=False)
class Case:
    """One drawn test case: a loss, its space and parameters, and valid inputs."""

    loss: Loss
    space: str
    params: dict[str, Any]
    y_true: np.ndarray
    y_pred: np.ndarray

    def __repr__(self) -> str:
        return (
            f"Case({self.loss.name!r}, space={self.space!r}, params={self.params!r},\n"
            f"     y_true={self.y_true.tolist()!r},\n     y_pred={self.y_pred.tolist()!r})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis prints falsifying examples with this; the whole Loss record is noise.
        printer.text(repr(self))


# --- small building blocks -------------------------------------------------------------------


def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def _vector(draw: Any, n: int, elements: st.SearchStrategy[float]) -> np.ndarray:
    return np.array(draw(st.lists(elements, min_size=n, max_size=n)), dtype=np.float64)


EDGE_PROBABILITIES = (0.0, 1.0, 5e-324, 1e-300, 1e-16, 0.5, 1 - 2**-53)
EDGE_LOGITS = (0.0, 40.0, -40.0, 1e4, -1e4, 1e300, -1e300)


def _probability(mode: str) -> st.SearchStrategy[float]:
    if mode == "smooth":
        return _floats(0.01, 0.99)
    if mode == "edge":
        return st.one_of(st.sampled_from(EDGE_PROBABILITIES), _floats(0.0, 1.0))
    # Open interval: subnormals and 1 - 2**-53 included, exact 0 and 1 not.
    return st.floats(0.0, 1.0, exclude_min=True, exclude_max=True)


def _logit(mode: str) -> st.SearchStrategy[float]:
    if mode == "edge":
        return st.one_of(st.sampled_from(EDGE_LOGITS), ANY_FLOAT)
    return _floats(-10.0, 10.0) if mode == "smooth" else _floats(-1e4, 1e4)


def _simplex_rows(draw: Any, n: int, k: int, *, mode: str, zeros: bool = False) -> np.ndarray:
    """Rows of k probabilities summing to 1 (to rounding). `zeros` allows exact zero cells."""
    lo = {"smooth": 0.05, "finite": 1e-12, "edge": 0.0}[mode]
    cell = _floats(lo, 1.0)
    if zeros or mode == "edge":
        cell = st.one_of(st.just(0.0), cell)
    rows = np.array(
        [
            draw(st.lists(cell, min_size=k, max_size=k).filter(lambda r: max(r) > 0))
            for _ in range(n)
        ]
    )
    return rows / rows.sum(axis=1, keepdims=True)


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax, written out here so the tests do not lean on the core's."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _hard_labels(draw: Any, n: int, values: tuple[float, ...]) -> np.ndarray:
    return _vector(draw, n, st.sampled_from(values))


# --- one generator per target domain ---------------------------------------------------------
#
# Each domain has `spaces`, `draw(draw, loss, space, params, n, mode) -> (y_true, y_pred)`,
# `perfect(draw, loss, space, params, n) -> (y_true, y_pred, exact)` (a prediction whose loss is
# 0, `exact` False where 0 is only a limit, as with logits), `to_space(loss, space, p)` to
# express probability predictions in another space, and `pred_bounds(space, y_pred)`.


def _raw_bounds(space: str, y_pred: np.ndarray) -> tuple[float, float]:
    if space == "prob":
        return 0.0, 1.0
    return -np.inf, np.inf


def _real_draw(draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str) -> Any:
    value = {"smooth": _floats(-100.0, 100.0), "finite": _floats(-1e6, 1e6), "edge": ANY_FLOAT}
    return _vector(draw, n, value[mode]), _vector(draw, n, value[mode])


def _real_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    y = _vector(draw, n, _floats(-1e6, 1e6))
    return y, y.copy(), True


def _binary_pred(draw: Any, n: int, space: str, mode: str) -> np.ndarray:
    return _vector(draw, n, _probability(mode) if space == "prob" else _logit(mode))


def _binary_draw(draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str) -> Any:
    return _hard_labels(draw, n, (0.0, 1.0)), _binary_pred(draw, n, space, mode)


def _binary_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    y = _hard_labels(draw, n, (0.0, 1.0))
    if space == "prob":
        return y, y.copy(), True
    # Logits can only approach a perfect prediction; at +-1000 the loss underflows to 0.
    return y, np.where(y == 1, 1000.0, -1000.0), False


def _binary_to_space(loss: Loss, space: str, p: np.ndarray) -> np.ndarray:
    if space == "prob":
        return p
    if space == "logit":
        return np.log(p) - np.log1p(-p)
    raise UnknownDomain(f"binary predictions in space {space!r}")


def _sign_draw(draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str) -> Any:
    score = {"smooth": _floats(-10.0, 10.0), "finite": _floats(-1e6, 1e6), "edge": ANY_FLOAT}
    return _hard_labels(draw, n, (-1.0, 1.0)), _vector(draw, n, score[mode])


def _sign_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    y = _hard_labels(draw, n, (-1.0, 1.0))
    # On or beyond the margin: y f >= 1.
    return y, y * _vector(draw, n, _floats(1.0, 100.0)), True


def _label_columns(draw: Any, loss: Loss, space: str) -> int:
    """Number of prediction columns for a label loss: 1 is the binary (p of class 1) case."""
    if loss.pred_columns == "one":
        return 1
    low = 1 if loss.pred_columns == "any" and space in ("prob", "logit") else 2
    return draw(st.integers(low, 5))


def _rows_pred(draw: Any, n: int, k: int, space: str, mode: str) -> np.ndarray:
    if space == "prob":
        return _simplex_rows(draw, n, k, mode=mode)
    logits = np.array([draw(st.lists(_logit(mode), min_size=k, max_size=k)) for _ in range(n)])
    if space == "logit":
        return logits
    if space == "logprob":
        # Log-softmax of bounded logits: rows whose exp sums to 1 within the core's tolerance.
        bound = 1e4 if mode == "edge" else 50.0
        return log_softmax(np.clip(logits, -bound, bound))
    raise UnknownDomain(f"row predictions in space {space!r}")


def _rows_to_space(space: str, p: np.ndarray) -> np.ndarray:
    if space == "prob":
        return p
    if space in ("logit", "logprob"):
        return np.log(p)  # log p are logits of p (softmax(log p) = p) and its log-probabilities
    raise UnknownDomain(f"row predictions in space {space!r}")


def _labels_draw(draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str) -> Any:
    k = _label_columns(draw, loss, space)
    if k == 1:
        y, p = _binary_draw(draw, loss, space, params, n, mode)
        return y, (p if loss.pred_columns == "one" else p[:, None])
    form = draw(st.sampled_from(("label", "onehot", "soft")))
    labels = _vector(draw, n, st.integers(0, k - 1).map(float))
    if form == "label":
        y = labels
    elif form == "onehot":
        y = np.eye(k)[labels.astype(int)]
    else:
        y = _simplex_rows(draw, n, k, mode=mode, zeros=True)
    return y, _rows_pred(draw, n, k, space, mode)


def _labels_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    k = _label_columns(draw, loss, space)
    if k == 1:
        y, p, exact = _binary_perfect(draw, loss, space, params, n)
        return y, (p if loss.pred_columns == "one" else p[:, None]), exact
    labels = _vector(draw, n, st.integers(0, k - 1).map(float))
    onehot = np.eye(k)[labels.astype(int)]
    y = labels if draw(st.booleans()) else onehot
    if space == "prob":
        return y, onehot, True
    if space == "logit":
        return y, 1000.0 * onehot, False
    if space == "logprob":
        # log 0 is not a finite input; -1e4 is e^-10000 = 0 in float64.
        return y, np.where(onehot == 1, 0.0, -1e4), True
    raise UnknownDomain(f"labels in space {space!r}")


def _labels_to_space(loss: Loss, space: str, p: np.ndarray) -> np.ndarray:
    if p.ndim == 1 or p.shape[1] == 1:
        return _binary_to_space(loss, space, p)
    return _rows_to_space(space, p)


def _distribution_draw(draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str) -> Any:
    k = draw(st.integers(2, 5))
    # P may have zeros (0 ln 0 = 0) in forward KL; in the reverse direction a zero in P
    # where Q > 0 makes the exact divergence infinite, so P is then strictly positive.
    zeros = mode == "edge" or (mode == "finite" and params.get("direction") != "reverse")
    p = _simplex_rows(draw, n, k, mode=mode, zeros=zeros)
    return p, _rows_pred(draw, n, k, space, mode)


def _distribution_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    k = draw(st.integers(2, 5))
    p = _simplex_rows(draw, n, k, mode="finite", zeros=space == "prob")
    if space == "prob":
        return p, p.copy(), True
    if space == "logprob":
        return p, np.log(p), True
    if space == "logit":
        shift = draw(_floats(-10.0, 10.0))  # softmax is shift-invariant
        return p, np.log(p) + shift, False
    raise UnknownDomain(f"distributions in space {space!r}")


def _distribution_to_space(loss: Loss, space: str, p: np.ndarray) -> np.ndarray:
    return _rows_to_space(space, p)


def _pair_form(draw: Any, loss: Loss) -> int:
    """0 for one distance column, else the embedding width D (pred has 2D columns)."""
    if loss.pred_columns == "one":
        return 0
    if loss.pred_columns == "many":
        return draw(st.integers(1, 3))
    return draw(st.sampled_from((0, 1, 2, 3)))


def _similarity_draw(draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str) -> Any:
    y = _hard_labels(draw, n, (0.0, 1.0))
    width = _pair_form(draw, loss)
    if width == 0:
        distance = {
            "smooth": _floats(0.05, 3.0),
            "finite": _floats(0.0, 1e3),
            "edge": st.floats(0.0, allow_infinity=False),
        }
        d = _vector(draw, n, distance[mode])
        return y, (d if loss.pred_columns == "one" else d[:, None])
    coords = {"smooth": _floats(-3.0, 3.0), "finite": _floats(-100.0, 100.0), "edge": ANY_FLOAT}
    coord = coords[mode]
    a = np.array([draw(st.lists(coord, min_size=width, max_size=width)) for _ in range(n)])
    if mode == "smooth":
        # Keep the pair apart: ||a - b|| is not differentiable at a = b.
        step = _floats(0.1, 2.0).flatmap(lambda v: st.sampled_from((v, -v)))
        offset = np.array([draw(st.lists(step, min_size=width, max_size=width)) for _ in range(n)])
        b = a + offset
    else:
        b = np.array([draw(st.lists(coord, min_size=width, max_size=width)) for _ in range(n)])
    return y, np.concatenate([a, b], axis=1)


def _similarity_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    margin = float(params.get("margin", 1.0))
    if params.get("distance") == "squared":  # the margin is compared with d^2
        margin = float(np.sqrt(margin)) * (1.0 + 1e-9)  # past it after rounding too
    y = _hard_labels(draw, n, (0.0, 1.0))
    # Similar pairs at distance 0; dissimilar pairs at or beyond the margin.
    d = np.where(y == 1, 0.0, margin * _vector(draw, n, _floats(1.0, 10.0)))
    width = _pair_form(draw, loss)
    if width == 0:
        return y, (d if loss.pred_columns == "one" else d[:, None]), True
    a = np.array(
        [draw(st.lists(_floats(-10, 10), min_size=width, max_size=width)) for _ in range(n)]
    )
    direction = np.zeros(width)
    direction[0] = 1.0
    # Scaled a little past d so that rounding in a + d e_0 cannot land inside the margin.
    b = a + (d * (1.0 + 1e-9))[:, None] * direction
    return y, np.concatenate([a, b], axis=1), True


def _similarity_bounds(space: str, y_pred: np.ndarray) -> tuple[float, float]:
    # One distance column must stay >= 0; embedding coordinates are unbounded.
    return (0.0, np.inf) if y_pred.ndim == 1 or y_pred.shape[1] == 1 else (-np.inf, np.inf)


# --- the catalog's further losses (issue 8) ---------------------------------------------------


def _shaped(loss: Loss, column: np.ndarray) -> np.ndarray:
    """A prediction column as the loss takes it: (n,) for one column, else (n, 1)."""
    return column if loss.pred_columns == "one" else column[:, None]


def _signed(draw: Any, n: int, magnitude: st.SearchStrategy[float]) -> np.ndarray:
    values = _vector(draw, n, magnitude)
    return values * _hard_labels(draw, n, (-1.0, 1.0))


def _nonzero_draw(draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str) -> Any:
    # |ŷ - y| / |y| stays finite for |y| >= 1e-300 and |ŷ| <= 1e6.
    if mode == "edge":
        return _vector(draw, n, ANY_FLOAT), _vector(draw, n, ANY_FLOAT)
    if mode == "smooth":
        return _signed(draw, n, _floats(0.5, 100.0)), _vector(draw, n, _floats(-100.0, 100.0))
    return _signed(draw, n, _floats(1e-300, 1e6)), _vector(draw, n, _floats(-1e6, 1e6))


def _nonzero_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    y = _signed(draw, n, _floats(1e-6, 1e6))
    return y, y.copy(), True


def _above_minus_one_draw(
    draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str
) -> Any:
    value = {
        "smooth": _floats(-0.5, 100.0),
        "finite": st.floats(-1.0, 1e6, exclude_min=True),
        "edge": st.floats(-1.0, exclude_min=True, allow_infinity=False),
    }[mode]
    return _vector(draw, n, value), _vector(draw, n, value)


def _above_minus_one_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    y = _vector(draw, n, st.floats(-1.0, 1e6, exclude_min=True))
    return y, y.copy(), True


def _above_minus_one_bounds(space: str, y_pred: np.ndarray) -> tuple[float, float]:
    return -1.0, np.inf


def _positive_target(loss: Loss, params: dict) -> bool:
    """Whether the loss needs y > 0: the gamma deviance, and Tweedie from power 2."""
    return loss.target == "positive" or float(params.get("power", 1.0)) >= 2


def _mean_pred(draw: Any, n: int, space: str, mode: str) -> np.ndarray:
    # Smooth draws keep y and μ within a factor 10 of each other: with powers up to 11 the
    # deviance's curvature (about p / μ) stays where finite differences resolve it.
    if space == "log":
        log_value = {
            "smooth": _floats(-0.69, 1.6),
            "finite": _floats(-6.9, 13.8),
            "edge": ANY_FLOAT,
        }[mode]
        return _vector(draw, n, log_value)
    value = {
        "smooth": _floats(0.5, 5.0),
        "finite": _floats(1e-3, 1e6),
        "edge": st.floats(0.0, exclude_min=True, allow_infinity=False),
    }[mode]
    return _vector(draw, n, value)


def _mean_target(draw: Any, n: int, positive: bool, mode: str) -> np.ndarray:
    value = {
        "smooth": _floats(0.5, 5.0),
        "finite": _floats(1e-3, 1e6),
        "edge": st.floats(0.0, exclude_min=True, allow_infinity=False),
    }[mode]
    if not positive:
        value = st.one_of(st.just(0.0), value)
    return _vector(draw, n, value)


def _count_draw(draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str) -> Any:
    y = _mean_target(draw, n, _positive_target(loss, params), mode)
    return y, _mean_pred(draw, n, space, mode)


def _count_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    y = _mean_target(draw, n, True, "finite")
    if space == "log":
        return y, np.log(y), True  # ln μ - ln y is exactly 0
    return y, y.copy(), True


def _positive_bounds(space: str, y_pred: np.ndarray) -> tuple[float, float]:
    return (0.0, np.inf) if space == "raw" else (-np.inf, np.inf)


def _nonnegative_rows_draw(
    draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str
) -> Any:
    k = draw(st.integers(1, 4))
    cells = _mean_target(draw, n * k, False, mode).reshape(n, k)
    return cells, _mean_pred(draw, n * k, space, mode).reshape(n, k)


def _nonnegative_rows_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    k = draw(st.integers(1, 4))
    p = _mean_target(draw, n * k, True, "finite").reshape(n, k)
    return p, (np.log(p) if space == "log" else p.copy()), True


def _mean_variance_draw(draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str) -> Any:
    real = {"smooth": _floats(-10.0, 10.0), "finite": _floats(-1e6, 1e6), "edge": ANY_FLOAT}
    y, mu = _vector(draw, n, real[mode]), _vector(draw, n, real[mode])
    if params.get("variance") is not None:
        return y, mu[:, None]
    # Smooth draws keep the variance >= 0.1, far beyond the finite-difference steps (<= 0.01):
    # the mean column needs no bounds, so the domain declares none.
    if space == "log":
        log_var = {"smooth": _floats(-2.0, 2.0), "finite": _floats(-13.8, 13.8), "edge": ANY_FLOAT}
        spread = _vector(draw, n, log_var[mode])
    else:
        var = {
            "smooth": _floats(0.1, 10.0),
            "finite": _floats(1e-6, 1e6),
            "edge": st.floats(0.0, exclude_min=True, allow_infinity=False),
        }
        spread = _vector(draw, n, var[mode])
    return y, np.column_stack([mu, spread])


def _mean_variance_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    y, pred = _mean_variance_draw(draw, loss, space, params, n, "finite")
    pred[:, 0] = y
    return y, pred, False  # a negative log-density: not 0 at a perfect mean


def _multilabel_draw(draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str) -> Any:
    k = draw(st.integers(1, 4))
    if draw(st.booleans()) or mode == "smooth":
        y = _hard_labels(draw, n * k, (0.0, 1.0)).reshape(n, k)
    else:
        y = _vector(draw, n * k, _floats(0.0, 1.0)).reshape(n, k)
    return y, _binary_pred(draw, n * k, space, mode).reshape(n, k)


def _multilabel_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    k = draw(st.integers(1, 4))
    y = _hard_labels(draw, n * k, (0.0, 1.0)).reshape(n, k)
    if space == "prob":
        return y, y.copy(), True
    return y, np.where(y == 1, 1000.0, -1000.0), False


def _multilabel_to_space(loss: Loss, space: str, p: np.ndarray) -> np.ndarray:
    return _binary_to_space(loss, space, p)


def _class_draw(draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str) -> Any:
    k = draw(st.integers(2, 5))
    labels = _vector(draw, n, st.integers(0, k - 1).map(float))
    score = {"smooth": _floats(-3.0, 3.0), "finite": _floats(-1e4, 1e4), "edge": ANY_FLOAT}
    scores = _vector(draw, n * k, score[mode]).reshape(n, k)
    return labels, scores


def _class_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    k = draw(st.integers(2, 5))
    labels = _vector(draw, n, st.integers(0, k - 1).map(float))
    # The true class 1e5 ahead of the others: past any drawn margin, and e^(-1e5 / τ) = 0.
    return labels, 1e5 * np.eye(k)[labels.astype(int)], True


def _ranked_draw(draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str) -> Any:
    score = {"smooth": _floats(-10.0, 10.0), "finite": _floats(-1e6, 1e6), "edge": ANY_FLOAT}
    pred = _vector(draw, 2 * n, score[mode]).reshape(n, 2)
    return _hard_labels(draw, n, (-1.0, 1.0)), pred


def _ranked_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    margin = float(params.get("margin", 0.0))
    y = _hard_labels(draw, n, (-1.0, 1.0))
    x2 = _vector(draw, n, _floats(-10.0, 10.0))
    gap = margin + _vector(draw, n, _floats(0.01, 10.0))
    return y, np.column_stack([x2 + y * gap, x2]), True


def _rows_of(draw: Any, n: int, width: int, coord: st.SearchStrategy[float]) -> np.ndarray:
    """n rows of `width` coordinates, none of them the zero vector."""
    row = st.lists(coord, min_size=width, max_size=width).filter(lambda r: any(r))
    return np.array([draw(row) for _ in range(n)], dtype=np.float64)


_COORDS = {"smooth": _floats(-3.0, 3.0), "finite": _floats(-100.0, 100.0), "edge": ANY_FLOAT}


def _smooth_rows(draw: Any, n: int, width: int) -> np.ndarray:
    """Rows kept away from the zero vector (norm >= 0.1): smooth for cosines."""
    row = st.lists(_floats(-3.0, 3.0), min_size=width, max_size=width).filter(
        lambda r: float(np.linalg.norm(r)) >= 0.1
    )
    return np.array([draw(row) for _ in range(n)], dtype=np.float64)


def _cosine_draw(draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str) -> Any:
    width = draw(st.integers(1, 3))
    y = _hard_labels(draw, n, (-1.0, 1.0))
    if mode == "smooth":
        a, b = _smooth_pairs(draw, y, width, float(params.get("margin", 0.0)))
    else:
        a, b = _rows_of(draw, n, width, _COORDS[mode]), _rows_of(draw, n, width, _COORDS[mode])
    return y, np.concatenate([a, b], axis=1)


def _smooth_pairs(draw: Any, y: np.ndarray, width: int, margin: float) -> Any:
    """Pairs of rows away from the zero vector whose cosine, for a dissimilar pair (y = -1),
    stays 0.05 or more from the margin: max(0, cos - margin) has its kink there (two
    orthogonal vectors at margin 0 were a falsifying example of the gradient test)."""
    row = st.lists(_floats(-3.0, 3.0), min_size=width, max_size=width).filter(
        lambda r: float(np.linalg.norm(r)) >= 0.1
    )

    def off_kink(pair: tuple[list[float], list[float]]) -> bool:
        a, b = np.array(pair[0]), np.array(pair[1])
        cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
        return abs(cos - margin) >= 0.05

    pairs = [
        draw(st.tuples(row, row).filter(off_kink) if label == -1 else st.tuples(row, row))
        for label in y
    ]
    return np.array([a for a, _ in pairs]), np.array([b for _, b in pairs])


def _cosine_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    width = draw(st.integers(1, 3))
    a = _rows_of(draw, n, width, _floats(-10.0, 10.0))
    y = _hard_labels(draw, n, (-1.0, 1.0))
    # Similar: the same vector (cos = 1 exactly); dissimilar: the opposite one (cos = -1,
    # which rounding may leave a hair above a margin of -1).
    b = np.where(y[:, None] == 1, a, -a)
    return y, np.concatenate([a, b], axis=1), False


def _away_from_the_hinge(
    d_pos: np.ndarray, neg: np.ndarray, params: dict, distance: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Scale the negatives' offsets (or distances) until d(a, p) - d(a, n) + m is at least
    0.05 from 0 in every row: the smooth draws stay off the hinge's kink."""
    margin = float(params.get("margin", 1.0))
    for _ in range(20):
        bad = np.abs(d_pos - distance(neg) + margin) < 0.05
        if not bad.any():
            break
        neg = np.where(bad[:, None] if neg.ndim == 2 else bad, neg * 1.5, neg)
    return neg


def _triplet_draw(draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str) -> Any:
    none = np.zeros((n, 0))
    # --swap needs the embeddings (d(p, n)); width 0 is the two-distance form.
    width = draw(st.integers(1 if params.get("swap") == "yes" else 0, 3))
    if width == 0:
        distance = {
            "smooth": _floats(0.05, 3.0),
            "finite": _floats(0.0, 1e3),
            "edge": st.floats(0.0, allow_infinity=False),
        }[mode]
        d = _vector(draw, 2 * n, distance).reshape(n, 2)
        if mode == "smooth":
            d[:, 1] = _away_from_the_hinge(d[:, 0], d[:, 1], params, lambda v: v)
        return none, d
    if mode == "smooth":
        a = _vector(draw, n * width, _floats(-3.0, 3.0)).reshape(n, width)
        # Every coordinate of a - p and a - n at least 0.1 from 0: no kink of |.| (p = 1).
        step = _floats(0.1, 2.0).flatmap(lambda v: st.sampled_from((v, -v)))
        to_pos = _vector(draw, n * width, step).reshape(n, width)
        to_neg = _vector(draw, n * width, step).reshape(n, width)
        p = float(params.get("p_norm", 2.0))

        def norm(v: np.ndarray) -> np.ndarray:
            return np.sum(np.abs(v) ** p, axis=1) ** (1 / p)

        to_neg = _away_from_the_hinge(norm(to_pos), to_neg, params, norm)
        return none, np.concatenate([a, a + to_pos, a + to_neg], axis=1)
    coords = _vector(draw, 3 * n * width, _COORDS[mode]).reshape(n, 3 * width)
    return none, coords


def _triplet_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    margin = float(params.get("margin", 1.0))
    none = np.zeros((n, 0))
    width = draw(st.integers(0, 3))
    far = margin + 1.0 + _vector(draw, n, _floats(0.0, 10.0))
    if params.get("swap") == "yes":
        width = max(width, 1)  # --swap needs the embeddings
    if width == 0:
        return none, np.column_stack([np.zeros(n), far]), True
    a = _vector(draw, n * width, _floats(-10.0, 10.0)).reshape(n, width)
    direction = np.zeros(width)
    direction[0] = 1.0
    return none, np.concatenate([a, a, a + far[:, None] * direction], axis=1), True


def _triplet_bounds(space: str, y_pred: np.ndarray) -> tuple[float, float]:
    return (0.0, np.inf) if y_pred.shape[1] == 2 else (-np.inf, np.inf)


def _pair_ids_draw(draw: Any, loss: Loss, space: str, params: dict, n: int, mode: str) -> Any:
    pairs = max(1, (n + 1) // 2)
    ids = np.repeat(np.arange(pairs, dtype=np.float64), 2)
    ids = ids[np.array(draw(st.permutations(range(2 * pairs))))]
    width = draw(st.integers(1, 3))
    if mode == "smooth":
        return ids, _smooth_rows(draw, 2 * pairs, width)
    return ids, _rows_of(draw, 2 * pairs, width, _COORDS[mode])


def _pair_ids_perfect(draw: Any, loss: Loss, space: str, params: dict, n: int) -> Any:
    ids, rows = _pair_ids_draw(draw, loss, space, params, n, "finite")
    return ids, rows, False  # never 0: a batch loss with a floor above 0


@dataclass(frozen=True)
class Domain:
    spaces: tuple[str, ...]
    draw: Callable[..., Any]
    perfect: Callable[..., Any]
    to_space: Callable[[Loss, str, np.ndarray], np.ndarray] | None = None
    pred_bounds: Callable[[str, np.ndarray], tuple[float, float]] = _raw_bounds


DOMAINS: dict[str, Domain] = {
    "real": Domain(("raw",), _real_draw, _real_perfect),
    "binary": Domain(("prob", "logit"), _binary_draw, _binary_perfect, _binary_to_space),
    "sign": Domain(("raw",), _sign_draw, _sign_perfect),
    "labels": Domain(("prob", "logit", "logprob"), _labels_draw, _labels_perfect, _labels_to_space),
    "distribution": Domain(
        ("prob", "logit", "logprob"),
        _distribution_draw,
        _distribution_perfect,
        _distribution_to_space,
    ),
    "similarity": Domain(
        ("raw",), _similarity_draw, _similarity_perfect, pred_bounds=_similarity_bounds
    ),
    "nonzero-real": Domain(("raw",), _nonzero_draw, _nonzero_perfect),
    "above-minus-one": Domain(
        ("raw",),
        _above_minus_one_draw,
        _above_minus_one_perfect,
        pred_bounds=_above_minus_one_bounds,
    ),
    "count": Domain(("raw", "log"), _count_draw, _count_perfect, pred_bounds=_positive_bounds),
    "positive": Domain(("raw", "log"), _count_draw, _count_perfect, pred_bounds=_positive_bounds),
    "nonnegative-rows": Domain(
        ("raw", "log"),
        _nonnegative_rows_draw,
        _nonnegative_rows_perfect,
        pred_bounds=_positive_bounds,
    ),
    "mean-variance": Domain(
        ("raw", "log"),
        _mean_variance_draw,
        _mean_variance_perfect,
    ),
    "multilabel": Domain(
        ("prob", "logit"), _multilabel_draw, _multilabel_perfect, _multilabel_to_space
    ),
    "class": Domain(("raw",), _class_draw, _class_perfect),
    "ranked-pairs": Domain(("raw",), _ranked_draw, _ranked_perfect),
    "cosine-pairs": Domain(("raw",), _cosine_draw, _cosine_perfect),
    "triplet": Domain(("raw",), _triplet_draw, _triplet_perfect, pred_bounds=_triplet_bounds),
    "pair-ids": Domain(("raw",), _pair_ids_draw, _pair_ids_perfect),
}


def domain(loss: Loss, space: str) -> Domain:
    """The generator for this loss in this space, or UnknownDomain."""
    found = DOMAINS.get(loss.target)
    if found is None:
        raise UnknownDomain(
            f"{loss.name}: no strategy for target domain {loss.target!r}; "
            f"add one to tests/strategies.py (known: {', '.join(sorted(DOMAINS))})"
        )
    if space not in found.spaces:
        raise UnknownDomain(
            f"{loss.name}: target domain {loss.target!r} has no strategy for space {space!r}"
        )
    return found


def unclassified() -> list[str]:
    """Every (loss, space) of the registry that the strategies cannot draw inputs for."""
    problems = []
    for loss in all_losses():
        for space in loss.spaces:
            try:
                domain(loss, space)
            except UnknownDomain as e:
                problems.append(str(e))
    return problems


# --- parameters ------------------------------------------------------------------------------


# class_weights needs one value per class column and batch_size whole pairs per batch: both
# are drawn by their own tests (tests/core/test_catalog_losses.py). Poisson's full adds a
# term of the target alone (no longer 0 at a perfect rate): tests/core/
# test_peer_parameter_gradients.py draws it.
KEPT_AT_DEFAULT = ("eps", "label_smoothing", "class_weights", "batch_size", "full")


def params_for(loss: Loss) -> st.SearchStrategy[dict[str, Any]]:
    """Parameter values drawn from each Param's declared choices or range.

    `eps` (clipping of probabilities) and `label_smoothing` stay at their defaults: they change
    the loss on purpose (a perfect prediction no longer scores 0; with smoothing it costs inf
    where a smoothed class has p = 0) and are tested on their own (test_conventions.py).
    """
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for p in loss.params:
        if p.name in KEPT_AT_DEFAULT:
            continue
        if p.choices:
            fields[p.name] = st.sampled_from(p.choices)
            continue
        lo = p.lower if p.lower is not None else -10.0
        if p.lower_open:
            lo += 0.05  # keep away from a degenerate 0 (delta, margin)
        hi = p.upper if p.upper is not None else lo + 10.0
        number = _floats(lo, hi)
        if p.integer:  # whole numbers only (multi-margin's exponent 1 or 2)
            number = st.integers(int(lo), int(hi)).map(float)
        if p.gap is not None:  # both sides of a refused interval (Tweedie: p <= 0, p >= 1)
            number = st.one_of(_floats(-3.0, p.gap[0]), _floats(p.gap[1], p.gap[1] + 10.0))
        # None stands for "unset" (focal's alpha): the record then omits it.
        fields[p.name] = st.one_of(st.just(p.default), number)
    return st.fixed_dictionaries(fields).map(
        lambda d: {k: v for k, v in d.items() if v is not None}
    )


# --- the strategies the tests use ------------------------------------------------------------


@st.composite
def cases(draw: Any, loss: Loss, space: str, mode: str = "finite", min_rows: int = 1) -> Case:
    """A loss in a space with drawn parameters and valid inputs (see the module docstring)."""
    assert mode in MODES
    dom = domain(loss, space)
    params = draw(params_for(loss))
    n = draw(st.integers(min_rows, MAX_ROWS))
    y_true, y_pred = dom.draw(draw, loss, space, params, n, mode)
    return Case(loss, space, params, y_true, y_pred)


@st.composite
def perfect_cases(draw: Any, loss: Loss, space: str) -> tuple[Case, bool]:
    """Inputs where the prediction is perfect (hard targets); the flag says whether the loss is
    exactly 0 there (True) or only in the limit (False: logits)."""
    dom = domain(loss, space)
    params = draw(params_for(loss))
    n = draw(st.integers(1, MAX_ROWS))
    y_true, y_pred, exact = dom.perfect(draw, loss, space, params, n)
    return Case(loss, space, params, y_true, y_pred), exact


def to_space(loss: Loss, space: str, p: np.ndarray) -> np.ndarray:
    """Probability predictions for `loss` rewritten in `space` (same model, other encoding)."""
    dom = domain(loss, space)
    if dom.to_space is None:
        raise UnknownDomain(f"{loss.name}: no conversion between spaces")
    return dom.to_space(loss, space, p)


def pred_bounds(loss: Loss, space: str, y_pred: np.ndarray) -> tuple[float, float]:
    """The interval each prediction cell must stay in (finite-difference steps respect it)."""
    return domain(loss, space).pred_bounds(space, y_pred)


def loss_names() -> list[str]:
    """Every loss of the registry by name, for pytest.mark.parametrize (names keep Hypothesis's
    falsifying examples short; tests look the record up with `get`)."""
    return [loss.name for loss in all_losses()]


def loss_space_pairs() -> list[tuple[str, str]]:
    """Every (loss name, space) pair of the registry."""
    return [(loss.name, space) for loss in all_losses() for space in loss.spaces]
