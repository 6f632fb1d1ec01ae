"""Losses run over an input: the one loop that reads a source batch by batch and evaluates
every loss on every batch, and the shapes of result the commands take from it.

`stream` is the loop. Each loss is a `Lane`: its request, the state its batches feed (a
Reducer, or a state of core/states.py), and how it is named. On each batch `stream`
evaluates every lane (an error names the row and column, and the loss when several share the
input), feeds the lane's state, tells the batch's notices and yields the batch with each
lane's values; after the last batch it says what was skipped, and refuses an input without
examples. On top of it:

- `reduced`: every batch into the lanes' states (compute's value, compare's table, the
  states of one file of many);
- `per_example`: each batch's per-example values as a Block, as they are computed (compute
  --reduction none, compare --per-example): rows written before a bad row stand;
- `gradients`: grad's per-example gradients, scaled for the gradient of a mean or sum.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from losscli.core.evaluation.requests import BatchValues, GradientCheck, Request
    from losscli.inputs.source import Batch, Source
    from losscli.render.blocks import Block
    from losscli.run.context import Warnings

# Relative difference above which grad --check reports a failure (exit 1). Central
# differences with step 1e-6 are accurate to about 1e-8 on smooth functions of order-1 inputs.
CHECK_TOLERANCE = 1e-5

NO_LOSS_FITS = "no loss fits this data (losscli list shows each loss's inputs)"

# An optional lane that fails after the first batch: left out and said ("warn"), left out
# with its reason kept on the lane ("quiet"), or an error ("raise": its column has started).
Late = Literal["warn", "quiet", "raise"]
# What the end of the input counts for its check: the examples the first lane kept (rows
# left out by --ignore-label aside), every row read, or nothing (the caller checks).
Count = Literal["kept", "read"] | None


@dataclass
class Lane:
    """One loss over the input: its request (None once it is left out, or when it never had
    one), the state its batches feed (anything with `add(BatchValues)`; None: kept nowhere),
    its label (names it in notices and errors when several losses share the input) and,
    for --multioutput, the output column it reads."""

    label: str
    request: Request | None
    why: str = ""  # why there is no request (left out, refused, not in a convention)
    optional: bool = False  # chosen by --all: left out, not an error, when the data do not fit
    state: Any = None
    output: int | None = None
    # When an optional lane was left out: the error, and whether on the first batch.
    dropped: tuple[str, bool] | None = None

    @property
    def name(self) -> str:
        """What notices and errors call this lane (compare adds a sweep's values)."""
        return self.label


@dataclass(frozen=True)
class Step:
    """One batch and each lane's values on it (None for a lane without a request)."""

    batch: Batch
    results: list[BatchValues | None]


def stream(
    source: Source,
    lanes: Sequence[Lane],
    warnings: Warnings,
    *,
    grads: bool = False,
    checks: GradientChecks | None = None,
    choose: Callable[[Batch], None] | None = None,
    late: Late = "warn",
    count: Count = "kept",
    tell: bool = True,
    where: str = "",
) -> Iterator[Step]:
    """Read `source` batch by batch; evaluate each lane's loss on each batch (`grads`: with
    per-example gradients; `checks`: against finite differences too), feed its state and,
    once every lane has read the batch, tell its notices (unless `tell` is off: a second
    reading), each prefixed by `where` and the lane's label. `choose` sees the first batch
    before any lane does (compare --all leaves out the losses that do not apply). After the
    last batch the input is checked as `count` says."""
    from losscli.run.context import located, notice_text

    rows = kept = left_out = 0
    for index, batch in enumerate(source.batches()):
        rows += batch.y_pred.shape[0]
        if index == 0 and choose is not None:
            choose(batch)
        pairs = None
        if any(lane.output is not None for lane in lanes):
            from losscli.core.evaluation.requests import output_columns

            request = next(lane.request for lane in lanes if lane.request is not None)
            with located(source, batch):
                pairs = output_columns(request, batch.y_true, batch.y_pred)
        results: list[BatchValues | None] = []
        told: list[str] = []  # told once every lane has read the batch, in lane order
        for lane in lanes:
            result = None
            if lane.request is not None:
                inputs = (batch.y_true, batch.y_pred) if pairs is None else pairs[lane.output or 0]
                result = _evaluate(lane, source, batch, inputs, index == 0, grads, checks, late)
                if lane.dropped is not None and late == "warn" and not lane.dropped[1]:
                    told.append(lane.why)
            results.append(result)
            if result is None:
                continue
            if lane.state is not None:
                lane.state.add(result)
            if tell:
                prefix = where + (f"{lane.name}: " if lane.name else "")
                told += [prefix + notice_text(n, source, batch) for n in result.notices]
        for text in told:
            warnings.add(text)
        first = next((r for r in results if r is not None), None)
        if first is not None:
            kept += first.values.shape[0]
            left_out += first.left_out
        yield Step(batch, results)
    if count == "kept":
        warnings.finish(source, kept, left_out)
    elif count == "read":
        warnings.finish(source, rows)


def _evaluate(
    lane: Lane,
    source: Source,
    batch: Batch,
    inputs: tuple[Any, Any],
    first: bool,
    grads: bool,
    checks: GradientChecks | None,
    late: Late,
) -> BatchValues | None:
    """One lane's loss on one batch, or None when an optional lane turns out not to fit the
    data: on the first batch it is left out silently; later as `late` says."""
    from losscli.core.errors import UsageError
    from losscli.core.evaluation.requests import batch_values, check_gradient
    from losscli.inputs.source import InputError
    from losscli.run.context import located

    assert lane.request is not None
    try:
        with located(source, batch):
            result = batch_values(lane.request, *inputs, batch.weights, with_grads=grads)
            if checks is not None:
                checks.add(check_gradient(lane.request, *inputs), batch)
            return result
    except (InputError, UsageError) as error:
        if lane.optional and (first or (late != "raise" and isinstance(error, InputError))):
            # Its totals so far cover only part of the input: they go with it.
            lane.request, lane.state, lane.dropped = None, None, (str(error), first)
            lane.why = str(error) if first else f"{lane.name} left out: {error}"
            return None
        if not lane.name:
            raise
        raise type(error)(f"{lane.name}: {error}") from None


def reduced(
    source: Source,
    lanes: Sequence[Lane],
    warnings: Warnings,
    *,
    grads: bool = False,
    choose: Callable[[Batch], None] | None = None,
    late: Late = "warn",
    count: Count = "kept",
    where: str = "",
) -> Batch | None:
    """Every batch into each lane's state. Returns the last batch: the place an error of the
    totals is named at (the weights may sum to 0)."""
    last = None
    for step in stream(
        source,
        lanes,
        warnings,
        grads=grads,
        choose=choose,
        late=late,
        count=count,
        where=where,
    ):
        last = step.batch
    return last


def per_example(
    source: Source, lanes: Sequence[Lane], warnings: Warnings, *, count: Count = "kept"
) -> Iterator[Block]:
    """Input row numbers and each lane's (weighted) value per example, batch by batch, as
    they are computed: one column per lane that fits the data (an optional lane that does not
    fit the first batch is left out; NO_LOSS_FITS when none does)."""
    import numpy as np

    from losscli.core.errors import DataError
    from losscli.render.blocks import Block

    for step in stream(source, lanes, warnings, late="raise", count=count):
        columns = [r.weighted() for r in step.results if r is not None]
        if not columns:
            raise DataError(NO_LOSS_FITS)
        values = columns[0].reshape(-1, 1) if len(columns) == 1 else np.column_stack(columns)
        yield Block(step.batch.row_number_array(), values)


def gradients(
    requests: Sequence[Request],
    source: Source,
    warnings: Warnings,
    reduction: str,
    checks: GradientChecks | None = None,
    reread: Callable[[], Source] | None = None,
) -> Iterator[Block]:
    """Input row numbers and gradient components (one row per example), batch by batch; with
    several requests (the values of a sweep), each request's components side by side, all
    from the same reading of the input.

    With --reduction mean every row is divided by n (or scaled by w / sum(w)), which is known
    only at the end (so is the total a root loss such as RMSE needs). When the input can be
    read again (`reread`), a first pass sums the totals and a second streams the rows;
    otherwise the rows are held until the input ends. Without totals, rows stream.
    """
    from losscli.render.blocks import Block
    from losscli.run.context import located

    reducers = [request.reducer() for request in requests]  # the mean as the convention takes it
    holds = reducers[0].holds(reduction)  # the loss's and the reduction's: one for a sweep
    if reread is not None and holds:
        yield from _two_passes(requests, source, reread(), warnings, reduction, checks)
        return
    lanes = [
        Lane("", request, state=reducer if holds else None)
        for request, reducer in zip(requests, reducers, strict=True)
    ]
    held: list[tuple[Any, list[tuple[Any, BatchValues]]]] = []
    batch = None
    for step in stream(source, lanes, warnings, grads=True, checks=checks):
        batch = step.batch
        results = [_with_grads(result) for result in step.results]
        if holds:
            held.append((batch.row_number_array(), [(_rows(r), r) for r in results]))
            continue
        columns = []
        for result in results:
            grads = _rows(result)
            if result.weights is not None:
                grads = _scaled(grads, result.weights[:, None])
            # A row left out by --ignore-label has gradient 0 (as in PyTorch).
            columns.append(result.per_row(grads))
        yield Block(batch.row_number_array(), _side_by_side(columns))
    if not holds or batch is None:
        return
    for numbers, lane_rows in held:
        columns = []
        for reducer, (grads, result) in zip(reducers, lane_rows, strict=True):
            with located(source, batch):  # the weights may sum to 0
                scale = reducer.grad_scale(result, reduction)
            columns.append(result.per_row(_scaled(grads, _factor(scale))))
        yield Block(numbers, _side_by_side(columns))


def _two_passes(
    requests: Sequence[Request],
    first: Source,
    second: Source,
    warnings: Warnings,
    reduction: str,
    checks: GradientChecks | None,
) -> Iterator[Block]:
    """The gradient of the mean (or of a root loss) in flat memory: the totals from a first
    reading of the input, then every row scaled as it streams by in a second."""
    from losscli.inputs.source import InputError
    from losscli.render.blocks import Block
    from losscli.run.context import located

    reducers = [request.reducer() for request in requests]
    reduced(
        first,
        [Lane("", r, state=reducer) for r, reducer in zip(requests, reducers, strict=True)],
        warnings,
    )
    count, again = reducers[0].count, 0
    lanes = [Lane("", request) for request in requests]
    for step in stream(second, lanes, warnings, grads=True, checks=checks, count=None, tell=False):
        results = [_with_grads(result) for result in step.results]
        columns = []
        for reducer, result in zip(reducers, results, strict=True):
            with located(second, step.batch):
                scale = reducer.grad_scale(result, reduction)
            # A row left out by --ignore-label has gradient 0 (as in PyTorch).
            columns.append(result.per_row(_scaled(_rows(result), _factor(scale))))
        again += results[0].values.shape[0]
        yield Block(step.batch.row_number_array(), _side_by_side(columns))
    if again != count:
        raise InputError(f"the input changed while it was read ({count} rows, then {again})")


def _with_grads(result: BatchValues | None) -> BatchValues:
    assert result is not None and result.grads is not None
    return result


def _factor(scale: Any) -> Any:
    """A gradient scale (a number, or one per example) as a factor of the rows of _rows."""
    import numpy as np

    return scale if np.isscalar(scale) else np.asarray(scale)[:, None]


def _side_by_side(columns: list[Any]) -> Any:
    """The gradient columns of each request, side by side (one request: its own array)."""
    import numpy as np

    return columns[0] if len(columns) == 1 else np.column_stack(columns)


def _rows(result: BatchValues) -> Any:
    """A batch's gradients as one row per example and one column per prediction cell."""
    import numpy as np

    assert result.grads is not None
    n = result.values.shape[0]
    return result.grads.reshape(n, int(np.prod(result.grads.shape[1:])))


def _scaled(grads: Any, factor: Any) -> Any:
    """grads * factor, 0 where the factor is 0 (a zero-weight example), even at inf."""
    import numpy as np

    with np.errstate(invalid="ignore"):
        return np.where(np.asarray(factor) == 0, 0.0, grads * factor)


class GradientChecks:
    """grad --check: the worst finite-difference disagreement over all batches."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.worst_row: int | None = None
        self.compared = 0
        self.skipped = 0
        self.unchecked = 0

    def add(self, result: GradientCheck, batch: Batch) -> None:
        self.compared += result.compared
        self.skipped += result.skipped
        self.unchecked += result.unchecked
        if result.worst_row is not None and result.max_rel_diff >= self.worst:
            self.worst = result.max_rel_diff
            self.worst_row = batch.input_row(result.worst_row) + 1

    def describe(self) -> str:
        where = f" at row {self.worst_row}" if self.worst_row is not None else ""
        text = (
            f"largest relative difference {self.worst:.3g}{where} over {self.compared} cells "
            f"({self.skipped} skipped at kinks or domain bounds"
        )
        if self.unchecked:
            # A batch loss: every cell costs a whole batch, so only some rows are checked.
            text += f"; {self.unchecked} cells of a batch loss not sampled"
        return text + ")"

    def summary(self) -> dict[str, Any]:
        return {
            "max_rel_diff": self.worst,
            "worst_row": self.worst_row,
            "compared": self.compared,
            "skipped_at_kinks_or_bounds": self.skipped,
            "not_sampled": self.unchecked,
            "tolerance": CHECK_TOLERANCE,
            "ok": self.worst <= CHECK_TOLERANCE,
        }
