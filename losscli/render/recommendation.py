"""How `recommend` shows its result: the profile (stated or measured) and the ranked losses,
as a JSON document, a table, the names alone (-f plain) or a terminal view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from losscli.core.profile import LabelProfile, Profile, label_text
from losscli.core.recommend import Recommendation, Situation, outlier_level
from losscli.render.report import Report


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
        if key == "source":
            continue
        if lines:
            lines.append("\n")
        lines.append(f"{key.replace('_', ' ')}: ", style="bold")
        lines.append(_shown(value))
    console.print(Panel(lines, title=Text(title), title_align="left", expand=False))
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


def _shown(value: Any) -> str:
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
        "distillation": s.distillation or None,
        "variational": s.variational or None,
    }
    return {k: v for k, v in facts.items() if v is not None}


def measured_profile(profile: Profile) -> dict[str, Any]:
    if isinstance(profile, LabelProfile):
        return {
            "task": profile.task,
            "classes": {label_text(k): v for k, v in profile.counts.items()},
            "minority_share": profile.minority_share,
            "positive_label": _number(profile.positive_label),
            "positive_rate": profile.positive_rate,
        }
    exact = profile.robust_from == profile.n
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
    }


def _number(value: float | None) -> float | int | None:
    if value is not None and value == int(value):
        return int(value)
    return value
