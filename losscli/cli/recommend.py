"""`losscli recommend`: the catalog's decision guide, from stated facts or from the data."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from losscli.cli import options as o
from losscli.cli import scale as sc
from losscli.cli.candidates import column_names
from losscli.core.errors import UsageError

if TYPE_CHECKING:
    from losscli.core.advice.profile import Profile
    from losscli.core.advice.recommend import Recommendation
    from losscli.inputs.table import Selection

HELP = """Recommend a loss: from what you know (flags) or from a profile of the data.

From flags: --task and the facts you know. From data: a table (FILE, or piped to stdin),
its target column (-t) and optionally one prediction column (-p) to profile the residuals;
without -t and -p, y_true and y_pred if both are there, else y_true or the first column
alone. A target with at most 20 distinct integer values is read as class labels unless
they are shaped like counts (0, 1, 2, ... with a Poisson or negative binomial shape) or
real-valued predictions say otherwise; --task says which reading you mean. Numbers are
read as counts, as many zeros with a positive part, as positive values whose spread grows
with the mean, or as real values, with the checks that decided it.

Each entry has suggested parameters, the reasons that fired and the caveats. -f plain prints
the loss names best first, so $(losscli recommend ... -f plain | head -1) is the top one.

--trial fits a linear (or logistic, or log-link) model with each candidate loss on the
feature columns (-x), by k-fold cross-validation, and ranks the held-out scores on the metric
that matches what you want: MSE for the mean, MAE for --target-stat median, pinball for a
quantile, Poisson, Tweedie or gamma deviance for counts and positive targets, log loss for
classes (or --metric). The winner's margin is compared with the fold-to-fold spread.

Examples:

\b
  losscli recommend --task binary --positive-rate 0.005
  losscli recommend --task regression --outliers heavy --residual-scale 2.5
  losscli recommend --task regression --target-stat quantile --quantile 0.9
  losscli recommend --task multiclass --distillation
  losscli recommend data.csv --target price --pred predicted
  cat labels.csv | losscli recommend -t label
"""

FACTS = "Facts you know"
TRIAL = "Trial on your data"


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
    relative = "relative"


class TargetKind(enum.StrEnum):
    counts = "counts"
    zero_inflated = "zero-inflated"
    positive = "positive"


def register(app: typer.Typer) -> None:
    # Not no_args_is_help: `cat table.csv | losscli recommend` reads the piped table.
    app.command("recommend", help=HELP)(recommend)


@o.output_options
def recommend(
    ctx: typer.Context,
    files: sc.Files = None,
    target: Annotated[
        str | None,
        typer.Option(
            "-t",
            "--target",
            metavar="COL",
            help="Target column: name or 1-based index. Default: y_true, else the first.",
            rich_help_panel=o.INPUT,
            autocompletion=column_names,
        ),
    ] = None,
    pred: Annotated[
        str | None,
        typer.Option(
            "-p",
            "--pred",
            metavar="COLS",
            help="Prediction column: its residuals are profiled. Default: y_pred, without -t.",
            rich_help_panel=o.INPUT,
            autocompletion=column_names,
        ),
    ] = None,
    input_format: o.InputFormatOpt = None,
    delimiter: o.Delimiter = None,
    header: o.Header = None,
    nan: o.Nan = o.NanPolicy.error,
    no_progress: o.NoProgress = False,
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
        typer.Option(
            "--want",
            help="What the model's output is for (relative: regression judged by relative error).",
            rich_help_panel=FACTS,
        ),
    ] = None,
    target_kind: Annotated[
        TargetKind | None,
        typer.Option(
            "--target-kind",
            help="Regression: counts, zero-inflated (many exact zeros, continuous positive "
            "part) or positive (spread grows with the mean).",
            rich_help_panel=FACTS,
        ),
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
    jobs: sc.Jobs = None,
    trial: Annotated[
        bool,
        typer.Option(
            "--trial",
            help="Fit a simple model with each candidate loss (k-fold cross-validation) and "
            "compare held-out scores. Needs losscli[trial].",
            rich_help_panel=TRIAL,
        ),
    ] = False,
    features: Annotated[
        str | None,
        typer.Option(
            "-x",
            "--features",
            metavar="COLS",
            help="Feature columns for --trial: names, 1-based indices or globs, "
            "comma-separated. Default: every column but the target.",
            rich_help_panel=TRIAL,
        ),
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(
            "--metric",
            metavar="NAME",
            help="Metric that ranks the trial: a catalog loss, roc-auc, average-precision or "
            "accuracy. Default: the one matching --target-stat or the target.",
            rich_help_panel=TRIAL,
        ),
    ] = None,
    folds: Annotated[
        int,
        typer.Option("--folds", metavar="K", help="Cross-validation folds.", rich_help_panel=TRIAL),
    ] = 5,
    sample: Annotated[
        int,
        typer.Option(
            "--sample",
            metavar="N",
            help="Fit on at most N rows, a uniform sample drawn in one pass.",
            rich_help_panel=TRIAL,
        ),
    ] = 200_000,
    seed: Annotated[
        int,
        typer.Option("--seed", help="Seed of the sample and the folds.", rich_help_panel=TRIAL),
    ] = 0,
    out: o.Output = o.NO_OUTPUT,
) -> None:
    dataset = sc.is_dataset(files)
    file = files[0] if files and not dataset else None
    if not trial:
        given = {"-x": features, "--metric": metric}
        for flag, value in given.items():
            if value is not None:
                raise UsageError(f"{flag} goes with --trial")
    facts = {
        "--positive-rate": positive_rate,
        "--class-counts": class_counts,
        "--outliers": outliers,
        "--residual-scale": residual_scale,
        "--distillation": distillation or None,
        "--variational": variational or None,
        "--target-kind": target_kind,
    }
    table = TableChoice(
        file,
        target,
        pred,
        o.input_format(input_format),
        delimiter,
        header,
        nan.value,
        tuple(files or ()) if dataset else (),
        jobs,
    )
    output = out.format
    if _nothing_given(table, task, facts, target_stat, quantile, want):
        # At a terminal with nothing to go on: the help, as a usage error (as `compute`).
        typer.echo(ctx.get_help(), err=True)
        raise typer.Exit(2)
    if trial:
        if dataset:
            raise UsageError("--trial fits models on one table; give it one FILE")
        from losscli.cli.recommend_trial import trial_report

        report = trial_report(
            table,
            task=_value(task),
            target_stat=_value(target_stat),
            quantile=quantile,
            want=_value(want),
            features=features,
            metric=metric,
            folds=folds,
            sample=sample,
            seed=seed,
            progress=not no_progress,
            facts=facts,
            output=output,
        )
        from losscli.render.emit import emit

        emit(report, output, out.color)
        return
    if _reads_data(table, task, facts):
        stated = [flag for flag, value in facts.items() if value is not None]
        if stated:
            raise UsageError(
                f"{stated[0]} is a fact to state without data: with a table, recommend "
                "measures what it needs"
            )
        outcome = _from_data(
            table,
            task=_value(task),
            target_stat=_value(target_stat),
            quantile=quantile,
            want=_value(want),
            progress=not no_progress,
        )
    else:
        outcome = _from_flags(
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
            target_kind=_value(target_kind),
        )
    from losscli.render.emit import emit
    from losscli.render.recommendation import recommendation_report

    emit(recommendation_report(*outcome, output), output, out.color)


@dataclass(frozen=True)
class TableChoice:
    """The table options as given."""

    file: str | None
    target: str | None
    pred: str | None
    input_format: str | None
    delimiter: str | None
    header: bool | None
    nan: str
    files: tuple[str, ...] = ()  # FILE... when it names several tables (a dataset)
    jobs: int | None = None

    def given(self) -> bool:
        options = (self.file, self.target, self.pred, self.input_format, self.delimiter)
        return any(v is not None for v in options) or self.header is not None or bool(self.files)


def _nothing_given(table: TableChoice, task: Any, facts: dict[str, Any], *reading: Any) -> bool:
    from losscli.cli.common import stdin_is_terminal

    given = [task, *facts.values(), *reading]
    return not table.given() and all(v is None for v in given) and stdin_is_terminal()


def _reads_data(table: TableChoice, task: Task | None, facts: dict[str, Any]) -> bool:
    """A table when one is named; else stdin when it is piped, holds data and no flag states
    a fact that only the data could otherwise give (--task, --target-stat and --want say how
    to read the data, so they go with a piped table too)."""
    from losscli.cli.common import stdin_is_terminal

    if table.given():
        return True
    if any(v is not None for v in facts.values()) or stdin_is_terminal():
        return False
    # With --task alone, an empty stdin (`< /dev/null`, a script) means the flags.
    return task is None or _stdin_has_data()


def _stdin_has_data() -> bool:
    """Whether stdin holds at least one byte, without consuming it."""
    import sys

    stream = sys.stdin.buffer
    peek = getattr(stream, "peek", None)
    if peek is not None:
        return bool(peek(1))
    position = stream.tell()  # an in-memory stream (tests) can seek back
    data = stream.read(1)
    stream.seek(position)
    return bool(data)


class Outcome(NamedTuple):
    """What the command shows: the profile, the ranked losses and the warnings."""

    profile: dict[str, Any]
    found: list[Recommendation]
    warnings: list[str]


def _from_flags(**facts: Any) -> Outcome:
    from losscli.core.advice.recommend import from_facts
    from losscli.core.advice.recommend import recommend as apply_guide
    from losscli.render.recommendation import stated_profile

    situation = from_facts(**facts)
    return Outcome({"source": "flags", **stated_profile(situation)}, apply_guide(situation), [])


def _from_data(
    table: TableChoice,
    *,
    task: str | None,
    target_stat: str | None,
    quantile: float | None,
    want: str | None,
    progress: bool,
) -> Outcome:
    from losscli.core.advice.profile import LabelProfile
    from losscli.core.advice.recommend import from_profile
    from losscli.core.advice.recommend import recommend as apply_guide

    profile, described, warnings = _profile_table(table, task, progress)
    situation = from_profile(profile, target_stat=target_stat, quantile=quantile, want=want)
    other_reading = getattr(profile, "other_reading", None)
    if other_reading is not None:
        warnings.append(other_reading)
    if isinstance(profile, LabelProfile) and described["pred"] is not None:
        warnings.append("the target holds class labels: the prediction column is not used")
    if described["rows"] < SMALL_SAMPLE:
        warnings.append(f"only {described['rows']} rows: the measured shares and moments are rough")
    return Outcome(described, apply_guide(situation), warnings)


def _profile_table(
    table: TableChoice, task: str | None, progress: bool
) -> tuple[Profile, dict[str, Any], list[str]]:
    """Stream the table through a profiler: the profile, its description, and warnings."""
    import contextlib

    from losscli.cli.common import InputOptions, open_table_source
    from losscli.core.advice.profile import LabelProfile, PairProfile
    from losscli.render.recommendation import measured_profile
    from losscli.run.context import Warnings, located
    from losscli.run.profile import (
        profile_columns,
        profile_distributions,
        profile_of,
        profile_rows,
    )

    options = InputOptions(
        file=table.file,
        target=table.target,
        pred=table.pred,
        input_format=table.input_format,
        delimiter=table.delimiter,
        header=table.header,
        nan=table.nan,
        progress=progress,
    )
    warnings = Warnings(live=False)
    if table.files:
        if task == "distribution":
            raise UsageError("--task distribution reads one table of soft labels")
        profiler, rows, selection, names, label = _profile_files(table, options)
        located_last: Any = contextlib.nullcontext
    else:
        source = open_table_source(
            options,
            lambda names: profile_columns(names, table.target, table.pred),
            no_input="no input: give FILE, or pipe a table in",
        )
        selection = source.selection
        if len(selection.target) > 1:
            return profile_distributions(source, task)
        if task == "distribution":
            raise UsageError("--task distribution reads soft labels: name their columns with -t")
        residuals = len(selection.pred) == 1
        profiler, rows, last = profile_rows(source, residuals, warnings)
        located_last = lambda: located(source, last)  # noqa: E731
        names = (source.target_names[0], source.pred_names[0] if residuals else None)
        label = source.reader.label
    profile = profile_of(profiler, task, located_last)
    if len(selection.pred) > 1 and not isinstance(profile, LabelProfile | PairProfile):
        raise UsageError(
            f"--pred names {len(selection.pred)} columns; residuals need one prediction column"
        )
    described = {
        "source": label,
        "rows": rows,
        "target": names[0],
        "pred": names[1],
        **measured_profile(profile),
    }
    return profile, described, warnings.items


def _profile_files(
    table: TableChoice, options: Any
) -> tuple[Any, int, Selection, tuple[str, str | None], str]:
    """The profile of FILE... (files, globs, a directory): each file profiled by --jobs
    processes into a ProfileState, the states merged in file order. Returns the profiler,
    the rows, the selection, the (target, pred) names and how to name the input."""
    from losscli.cli.common import note
    from losscli.core.evaluation.states import merge_all
    from losscli.inputs.dataset import expand
    from losscli.inputs.source import InputError
    from losscli.run.profile import profile_file

    files = expand(list(table.files))
    tasks = [(f, options) for f in files]
    results = sc.map_files(profile_file, tasks, table.jobs)
    first = results[0]
    for data_file, result in zip(files, results, strict=True):
        if result.columns != first.columns:
            raise InputError(
                f"{data_file.path}: another schema: it gives columns {result.columns}, but "
                f"{files[0].path} gives {first.columns}"
            )
    if first.note:
        note(first.note)
    state = merge_all([r.state for r in results])
    skipped = sum(r.skipped for r in results)
    if state.count == 0:
        if skipped:
            raise InputError(f"no examples left: all {skipped} rows had missing values")
        raise InputError("no examples: the files have no data rows")
    target, pred = first.columns["target"][0], (first.columns["pred"] or [None])[0]
    label = f"{len(files)} files ({files[0].path}, ...)" if len(files) > 1 else files[0].path
    return state.profiler, state.count, first.selection, (target, pred), label


# Below this many rows a tail share or a kurtosis says little; the output says so.
SMALL_SAMPLE = 100


def _value(choice: enum.Enum | None) -> Any:
    return None if choice is None else choice.value


def _counts(text: str | None) -> list[int] | None:
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
