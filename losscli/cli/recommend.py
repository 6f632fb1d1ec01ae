"""`losscli recommend`: the catalog's decision guide, from stated facts or from the data."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from losscli.cli import options as o

if TYPE_CHECKING:
    from losscli.core.recommend import Recommendation, Situation

HELP = """Recommend a loss: from what you know (flags) or from a profile of the data.

Each entry has suggested parameters, the reasons that fired and the caveats. -f plain prints
the loss names best first, so $(losscli recommend ... -f plain | head -1) is the top one.

Examples:

\b
  losscli recommend --task binary --positive-rate 0.005
  losscli recommend --task regression --outliers heavy --residual-scale 2.5
  losscli recommend --task regression --target-stat quantile --quantile 0.9
  losscli recommend --task multiclass --distillation
"""

FACTS = "Facts you know"


class Task(enum.StrEnum):
    binary = "binary"
    multiclass = "multiclass"
    regression = "regression"
    distribution = "distribution"
    embedding = "embedding"


class Outliers(enum.StrEnum):
    none = "none"
    some = "some"
    heavy = "heavy"


class TargetStat(enum.StrEnum):
    mean = "mean"
    median = "median"
    quantile = "quantile"


class Want(enum.StrEnum):
    probabilities = "probabilities"
    margin = "margin"
    ranking = "ranking"


def register(app: typer.Typer) -> None:
    app.command("recommend", help=HELP, no_args_is_help=True)(recommend)


def recommend(
    task: Annotated[
        Task | None, typer.Option("--task", help="What is predicted.", rich_help_panel=FACTS)
    ] = None,
    positive_rate: Annotated[
        float | None,
        typer.Option(
            "--positive-rate",
            metavar="F",
            help="Binary: share of positive examples, 0 < F < 1.",
            rich_help_panel=FACTS,
        ),
    ] = None,
    class_counts: Annotated[
        str | None,
        typer.Option(
            "--class-counts",
            metavar="LIST",
            help="Examples per class, comma-separated (binary: class 0, class 1).",
            rich_help_panel=FACTS,
        ),
    ] = None,
    outliers: Annotated[
        Outliers | None,
        typer.Option(
            "--outliers",
            help="Regression: outliers you expect in the targets.",
            rich_help_panel=FACTS,
        ),
    ] = None,
    residual_scale: Annotated[
        float | None,
        typer.Option(
            "--residual-scale",
            metavar="S",
            help="Regression: robust SD of the residuals (MAD x 1.4826), to scale Huber's delta.",
            rich_help_panel=FACTS,
        ),
    ] = None,
    target_stat: Annotated[
        TargetStat | None,
        typer.Option(
            "--target-stat",
            help="Regression: what to predict (default mean).",
            rich_help_panel=FACTS,
        ),
    ] = None,
    quantile: Annotated[
        float | None,
        typer.Option(
            "--quantile",
            metavar="Q",
            help="With --target-stat quantile: which one, 0 < Q < 1.",
            rich_help_panel=FACTS,
        ),
    ] = None,
    want: Annotated[
        Want | None,
        typer.Option("--want", help="What the model's output is for.", rich_help_panel=FACTS),
    ] = None,
    distillation: Annotated[
        bool,
        typer.Option(
            "--distillation",
            help="A student learns from a teacher's distributions.",
            rich_help_panel=FACTS,
        ),
    ] = False,
    variational: Annotated[
        bool,
        typer.Option(
            "--variational",
            help="Variational inference: fit an approximate posterior.",
            rich_help_panel=FACTS,
        ),
    ] = False,
    fmt: o.Format = o.OutputFormat.auto,
    json_flag: o.Json = False,
    color: o.ColorOpt = o.Color.auto,
) -> None:
    from losscli.core.recommend import from_facts
    from losscli.core.recommend import recommend as apply_guide

    situation = from_facts(
        task=_value(task),
        positive_rate=positive_rate,
        class_counts=_counts(class_counts),
        outliers=_value(outliers),
        residual_scale=residual_scale,
        target_stat=_value(target_stat),
        quantile=quantile,
        want=_value(want),
        distillation=distillation,
        variational=variational,
    )
    profile = {"source": "flags", **_stated(situation)}
    _emit(profile, apply_guide(situation), o.output_format(fmt, json_flag), color.value)


def _value(choice: enum.Enum | None) -> Any:
    return None if choice is None else choice.value


def _counts(text: str | None) -> list[int] | None:
    from losscli.core.errors import UsageError

    if text is None:
        return None
    counts = []
    for cell in text.split(","):
        try:
            counts.append(int(cell.strip()))
        except ValueError:
            raise UsageError(
                f"--class-counts takes whole numbers separated by commas, not {cell.strip()!r}"
            ) from None
    return counts


def _stated(s: Situation) -> dict[str, Any]:
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


def _entry(r: Recommendation) -> dict[str, Any]:
    return {
        "loss": r.loss,
        "params": dict(r.params),
        "score": r.score,
        "reasons": list(r.reasons),
        "caveats": list(r.caveats),
        "references": list(r.references),
    }


def _params_text(params: dict[str, Any]) -> str:
    return ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
    )


def _emit(profile: dict[str, Any], found: list[Recommendation], fmt: str, color: str) -> None:
    from losscli.render.emit import emit
    from losscli.render.report import Report

    payload = {"profile": profile, "recommendations": [_entry(r) for r in found]}
    if fmt == "plain":
        # One loss name per line, best first: `... -f plain | head -1` is the top loss.
        report = Report(payload, ("rank", "loss"), [(i, r.loss) for i, r in enumerate(found, 1)])
        report.indexed = True
    else:
        rows = [
            (
                i,
                r.loss,
                r.score,
                _params_text(dict(r.params)),
                "; ".join(r.reasons),
                "; ".join(r.caveats),
            )
            for i, r in enumerate(found, 1)
        ]
        report = Report(
            payload,
            ("rank", "loss", "score", "params", "reasons", "caveats"),
            rows,
            title="recommended losses",
            human=lambda console: _human(console, profile, found),
        )
    emit(report, fmt, color)


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
            head.append(f"  {_params_text(dict(r.params))}")
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
