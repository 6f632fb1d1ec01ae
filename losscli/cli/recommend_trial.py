"""`losscli recommend --trial`: read a sample of the table in one pass, profile its target,
and cross-validate a simple model with each candidate loss (losscli/core/advice/trial.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from losscli.core.errors import UsageError

if TYPE_CHECKING:
    from losscli.cli.recommend import TableChoice
    from losscli.inputs.table import Selection
    from losscli.render.report import Report


def trial_report(
    table: TableChoice,
    *,
    task: str | None,
    target_stat: str | None,
    quantile: float | None,
    want: str | None,
    features: str | None,
    metric: str | None,
    folds: int,
    sample: int,
    seed: int,
    progress: bool,
    facts: dict[str, Any],
    output: str,
) -> Report:
    stated = [flag for flag, value in facts.items() if value is not None]
    if stated:
        raise UsageError(f"{stated[0]} is a fact to state without data: --trial measures it")
    if table.pred is not None:
        raise UsageError("--trial fits its own predictions: leave out -p (features are -x)")
    if task in ("distribution", "embedding"):
        raise UsageError(f"--trial fits regression and classification targets, not --task {task}")
    if folds < 2:
        raise UsageError(f"--folds must be at least 2, not {folds}")
    if sample < 1:
        raise UsageError(f"--sample must be a positive number of rows, not {sample}")
    _check_extra()
    if metric is not None:
        _check_metric(metric)

    import numpy as np

    from losscli.cli.common import InputOptions, note, open_table_source
    from losscli.core.advice.profile import LabelProfile, Profiler, RobustSample, SpreadProfile
    from losscli.core.advice.recommend import from_profile, recommend, tweedie_power
    from losscli.core.advice.trial import candidates_for, default_metric, run_trial
    from losscli.render.recommendation import measured_profile, trial_view
    from losscli.run.context import Warnings, located

    options = InputOptions(
        file=table.file,
        target=table.target,
        pred=None,
        input_format=table.input_format,
        delimiter=table.delimiter,
        header=table.header,
        nan=table.nan,
        progress=progress,
    )
    source = open_table_source(
        options,
        lambda names: _columns(names, table.target, features),
        no_input="no input: give FILE, or pipe a table in",
    )
    profiler = Profiler(with_pred=False)
    # One pass: every row is offered to a uniform sample of at most `sample` rows (each
    # row keyed by a seeded random number, the smallest keys kept: bounded memory).
    rows_sample = RobustSample(limit=sample, size=sample, rng=np.random.default_rng(seed))
    warnings = Warnings(live=False)
    rows, batch = 0, None
    for batch in source.batches():
        with located(source, batch):
            profiler.add(batch.y_true[:, 0])
        rows_sample.add(np.column_stack([batch.y_true[:, 0], batch.y_pred]))
        rows += batch.y_true.shape[0]
    warnings.finish(source, rows)
    assert batch is not None
    with located(source, batch):
        profile = profiler.finish(as_labels=None if task is None else task != "regression")
    data = rows_sample.values()
    if isinstance(profile, SpreadProfile) and profile.target is not None:
        profile = _with_slope(profile, data)
    situation = from_profile(profile, target_stat=target_stat, quantile=quantile, want=want)
    found = recommend(situation)
    items = list(warnings.items)
    other = getattr(profile, "other_reading", None)
    if other is not None:
        items.append(other)

    if rows > data.shape[0]:
        items.append(
            f"the trial fits a uniform sample of {data.shape[0]} of the {rows} rows (--sample)"
        )
    y, x = data[:, 0], data[:, 1:]
    minority = None
    kind = situation.target_kind if situation.mean_target else None
    if isinstance(profile, LabelProfile):
        trial_task: str = profile.task
        minority = profile.minority_share
    else:
        trial_task = "regression"
    power = tweedie_power(situation)
    focal = next((r for r in found if r.loss == "focal"), None)
    alpha = focal.params.get("alpha") if focal is not None else None
    candidates = candidates_for(
        trial_task,
        kind,
        quantile=situation.quantile,
        power=power,
        alpha=float(alpha) if isinstance(alpha, float) else None,
        overdispersed=any("tweedie-overdispersed-counts" in r.rules for r in found),
    )
    chosen, metric_params = default_metric(
        trial_task,
        kind,
        target_stat=situation.target_stat,
        quantile=situation.quantile,
        power=power,
        minority_share=minority,
        want=want,
    )
    if metric is not None:
        chosen = metric
        metric_params = _metric_params(metric, situation.quantile, power)

    def tell(text: str) -> None:
        if progress:
            note(f"trial: {text}")

    with located(source, batch):
        result = run_trial(
            x,
            y,
            task=trial_task,
            candidates=candidates,
            metric=chosen,
            metric_params=metric_params,
            minority_share=minority,
            folds=folds,
            seed=seed,
            names=list(source.pred_names),
            progress=tell,
        )
    items.extend(result.warnings)
    described = {
        "source": source.reader.label,
        "rows": rows,
        "target": source.target_names[0],
        "features": list(source.pred_names),
        **measured_profile(profile),
    }
    return trial_view(described, found, result, items, seed, output)


def _with_slope(profile: Any, data: Any) -> Any:
    """The profile with the variance-to-mean slope of a least-squares fit on the features:
    the marginal target mixes what the features explain with the noise, the residuals of a
    fit do not (constant noise 0, Poisson 1, gamma 2)."""
    from dataclasses import replace

    import numpy as np

    from losscli.core.advice.profile import variance_slope

    y, x = data[:, 0], data[:, 1:]
    design = np.column_stack([x, np.ones(x.shape[0])])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    slope, bins = variance_slope(np.column_stack([y, design @ coef]))
    return replace(profile, target=replace(profile.target, variance_slope=slope, slope_bins=bins))


def _check_extra() -> None:
    from losscli.render.plotting import MissingExtra

    try:
        import scipy.optimize  # noqa: F401
        import sklearn.linear_model  # noqa: F401
    except ImportError:
        raise MissingExtra(
            "--trial needs scikit-learn and SciPy, which are not installed: "
            "pip install 'losscli[trial]'"
        ) from None


def _check_metric(metric: str) -> None:
    from losscli.core.advice.trial import SCORES
    from losscli.core.losses.registry import get

    if metric in SCORES:
        return
    loss = get(metric)  # UsageError naming the closest name
    if loss.name != metric:
        raise UsageError(f"--metric takes the catalog name: {loss.name}, not {metric}")
    one_prediction = loss.pred_columns != "many" or loss.family == "classification"
    if not one_prediction or not loss.takes_target:
        raise UsageError(f"--metric {metric} does not score one prediction per example")


def _metric_params(metric: str, quantile: float | None, power: float) -> dict[str, float]:
    if metric == "pinball" and quantile is not None:
        return {"quantile": quantile}
    if metric == "tweedie":
        return {"power": power}
    return {}


def _columns(names: list[str], target: str | None, features: str | None) -> Selection:
    """The target (-t; else y_true or the first column) and the features (-x; else every
    other column), as the target and prediction columns of a selection."""
    from losscli.core.errors import DataError
    from losscli.inputs.table import Selection, select_columns

    note = None
    if target is not None:
        t = select_columns(target, names, "--target")
        if len(t) != 1:
            raise UsageError(f"--target names {len(t)} columns; --trial fits one target")
    elif "y_true" in names:
        t = [names.index("y_true")]
    else:
        t = [0]
        note = f"using column {names[0]!r} as the target (choose with -t)"
    if features is not None:
        x = select_columns(features, names, "-x")
        if t[0] in x:
            raise UsageError(f"column {names[t[0]]!r} is both the target and a feature")
    else:
        x = [k for k in range(len(names)) if k != t[0]]
        if not x:
            raise DataError(
                f"no feature column: the table has only the target {names[t[0]]!r} "
                "(--trial fits the target from feature columns)"
            )
        shown = ", ".join(repr(names[k]) for k in x)
        note = (note + "; " if note else "") + f"features: {shown} (choose with -x)"
    return Selection(t, x, None, note)
