"""Every parameter of every loss at the ends of float64 (issue 18).

For each numeric Param of each loss in the registry, in each space the loss takes, the
values its declared range allows among: the smallest subnormal (5e-324), the smallest
normal (2.2e-308), the largest finite float (1.8e308), their negatives, and the range's
closed ends. Drawn valid inputs must then give: no NaN, a mean that is finite whenever every
per-example value is, a notice exactly when a value is infinite, and gradients without NaN
where the loss is finite. (nt-xent printed nan below τ = 2.2e-308 while saying the loss was
infinite.)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import strategies as S
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.core import UsageError, evaluate, get, gradient, make_request
from losscli.core.losses.types import Loss, Param

SUBNORMAL = 5e-324
TINY = float(np.finfo(np.float64).tiny)
BIG = float(np.finfo(np.float64).max)
EXTREMES = (SUBNORMAL, TINY, BIG, -SUBNORMAL, -TINY, -BIG)


def allowed_extremes(p: Param) -> list[float]:
    """The extremes (and closed ends of the range) that the parameter accepts."""
    candidates = list(EXTREMES)
    for end in (p.lower, p.upper):
        if end is not None and not (end == p.lower and p.lower_open):
            candidates.append(end)
    allowed = []
    for value in candidates:
        try:
            p.check(value)
        except UsageError:
            continue
        if value not in allowed:
            allowed.append(value)
    return allowed


# Cases the drawn inputs cannot serve, or known wrong: each says why.
SPECIAL = {
    # The strategies lay pair ids out for one batch; a batch of 2 needs ids in pairs per 2 rows
    # (tests/cli/test_catalog_commands.py runs --batch-size on such data).
    ("nt-xent", "raw", "batch_size", 2.0): pytest.mark.skip(reason="pair ids drawn for one batch"),
}
# The Tweedie deviance at p = 1.8e308 still meets inf - inf (NaN) for some y and μ, in both
# spaces: the exact value is 0 or inf by the sign of a log float64 cannot hold. Left for
# core/losses/likelihood.py's owner; not strict, since some draws do pass.
for _space in ("raw", "log"):
    SPECIAL[("tweedie", _space, "power", BIG)] = pytest.mark.xfail(
        strict=False, reason="NaN for some y, μ at p = 1.8e308"
    )


def cases() -> list[Any]:
    found = []
    for name, space in S.loss_space_pairs():
        for p in get(name).params:
            if p.choices:
                continue
            for value in allowed_extremes(p):
                marks = SPECIAL.get((name, space, p.name, value), ())
                found.append(pytest.param(name, space, p.name, value, marks=marks))
    return found


CASES = cases()


def test_the_extremes_cover_every_numeric_parameter() -> None:
    covered = {(case.values[0], case.values[2]) for case in CASES}
    for name in S.loss_names():
        for p in get(name).params:
            if not p.choices:
                assert (name, p.name) in covered, f"{name} --{p.name} has no extreme in range"
    assert len(CASES) > 100


def param_value(loss: Loss, name: str, value: float, width: int) -> Any:
    p = next(p for p in loss.params if p.name == name)
    if p.vector:  # one number per class or label
        return (value,) * width
    return p.check(value)


@pytest.mark.parametrize(("name", "space", "param", "value"), CASES)
@settings(S.PROPERTY_SETTINGS, max_examples=2)
@given(data=st.data())
def test_parameter_at_a_float64_extreme(
    name: str, space: str, param: str, value: float, data: Any
) -> None:
    loss = get(name)
    params = data.draw(S.params_for(loss))
    params[param] = value
    n = data.draw(st.integers(2, S.MAX_ROWS))
    y_true, y_pred = S.domain(loss, space).draw(data.draw, loss, space, params, n, "finite")
    width = y_pred.shape[1] if np.ndim(y_pred) == 2 else 1
    params[param] = param_value(loss, param, value, width)
    request = make_request(loss.name, params, space=space)  # type: ignore[arg-type]

    try:
        per_example = evaluate(request, y_true, y_pred, reduction="none")
    except UsageError as error:
        # A parameter this space does not take (--eps with logits) is refused, whatever its
        # value: a usage error up front, not a number.
        assert "does not apply" in str(error)
        return
    values = per_example.values
    assert not np.isnan(values).any(), values
    infinite = [notice for notice in per_example.notices if "infinite" in notice.text]
    assert bool(infinite) == bool(np.isinf(values).any()), (values, per_example.notices)

    mean = evaluate(request, y_true, y_pred, reduction="mean").value
    assert mean is not None and not math.isnan(mean)
    if np.isfinite(values).all():
        assert math.isfinite(mean), (values, mean)
        grads = gradient(request, y_true, y_pred, reduction="mean").grads
        assert not np.isnan(grads).any(), grads
