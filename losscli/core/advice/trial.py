"""`recommend --trial`: fit a simple model with each candidate loss and compare held-out scores.

The model is linear in the features (logistic for classes; a log link for counts and
positive targets), the features standardised on each training fold, with no tuning beyond
the loss's own parameter. Each candidate is fitted by a well-kept library: scikit-learn's
estimator where one exists for the loss, else SciPy's L-BFGS on losscli's own value and
gradient (focal losses). Scores are k-fold cross-validated (stratified for classes), on the
metric that matches what the user wants, and the winner is marked with its margin over the
runner-up and whether that margin is larger than the fold-to-fold spread of the paired
differences.

scikit-learn and SciPy are the optional extra `losscli[trial]`: they are imported here only,
inside the functions, so `recommend` without --trial never loads them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losscli.core.errors import DataError, UsageError
from losscli.core.losses.types import Array

FOLDS = 5
MAX_ITER = 1000
# HuberRegressor's threshold in units of the scale it estimates with the fit: 1.35 keeps
# 95% efficiency under Gaussian noise (the catalog's delta = 1.345 x residual scale).
HUBER_EPSILON = 1.35
# MAE and pinball fits (linear programs) use at most this many training rows per fold.
QUANTILE_ROWS = 20_000
# Newton steps with a Cholesky solve: exact and fast for the few features of a trial.
NEWTON = "newton-cholesky"
# Predictions below this are raised to it before a metric that needs a positive mean
# (Poisson, Tweedie, gamma deviance): a linear model may predict 0 or less.
POSITIVE_FLOOR = 1e-6
# Probabilities are kept this far from 0 and 1 for the log loss of a fitted model.
PROB_CLIP = 1e-15

# Metrics that are not losses of the catalog: higher is better.
SCORES = ("roc-auc", "average-precision", "accuracy")


@dataclass(frozen=True)
class Candidate:
    """A loss to fit: its catalog name, parameters, and how it is fitted: the scikit-learn
    estimator, or SciPy's L-BFGS on losscli's value and gradient."""

    loss: str
    params: dict[str, float]
    fitter: str


@dataclass
class Scores:
    """One candidate's held-out scores: metric name -> one score per fold."""

    candidate: Candidate
    folds: dict[str, list[float]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def mean(self, metric: str) -> float:
        values = self.folds.get(metric, [])
        return float(np.mean(values)) if values else math.nan

    def std(self, metric: str) -> float:
        values = self.folds.get(metric, [])
        return float(np.std(values, ddof=1)) if len(values) > 1 else math.nan


@dataclass(frozen=True)
class Winner:
    loss: str
    runner_up: str | None
    margin: float  # how much better its mean is than the runner-up's
    spread: float  # standard deviation over the folds of the paired differences
    beyond_spread: bool


@dataclass(frozen=True)
class TrialResult:
    task: str
    metric: str
    metrics: tuple[str, ...]
    folds: int
    rows: int
    features: int
    scores: list[Scores]
    winner: Winner | None
    warnings: list[str]


def higher_is_better(metric: str) -> bool:
    return metric in SCORES


def candidates_for(
    task: str,
    kind: str | None,
    *,
    quantile: float | None = None,
    power: float = 1.5,
    alpha: float | None = None,
    overdispersed: bool = False,
) -> list[Candidate]:
    """The losses a trial compares for a task and target kind (see recommend.target_kind)."""
    if task == "binary":
        focal: dict[str, float] = {"gamma": 2.0}
        if alpha is not None:
            focal["alpha"] = alpha
        return [
            Candidate("binary-cross-entropy", {}, "LogisticRegression"),
            Candidate("focal", focal, "SciPy L-BFGS, losscli's gradient"),
            Candidate("hinge", {}, "SGDClassifier(hinge)"),
        ]
    if task == "multiclass":
        return [
            Candidate("cross-entropy", {}, "LogisticRegression"),
            Candidate(
                "softmax-focal",
                {"gamma": 2.0},
                "SciPy L-BFGS, losscli's gradient",
            ),
        ]
    linear = Candidate("mse", {}, "LinearRegression")
    if kind == "counts":
        tweedie = Candidate("tweedie", {"power": power}, "TweedieRegressor(log link)")
        poisson = Candidate("poisson", {}, "PoissonRegressor")
        return [poisson, tweedie, linear] if overdispersed else [poisson, linear]
    if kind == "zero-inflated":
        return [
            Candidate("tweedie", {"power": power}, "TweedieRegressor(log link)"),
            Candidate("poisson", {}, "PoissonRegressor"),
            linear,
        ]
    if kind == "positive":
        return [
            Candidate("gamma-deviance", {}, "GammaRegressor"),
            Candidate("msle", {}, "LinearRegression of ln(1 + y)"),
            linear,
        ]
    found = [
        linear,
        Candidate("huber", {}, f"HuberRegressor(epsilon={HUBER_EPSILON})"),
        Candidate("mae", {}, "QuantileRegressor(0.5)"),
    ]
    if quantile is not None and quantile != 0.5:
        found.append(
            Candidate("pinball", {"quantile": quantile}, f"QuantileRegressor({quantile:g})")
        )
    return found


def default_metric(
    task: str,
    kind: str | None,
    *,
    target_stat: str | None,
    quantile: float | None,
    power: float,
    minority_share: float | None,
    want: str | None,
) -> tuple[str, dict[str, float]]:
    """The metric that matches what the user wants, with its parameters."""
    if task in ("binary", "multiclass"):
        if want == "ranking" and task == "binary":
            return ranking_metric(minority_share), {}
        if want == "margin":
            return "accuracy", {}
        return ("binary-cross-entropy" if task == "binary" else "cross-entropy"), {}
    if target_stat == "median":
        return "mae", {}
    if target_stat == "quantile" and quantile is not None:
        return "pinball", {"quantile": quantile}
    if kind == "counts":
        return "poisson", {}
    if kind == "zero-inflated":
        return "tweedie", {"power": power}
    if kind == "positive":
        return "gamma-deviance", {}
    return "mse", {}


def ranking_metric(minority_share: float | None) -> str:
    """Average precision when positives are rare (ROC AUC flatters a rare class)."""
    return "average-precision" if (minority_share or 0.5) < 0.1 else "roc-auc"


# --- folds and checks ------------------------------------------------------------------------


def check_data(x: Array, y: Array, task: str, folds: int, names: list[str]) -> list[str]:
    """Raise DataError for data a trial cannot use; return warnings (constant features)."""
    if x.shape[1] == 0:
        raise DataError("no feature column: give the features with -x COLS")
    if y.shape[0] < folds:
        raise DataError(f"{y.shape[0]} rows are fewer than the {folds} folds (--folds)")
    notes = []
    spread = np.ptp(x, axis=0)
    constant = [names[k] for k in np.flatnonzero(spread == 0)]
    if constant and len(constant) == x.shape[1]:
        raise DataError(
            f"every feature is constant ({', '.join(constant)}): there is nothing to fit"
        )
    if constant:
        notes.append(f"feature {', '.join(repr(c) for c in constant)} is constant: left out")
    if task in ("binary", "multiclass"):
        values, counts = np.unique(y, return_counts=True)
        if values.size < 2:
            raise DataError("the target has a single class: there is nothing to classify")
        small = np.flatnonzero(counts < folds)
        if small.size:
            k = int(small[0])
            raise DataError(
                f"class {_label(values[k])} has {counts[k]} examples, fewer than the {folds} "
                "folds: each fold needs one (lower --folds)"
            )
    return notes


def _label(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def fold_indices(y: Array, task: str, folds: int, seed: int) -> list[tuple[Array, Array]]:
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter: Any
    if task in ("binary", "multiclass"):
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    dummy = np.zeros((y.shape[0], 1))
    return [(train, test) for train, test in splitter.split(dummy, y)]


# --- fitting --------------------------------------------------------------------------------


Predictor = Callable[[Array], Array]


def fit(candidate: Candidate, x: Array, y: Array, classes: Array, seed: int) -> Predictor:
    """Fit one candidate on (x, y); return a function from features to predictions: the
    mean for regression, P(class 1) for binary, class probabilities for multiclass, and
    margin scores for hinge."""
    from sklearn import linear_model as lm

    name, params = candidate.loss, candidate.params
    if name == "mse":
        return lm.LinearRegression().fit(x, y).predict
    if name == "huber":
        model = lm.HuberRegressor(epsilon=HUBER_EPSILON, alpha=0.0, max_iter=MAX_ITER)
        return model.fit(x, y).predict
    if name in ("mae", "pinball"):
        q = params.get("quantile", 0.5)
        if x.shape[0] > QUANTILE_ROWS:
            # A linear program grows faster than the rows: fit a uniform subsample.
            chosen = np.random.default_rng(seed).choice(x.shape[0], QUANTILE_ROWS, replace=False)
            warnings.warn(
                f"fitted on a uniform sample of {QUANTILE_ROWS} training rows per fold (a "
                "linear program)",
                _Note,
                stacklevel=2,
            )
            x, y = x[chosen], y[chosen]
        model = lm.QuantileRegressor(quantile=q, alpha=0.0, solver="highs-ipm")
        return model.fit(x, y).predict
    if name == "poisson":
        return lm.PoissonRegressor(alpha=0.0, solver=NEWTON, max_iter=MAX_ITER).fit(x, y).predict
    if name == "tweedie":
        model = lm.TweedieRegressor(power=params["power"], alpha=0.0, link="log", max_iter=MAX_ITER)
        return model.fit(x, y).predict
    if name == "gamma-deviance":
        if np.any(y <= 0):
            raise DataError("gamma-deviance needs targets > 0; the training fold has y <= 0")
        return lm.GammaRegressor(alpha=0.0, solver=NEWTON, max_iter=MAX_ITER).fit(x, y).predict
    if name == "msle":
        if np.any(y <= -1):
            raise DataError("msle needs targets > -1")
        model = lm.LinearRegression().fit(x, np.log1p(y))
        return lambda z: np.expm1(model.predict(z))
    if name in ("binary-cross-entropy", "cross-entropy"):
        model = lm.LogisticRegression(C=math.inf, solver=NEWTON, max_iter=MAX_ITER)
        model.fit(x, y)
        if name == "binary-cross-entropy":
            return lambda z: model.predict_proba(z)[:, 1]
        return model.predict_proba
    if name == "hinge":
        model = lm.SGDClassifier(loss="hinge", max_iter=MAX_ITER, random_state=seed, tol=1e-4)
        return model.fit(x, y).decision_function
    if name in ("focal", "softmax-focal"):
        return _fit_by_minimize(name, params, x, y, classes)
    raise UsageError(f"--trial cannot fit {name}")


def _fit_by_minimize(
    name: str, params: dict[str, float], x: Array, y: Array, classes: Array
) -> Predictor:
    """A linear model fitted by SciPy's L-BFGS on losscli's own value and gradient."""
    from scipy.optimize import minimize

    from losscli.core.evaluation.requests import make_request

    request = make_request(name, params, space="logit")
    n, d = x.shape
    xb = np.column_stack([x, np.ones(n)])
    k = 1 if name == "focal" else classes.size
    target = y if name == "focal" else np.searchsorted(classes, y).astype(np.float64)

    def objective(w: Array) -> tuple[float, Array]:
        weights = w.reshape(d + 1, k)
        z = xb @ weights
        prepared = request.prepare(target, z if k > 1 else z[:, 0])
        values = request.values(prepared)
        grads = request.grads(prepared).reshape(n, k)
        return float(values.mean()), (xb.T @ grads / n).ravel()

    result = minimize(
        objective,
        np.zeros((d + 1) * k),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": MAX_ITER},
    )
    if not result.success:
        warnings.warn(f"L-BFGS stopped: {result.message}", _NotConverged, stacklevel=2)
    weights = result.x.reshape(d + 1, k)

    def predict(z: Array) -> Array:
        scores = np.column_stack([z, np.ones(z.shape[0])]) @ weights
        if k == 1:
            return 1.0 / (1.0 + np.exp(-scores[:, 0]))
        scores = scores - scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    return predict


class _NotConverged(UserWarning):
    pass


class _Note(UserWarning):
    """Something a fit did that the scores should be read with."""


# --- scoring --------------------------------------------------------------------------------


def score(
    metric: str,
    params: dict[str, float],
    y: Array,
    pred: Array,
    task: str,
    classes: Array,
) -> float | None:
    """One held-out score, or None when the metric does not apply to these predictions
    (the log loss of hinge scores)."""
    from losscli.core.evaluation.requests import evaluate, make_request

    if metric in SCORES:
        return _score(metric, y, pred, task, classes)
    request = make_request(metric, params)
    if task in ("binary", "multiclass"):
        if pred.ndim == 1 and task == "binary" and np.any((pred < 0) | (pred > 1)):
            return None  # margin scores are not probabilities
        target: Array = y if task == "binary" else np.searchsorted(classes, y).astype(float)
        pred = np.clip(pred, PROB_CLIP, 1 - PROB_CLIP)
        if task == "binary" and request.loss.pred_columns == "many":
            pred = np.column_stack([1 - pred, pred])
            target = y
        return evaluate(request, target, pred).value
    if request.loss.name in ("poisson", "tweedie", "gamma-deviance", "msle"):
        pred = np.maximum(pred, POSITIVE_FLOOR)
    return evaluate(request, y, pred).value


def _score(metric: str, y: Array, pred: Array, task: str, classes: Array) -> float:
    from sklearn import metrics

    if metric == "accuracy":
        if task == "binary":
            cut = 0.0 if np.any((pred < 0) | (pred > 1)) else 0.5
            chosen = np.where(pred > cut, classes[-1], classes[0])
        else:
            chosen = classes[np.argmax(pred, axis=1)]
        return float(np.mean(chosen == y))
    positive = (y == classes[-1]).astype(int)
    if metric == "roc-auc":
        return float(metrics.roc_auc_score(positive, pred))
    return float(metrics.average_precision_score(positive, pred))


def metrics_for(task: str, metric: str, minority_share: float | None) -> tuple[str, ...]:
    """The chosen metric first, then the others worth showing beside it."""
    shown: tuple[str, ...]
    if task == "binary":
        shown = (metric, "binary-cross-entropy", "brier", ranking_metric(minority_share))
    elif task == "multiclass":
        shown = (metric, "cross-entropy", "accuracy")
    else:
        shown = (metric, "mse", "mae")
    return tuple(dict.fromkeys(shown))


# --- the trial --------------------------------------------------------------------------------


def run_trial(
    x: Array,
    y: Array,
    *,
    task: str,
    candidates: list[Candidate],
    metric: str,
    metric_params: dict[str, float],
    minority_share: float | None = None,
    folds: int = FOLDS,
    seed: int = 0,
    names: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrialResult:
    """Cross-validate every candidate on the same folds; scores on `metric` and the others
    `metrics_for` lists."""
    from threadpoolctl import threadpool_limits

    names = names or [f"x{k + 1}" for k in range(x.shape[1])]
    notes = check_data(x, y, task, folds, names)
    # One thread: the fits are small, and OpenMP threads only contend on a busy machine.
    with threadpool_limits(limits=1):
        return _cross_validate(
            x,
            y,
            task,
            candidates,
            metric,
            metric_params,
            minority_share,
            folds,
            seed,
            names,
            progress,
            notes,
        )


def _cross_validate(
    x: Array,
    y: Array,
    task: str,
    candidates: list[Candidate],
    metric: str,
    metric_params: dict[str, float],
    minority_share: float | None,
    folds: int,
    seed: int,
    names: list[str],
    progress: Callable[[str], None] | None,
    notes: list[str],
) -> TrialResult:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.preprocessing import StandardScaler

    keep = np.ptp(x, axis=0) > 0
    x = x[:, keep]
    classes = np.unique(y) if task in ("binary", "multiclass") else np.empty(0)
    shown = metrics_for(task, metric, minority_share)
    splits = fold_indices(y, task, folds, seed)
    results = [Scores(c) for c in candidates]
    for number, (train, test) in enumerate(splits, 1):
        scaler = StandardScaler().fit(x[train])
        x_train, x_test = scaler.transform(x[train]), scaler.transform(x[test])
        if progress is not None:
            fitting = ", ".join(r.candidate.loss for r in results)
            progress(f"fold {number}/{folds}: fitting {fitting} on {train.size} rows")
        for result in results:
            if result.problems and result.problems[-1].startswith("left out"):
                continue
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    predictor = fit(result.candidate, x_train, y[train], classes, seed)
                    pred = np.asarray(predictor(x_test), dtype=np.float64)
                except (ValueError, DataError) as error:
                    result.problems.append(f"left out: {error}")
                    result.folds.clear()
                    continue
            for w in caught:
                if issubclass(w.category, (ConvergenceWarning, _NotConverged)):
                    result.problems.append(f"did not converge in fold {number}")
                elif issubclass(w.category, _Note):
                    result.problems.append(str(w.message))
            for name in shown:
                params = metric_params if name == metric else {}
                value = score(name, params, y[test], pred, task, classes)
                if value is not None:
                    result.folds.setdefault(name, []).append(value)
    for result in results:
        unique = list(dict.fromkeys(result.problems))
        result.problems = unique
        for problem in unique:
            notes.append(f"{result.candidate.loss}: {problem}")
    return TrialResult(
        task=task,
        metric=metric,
        metrics=shown,
        folds=folds,
        rows=int(y.shape[0]),
        features=int(x.shape[1]),
        scores=_ranked(results, metric),
        winner=_winner(results, metric, folds),
        warnings=notes,
    )


def _ranked(results: list[Scores], metric: str) -> list[Scores]:
    sign = -1.0 if higher_is_better(metric) else 1.0

    def key(r: Scores) -> float:
        m = r.mean(metric)
        return math.inf if math.isnan(m) else sign * m

    return sorted(results, key=key)


def paired_gap(best: Scores, other: Scores, metric: str) -> tuple[float, float] | None:
    """How much worse `other` scores than `best`, fold by fold: the mean and standard
    deviation of the paired differences (None unless both have every fold)."""
    a, b = best.folds.get(metric, []), other.folds.get(metric, [])
    if not a or len(a) != len(b):
        return None
    diffs = np.array(b) - np.array(a)
    if higher_is_better(metric):
        diffs = -diffs
    spread = float(np.std(diffs, ddof=1)) if diffs.size > 1 else math.nan
    return float(diffs.mean()), spread


def _winner(results: list[Scores], metric: str, folds: int) -> Winner | None:
    scored = [r for r in _ranked(results, metric) if len(r.folds.get(metric, [])) == folds]
    if not scored:
        return None
    best = scored[0]
    if len(scored) == 1:
        return Winner(best.candidate.loss, None, math.nan, math.nan, False)
    second = scored[1]
    diffs = np.array(second.folds[metric]) - np.array(best.folds[metric])
    if higher_is_better(metric):
        diffs = -diffs
    margin = float(diffs.mean())
    spread = float(np.std(diffs, ddof=1))
    return Winner(best.candidate.loss, second.candidate.loss, margin, spread, margin > spread)
