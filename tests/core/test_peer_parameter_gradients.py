"""Gradients of the parameters and input forms of issue 12's peer parity, against finite
differences, for every loss of the registry that takes them (drawn as in test_properties.py).

The catalog-wide property tests keep label smoothing and per-class vectors at their defaults
(they change a perfect prediction's value on purpose); here they are drawn."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import strategies as S
from hypothesis import assume, given
from hypothesis import strategies as st

from losscli.core import all_losses, check_gradient, evaluate, get, gradient, make_request
from losscli.core.evaluation.requests import LABEL_TARGETS

SMOOTHED = [
    (loss.name, space)
    for loss in all_losses()
    for space in loss.spaces
    if "label_smoothing" in {p.name for p in loss.params}
]
PER_COLUMN = [
    (loss.name, space, p.name)
    for loss in all_losses()
    for space in loss.spaces
    for p in loss.params
    if p.vector
]
LABELLED = [
    (loss.name, space)
    for loss in all_losses()
    for space in loss.spaces
    if loss.target in LABEL_TARGETS and not loss.batch
]
DISTRIBUTIONS = [
    (loss.name, space)
    for loss in all_losses()
    for space in loss.spaces
    if loss.target == "distribution"
]


def test_the_new_parameters_are_in_the_registry():
    # The lists above are read from the registry; each must hold the losses issue 12 names.
    assert {"softmax-focal", "multilabel-bce", "cross-entropy"} <= {n for n, _ in SMOOTHED}
    assert {("softmax-focal", "alpha"), ("cross-entropy", "class_weights")} <= {
        (n, p) for n, _, p in PER_COLUMN
    }
    assert {"kl", "js", "distribution-cross-entropy"} == {n for n, _ in DISTRIBUTIONS}


def _checked(request: Any, case: S.Case) -> None:
    result = check_gradient(request, case.y_true, case.y_pred)
    assume(result.compared > 0)
    assert result.max_rel_diff < 1e-4, result


@pytest.mark.parametrize(("name", "space"), SMOOTHED)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_label_smoothing_gradient(name: str, space: str, data: Any) -> None:
    case = data.draw(S.cases(get(name), space, "smooth"))
    smoothing = data.draw(st.floats(0.0, 0.5))
    request = make_request(name, {**case.params, "label_smoothing": smoothing}, space=space)
    _checked(request, case)


@pytest.mark.parametrize(("name", "space", "param"), PER_COLUMN)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_per_column_parameter_gradient(name: str, space: str, param: str, data: Any) -> None:
    case = data.draw(S.cases(get(name), space, "smooth"))
    width = np.asarray(case.y_pred).reshape(len(case.y_pred), -1).shape[1]
    weights = data.draw(st.lists(st.floats(0.0, 5.0), min_size=width, max_size=width))
    request = make_request(name, {**case.params, param: tuple(weights)}, space=space)
    _checked(request, case)


@pytest.mark.parametrize(("name", "space"), LABELLED)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_ignore_label_gradient(name: str, space: str, data: Any) -> None:
    # The rows left out have gradient 0; the others have the gradient of the mean over the
    # kept rows alone, which test_properties.py checks against finite differences.
    case = data.draw(S.cases(get(name), space, "smooth", min_rows=2))
    labels = np.asarray(case.y_true, dtype=np.float64).reshape(len(case.y_true), -1)
    assume(labels.shape[1] == 1 and not np.all(labels[:, 0] == labels[0, 0]))
    ignored = labels[:, 0] == labels[0, 0]
    request = make_request(name, {**case.params, "ignore_label": float(labels[0, 0])}, space=space)
    analytic = gradient(request, case.y_true, case.y_pred, reduction="mean").grads
    assert np.all(analytic[ignored] == 0.0)
    y_true, y_pred = np.asarray(case.y_true), np.asarray(case.y_pred)
    plain = make_request(name, case.params, space=space)
    kept = gradient(plain, y_true[~ignored], y_pred[~ignored], reduction="mean").grads
    assert analytic[~ignored] == pytest.approx(kept, rel=1e-12, abs=1e-300)
    value = evaluate(request, case.y_true, case.y_pred).value
    assert value == pytest.approx(evaluate(plain, y_true[~ignored], y_pred[~ignored]).value)


@pytest.mark.parametrize(("name", "space"), DISTRIBUTIONS)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_log_target_gradient(name: str, space: str, data: Any) -> None:
    case = data.draw(S.cases(get(name), space, "smooth"))
    p = np.asarray(case.y_true, dtype=np.float64)
    assume(np.all(p > 0))
    logged = S.Case(case.loss, space, case.params, np.log(p), case.y_pred)
    request = make_request(name, {**case.params, "log_target": True}, space=space)
    plain = make_request(name, case.params, space=space)
    as_logs = gradient(request, logged.y_true, logged.y_pred).grads
    assert as_logs == pytest.approx(gradient(plain, p, case.y_pred).grads, rel=1e-9, abs=1e-12)
    _checked(request, logged)


PAIRS = S.loss_space_pairs()


@pytest.mark.parametrize(("name", "space"), PAIRS)
@S.LIGHT_SETTINGS
@given(data=st.data())
def test_float32_agrees_with_float64_to_float32_rounding(name: str, space: str, data: Any) -> None:
    # --precision float32 computes the same formulas from float32 inputs: values and gradients
    # agree with float64 to a few float32 ulps of the row (inputs rounded to 2^-24 relative).
    case = data.draw(S.cases(get(name), space, "smooth"))
    exact = make_request(name, case.params, space=space)
    single = make_request(name, {**case.params, "precision": "float32"}, space=space)
    x = np.asarray(case.y_pred, dtype=np.float64)
    assume(np.all(np.abs(x) < 1e30))  # beyond float32's range the input itself overflows
    numbers = [abs(v) for v in case.params.values() if isinstance(v, float)]
    assume(all(v == 0 or 1e-30 < v < 1e30 for v in numbers))  # parameters as float32 too
    v64 = evaluate(exact, case.y_true, case.y_pred, reduction="none").values
    v32 = evaluate(single, case.y_true, case.y_pred, reduction="none").values
    finite = np.isfinite(v64) & (np.abs(v64) < 1e30)
    assume(finite.any())
    assert v32[finite] == pytest.approx(v64[finite], rel=2e-3, abs=1e-3)
    if not get(name).properties.smooth:
        return  # at a kink, rounding an input to float32 may pick the other side's slope
    g64 = gradient(exact, case.y_true, case.y_pred).grads
    g32 = gradient(single, case.y_true, case.y_pred).grads
    ok = np.isfinite(g64) & (np.abs(g64) < 1e6)
    assert g32[ok] == pytest.approx(g64[ok], rel=2e-3, abs=2e-3 * max(1.0, np.abs(g64[ok]).max()))


@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_multiclass_hinge_one_hot_rows_gradient(data: Any) -> None:
    # One-hot target rows, all-zero rows among them, in the catalog and under keras.
    n = data.draw(st.integers(1, 5))
    k = data.draw(st.integers(2, 4))
    labels = data.draw(st.lists(st.integers(-1, k - 1), min_size=n, max_size=n))
    y = np.zeros((n, k))
    for row, label in enumerate(labels):
        if label >= 0:
            y[row, label] = 1.0
    f = np.array(data.draw(st.lists(st.floats(-3, 3), min_size=n * k, max_size=n * k)))
    f = f.reshape(n, k)
    for convention in ("catalog", "keras"):
        request = make_request("multiclass-hinge", convention=convention)
        _checked(request, S.Case(get("multiclass-hinge"), "raw", {}, y, f))


MASKABLE = [
    loss.name
    for loss in all_losses()
    if "logit" in loss.spaces and loss.pred_columns != "one" and loss.target in ("labels",)
]


@pytest.mark.parametrize("name", MASKABLE)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_masked_logits_gradient(name: str, data: Any) -> None:
    # A -inf logit (a masked class) has gradient 0; the other cells match finite differences
    # and equal the gradient of the row without the masked column.
    case = data.draw(S.cases(get(name), "logit", "smooth"))
    z = np.array(case.y_pred, dtype=np.float64).reshape(len(case.y_pred), -1)
    labels = np.asarray(case.y_true, dtype=np.float64).reshape(len(z), -1)
    assume(z.shape[1] >= 3 and labels.shape[1] == 1)
    masked = data.draw(st.integers(0, z.shape[1] - 1))
    assume(not np.any(labels[:, 0] == masked))
    z[:, masked] = -np.inf
    request = make_request(name, case.params, space="logit")
    grads = gradient(request, case.y_true, z).grads
    assert np.all(grads[:, masked] == 0.0)
    _checked(request, S.Case(case.loss, "logit", case.params, case.y_true, z))


@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_ntxent_groups_gradient(data: Any) -> None:
    # Groups of any size, singletons among them; zero vectors under optax.
    n = data.draw(st.integers(3, 8))
    ids = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    assume(len(set(ids)) < n)  # at least one positive pair
    d = data.draw(st.integers(2, 4))
    cells = data.draw(st.lists(st.floats(-2, 2), min_size=n * d, max_size=n * d))
    x = np.array(cells).reshape(n, d)
    assume(np.all(np.linalg.norm(x, axis=1) > 0.1))
    temperature = data.draw(st.floats(0.2, 2.0))
    case = S.Case(get("nt-xent"), "raw", {}, np.array(ids, dtype=float), x)
    _checked(make_request("nt-xent", {"temperature": temperature}), case)
    # Under optax a zero vector has cosine 0 with every row and gradient 0 (the cosine has no
    # derivative there); the other rows' gradients match central differences of the mean.
    zero = data.draw(st.integers(0, n - 1))
    zeroed = x.copy()
    zeroed[zero] = 0.0
    optax = make_request("nt-xent", {"temperature": temperature}, convention="optax")
    analytic = gradient(optax, ids, zeroed, reduction="mean").grads
    assert np.all(analytic[zero] == 0.0)
    for row in range(n):
        for col in range(d):
            if row == zero:
                continue
            h = 1e-6
            up, down = zeroed.copy(), zeroed.copy()
            up[row, col] += h
            down[row, col] -= h
            slope = (evaluate(optax, ids, up).value - evaluate(optax, ids, down).value) / (2 * h)
            assert analytic[row, col] == pytest.approx(slope, rel=1e-4, abs=1e-6)


@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_triplet_swap_gradient(data: Any) -> None:
    # Rows where d(p, n) < d(a, n) take the swapped branch; both branches against differences.
    n = data.draw(st.integers(1, 5))
    d = data.draw(st.integers(1, 3))
    cells = data.draw(st.lists(st.floats(-2, 2), min_size=3 * n * d, max_size=3 * n * d))
    x = np.array(cells).reshape(n, 3 * d)
    for convention in ("catalog", "torch"):
        request = make_request("triplet", {"swap": "yes", "margin": 1.0}, convention=convention)
        _checked(request, S.Case(get("triplet"), "raw", {}, np.zeros((n, 0)), x))


@pytest.mark.parametrize("space", get("poisson").spaces)
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_poisson_full_gradient(space: str, data: Any) -> None:
    # --full adds a term of the target alone: the gradient is unchanged and matches differences.
    case = data.draw(S.cases(get("poisson"), space, "smooth"))
    for convention in ("catalog", "torch"):
        full = make_request("poisson", {"full": "yes"}, space=space, convention=convention)
        plain = make_request("poisson", space=space, convention=convention)
        assert gradient(full, case.y_true, case.y_pred).grads == pytest.approx(
            gradient(plain, case.y_true, case.y_pred).grads, nan_ok=True
        )
        _checked(full, case)


@pytest.mark.parametrize("convention", ["catalog", "pml"])
@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_contrastive_pos_margin_and_squared_distance_gradient(convention: str, data: Any) -> None:
    case = data.draw(S.cases(get("contrastive"), "raw", "smooth"))
    x = np.asarray(case.y_pred, dtype=np.float64)
    if convention == "pml" and x.shape[1] > 1:  # unit embeddings: none near 0
        half = x.shape[1] // 2
        assume(np.all(np.linalg.norm(x[:, :half], axis=1) > 0.1))
        assume(np.all(np.linalg.norm(x[:, half:], axis=1) > 0.1))
    params = {
        **case.params,
        "pos_margin": data.draw(st.floats(0.0, 1.0)),
        "distance": data.draw(st.sampled_from(["euclidean", "squared"])),
    }
    _checked(make_request("contrastive", params, convention=convention), case)


@S.PROPERTY_SETTINGS
@given(data=st.data())
def test_pml_triplet_gradient(data: Any) -> None:
    # Unit embeddings and the non-zero mean: gradients against differences of the mean.
    n = data.draw(st.integers(1, 5))
    d = data.draw(st.integers(2, 3))
    cells = data.draw(st.lists(st.floats(-2, 2), min_size=3 * n * d, max_size=3 * n * d))
    x = np.array(cells).reshape(n, 3 * d)
    thirds = [x[:, k * d : (k + 1) * d] for k in range(3)]
    for third in thirds:
        assume(np.all(np.linalg.norm(third, axis=1) > 0.2))
    # No two unit embeddings of a triplet (nearly) equal: the distance's kink at 0.
    units = [t / np.linalg.norm(t, axis=1, keepdims=True) for t in thirds]
    for i, j in ((0, 1), (0, 2), (1, 2)):
        assume(np.all(np.linalg.norm(units[i] - units[j], axis=1) > 0.05))
    swap = data.draw(st.sampled_from(["no", "yes"]))
    request = make_request("triplet", {"swap": swap, "margin": 0.3}, convention="pml")
    _checked(request, S.Case(get("triplet"), "raw", {}, np.zeros((n, 0)), x))
