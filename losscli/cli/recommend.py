"""`losscli recommend`: the catalog's decision guide, from stated facts or from the data."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from losscli.cli import options as o
from losscli.cli import scale as sc
from losscli.core.errors import UsageError

if TYPE_CHECKING:
    from losscli.core.profile import Profile
    from losscli.core.recommend import Recommendation
    from losscli.inputs.table import Selection

HELP = """Recommend a loss: from what you know (flags) or from a profile of the data.

From flags: --task and the facts you know. From data: a table (FILE, or piped to stdin),
its target column (-t) and optionally one prediction column (-p) to profile the residuals;
without -t and -p, y_true and y_pred if both are there, else y_true or the first column
alone. A target with at most 20 distinct integer values is read as class labels (unless
real-valued predictions say otherwise); --task regression reads it as numbers.

Each entry has suggested parameters, the reasons that fired and the caveats. -f plain prints
the loss names best first, so $(losscli recommend ... -f plain | head -1) is the top one.

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
    files: sc.Files = None,
    target: Annotated[
        str | None,
        typer.Option(
            "-t",
            "--target",
            metavar="COL",
            help="Target column: name or 1-based index. Default: y_true, else the first.",
            rich_help_panel=o.INPUT,
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
        ),
    ] = None,
    input_format: o.InputFormatOpt = None,
    delimiter: o.Delimiter = None,
    no_header: o.NoHeader = False,
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
    jobs: sc.Jobs = None,
    fmt: o.Format = o.OutputFormat.auto,
    json_flag: o.Json = False,
    color: o.ColorOpt = o.Color.auto,
) -> None:
    dataset = sc.is_dataset(files)
    file = files[0] if files and not dataset else None
    facts = {
        "--positive-rate": positive_rate,
        "--class-counts": class_counts,
        "--outliers": outliers,
        "--residual-scale": residual_scale,
        "--distillation": distillation or None,
        "--variational": variational or None,
    }
    table = TableChoice(
        file,
        target,
        pred,
        o.input_format(input_format),
        delimiter,
        no_header,
        nan.value,
        tuple(files or ()) if dataset else (),
        jobs,
    )
    output = o.output_format(fmt, json_flag)
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
        )
    from losscli.render.emit import emit
    from losscli.render.recommendation import recommendation_report

    emit(recommendation_report(*outcome, output), output, color.value)


@dataclass(frozen=True)
class TableChoice:
    """The table options as given."""

    file: str | None
    target: str | None
    pred: str | None
    input_format: str | None
    delimiter: str | None
    no_header: bool
    nan: str
    files: tuple[str, ...] = ()  # FILE... when it names several tables (a dataset)
    jobs: int | None = None

    def given(self) -> bool:
        options = (self.file, self.target, self.pred, self.input_format, self.delimiter)
        return any(v is not None for v in options) or self.no_header or bool(self.files)


def _reads_data(table: TableChoice, task: Task | None, facts: dict[str, Any]) -> bool:
    """A table when one is named; else stdin when it is piped and no flags state the task."""
    from losscli.cli.common import stdin_is_terminal

    if table.given():
        return True
    stating = task is not None or any(v is not None for v in facts.values())
    return not stating and not stdin_is_terminal()


class Outcome(NamedTuple):
    """What the command shows: the profile, the ranked losses and the warnings."""

    profile: dict[str, Any]
    found: list[Recommendation]
    warnings: list[str]


def _from_flags(**facts: Any) -> Outcome:
    from losscli.core.recommend import from_facts
    from losscli.core.recommend import recommend as apply_guide
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
    from losscli.core.profile import LabelProfile
    from losscli.core.recommend import from_profile
    from losscli.core.recommend import recommend as apply_guide

    if task in ("distribution", "embedding"):
        raise UsageError(
            f"a table is profiled as labels or as numbers; for --task {task} state the facts "
            "with flags and no FILE"
        )
    profile, described, warnings = _profile_table(table, task, progress)
    situation = from_profile(profile, target_stat=target_stat, quantile=quantile, want=want)
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

    from losscli.cli.common import InputOptions, Warnings, located, open_table_source
    from losscli.core.errors import DataError
    from losscli.core.profile import LabelProfile, Profiler
    from losscli.render.recommendation import measured_profile

    options = InputOptions(
        file=table.file,
        target=table.target,
        pred=table.pred,
        input_format=table.input_format,
        delimiter=table.delimiter,
        no_header=table.no_header,
        nan=table.nan,
        progress=progress,
    )
    warnings = Warnings(live=False)
    if table.files:
        profiler, rows, selection, names, label = _profile_files(table, options)
        located_last: Any = contextlib.nullcontext
    else:
        source = open_table_source(
            options,
            lambda names: _columns(names, table.target, table.pred),
            no_input="no input: give FILE, or pipe a table in",
        )
        selection = source.selection
        residuals = len(selection.pred) == 1
        profiler = Profiler(with_pred=residuals)
        rows, batch = 0, None
        for batch in source.batches():
            with located(source, batch):
                profiler.add(batch.y_true[:, 0], batch.y_pred[:, 0] if residuals else None)
            rows += batch.y_true.shape[0]
        warnings.finish(source, rows)  # raises when no rows were read
        assert batch is not None
        last = batch
        located_last = lambda: located(source, last)  # noqa: E731
        names = (source.target_names[0], source.pred_names[0] if residuals else None)
        label = source.reader.label
    residuals = len(selection.pred) == 1
    # --task says how to read the target; without it, its values do.
    as_labels = None if task is None else task != "regression"
    with located_last():
        profile = profiler.finish(as_labels=as_labels)
        if isinstance(profile, LabelProfile) and task not in (None, profile.task):
            raise DataError(
                f"--task {task}, but the target has {len(profile.counts)} classes",
                side="target",
                column=0,
            )
    if len(selection.pred) > 1 and not isinstance(profile, LabelProfile):
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
    from losscli.core.states import merge_all
    from losscli.inputs.dataset import expand
    from losscli.inputs.source import InputError

    files = expand(list(table.files))
    tasks = [(f, options) for f in files]
    results = sc.map_files(_profile_file, tasks, table.jobs or sc.cores())
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


@dataclass(frozen=True)
class _FileProfile:
    state: Any
    selection: Selection
    columns: dict[str, Any]
    note: str | None
    skipped: int


def _profile_file(data_file: Any, options: Any) -> _FileProfile:
    """One file's ProfileState (in a worker process); errors name the file."""
    from losscli.cli.common import located
    from losscli.core.errors import DataError
    from losscli.core.states import ProfileState
    from losscli.inputs.dataset import open_file
    from losscli.inputs.source import InputError
    from losscli.inputs.table import TableSource

    try:
        reader = open_file(
            data_file,
            input_format=options.input_format,
            delimiter=options.delimiter,
            has_header=not options.no_header,
        )
        selection = _columns(reader.names, options.target, options.pred)
        source = TableSource(reader, selection, skip_missing=options.nan == "skip")
        residuals = len(selection.pred) == 1
        state = ProfileState.empty(with_pred=residuals)
        for batch in source.batches():
            with located(source, batch):
                state.update(batch.y_true[:, 0], batch.y_pred[:, 0] if residuals else None)
        columns = {"target": list(source.target_names), "pred": list(source.pred_names)}
        return _FileProfile(state, selection, columns, selection.note, source.skipped)
    except (InputError, DataError) as error:
        message = str(error)
        prefix = f"{data_file.path}: "
        raise InputError(message if message.startswith(prefix) else prefix + message) from None


# Below this many rows a tail share or a kurtosis says little; the output says so.
SMALL_SAMPLE = 100


def _columns(names: list[str], target: str | None, pred: str | None) -> Selection:
    """-t and -p as given. Neither: y_true and y_pred when both are there, else y_true or the
    first column alone. -t alone profiles that column; -p alone takes y_true or the first
    other column as the target."""
    from losscli.inputs.table import Selection, select_columns

    p = [] if pred is None else select_columns(pred, names, "--pred")
    if target is None and pred is None and {"y_true", "y_pred"} <= set(names):
        p = [names.index("y_pred")]
    note = None
    if target is not None:
        t = select_columns(target, names, "--target")
        if len(t) != 1:
            raise UsageError(f"--target names {len(t)} columns; recommend profiles one")
    elif "y_true" in names:
        t = [names.index("y_true")]
    else:
        free = [k for k in range(len(names)) if k not in p]
        if not free:
            raise UsageError("no column is left for the target: choose it with -t")
        t = free[:1]
        note = f"using column {names[t[0]]!r} as the target (choose with -t)"
    if t[0] in p:
        raise UsageError(f"column {names[t[0]]!r} is both the target and a prediction")
    return Selection(t, p, None, note)


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
