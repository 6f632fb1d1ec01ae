"""Regression losses: functions of the residual r = y_pred - y_true, one value per example."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.core.losses import checks
from losscli.core.losses.numerics import log_ratio, sign
from losscli.core.losses.registry import register
from losscli.core.losses.types import (
    VALUE_SHOWS_BAD_INPUT,
    Array,
    Loss,
    Param,
    Prepared,
    Properties,
    Space,
)


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


def mse_value_and_grad(
    y_true: Array, y_pred: Array, *, space: Space = "raw"
) -> tuple[Array, Array]:
    """mse_value and mse_grad from one residual."""
    r = y_pred - y_true
    return r * r, 2.0 * r


def mae_value(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    return np.abs(y_pred - y_true)


def mae_grad(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    return sign(y_pred - y_true)


def huber_value(y_true: Array, y_pred: Array, *, space: Space = "raw", delta: float = 1.0) -> Array:
    return _huber_of_residual(np.subtract(y_pred, y_true), delta)


def _huber_of_residual(r: Array, delta: float) -> Array:
    """Huber's value from the residual r, which it overwrites (one temporary fewer)."""
    a = np.abs(r, out=r)
    # q (|r| - q/2) with q = min(|r|, delta): (|r|/2) |r| where |r| <= delta (|r| - |r|/2 is
    # exact), delta (|r| - delta/2) beyond; written as delta*|r| - delta^2/2 the linear part
    # would lose digits near |r| = delta. One expression, no branch arrays.
    q = np.minimum(a, delta)
    a -= np.multiply(q, 0.5)  # |r| - q/2: the same as |r| + (-q/2), bit for bit
    a *= q
    return a


def huber_grad(y_true: Array, y_pred: Array, *, space: Space = "raw", delta: float = 1.0) -> Array:
    r = np.subtract(y_pred, y_true)
    return np.clip(r, -delta, delta, out=r)


def huber_value_and_grad(
    y_true: Array, y_pred: Array, *, space: Space = "raw", delta: float = 1.0
) -> tuple[Array, Array]:
    """huber_value and huber_grad from one residual."""
    r = np.subtract(y_pred, y_true)
    grad = np.clip(r, -delta, delta)
    return _huber_of_residual(r, delta), grad


def smooth_l1_value(
    y_true: Array, y_pred: Array, *, space: Space = "raw", beta: float = 1.0
) -> Array:
    """PyTorch's SmoothL1: Huber(delta=beta) / beta, and |r| at beta = 0.

    Quadratic r^2/(2 beta) below beta, |r| - beta/2 above: the linear part has slope 1 for
    every beta, where Huber's has slope delta.
    """
    if beta == 1.0:
        # Huber with delta 1 bit for bit: (|r| - |r|/2) |r| = (|r|/2) |r| exactly, x / 1.0 is
        # x, and beyond 1 both are |r| - 1/2. Without the branch arrays: 3x faster.
        return huber_value(y_true, y_pred, delta=1.0)
    return _smooth_l1_of_residual(np.subtract(y_pred, y_true), beta)


def _smooth_l1_of_residual(r: Array, beta: float) -> Array:
    """smooth_l1_value for beta != 1 from the residual r."""
    a = np.abs(r)
    if beta == 0:
        return a
    return np.where(a < beta, 0.5 * a * a / beta, a - 0.5 * beta)


def smooth_l1_grad(
    y_true: Array, y_pred: Array, *, space: Space = "raw", beta: float = 1.0
) -> Array:
    r = y_pred - y_true
    if beta == 0:
        return sign(r)
    if beta == 1.0:
        return np.clip(r, -1.0, 1.0, out=r)  # r / 1.0 is r: no division pass
    return np.clip(r / beta, -1.0, 1.0)


def smooth_l1_value_and_grad(
    y_true: Array, y_pred: Array, *, space: Space = "raw", beta: float = 1.0
) -> tuple[Array, Array]:
    """smooth_l1_value and smooth_l1_grad from one residual."""
    if beta == 1.0:
        return huber_value_and_grad(y_true, y_pred, delta=1.0)
    r = np.subtract(y_pred, y_true)
    grad = sign(r) if beta == 0 else np.clip(r / beta, -1.0, 1.0)
    return _smooth_l1_of_residual(r, beta), grad


# r = ŷ - y is NaN or infinite where an input is, and so is each of these losses of it: |r|,
# r^2, Huber's q (|r| - q/2) with q = min(|r|, δ) (NaN propagates through min), SmoothL1.
_SHOWS_BAD_INPUT = {VALUE_SHOWS_BAD_INPUT: True}

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
        value_and_grad=mse_value_and_grad,
        formula="L(y, ŷ) = (ŷ - y)^2",
        grad_formula="dL/dŷ = 2 (ŷ - y)",
        short_formula="r^2 (no 1/2)",
        short_grad_formula="2r",
        framework_names={
            "torch": "`nn.MSELoss`",
            "keras": "`losses.MeanSquaredError`",
            "optax": "`losses.squared_error` (`l2_loss` is ½ of it)",
            "sklearn": "`metrics.mean_squared_error`",
        },
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
        extra=_SHOWS_BAD_INPUT,
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
        short_formula="|r|",
        short_grad_formula="sign(r), 0 at r = 0",
        framework_names={
            "torch": "`nn.L1Loss`",
            "keras": "`losses.MeanAbsoluteError`",
            "sklearn": "`metrics.mean_absolute_error`",
        },
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
        extra=_SHOWS_BAD_INPUT,
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
        value_and_grad=huber_value_and_grad,
        formula="L = r^2/2 if |r| <= δ, else δ (|r| - δ/2), with r = ŷ - y",
        grad_formula="dL/dŷ = clip(r, -δ, δ): bounded by δ",
        short_formula="r^2/2 if |r| <= delta, else delta (|r| - delta/2)",
        short_grad_formula="clip(r, -delta, delta)",
        framework_names={
            "torch": "`nn.HuberLoss`",
            "keras": "`losses.Huber`",
            "optax": "`losses.huber_loss`",
            "scipy": "`special.huber`",
        },
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
        extra=_SHOWS_BAD_INPUT,
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
        value_and_grad=smooth_l1_value_and_grad,
        formula="L = r^2/(2β) if |r| < β, else |r| - β/2, with r = ŷ - y;  L = |r| at β = 0",
        grad_formula="dL/dŷ = clip(r/β, -1, 1): bounded by 1 for every β (sign(r) at β = 0)",
        short_formula="r^2/(2 beta) if |r| < beta, else |r| - beta/2",
        short_grad_formula="clip(r/beta, -1, 1)",
        framework_names={
            "torch": "`nn.SmoothL1Loss`",
        },
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
        extra=_SHOWS_BAD_INPUT,
        **_REGRESSION,  # type: ignore[arg-type]
    )
)


# --- more residual losses --------------------------------------------------------------------
#
# Appended below the catalog's first three; the count and likelihood losses (Poisson, Gaussian
# NLL, Tweedie, gamma) live in likelihood.py.

LN2 = math.log(2.0)


def log_cosh_value(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    a = np.abs(y_pred - y_true)
    # Near 0, ln cosh r = ln(1 + 2 sinh(r/2)^2) keeps full relative precision (about r^2/2);
    # logaddexp(r, -r) - ln 2 there would cancel. Beyond, |r| + ln(1 + e^-2|r|) - ln 2 is
    # logaddexp's form and never overflows.
    with np.errstate(over="ignore"):
        s = np.sinh(0.5 * np.minimum(a, 1.0))
    small = np.log1p(2.0 * s * s)
    large = a + np.log1p(np.exp(-2.0 * a)) - LN2
    return np.where(a < 1.0, small, large)


def log_cosh_grad(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    return np.tanh(y_pred - y_true)


def pseudo_huber_value(
    y_true: Array, y_pred: Array, *, space: Space = "raw", delta: float = 1.0
) -> Array:
    a = np.abs(y_pred - y_true)
    with np.errstate(over="ignore", divide="ignore"):
        t = a / delta
        # sqrt(1 + t^2) - 1 = t^2 / (sqrt(1 + t^2) + 1): no cancellation for small t, and
        # s = t / (hypot(1, t) + 1) < 1 keeps t^2 from overflowing; above t = 1 written with
        # 1/t, so that t = inf (a residual beyond float64 / delta) gives s = 1, not inf/inf.
        inv = 1.0 / np.maximum(t, 1.0)
        s = np.where(t > 1.0, 1.0 / (np.hypot(1.0, inv) + inv), t / (np.hypot(1.0, t) + 1.0))
    # delta^2 t s, multiplied in an order that overflows only where the value does.
    return np.where(a <= delta, (a * s) * delta, (delta * a) * s)


def pseudo_huber_grad(
    y_true: Array, y_pred: Array, *, space: Space = "raw", delta: float = 1.0
) -> Array:
    with np.errstate(over="ignore"):
        t = (y_pred - y_true) / delta
    a = np.abs(t)
    # t / sqrt(1 + t^2), as sign(t) / sqrt(1/t^2 + 1) above |t| = 1 (finite at t = inf).
    inv = 1.0 / np.maximum(a, 1.0)
    unit = np.where(a > 1.0, np.sign(t) / np.hypot(inv, 1.0), t / np.hypot(1.0, t))
    return delta * unit


def pinball_value(
    y_true: Array, y_pred: Array, *, space: Space = "raw", quantile: float = 0.5
) -> Array:
    r = y_pred - y_true
    # Under-prediction (r < 0) costs tau per unit, over-prediction 1 - tau.
    return np.where(r < 0, -quantile * r, (1.0 - quantile) * r)


def pinball_grad(
    y_true: Array, y_pred: Array, *, space: Space = "raw", quantile: float = 0.5
) -> Array:
    r = y_pred - y_true
    return np.where(r < 0, -quantile, np.where(r > 0, 1.0 - quantile, 0.0))


def prepare_nonzero_target(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """Real targets and predictions; a zero target is allowed (its loss is infinite unless the
    prediction is 0 too) and the notice names its rows."""
    return prepare_residual(y_true, y_pred, space, params, normalize)


def mape_value(y_true: Array, y_pred: Array, *, space: Space = "raw", floor: float = 0.0) -> Array:
    """|ŷ - y| / |y|. A convention's `floor` divides by max(|y|, floor) instead (scikit-learn:
    machine epsilon; Keras: 1e-7), so a target of 0 gives a huge finite number."""
    a = np.maximum(np.abs(y_true), floor)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        r = y_pred - y_true
        relative = np.abs(r) / a
        # y_pred - y_true overflows for opposite signs near 1e308 where the ratio does not.
        relative = np.where(np.isinf(r), np.abs(y_pred / a - np.sign(y_true)), relative)
    # A zero target: infinite unless the prediction is exactly 0 as well.
    return np.where(a == 0, np.where(r == 0, 0.0, np.inf), relative)


def mape_grad(y_true: Array, y_pred: Array, *, space: Space = "raw", floor: float = 0.0) -> Array:
    a = np.maximum(np.abs(y_true), floor)
    r = y_pred - y_true
    with np.errstate(divide="ignore", invalid="ignore"):
        g = sign(r) / a
    return np.where(r == 0, 0.0, g)


def prepare_log1p(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """Real targets and predictions greater than -1 (ln(1 + y) must exist). Under a
    convention that raises both to `clip_below` first (Keras), any real value is fine: the
    clipping runs before this domain check."""
    prepared = prepare_residual(y_true, y_pred, space, params, normalize)
    if params.get("clip_below") is not None:
        return prepared
    for side, values in (("target", prepared.y_true), ("pred", prepared.y_pred)):
        checks.check_range(values[:, None], side, -1.0, np.inf, "greater than -1", low_open=True)
    return prepared


def _log1p_difference(y_true: Array, y_pred: Array, clip_below: float | None) -> Array:
    """ln(1 + ŷ) - ln(1 + y), as ln(1 + (ŷ - y)/(1 + y)) where the two are close. A
    convention's `clip_below` (Keras: 1e-7) raises both to at least that value first."""
    if clip_below is not None:
        y_true, y_pred = np.maximum(y_true, clip_below), np.maximum(y_pred, clip_below)
    return log_ratio(1.0 + y_pred, 1.0 + y_true)


def msle_value(
    y_true: Array, y_pred: Array, *, space: Space = "raw", clip_below: float | None = None
) -> Array:
    d = _log1p_difference(y_true, y_pred, clip_below)
    return d * d


def msle_grad(
    y_true: Array, y_pred: Array, *, space: Space = "raw", clip_below: float | None = None
) -> Array:
    g = 2.0 * _log1p_difference(y_true, y_pred, clip_below) / (1.0 + y_pred)
    if clip_below is None:
        return g
    return np.where(y_pred < clip_below, 0.0, g)  # the clip holds ŷ still below it


LOG_COSH = register(
    Loss(
        name="log-cosh",
        aliases=("logcosh", "log-cosh-loss"),
        summary="Log-cosh: the log of the hyperbolic cosine of the residual.",
        params=(),
        properties=Properties(
            convex=True, smooth=True, robust=True, probabilistic=False, symmetric=True
        ),
        value=log_cosh_value,
        grad=log_cosh_grad,
        formula="L = ln cosh(r) = logaddexp(r, -r) - ln 2,  r = ŷ - y",
        grad_formula="dL/dŷ = tanh(r): bounded by 1",
        short_formula="ln cosh r = logaddexp(r, -r) - ln 2",
        short_grad_formula="tanh r",
        framework_names={
            "keras": "`losses.LogCosh`",
            "optax": "`losses.log_cosh`",
        },
        typical_use=(
            "Regression that should behave like MSE/2 for small residuals and like MAE for large "
            "ones, with every derivative smooth (a Huber without a parameter or a kink)."
        ),
        confusions=(
            "About r^2/2 near 0 (half of MSE) and |r| - ln 2 for large |r|.",
            "cosh(r) overflows beyond |r| = 710; losscli never forms it (logaddexp form).",
            "Its scale is fixed: rescale the target to choose where it turns linear.",
        ),
        references=(
            "Chen, Xu, Chang et al. Log Hyperbolic Cosine Loss Improves Variational "
            "Auto-Encoder. 2019.",
            "Keras keras.losses.LogCosh; Optax optax.losses.log_cosh.",
        ),
        **_REGRESSION,  # type: ignore[arg-type]
    )
)

PSEUDO_HUBER = register(
    Loss(
        name="pseudo-huber",
        aliases=("pseudo-huber-loss", "charbonnier", "smooth-huber"),
        summary="Pseudo-Huber: a smooth Huber, quadratic near zero and asymptotically linear.",
        params=(
            Param(
                "delta",
                1.0,
                "scale where the loss turns from quadratic to linear (slope tends to delta)",
                lower=0.0,
                lower_open=True,
            ),
        ),
        properties=Properties(
            convex=True, smooth=True, robust=True, probabilistic=False, symmetric=True
        ),
        value=pseudo_huber_value,
        grad=pseudo_huber_grad,
        formula="L = δ^2 (sqrt(1 + (r/δ)^2) - 1),  r = ŷ - y",
        grad_formula="dL/dŷ = r / sqrt(1 + (r/δ)^2): bounded by δ",
        short_formula="delta^2 (sqrt(1 + (r/delta)^2) - 1)",
        short_grad_formula="r / sqrt(1 + (r/delta)^2)",
        framework_names={
            "scipy": "`special.pseudo_huber`",
        },
        typical_use=(
            "Robust regression where the optimiser needs every derivative continuous (Newton "
            "steps, second-order methods): Huber's shape without the kink in the curvature."
        ),
        confusions=(
            "r^2/2 near 0 and δ|r| - δ^2 for large |r|: it approaches Huber's δ|r| - δ^2/2 "
            "from below, never touching it.",
            "With δ = 1 it is the Charbonnier penalty sqrt(1 + r^2) - 1 used in optical flow.",
            "SciPy special.pseudo_huber takes delta first: pseudo_huber(delta, r).",
        ),
        references=(
            "Charbonnier, Blanc-Féraud, Aubert, Barlaud. Two Deterministic Half-Quadratic "
            "Regularization Algorithms for Computed Imaging. ICIP 1994.",
            "Hartley, Zisserman. Multiple View Geometry in Computer Vision, 2nd ed., App. 6.8.",
            "SciPy scipy.special.pseudo_huber.",
        ),
        **_REGRESSION,  # type: ignore[arg-type]
    )
)

PINBALL = register(
    Loss(
        name="pinball",
        aliases=("quantile", "quantile-loss", "pinball-loss", "check-loss"),
        summary="Pinball (quantile) loss: asymmetric absolute error whose minimiser is a quantile.",
        params=(
            Param(
                "quantile",
                0.5,
                "the quantile τ to estimate: under-prediction costs τ, over-prediction 1 - τ",
                lower=0.0,
                lower_open=True,
                upper=1.0,
            ),
        ),
        properties=Properties(convex=True, smooth=False, robust=True, probabilistic=False),
        value=pinball_value,
        grad=pinball_grad,
        formula="L = τ max(y - ŷ, 0) + (1 - τ) max(ŷ - y, 0)",
        grad_formula="dL/dŷ = -τ if ŷ < y, 1 - τ if ŷ > y, 0 at ŷ = y",
        short_formula="tau max(-r, 0) + (1 - tau) max(r, 0)",
        short_grad_formula="-tau or 1 - tau, 0 at r = 0",
        framework_names={
            "sklearn": "`metrics.mean_pinball_loss`",
        },
        typical_use=(
            "Quantile regression and prediction intervals: τ = 0.9 fits the 90th percentile; "
            "τ = 0.5 fits the median."
        ),
        confusions=(
            "At τ = 0.5 it is MAE/2, not MAE (scikit-learn mean_pinball_loss(alpha=0.5) agrees).",
            "scikit-learn calls τ alpha; here it is --quantile.",
            "τ weighs under-prediction (y above ŷ): a high τ pushes predictions up.",
        ),
        references=(
            "Koenker, Bassett. Regression Quantiles. Econometrica 46(1), 1978.",
            "scikit-learn sklearn.metrics.mean_pinball_loss.",
        ),
        kink_note="not differentiable at ŷ = y; losscli uses 0 there",
        **_REGRESSION,  # type: ignore[arg-type]
    )
)

MAPE = register(
    Loss(
        name="mape",
        aliases=("mean-absolute-percentage-error", "percentage-error"),
        family="regression",
        summary="Mean absolute percentage error: |ŷ - y| / |y|, as a fraction (1 = 100%).",
        target="nonzero-real",
        pred_columns="one",
        spaces=("raw",),
        params=(),
        properties=Properties(convex=True, smooth=False, robust=False, probabilistic=False),
        value=mape_value,
        grad=mape_grad,
        prepare=prepare_nonzero_target,
        formula="L = |ŷ - y| / |y|  (a fraction: 0.05 is 5%)",
        grad_formula="dL/dŷ = sign(ŷ - y) / |y|, 0 at ŷ = y",
        short_formula="|r| / |y| (a fraction; inf at y = 0, ŷ != 0)",
        short_grad_formula="sign(r) / |y|",
        framework_names={
            "keras": "`losses.MeanAbsolutePercentageError` (x100)",
            "sklearn": "`metrics.mean_absolute_percentage_error`",
        },
        typical_use=(
            "Forecast error reported to people as a percentage, on targets far from 0 "
            "(sales, demand, prices)."
        ),
        confusions=(
            "A fraction, not a percentage: scikit-learn agrees; Keras multiplies by 100.",
            "Infinite for a target of 0 (unless ŷ = 0 too); scikit-learn divides by machine "
            "epsilon and Keras by 1e-7 instead, giving huge finite numbers.",
            "Asymmetric in effect: an under-prediction costs at most 1 (100%), an "
            "over-prediction without bound, so it favours predicting low.",
            "Examples with targets near 0 dominate the mean.",
        ),
        references=(
            "Hyndman, Koehler. Another look at measures of forecast accuracy. International "
            "Journal of Forecasting 22(4), 2006.",
            "scikit-learn sklearn.metrics.mean_absolute_percentage_error; Keras "
            "keras.losses.MeanAbsolutePercentageError.",
        ),
        kink_note="not differentiable at ŷ = y; losscli uses sign(0) = 0",
        infinity_note="the target is 0 and the prediction is not: its percentage error is "
        "infinite (scikit-learn and Keras divide by a tiny epsilon instead)",
    )
)

MSLE = register(
    Loss(
        name="msle",
        aliases=("mean-squared-log-error", "squared-log-error"),
        family="regression",
        summary="Mean squared logarithmic error: squared difference of ln(1 + ŷ) and ln(1 + y).",
        target="above-minus-one",
        pred_columns="one",
        spaces=("raw",),
        params=(),
        properties=Properties(convex=False, smooth=True, robust=False, probabilistic=False),
        value=msle_value,
        grad=msle_grad,
        prepare=prepare_log1p,
        formula="L = (ln(1 + ŷ) - ln(1 + y))^2,  y, ŷ > -1",
        grad_formula="dL/dŷ = 2 (ln(1 + ŷ) - ln(1 + y)) / (1 + ŷ)",
        short_formula="(ln(1 + ŷ) - ln(1 + y))^2, y, ŷ > -1",
        short_grad_formula="2 (ln(1 + ŷ) - ln(1 + y)) / (1 + ŷ)",
        framework_names={
            "keras": "`losses.MeanSquaredLogarithmicError`",
            "sklearn": "`metrics.mean_squared_log_error`",
        },
        typical_use=(
            "Non-negative targets spanning orders of magnitude (counts, prices, populations) "
            "where relative error matters more than absolute error."
        ),
        confusions=(
            "Under-prediction costs more than over-prediction by the same amount.",
            "Computed as ln((1 + ŷ)/(1 + y)) where the two are close, so tiny differences keep "
            "their digits.",
            "Keras clips y and ŷ below at 1e-7 (negative values count as 0); scikit-learn "
            "accepts values above -1, as losscli.",
            "Not convex in ŷ beyond ŷ = (1 + y) e - 1.",
        ),
        references=(
            "scikit-learn sklearn.metrics.mean_squared_log_error; Keras "
            "keras.losses.MeanSquaredLogarithmicError.",
        ),
    )
)

RMSE = register(
    Loss(
        name="rmse",
        aliases=("root-mean-squared-error", "root-mse"),
        summary="Root mean squared error: the square root of the mean of the squared errors.",
        params=(),
        properties=Properties(
            convex=True, smooth=False, robust=False, probabilistic=False, symmetric=True
        ),
        value=mse_value,
        grad=mse_grad,
        formula="RMSE = sqrt(mean((ŷ - y)^2)); --reduction sum gives sqrt(Σ (ŷ - y)^2)",
        grad_formula=(
            "dRMSE/dŷ_i = (ŷ_i - y_i) / (n RMSE) (weighted: w_i r_i / (Σw RMSE)); per example "
            "(--reduction none): 2 (ŷ - y), the derivative of the squared error under the root"
        ),
        short_formula="sqrt(mean r^2): a root of the reduction",
        short_grad_formula="r / (n RMSE) of the mean",
        framework_names={
            "keras": "`metrics.RootMeanSquaredError`",
            "sklearn": "`metrics.root_mean_squared_error`",
        },
        typical_use=(
            "Reporting regression error in the units of the target; optimising it gives the "
            "same minimiser as MSE."
        ),
        confusions=(
            "A reduction-level loss: the root is taken after the mean, so --reduction none "
            "prints each example's squared error (the terms under the root), not |ŷ - y|.",
            "The RMSE of a set is not the mean of the examples' RMSEs (which would be MAE).",
            "Its gradient is MSE's divided by 2 RMSE: it vanishes nowhere except at a perfect "
            "fit, where losscli uses 0.",
        ),
        references=(
            "Hyndman, Koehler. Another look at measures of forecast accuracy. International "
            "Journal of Forecasting 22(4), 2006.",
            "scikit-learn sklearn.metrics.root_mean_squared_error; Keras "
            "keras.metrics.RootMeanSquaredError.",
        ),
        kink_note="sqrt is not differentiable at 0 (every residual 0); losscli uses 0 there",
        root=True,
        **_REGRESSION,  # type: ignore[arg-type]
    )
)

RMSLE = register(
    Loss(
        name="rmsle",
        aliases=("root-mean-squared-log-error", "root-msle"),
        family="regression",
        summary="Root mean squared logarithmic error: the square root of msle's mean.",
        target="above-minus-one",
        pred_columns="one",
        spaces=("raw",),
        params=(),
        properties=Properties(convex=False, smooth=False, robust=False, probabilistic=False),
        value=msle_value,
        grad=msle_grad,
        prepare=prepare_log1p,
        formula="RMSLE = sqrt(mean((ln(1 + ŷ) - ln(1 + y))^2)),  y, ŷ > -1",
        grad_formula=(
            "dRMSLE/dŷ_i = (ln(1 + ŷ_i) - ln(1 + y_i)) / ((1 + ŷ_i) n RMSLE); per example "
            "(--reduction none): msle's derivative, under the root"
        ),
        short_formula="sqrt(mean (ln(1 + ŷ) - ln(1 + y))^2): msle's root",
        short_grad_formula="msle's derivative / (2 n RMSLE) of the mean",
        framework_names={
            "sklearn": "`metrics.root_mean_squared_log_error`",
        },
        typical_use=(
            "Reporting the error of targets spanning orders of magnitude on a log scale, in "
            "the units of ln(1 + y) (scikit-learn's root_mean_squared_log_error)."
        ),
        confusions=(
            "A reduction-level loss, as rmse: --reduction none prints each example's squared "
            "log error, the terms under the root.",
            "Not the root of each example's squared log error averaged (that is the mean "
            "absolute log error).",
        ),
        references=("scikit-learn sklearn.metrics.root_mean_squared_log_error.",),
        kink_note="sqrt is not differentiable at 0 (every log error 0); losscli uses 0 there",
        root=True,
    )
)
