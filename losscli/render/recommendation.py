"""How `recommend` shows its result: the profile (stated or measured) and the ranked losses,
as a JSON document, a table, the names alone (-f plain) or a terminal view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from losscli.core.advice.profile import (
    DistributionProfile,
    LabelProfile,
    PairProfile,
    Profile,
    label_text,
)
from losscli.core.advice.recommend import Recommendation, Situation, outlier_level, target_kind
from losscli.core.advice.trial import TrialResult, Winner, higher_is_better, paired_gap
from losscli.render.report import Report, printable


def _entry(r: Recommendation) -> dict[str, Any]:
    return {
        "loss": r.loss,
        "params": dict(r.params),
        "score": r.score,
        "reasons": list(r.reasons),
        "caveats": list(r.caveats),
        "references": list(r.references),
    }


def params_text(params: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )


def recommendation_report(
    profile: dict[str, Any], found: list[Recommendation], warnings: list[str], fmt: str
) -> Report:
    """The JSON document, a table of the ranked losses, and a terminal view with the
    profile; for -f plain only the loss names, best first (`... | head -1` is the top)."""
    payload = {"profile": profile, "recommendations": [_entry(r) for r in found]}
    if fmt == "plain":
        names = [(i, r.loss) for i, r in enumerate(found, 1)]
        return Report(payload, ("rank", "loss"), names, indexed=True, warnings=list(warnings))
    rows = [
        (
            i,
            r.loss,
            r.score,
            params_text(r.params),
            "; ".join(r.reasons),
            "; ".join(r.caveats),
        )
        for i, r in enumerate(found, 1)
    ]
    return Report(
        payload,
        ("rank", "loss", "score", "params", "reasons", "caveats"),
        rows,
        title="recommended losses",
        warnings=list(warnings),
        human=lambda console: _human(console, profile, found),
    )


def _human(console: Any, profile: dict[str, Any], found: list[Recommendation]) -> None:
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    source = profile.get("source", "flags")
    title = "what you stated" if source == "flags" else f"profile of {source}"
    lines = Text()
    for key, value in profile.items():
        if key == "source" or value is None:  # a fact not given or not measured: no line
            continue
        if lines:
            lines.append("\n")
        lines.append(f"{key.replace('_', ' ')}: ", style="bold")
        lines.append(printable(_shown(value)))  # a column name may hold escape sequences
    console.print(Panel(lines, title=Text(printable(title)), title_align="left", expand=False))
    for rank, r in enumerate(found, 1):
        head = Text(f"{rank}. ", style="bold")
        head.append(r.loss, style="bold cyan")
        if r.params:
            head.append(f"  {params_text(r.params)}")
        head.append(f"  score {r.score:.2f}", style="dim")
        console.print(head)
        # Label and text side by side, so wrapped lines stay indented under the text.
        details = Table.grid(padding=(0, 1))
        details.add_column(width=9, justify="right")
        details.add_column()
        for reason in r.reasons:
            details.add_row(Text("why", style="green"), Text(reason))
        for caveat in r.caveats:
            details.add_row(Text("caveat", style="yellow"), Text(caveat))
        console.print(details)


def trial_view(
    profile: dict[str, Any],
    found: list[Recommendation],
    result: TrialResult,
    warnings: list[str],
    seed: int,
    fmt: str,
) -> Report:
    """The trial's candidates ranked by the held-out metric: mean and spread over the folds
    of each metric shown, the winner marked with its margin; --json has every fold."""
    metric = result.metric
    candidates = []
    best = result.scores[0]
    for s in result.scores:
        gap = paired_gap(best, s, metric)
        candidates.append(
            {
                "loss": s.candidate.loss,
                "params": dict(s.candidate.params),
                "fit": s.candidate.fitter,
                "folds": {name: list(values) for name, values in s.folds.items()},
                "mean": {name: s.mean(name) for name in s.folds},
                "std": {name: s.std(name) for name in s.folds},
                "behind_winner": None if gap is None else {"mean": gap[0], "std": gap[1]},
                "problems": list(s.problems),
            }
        )
    winner = result.winner
    trial: dict[str, Any] = {
        "task": result.task,
        "metric": metric,
        "lower_is_better": not higher_is_better(metric),
        "folds": result.folds,
        "rows": result.rows,
        "features": result.features,
        "seed": seed,
        "candidates": candidates,
        "winner": None
        if winner is None
        else {
            "loss": winner.loss,
            "runner_up": winner.runner_up,
            "margin": winner.margin,
            "spread": winner.spread,
            "beyond_spread": winner.beyond_spread,
        },
    }
    payload = {
        "profile": profile,
        "recommendations": [_entry(r) for r in found],
        "trial": trial,
    }
    names = list(result.metrics)
    columns = (
        "rank",
        "loss",
        *(f"{n}_mean" for n in names),
        f"{metric}_std",
        "behind_winner",
        "winner",
        "fit",
    )
    rows = []
    for rank, s in enumerate(result.scores, 1):
        mark = ""
        if winner is not None and s.candidate.loss == winner.loss:
            mark = _winner_words(winner)
        gap = paired_gap(best, s, metric)
        rows.append(
            (
                rank,
                _label(s.candidate.loss, s.candidate.params),
                *(s.mean(n) for n in names),
                s.std(metric),
                None if gap is None else gap[0],
                mark,
                s.candidate.fitter,
            )
        )
    if fmt == "plain":
        plain = [(i, s.candidate.loss) for i, s in enumerate(result.scores, 1)]
        return Report(payload, ("rank", "loss"), plain, indexed=True, warnings=list(warnings))
    caption = (
        f"held-out {metric} ({'higher' if higher_is_better(metric) else 'lower'} is better): "
        f"mean ± sd over {result.folds} folds of {result.rows} rows, {result.features} "
        f"feature{'s' if result.features != 1 else ''}, seed {seed}; behind winner: the "
        f"paired difference per fold, mean ± sd"
    )
    return Report(
        payload,
        columns,
        rows,
        title="trial",
        warnings=list(warnings),
        human=lambda console: _trial_human(console, result, names, caption, found),
    )


def _label(loss: str, params: Mapping[str, Any]) -> str:
    return f"{loss} ({params_text(params)})" if params else loss


def _winner_words(w: Winner) -> str:
    if w.runner_up is None:
        return "winner (the only one scored)"
    verdict = "beyond" if w.beyond_spread else "within"
    return (
        f"winner by {w.margin:.4g} over {w.runner_up}, {verdict} the fold spread ({w.spread:.2g})"
    )


def _trial_human(
    console: Any,
    result: TrialResult,
    names: list[str],
    caption: str,
    found: list[Recommendation],
) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="trial", caption=caption)
    table.add_column("loss", style="bold cyan")
    for name in names:
        table.add_column(name, justify="right")
    table.add_column("behind winner", justify="right")
    table.add_column("fitted by", style="dim")
    best = result.scores[0]
    for s in result.scores:
        cells = []
        for name in names:
            mean, std = s.mean(name), s.std(name)
            cells.append("n/a" if mean != mean else f"{mean:.4g} ± {std:.2g}")
        gap = paired_gap(best, s, result.metric)
        behind = "" if s is best else "n/a" if gap is None else f"{gap[0]:.3g} ± {gap[1]:.2g}"
        label = _label(s.candidate.loss, s.candidate.params)
        table.add_row(label, *cells, behind, s.candidate.fitter)
    console.print(table)
    if result.winner is not None:
        line = Text("winner: ", style="bold")
        line.append(result.winner.loss, style="bold green")
        if result.winner.runner_up is not None:
            line.append(" " + _winner_words(result.winner).removeprefix("winner "))
        console.print(line)
    if found:
        guide = Text("the guide's pick from the profile: ", style="bold")
        guide.append(found[0].loss, style="bold cyan")
        if found[0].params:
            guide.append(f" ({params_text(found[0].params)})")
        console.print(guide)


def _shown(value: Any) -> str:
    """A profile value in words: never Python's None, True or ['a', 'b']."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    return str(value)


def stated_profile(s: Situation) -> dict[str, Any]:
    """The facts the flags gave (and what they imply), for the profile part of the output."""
    facts: dict[str, Any] = {
        "task": s.task,
        "positive_rate": s.positive_rate,
        "minority_share": s.minority_share,
        "classes": s.n_classes,
        "outliers": s.outliers,
        "residual_scale": s.residual_scale,
        "target_stat": s.target_stat,
        "quantile": s.quantile,
        "want": s.want,
        "target_kind": s.target_kind,
        "distillation": s.distillation or None,
        "variational": s.variational or None,
    }
    return {k: v for k, v in facts.items() if v is not None}


def measured_profile(profile: Profile) -> dict[str, Any]:
    if isinstance(profile, PairProfile):
        return {
            "task": "embedding",
            "pairs": {label_text(k): v for k, v in profile.counts.items()},
            "mean_distance": {label_text(k): v for k, v in profile.mean_distance.items()},
        }
    if isinstance(profile, DistributionProfile):
        return {
            "task": "distribution",
            "columns": profile.columns,
            "one_hot_share": profile.one_hot_share,
            "mean_entropy": profile.mean_entropy,
        }
    if isinstance(profile, LabelProfile):
        return {
            "task": profile.task,
            "classes": {label_text(k): v for k, v in profile.counts.items()},
            "minority_share": profile.minority_share,
            "positive_label": _number(profile.positive_label),
            "positive_rate": profile.positive_rate,
        }
    exact = profile.robust_from == profile.n
    target: dict[str, Any] = {}
    if profile.target is not None:
        t = profile.target
        target = {
            "target_kind": target_kind(t)[0] or "real",
            "zero_share": t.zero_share,
            "dispersion": t.dispersion,
            "count_fit": t.count_fit,
            "variance_slope": t.variance_slope,
        }
    return {
        "task": "regression",
        "basis": profile.basis,
        "mean": profile.mean,
        "std": profile.std,
        "median": profile.median,
        "scale": profile.scale,
        "scale_method": profile.scale_method,
        "tail_share": profile.tail_share,
        "excess_kurtosis": profile.excess_kurtosis,
        "skew": profile.skew,
        "quartile_skew": profile.quartile_skew,
        "outliers": outlier_level(profile),
        "robust_stats": "exact"
        if exact
        else profile.scale_method
        if "KLL sketch" in profile.scale_method
        else f"from a uniform sample of {profile.robust_from}",
        **target,
    }


def _number(value: float | None) -> float | int | None:
    if value is not None and value == int(value):
        return int(value)
    return value
