"""recommend's run: a table streamed through the profiler of core/advice/profile.py (one
file, or each of many files in a worker process), and the profile it measures. The command
opens the input from its arguments and renders the recommendation."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from losscli.core.errors import UsageError

if TYPE_CHECKING:
    from losscli.core.advice.profile import Profile, Profiler
    from losscli.inputs.source import Batch
    from losscli.inputs.table import Selection
    from losscli.run.context import Warnings


def profile_rows(source: Any, residuals: bool, warnings: Warnings) -> tuple[Profiler, int, Batch]:
    """Every row of a table into a profiler of its target (and, with `residuals`, of the
    prediction's residuals): the profiler, the rows read and the last batch (where an error
    of the totals is named)."""
    from losscli.core.advice.profile import Profiler
    from losscli.run.context import located

    profiler = Profiler(with_pred=residuals)
    rows, batch = 0, None
    for batch in source.batches():
        with located(source, batch):
            profiler.add(batch.y_true[:, 0], batch.y_pred[:, 0] if residuals else None)
        rows += batch.y_true.shape[0]
    warnings.finish(source, rows)  # raises when no rows were read
    assert batch is not None
    return profiler, rows, batch


def profile_of(
    profiler: Profiler, task: str | None, where: Callable[[], AbstractContextManager[Any]]
) -> Profile:
    """The profile the rows measure: pairs, class labels or a regression target, as --task
    says or, without it, as the values show (`where()`: the context naming an error's place)."""
    from losscli.core.advice.profile import LabelProfile
    from losscli.core.errors import DataError

    profile: Profile
    with where():
        if task == "embedding" or (task is None and profiler.looks_like_pairs()):
            profile = profiler.pair_profile()
        else:
            # --task says how to read the target; without it, its values do.
            as_labels = None if task is None else task != "regression"
            profile = profiler.finish(as_labels=as_labels)
        if isinstance(profile, LabelProfile) and task not in (None, profile.task):
            raise DataError(
                f"--task {task}, but the target has {len(profile.counts)} classes",
                side="target",
                column=0,
            )
    return profile


@dataclass(frozen=True)
class FileProfile:
    """One file's profile state, its columns and what its reading said."""

    state: Any
    selection: Selection
    columns: dict[str, Any]
    note: str | None
    skipped: int


def profile_file(data_file: Any, options: Any) -> FileProfile:
    """One file's ProfileState (in a worker process); errors name the file."""
    from losscli.core.errors import DataError
    from losscli.core.evaluation.states import ProfileState
    from losscli.inputs.dataset import open_file
    from losscli.inputs.source import InputError
    from losscli.inputs.table import TableSource
    from losscli.run.context import located

    try:
        reader = open_file(
            data_file,
            input_format=options.input_format,
            delimiter=options.delimiter,
            has_header=options.header,
        )
        selection = profile_columns(reader.names, options.target, options.pred)
        source = TableSource(reader, selection, skip_missing=options.nan == "skip")
        residuals = len(selection.pred) == 1
        state = ProfileState.empty(with_pred=residuals)
        for batch in source.batches():
            with located(source, batch):
                state.update(batch.y_true[:, 0], batch.y_pred[:, 0] if residuals else None)
        columns = {"target": list(source.target_names), "pred": list(source.pred_names)}
        return FileProfile(state, selection, columns, selection.note, source.skipped)
    except (InputError, DataError) as error:
        message = str(error)
        prefix = f"{data_file.path}: "
        raise InputError(message if message.startswith(prefix) else prefix + message) from None


def profile_distributions(
    source: Any, task: str | None
) -> tuple[Profile, dict[str, Any], list[str]]:
    """Several target columns: rows of soft labels (each non-negative, summing to 1)."""
    from losscli.core.advice.profile import DistributionProfiler
    from losscli.render.recommendation import measured_profile
    from losscli.run.context import Warnings, located

    if task not in (None, "distribution"):
        raise UsageError(
            f"--target names {len(source.selection.target)} columns: soft labels are "
            f"--task distribution, not {task}"
        )
    profiler = DistributionProfiler()
    warnings = Warnings(live=False)
    rows = 0
    for batch in source.batches():
        with located(source, batch):
            profiler.add(batch.y_true)
        rows += batch.y_true.shape[0]
    warnings.finish(source, rows)
    profile = profiler.finish()
    items = list(warnings.items)
    if profile.one_hot_share == 1.0:
        items.append(
            "every row is one-hot: these are class labels, and cross-entropy on them is KL"
        )
    described = {
        "source": source.reader.label,
        "rows": rows,
        "target": ", ".join(source.target_names),
        "pred": None,
        **measured_profile(profile),
    }
    return profile, described, items


def profile_columns(names: list[str], target: str | None, pred: str | None) -> Selection:
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
    elif "y_true" in names:
        t = [names.index("y_true")]
    else:
        free = [k for k in range(len(names)) if k not in p]
        if not free:
            raise UsageError("no column is left for the target: choose it with -t")
        t = free[:1]
        note = f"using column {names[t[0]]!r} as the target (choose with -t)"
    both = [k for k in t if k in p]
    if both:
        raise UsageError(f"column {names[both[0]]!r} is both the target and a prediction")
    return Selection(t, p, None, note)
