"""Regression losses from likelihoods and deviances: Poisson, Gaussian NLL, Tweedie, gamma.

Each is the negative log-likelihood of a distribution for the target, or its deviance (twice
the log-likelihood ratio against the saturated model), as a function of the predicted mean.
Positive predictions (a rate, a mean, a variance) may be given as their natural logs with
--log-input (space "log"): the gradient is then taken with respect to the log, and the values
stay exact where exp would overflow or the mean would round.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.core.errors import DataError, UsageError
from losscli.core.losses import checks
from losscli.core.losses.numerics import (
    expm1_minus,
    generalized_kl_cells,
    generalized_kl_from_log,
    log_ratio,
    x_times,
)
from losscli.core.losses.registry import register
from losscli.core.losses.types import Array, Loss, Param, Prepared, Properties, Space

LOG_2PI = math.log(2.0 * math.pi)


def _columns(y_true: Array, y_pred: Array, width: tuple[int, ...], what: str) -> None:
    checks.check_rows(y_true, y_pred)
    checks.check_columns(y_true, "target", (1,), "for a regression loss")
    checks.check_columns(y_pred, "pred", width, what)
    checks.check_finite(y_true, "target")
    checks.check_finite(y_pred, "pred")


def _prepare_positive_mean(
    y_true: Array, y_pred: Array, space: Space, *, target_positive: bool
) -> Prepared:
    """Targets >= 0 (or > 0) and one mean column: > 0, or any real with --log-input."""
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    _columns(y_true, y_pred, (1,), "(one predicted mean per example)")
    if target_positive:
        checks.check_range(y_true, "target", 0.0, np.inf, "a target > 0", low_open=True)
    else:
        checks.check_range(y_true, "target", 0.0, np.inf, "a target >= 0")
    if space == "raw":
        checks.check_range(
            y_pred, "pred", 0.0, np.inf, "a mean > 0 (a log-mean? pass --log-input)", low_open=True
        )
    return Prepared(y_true[:, 0], y_pred[:, 0])


def _log_mean_ratio(y: Array, pred: Array, space: Space) -> Array:
    """u = ln(μ / y) for y > 0, from μ or from ln μ."""
    safe_y = np.where(y > 0, y, 1.0)
    if space == "log":
        return pred - np.log(safe_y)
    return log_ratio(pred, safe_y)


# --- Poisson -----------------------------------------------------------------------------------


def prepare_poisson(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    _columns(y_true, y_pred, (1,), "(one predicted rate per example)")
    checks.check_range(y_true, "target", 0.0, np.inf, "a count >= 0")
    if space == "raw":
        checks.check_range(
            y_pred, "pred", 0.0, np.inf, "a rate >= 0 (a log-rate? pass --log-input)"
        )
    return Prepared(y_true[:, 0], y_pred[:, 0])


def _poisson_full_term(y: Array, framework_form: bool) -> Array:
    """What --full adds, a term of the target alone: in the catalog, ln y! - y ln y + y (the
    whole negative log-likelihood μ - y ln μ + ln y!); in PyTorch's form (full=True),
    Stirling's approximation y ln y - y + ½ ln(2π y), for y > 1 only."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if framework_form:
            safe = np.where(y > 1, y, 1.0)
            stirling = safe * np.log(safe) - safe + 0.5 * np.log(2.0 * math.pi * safe)
            return np.where(y > 1, stirling, 0.0)
        # math.lgamma per value: NumPy has no log-gamma (SciPy is not a dependency).
        log_factorial = np.vectorize(math.lgamma, otypes=[np.float64])(y + 1.0)
        return log_factorial - x_times(y, np.log(y)) + y


def poisson_value(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "raw",
    nll_eps: float | None = None,
    nll_eps_in_log: bool = False,
    full: str = "no",
) -> Array:
    if full == "yes":
        base = poisson_value(
            y_true, y_pred, space=space, nll_eps=nll_eps, nll_eps_in_log=nll_eps_in_log
        )
        return base + _poisson_full_term(y_true, nll_eps is not None)
    return _poisson_nll(y_true, y_pred, space, nll_eps, nll_eps_in_log)


def _poisson_nll(
    y_true: Array,
    y_pred: Array,
    space: Space = "raw",
    nll_eps: float | None = None,
    nll_eps_in_log: bool = False,
) -> Array:
    """μ - y + y ln(y/μ). A convention's `nll_eps` gives the frameworks' form without the
    target's constant: μ - y ln(μ + eps) (PyTorch 1e-8, Keras 1e-7), and e^η - y η with
    --log-input (PyTorch's log_input=True) unless `nll_eps_in_log` (Keras, which takes rates
    only: e^η - y ln(e^η + eps))."""
    y = y_true
    if nll_eps is not None:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            if space == "log" and not nll_eps_in_log:
                return np.exp(y_pred) - x_times(y, y_pred)
            mu = np.exp(y_pred) if space == "log" else y_pred
            return mu - x_times(y, np.log(mu + nll_eps))
    # μ - y + y ln(y/μ): the generalised KL divergence of the rate from the count, cell by cell.
    if space == "log":
        return generalized_kl_from_log(y, y_pred)
    return generalized_kl_cells(y, y_pred)


def poisson_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "raw",
    nll_eps: float | None = None,
    nll_eps_in_log: bool = False,
    full: str = "no",
) -> Array:
    # --full adds a term of the target alone: the gradient is the same.
    y = y_true
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if space == "log":
            mu = np.exp(y_pred)
            if nll_eps is not None and nll_eps_in_log:
                return mu - x_times(y, mu / (mu + nll_eps))
            return mu - y  # dL/d(ln μ) = μ - y
        if nll_eps is not None:
            return 1.0 - y / (y_pred + nll_eps)
        g = (y_pred - y) / y_pred  # 1 - y/μ, with the close difference taken exactly
    return np.where(y_pred == 0, np.where(y == 0, 1.0, -np.inf), g)


# --- Gaussian NLL ------------------------------------------------------------------------------


def prepare_gaussian(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """Targets, and per example a mean and a variance (or the mean alone with --variance)."""
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    fixed = params.get("variance")
    if fixed is None:
        _columns(y_true, y_pred, (2,), "(a mean and a variance; or one mean with --variance)")
        bad = y_pred[:, 1] <= 0
        if space == "raw" and bad.any():
            row = int(np.argmax(bad))
            raise DataError(
                "must be a variance > 0 (a log-variance? pass --log-input)",
                row=row,
                side="pred",
                column=1,
                value=y_pred[row, 1],
            )
    else:
        # --variance is σ² itself, also with --log-input (which reads a log-variance column).
        _columns(y_true, y_pred, (1,), "(one mean per example: --variance gives the variance)")
    return Prepared(y_true[:, 0], y_pred)


def _gaussian_parts(
    y: Array, pred: Array, space: Space, variance: float | None, var_floor: float = 0.0
) -> tuple[Array, Array, Array]:
    """(r, ln σ², r / σ) per example; r = μ - y. A convention's `var_floor` (PyTorch: 1e-6)
    raises σ² to at least that value first."""
    r = pred[:, 0] - y
    if variance is not None:
        log_var = np.full(r.shape, math.log(max(variance, var_floor)))
        sd = np.exp(0.5 * log_var)
    elif space == "log":
        log_var = np.maximum(pred[:, 1], math.log(var_floor)) if var_floor > 0 else pred[:, 1]
        sd = np.exp(0.5 * log_var)
    else:
        var = np.maximum(pred[:, 1], var_floor)
        log_var = np.log(var)
        sd = np.sqrt(var)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # r / σ as r e^(-ln σ): 0 for r = 0 even where σ underflows to 0.
        z = x_times(r, np.exp(-0.5 * log_var)) if space == "log" else x_times(r, 1.0 / sd)
    return r, log_var, z


def gaussian_nll_value(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "raw",
    variance: float | None = None,
    full: bool = True,
    var_floor: float = 0.0,
) -> Array:
    """½ [ln 2π + ln σ² + (y - μ)²/σ²]; a convention's `full=False` drops ½ ln 2π."""
    _, log_var, z = _gaussian_parts(y_true, y_pred, space, variance, var_floor)
    # (r/σ)^2 rather than r^2/σ^2: overflows only where the value does.
    with np.errstate(over="ignore"):
        return 0.5 * ((LOG_2PI if full else 0.0) + log_var + z * z)


def gaussian_nll_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "raw",
    variance: float | None = None,
    full: bool = True,
    var_floor: float = 0.0,
) -> Array:
    # PyTorch clamps σ² in place without recording it: the gradient is the formula's at the
    # clamped σ², also below the floor. That is what `var_floor` reproduces.
    _, log_var, z = _gaussian_parts(y_true, y_pred, space, variance, var_floor)
    with np.errstate(over="ignore", invalid="ignore"):
        d_mean = x_times(z, np.exp(-0.5 * log_var))  # r / σ²
    if variance is not None:
        return d_mean[:, None]
    with np.errstate(over="ignore", invalid="ignore"):
        if space == "log":
            # d/d(ln σ²) = σ² dL/dσ², with the given σ² (it equals the clamped one unless a
            # floor raised it).
            d_var = 0.5 * (1.0 - z * z) * np.exp(y_pred[:, 1] - log_var)
        else:
            d_var = 0.5 * (1.0 - z * z) / np.exp(log_var)  # (σ² - r²) / (2 σ⁴)
    return np.column_stack([d_mean, d_var])


# --- Tweedie and gamma deviances ---------------------------------------------------------------


def prepare_tweedie(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    # Below power 2 the distribution has mass at 0 (compound Poisson); from 2 on, y > 0.
    power = float(params.get("power", 1.5))
    if 0 < power < 1:
        raise UsageError(
            f"--power {power:g}: there is no Tweedie distribution for 0 < p < 1 (p <= 0 or "
            "p >= 1; scikit-learn refuses it too)"
        )
    if power <= 0:
        return _prepare_any_target(y_true, y_pred, space, mean_positive=power < 0)
    return _prepare_positive_mean(y_true, y_pred, space, target_positive=power >= 2)


def _prepare_any_target(
    y_true: Array, y_pred: Array, space: Space, *, mean_positive: bool
) -> Prepared:
    """Tweedie with p <= 0 (scikit-learn): any real target; the mean > 0 for p < 0, any real
    at p = 0 (the normal distribution: squared error)."""
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    _columns(y_true, y_pred, (1,), "(one predicted mean per example)")
    if space == "raw" and mean_positive:
        checks.check_range(
            y_pred, "pred", 0.0, np.inf, "a mean > 0 (a log-mean? pass --log-input)", low_open=True
        )
    return Prepared(y_true[:, 0], y_pred[:, 0])


def _tweedie_nonpositive_value(y: Array, pred: Array, space: Space, p: float) -> Array:
    """The deviance for p <= 0 (scikit-learn's mean_tweedie_deviance): (y - μ)^2 at p = 0;
    below, 2 [max(y, 0)^(2-p)/((1-p)(2-p)) - y μ^(1-p)/(1-p) + μ^(2-p)/(2-p)]."""
    with np.errstate(over="ignore", invalid="ignore"):
        mu = pred if space == "raw" else np.exp(pred)
        if p == 0 and space == "raw":
            return (mu - y) ** 2
        # y >= 0: the stable form of tweedie_value; y < 0: two non-negative terms.
        at_least_zero = _tweedie_from_logs(np.maximum(y, 0.0), pred, space, p)
        # There y^(2-p) can overflow though the deviance's two parts nearly cancel: inf - inf.
        # The deviance is >= 0 and beyond float64 there.
        at_least_zero = np.where(np.isnan(at_least_zero), np.inf, at_least_zero)
        log_mu = np.log(mu) if space == "raw" else pred
        negative = 2.0 * (
            -y * np.exp((1.0 - p) * log_mu) / (1.0 - p) + np.exp((2.0 - p) * log_mu) / (2.0 - p)
        )
        if p == 0:  # from ln μ: (μ - y)^2, no cancellation for y < 0 < μ
            negative = (mu - y) ** 2
    return np.where(y < 0, negative, at_least_zero)


def prepare_gamma(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    return _prepare_positive_mean(y_true, y_pred, space, target_positive=True)


def _weighted_tail(log_w: Array, a: float, u: Array) -> Array:
    """w (e^(au) - 1 - au) / a for w = e^log_w, the limit 0 at a = 0, to full precision
    near u = 0 (used where |u| is small)."""
    if a == 0:
        return np.zeros(u.shape)
    return _times_exp(expm1_minus(a * u) / a, log_w)


def _times_exp(t: Array, log_w: Array) -> Array:
    """t e^log_w in log space: finite wherever the product is, 0 where t is 0."""
    with np.errstate(divide="ignore", over="ignore"):
        product = np.sign(t) * np.exp(log_w + np.log(np.abs(t)))
    return np.where(t == 0, 0.0, product)


def _weighted_expm1(log_w: Array, a: float, u: Array) -> Array:
    """w (e^(au) - 1) / a (u at a = 0): w e^(au) formed as one exponential where it is large,
    so that it overflows only if the product does."""
    if a == 0:
        return np.exp(log_w) * u
    x = a * u
    with np.errstate(over="ignore", invalid="ignore"):
        huge = np.exp(log_w + x - math.log(abs(a))) * math.copysign(1.0, a)
        moderate = _times_exp(np.expm1(np.minimum(x, 40.0)) / a, log_w)
    # Beyond x = 40, e^x dwarfs the 1 subtracted from it (below 1e-17 of it).
    return np.where(x > 40.0, huge, moderate)


def tweedie_value(
    y_true: Array, y_pred: Array, *, space: Space = "raw", power: float = 1.5
) -> Array:
    """2 [y^(2-p)/((1-p)(2-p)) - y μ^(1-p)/(1-p) + μ^(2-p)/(2-p)] (p = 1 and 2 as limits).

    With u = ln(μ/y) and w = y^(2-p) this is 2 w h, h = (e^((2-p)u) - 1)/(2-p) -
    (e^((1-p)u) - 1)/(1-p): no poles at p = 1 and 2. Near a perfect prediction (|u| < 1/2) the
    two parts, each about u, cancel to about u^2/2; there h is written as the difference of
    E(a, u) = (e^(au) - 1 - au)/a, whose Taylor series keeps the digits.
    """
    if power <= 0:
        return _tweedie_nonpositive_value(y_true, y_pred, space, power)
    return _tweedie_from_logs(y_true, y_pred, space, power)


def _tweedie_from_logs(y_true: Array, y_pred: Array, space: Space, power: float) -> Array:
    """tweedie_value for targets >= 0 and p not in (0, 1] ∪ {2}-poles (see there)."""
    p = power
    y = y_true
    u = _log_mean_ratio(y, y_pred, space)
    log_w = (2.0 - p) * np.log(np.where(y > 0, y, 1.0))  # ln y^(2-p)
    near = np.abs(u) < 0.5
    with np.errstate(over="ignore", invalid="ignore"):
        u_near, u_far = np.where(near, u, 0.0), np.where(near, 1.0, u)
        small = _weighted_tail(log_w, 2.0 - p, u_near) - _weighted_tail(log_w, 1.0 - p, u_near)
        first, second = (
            _weighted_expm1(log_w, 2.0 - p, u_far),
            _weighted_expm1(log_w, 1.0 - p, u_far),
        )
        # Both parts -inf (p > 2 and μ far below y): the second dominates, the value is +inf.
        large = np.where(np.isinf(first) & np.isinf(second), np.inf, first - second)
        dev = 2.0 * np.where(near, small, large)
        log_mu = y_pred if space == "log" else np.log(np.where(y_pred > 0, y_pred, 1.0))
        # A zero target (p < 2): 2 μ^(2-p) / (2-p).
        at_zero = 2.0 * np.exp((2.0 - p) * log_mu) / (2.0 - p) if p < 2 else np.inf
    # D >= 0; rounding may leave a hair below 0 where the two parts nearly cancel.
    return np.where(y == 0, at_zero, np.maximum(dev, 0.0))


def tweedie_grad(
    y_true: Array, y_pred: Array, *, space: Space = "raw", power: float = 1.5
) -> Array:
    """dD/dμ = 2 μ^(-p) (μ - y); with respect to ln μ, 2 μ^(1-p) (μ - y)."""
    p = power
    y = y_true
    if p <= 0 and space == "log":
        # Any real target (p <= 0): μ^(1-p) stays finite where μ - y does not cancel.
        with np.errstate(over="ignore", invalid="ignore"):
            return 2.0 * x_times(np.exp(y_pred) - y, np.exp((1.0 - p) * y_pred))
    if p == 0:
        return 2.0 * (y_pred - y)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if space == "raw":
            return 2.0 * x_times(y_pred - y, np.exp(-p * np.log(y_pred)))
        # 2 μ^(2-p) (1 - y/μ) with y/μ = e^(ln y - η): exact near μ = y, finite where μ is
        # beyond float64 but the gradient is not.
        log_y = np.log(y)
        g = 2.0 * x_times(-np.expm1(log_y - y_pred), np.exp((2.0 - p) * y_pred))
        # Where one factor overflows and the other underflows: the two terms apart.
        first, second = np.exp((2.0 - p) * y_pred), np.exp(log_y + (1.0 - p) * y_pred)
        apart = 2.0 * (first - second)
        apart = np.where(np.isnan(apart), np.where(y_pred > log_y, np.inf, -np.inf), apart)
    return np.where(np.isnan(g), apart, g)


def gamma_value(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    # 2 (ln(μ/y) + y/μ - 1) = 2 (e^-u - 1 + u), u = ln(μ/y).
    return 2.0 * expm1_minus(-_log_mean_ratio(y_true, y_pred, space))


def gamma_grad(y_true: Array, y_pred: Array, *, space: Space = "raw") -> Array:
    u = _log_mean_ratio(y_true, y_pred, space)
    with np.errstate(over="ignore"):
        g_log = -2.0 * np.expm1(-u)  # 2 (1 - y/μ) = dD/d(ln μ)
    if space == "log":
        return g_log
    return g_log / y_pred


# --- records -----------------------------------------------------------------------------------

_LIKELIHOOD = dict(family="regression", spaces=("raw", "log"))

POISSON = register(
    Loss(
        name="poisson",
        aliases=("poisson-nll", "poisson-loss", "poisson-deviance"),
        summary="Poisson negative log-likelihood of a count given a rate, 0 at a perfect rate.",
        target="count",
        pred_columns="one",
        params=(
            Param(
                "full",
                "no",
                "yes: the whole negative log-likelihood μ - y ln μ + ln y! (PyTorch's "
                "full=True: its Stirling approximation of ln y!, for y > 1)",
                choices=("no", "yes"),
            ),
        ),
        properties=Properties(convex=True, smooth=True, robust=False, probabilistic=True),
        value=poisson_value,
        grad=poisson_grad,
        prepare=prepare_poisson,
        formula=(
            "L = μ - y + y ln(y/μ)  (= -ln P(y | μ) + ln P(y | μ = y); y ln y = 0 at y = 0);  "
            "with --log-input η = ln μ"
        ),
        grad_formula="dL/dμ = 1 - y/μ;  dL/dη = e^η - y with --log-input",
        typical_use=(
            "Counts and rates (events per interval, clicks, arrivals): the likelihood of a "
            "Poisson model, minimised by the conditional mean; usually with a log link."
        ),
        confusions=(
            "Frameworks drop different constants: PyTorch PoissonNLLLoss is e^η - y η (log "
            "input) or μ - y ln(μ + 1e-8), Keras Poisson μ - y ln(μ + 1e-7); both differ from "
            "this by y - y ln y, a term of the target alone (same gradient), and can be "
            "negative. scikit-learn mean_poisson_deviance is twice this.",
            "The exact negative log-likelihood adds ln(y!) - y + y ln y; losscli subtracts the "
            "saturated model's so that a perfect prediction scores 0 (--full keeps it: "
            "μ - y ln μ + ln y!).",
            "A rate of 0 for a positive count is an infinite loss; --log-input avoids it.",
        ),
        references=(
            "McCullagh, Nelder. Generalized Linear Models, 2nd ed., 1989, §6.2.",
            "PyTorch torch.nn.PoissonNLLLoss; Keras keras.losses.Poisson; scikit-learn "
            "sklearn.metrics.mean_poisson_deviance.",
        ),
        infinity_note="a predicted rate is 0 for a positive count (or e^η overflows); "
        "predict log-rates with --log-input",
        **_LIKELIHOOD,  # type: ignore[arg-type]
    )
)

GAUSSIAN_NLL = register(
    Loss(
        name="gaussian-nll",
        aliases=("gaussian-nll-loss", "normal-nll"),
        summary="Gaussian negative log-likelihood of a target given a mean and a variance.",
        target="mean-variance",
        pred_columns="any",
        params=(
            Param(
                "variance",
                None,
                "a fixed variance σ² for every example, when predictions are means only",
                lower=0.0,
                lower_open=True,
            ),
        ),
        properties=Properties(
            convex=False,
            smooth=True,
            robust=False,
            probabilistic=True,
            zero_at_perfect=False,
            nonnegative=False,
        ),
        value=gaussian_nll_value,
        grad=gaussian_nll_grad,
        prepare=prepare_gaussian,
        formula=(
            "L = ½ [ln(2π) + ln σ² + (y - μ)^2 / σ²];  predictions: columns μ, σ² (or ln σ² "
            "with --log-input; or μ alone with --variance)"
        ),
        grad_formula=(
            "dL/dμ = (μ - y)/σ²;  dL/dσ² = (σ² - (y - μ)^2)/(2σ⁴);  dL/d(ln σ²) = "
            "½ (1 - (y - μ)^2/σ²)"
        ),
        typical_use=(
            "Regression that predicts its own uncertainty (heteroscedastic noise): a mean and "
            "a variance per example, scored by the likelihood."
        ),
        confusions=(
            "A negative log-density, not a distance: it is negative when σ² is small and the "
            "fit good, and not 0 at a perfect mean.",
            "PyTorch GaussianNLLLoss omits ½ ln(2π) unless full=True and clamps σ² at 1e-6.",
            "The second column is the variance σ², not the standard deviation.",
            "With a fixed σ² = 1 it is MSE/2 plus a constant.",
        ),
        references=(
            "Nix, Weigend. Estimating the mean and variance of the target probability "
            "distribution. ICNN 1994.",
            "PyTorch torch.nn.GaussianNLLLoss; SciPy scipy.stats.norm.logpdf.",
        ),
        **_LIKELIHOOD,  # type: ignore[arg-type]
    )
)

TWEEDIE = register(
    Loss(
        name="tweedie",
        aliases=("tweedie-deviance", "mean-tweedie-deviance"),
        summary="Tweedie deviance with power p: Poisson at 1, compound Poisson-gamma in (1, 2).",
        target="count",
        pred_columns="one",
        params=(
            Param(
                "power",
                1.5,
                "variance power p (Var = φ μ^p): 1 Poisson, 1-2 compound Poisson-gamma, "
                "2 gamma, 3 inverse Gaussian; 0 normal (squared error), below 0 extreme "
                "stable (any target, μ > 0); none between 0 and 1",
                gap=(0.0, 1.0),
            ),
        ),
        properties=Properties(convex=False, smooth=True, robust=False, probabilistic=True),
        value=tweedie_value,
        grad=tweedie_grad,
        prepare=prepare_tweedie,
        formula=(
            "D = 2 [y^(2-p)/((1-p)(2-p)) - y μ^(1-p)/(1-p) + μ^(2-p)/(2-p)]  (p = 1, 2 as "
            "limits; y >= 0 for p < 2, y > 0 from p = 2)"
        ),
        grad_formula="dD/dμ = 2 μ^(-p) (μ - y);  dD/d(ln μ) = 2 μ^(1-p) (μ - y)",
        typical_use=(
            "Non-negative targets with many exact zeros and a long right tail: insurance "
            "claims, rainfall, spend per customer (1 < p < 2)."
        ),
        confusions=(
            "The deviance (scikit-learn mean_tweedie_deviance), not the negative log-likelihood "
            "that LightGBM and XGBoost's 'tweedie' objectives minimise: same minimiser in μ, "
            "other values.",
            "At p = 1 it is 2 x the poisson loss; at p = 2 the gamma deviance.",
            "Convex in ln μ for 1 <= p <= 2 (the usual log link) but not in μ for p > 1.",
            "scikit-learn's default power is 0 (squared error); losscli's is 1.5. Like "
            "scikit-learn it takes p <= 0 (any target) and p >= 1, nothing in between.",
        ),
        references=(
            "Jørgensen. The Theory of Dispersion Models, 1997, ch. 4.",
            "scikit-learn sklearn.metrics.mean_tweedie_deviance.",
        ),
        infinity_note="the deviance overflows float64 at this mean",
        **_LIKELIHOOD,  # type: ignore[arg-type]
    )
)

GAMMA = register(
    Loss(
        name="gamma-deviance",
        aliases=("gamma", "mean-gamma-deviance"),
        summary="Gamma deviance: a scale-free error for positive targets (Tweedie p = 2).",
        target="positive",
        pred_columns="one",
        params=(),
        properties=Properties(convex=False, smooth=True, robust=False, probabilistic=True),
        value=gamma_value,
        grad=gamma_grad,
        prepare=prepare_gamma,
        formula="D = 2 [ln(μ/y) + y/μ - 1],  y, μ > 0",
        grad_formula="dD/dμ = 2 (μ - y)/μ^2;  dD/d(ln μ) = 2 (1 - y/μ)",
        typical_use=(
            "Strictly positive targets whose noise grows with the mean (claim sizes, "
            "durations, costs): only the ratio μ/y matters."
        ),
        confusions=(
            "Depends only on μ/y: predicting 2 for 1 costs as much as 2000 for 1000.",
            "Convex in ln μ, not in μ (beyond μ = 2y).",
            "Undefined for y = 0: use tweedie with 1 < p < 2 for targets with zeros.",
        ),
        references=(
            "McCullagh, Nelder. Generalized Linear Models, 2nd ed., 1989, ch. 8.",
            "scikit-learn sklearn.metrics.mean_gamma_deviance.",
        ),
        **_LIKELIHOOD,  # type: ignore[arg-type]
    )
)
