"""Regression losses: functions of the residual r = y_pred - y_true, one value per example."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.core import checks
from losscli.core.numerics import sign
from losscli.core.registry import Array, Loss, Param, Prepared, Properties, Space, register


def prepare_residual(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """Real targets and predictions, one column each."""
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    checks.check_rows(y_true, y_pred)
    checks.check_columns(y_true, "target", (1,), "for a regression loss")
    checks.check_columns(y_pred, "pred", (1,), "for a regression loss")
    checks.check_finite(y_true, "target")
    checks.check_finite(y_pred, "pred")
    return Prepared(y_true[:, 0], y_pred[:, 0])


def mse_value(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    r = y_pred - y_true
    return r * r


def mse_grad(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    return 2.0 * (y_pred - y_true)


def mae_value(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    return np.abs(y_pred - y_true)


def mae_grad(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    return sign(y_pred - y_true)


def huber_value(y_true: Array, y_pred: Array, *, space: Space = "raw", delta: float = 1.0) -> Array:
    a = np.abs(y_pred - y_true)
    # delta * (|r| - delta/2) written as delta*|r| - delta^2/2 loses digits near |r| = delta;
    # the quadratic branch is taken exactly where |r| <= delta.
    return np.where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta))


def huber_grad(y_true: Array, y_pred: Array, *, space: Space = "raw", delta: float = 1.0) -> Array:
    return np.clip(y_pred - y_true, -delta, delta)


def smooth_l1_value(
    y_true: Array, y_pred: Array, *, space: Space = "raw", beta: float = 1.0
) -> Array:
    """PyTorch's SmoothL1: Huber(delta=beta) / beta, and |r| at beta = 0.

    Quadratic r^2/(2 beta) below beta, |r| - beta/2 above: the linear part has slope 1 for
    every beta, where Huber's has slope delta.
    """
    a = np.abs(y_pred - y_true)
    if beta == 0:
        return a
    return np.where(a < beta, 0.5 * a * a / beta, a - 0.5 * beta)


def smooth_l1_grad(
    y_true: Array, y_pred: Array, *, space: Space = "raw", beta: float = 1.0
) -> Array:
    r = y_pred - y_true
    if beta == 0:
        return sign(r)
    return np.clip(r / beta, -1.0, 1.0)


_REGRESSION = dict(
    family="regression",
    target="real",
    pred_columns="one",
    spaces=("raw",),
    prepare=prepare_residual,
)

MSE = register(
    Loss(
        name="mse",
        aliases=("squared-error", "l2", "mean-squared-error"),
        summary="Mean squared error: the square of the residual.",
        params=(),
        properties=Properties(
            convex=True, smooth=True, robust=False, probabilistic=False, symmetric=True
        ),
        value=mse_value,
        grad=mse_grad,
        formula="L(y, ŷ) = (ŷ - y)^2",
        grad_formula="dL/dŷ = 2 (ŷ - y)",
        typical_use=(
            "Regression with roughly Gaussian noise and no gross outliers; its minimiser is the "
            "conditional mean."
        ),
        confusions=(
            "No factor 1/2 here (PyTorch MSELoss, Keras, scikit-learn agree); Optax l2_loss and "
            "many textbooks use (ŷ - y)^2 / 2, whose gradient is ŷ - y.",
            "RMSE is the square root of the mean, not a per-example loss.",
            "One outlier with residual 10 weighs as much as 100 examples with residual 1.",
        ),
        references=(
            "Hastie, Tibshirani, Friedman. The Elements of Statistical Learning, 2nd ed., §2.4.",
            "PyTorch torch.nn.MSELoss; scikit-learn sklearn.metrics.mean_squared_error.",
        ),
        **_REGRESSION,  # type: ignore[arg-type]
    )
)

MAE = register(
    Loss(
        name="mae",
        aliases=("absolute-error", "l1", "mean-absolute-error"),
        summary="Mean absolute error: the absolute value of the residual.",
        params=(),
        properties=Properties(
            convex=True, smooth=False, robust=True, probabilistic=False, symmetric=True
        ),
        value=mae_value,
        grad=mae_grad,
        formula="L(y, ŷ) = |ŷ - y|",
        grad_formula="dL/dŷ = sign(ŷ - y), taken as 0 at ŷ = y",
        typical_use=(
            "Regression where the median is the right summary, or where outliers must not "
            "dominate; every example pulls with the same force."
        ),
        confusions=(
            "The gradient never shrinks near the optimum: training with a fixed step size "
            "oscillates around it.",
            "Subgradient at 0 differs between frameworks: PyTorch 0, JAX 1, scikit-learn -1; "
            "losscli uses 0.",
        ),
        references=(
            "Koenker. Quantile Regression, Cambridge University Press, 2005 (median regression).",
            "PyTorch torch.nn.L1Loss; scikit-learn sklearn.metrics.mean_absolute_error.",
        ),
        kink_note="not differentiable at ŷ = y; losscli uses sign(0) = 0",
        **_REGRESSION,  # type: ignore[arg-type]
    )
)

HUBER = register(
    Loss(
        name="huber",
        aliases=("huber-loss",),
        summary="Huber loss: quadratic near zero, linear beyond delta.",
        params=(
            Param(
                "delta",
                1.0,
                "where the loss turns from quadratic to linear",
                lower=0.0,
                lower_open=True,
            ),
        ),
        properties=Properties(
            convex=True, smooth=True, robust=True, probabilistic=False, symmetric=True
        ),
        value=huber_value,
        grad=huber_grad,
        formula="L = r^2/2 if |r| <= δ, else δ (|r| - δ/2), with r = ŷ - y",
        grad_formula="dL/dŷ = clip(r, -δ, δ): bounded by δ",
        typical_use=(
            "Regression with heavy-tailed noise or some mislabeled targets: MSE's efficiency "
            "near zero, MAE's bounded influence for large residuals. Set δ near 1.345 times "
            "the residual scale."
        ),
        confusions=(
            "Huber is r^2/2 near zero, so it tends to MSE/2 (not MSE) for large δ and to δ·MAE "
            "for small δ.",
            "PyTorch SmoothL1Loss(beta) is Huber divided by beta: same shape, different scale.",
            "SciPy special.huber takes delta first: huber(delta, r).",
        ),
        references=(
            "Huber. Robust Estimation of a Location Parameter. Ann. Math. Statist. 35(1), 1964.",
            "PyTorch torch.nn.HuberLoss; SciPy scipy.special.huber.",
        ),
        **_REGRESSION,  # type: ignore[arg-type]
    )
)

SMOOTH_L1 = register(
    Loss(
        name="smooth-l1",
        aliases=("smoothl1", "smooth-l1-loss"),
        summary="Smooth L1 (PyTorch SmoothL1Loss): Huber divided by beta, slope 1 beyond beta.",
        params=(
            Param(
                "beta",
                1.0,
                "where the loss turns from quadratic to linear (0: plain L1)",
                lower=0.0,
            ),
        ),
        properties=Properties(
            convex=True, smooth=True, robust=True, probabilistic=False, symmetric=True
        ),
        value=smooth_l1_value,
        grad=smooth_l1_grad,
        formula="L = r^2/(2β) if |r| < β, else |r| - β/2, with r = ŷ - y;  L = |r| at β = 0",
        grad_formula="dL/dŷ = clip(r/β, -1, 1): bounded by 1 for every β (sign(r) at β = 0)",
        typical_use=(
            "Box regression in object detection (Fast R-CNN) and wherever a PyTorch model "
            "uses SmoothL1Loss: MAE-like pull on large errors, smooth near zero."
        ),
        confusions=(
            "smooth-l1(β) = huber(δ=β) / β: at r = 0.5, 2, 3 with β = 2 it is 0.0625, 1, 2 where "
            "Huber(δ=2) is 0.125, 2, 4.",
            "Its largest gradient is 1 whatever β; Huber's is δ.",
            "β = 0 is plain L1 (PyTorch special-cases it); the catalog's huber needs δ > 0.",
        ),
        references=(
            "Girshick. Fast R-CNN. ICCV 2015 (smooth L1 with β = 1).",
            "PyTorch torch.nn.SmoothL1Loss.",
        ),
        kink_note="smooth for β > 0; at β = 0 it is |r|, and losscli uses sign(0) = 0",
        **_REGRESSION,  # type: ignore[arg-type]
    )
)
