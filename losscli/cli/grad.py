"""`losscli grad LOSS`: the derivative of each example's loss with respect to its prediction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from losscli.cli import options as o
from losscli.cli import scale as sc

if TYPE_CHECKING:
    from losscli.cli.common import Warnings
    from losscli.core.evaluation.requests import GradientCheck, Request
    from losscli.inputs.source import Batch, Source
    from losscli.render.blocks import Block

HELP = """Gradient of each example's loss with respect to its prediction.

With --logits the derivative is taken with respect to the logits. --reduction mean gives the
gradient of the mean loss (each row divided by n), as autograd would. At kinks a stated
subgradient is used: sign(0) = 0; hinge exactly at the margin: 0.

Rows stream as they are computed: on a bad row the rows already written stand, the output
ends at a whole line and the error (exit 3) names the row. --reduction mean needs n (or the
weight total) before the first row: a FILE is then read twice (totals, then rows) in flat
memory; a table on stdin is held until it ends (about 16 bytes a row and 8 per gradient
value; save a very large table to a file first).

Examples:

\b
  losscli grad binary-cross-entropy --logits --y-true 1,0 --y-pred 0.3,-2   # sigmoid(z) - y
  losscli grad huber --delta 1 --y-true 0,0,0 --y-pred 0.5,2,-10 --check
"""

# Relative difference above which --check reports a failure (exit 1). Central differences
# with step 1e-6 are accurate to about 1e-8 on smooth functions of order-1 inputs.
CHECK_TOLERANCE = 1e-5


def register(app: typer.Typer) -> None:
    app.command("grad", help=HELP, no_args_is_help=True)(grad)


def grad(
    loss: o.LossName,
    files: sc.Files = None,
    y_true: o.YTrue = None,
    y_pred: o.YPred = None,
    weights: o.Weights = None,
    target: o.Target = None,
    pred: o.Pred = None,
    weight: o.WeightColumn = None,
    input_format: o.InputFormatOpt = None,
    delimiter: o.Delimiter = None,
    header: o.Header = None,
    labels: o.Labels = None,
    nan: o.Nan = o.NanPolicy.error,
    no_progress: o.NoProgress = False,
    logits: o.Logits = False,
    log_probs: o.LogProbs = False,
    log_input: o.LogInput = False,
    normalize: o.Normalize = False,
    delta: o.Delta = None,
    gamma: o.Gamma = None,
    alpha: o.Alpha = None,
    margin: o.Margin = None,
    eps: o.Eps = None,
    direction: o.Direction = None,
    log_base: o.LogBase = None,
    beta: o.Beta = None,
    label_smoothing: o.LabelSmoothing = None,
    convention: o.Convention = None,
    quantile: o.Quantile = None,
    power: o.Power = None,
    variance: o.Variance = None,
    pos_weight: o.PosWeight = None,
    class_weights: o.ClassWeights = None,
    poly_epsilon: o.PolyEpsilon = None,
    temperature: o.Temperature = None,
    batch_size: o.BatchSize = None,
    p_norm: o.PNorm = None,
    swap: o.Swap = None,
    full: o.Full = None,
    pos_margin: o.PosMargin = None,
    distance: o.Distance = None,
    ignore_label: o.IgnoreLabel = None,
    log_target: o.LogTarget = None,
    precision: o.Precision = None,
    reduction: Annotated[
        o.Reduction,
        typer.Option("--reduction", help="none (per example), or the gradient of the mean/sum."),
    ] = o.Reduction.none,
    check: Annotated[
        bool,
        typer.Option("--check", help="Compare with central finite differences (exit 1 if off)."),
    ] = False,
    fmt: o.Format = o.OutputFormat.auto,
    json_flag: o.Json = False,
    color: o.ColorOpt = o.Color.auto,
) -> None:
    from losscli.cli.common import InputOptions, Warnings, build_request, open_source
    from losscli.cli.errors import CheckFailed
    from losscli.render.emit import emit
    from losscli.render.report import Report

    params = o.loss_params(locals())
    request = build_request(
        loss, params, logits, log_probs, normalize, convention and convention.value, log_input
    )
    dataset = sc.is_dataset(files)
    file = files[0] if files and not dataset else None
    inputs = InputOptions.from_arguments(locals())
    if dataset:  # the files one after another, rows numbered as in their concatenation
        if request.loss.batch:
            from losscli.core.errors import UsageError

            raise UsageError(f"{request.loss.name} is a batch loss: give it one table")
        source = sc.chained_source(files or [], request.loss.takes_target, inputs)
    else:
        source = open_source(request.loss, inputs, space=request.space)
    output = o.output_format(fmt, json_flag)
    warnings = Warnings(live=output != "json")
    checks = _Checks() if check else None
    reread = None
    if inputs.file not in (None, "-") and not request.loss.batch:
        # A file can be read again: totals first, then the rows, in flat memory.
        reread = lambda: open_source(request.loss, inputs, quiet=True, space=request.space)  # noqa: E731
    blocks = _gradients(request, source, warnings, reduction.value, checks, reread)
    header: dict[str, Any] = {
        "loss": request.loss.name,
        "params": dict(request.params),
        "convention": request.convention,
        "reduction": reduction.value,
        "wrt": _wrt(request.space),
    }
    names = _grad_columns(source.pred_names, source.pred_width, _wrt(request.space))
    if output == "json":
        collected = [row for block in blocks for row in block.values.tolist()]
        flat = len(names) == 1
        header |= {"n": len(collected), "grad": [r[0] if flat else r for r in collected]}
        if checks is not None:
            header["check"] = checks.summary()
        report = Report(payload=header, columns=(), rows=(), warnings=warnings.items)
    else:
        report = Report(
            payload=header,
            columns=("row", *names),
            rows=(),
            blocks=blocks,
            title=f"d {request.loss.name} / d {_wrt(request.space)}",
            indexed=True,
        )
    emit(report, output, color.value)
    if checks is None:
        return
    if output != "json":
        typer.echo(f"losscli: gradient check: {checks.describe()}", err=True)
    if checks.worst > CHECK_TOLERANCE:
        raise CheckFailed(f"gradient check failed: {checks.describe()} exceeds {CHECK_TOLERANCE:g}")


def _gradients(
    request: Request,
    source: Source,
    warnings: Warnings,
    reduction: str,
    checks: _Checks | None,
    reread: Callable[[], Source] | None = None,
) -> Iterator[Block]:
    """Input row numbers and gradient components (one row per example), batch by batch.

    With --reduction mean every row is divided by n (or scaled by w / sum(w)), which is known
    only at the end (so is the total a root loss such as RMSE needs). When the input can be
    read again (`reread`), a first pass sums the totals and a second streams the rows;
    otherwise the rows are held until the input ends. Without totals, rows stream.
    """
    import numpy as np

    from losscli.cli.common import located, notice_text
    from losscli.core.evaluation.requests import BatchValues, batch_values, check_gradient
    from losscli.render.blocks import Block

    reducer = request.reducer()  # the mean as the convention takes it
    if reread is not None and reducer.holds(reduction):
        yield from _two_passes(request, source, reread(), warnings, reduction, checks)
        return
    held: list[tuple[Any, Any, BatchValues]] = []
    count = ignored = 0
    batch = None
    for batch in source.batches():
        with located(source, batch):
            result = batch_values(
                request, batch.y_true, batch.y_pred, batch.weights, with_grads=True
            )
            if checks is not None:
                checks.add(check_gradient(request, batch.y_true, batch.y_pred), batch)
        for notice in result.notices:
            warnings.add(notice_text(notice, source, batch))
        assert result.grads is not None
        n = result.values.shape[0]
        width = int(np.prod(result.grads.shape[1:]))
        grads = result.grads.reshape(n, width)
        count += n
        ignored += result.left_out
        if reducer.holds(reduction):
            reducer.add(result)
            held.append((batch.row_number_array(), grads, result))
            continue
        if result.weights is not None:
            grads = _scaled(grads, result.weights[:, None])
        # A row left out by --ignore-label has gradient 0 (as in PyTorch).
        yield Block(batch.row_number_array(), result.per_row(grads))
    warnings.finish(source, count, ignored)
    if not reducer.holds(reduction) or batch is None:
        return
    for numbers, grads, result in held:
        with located(source, batch):  # the weights may sum to 0
            scale = reducer.grad_scale(result, reduction)
        factor = scale if np.isscalar(scale) else np.asarray(scale)[:, None]
        yield Block(numbers, result.per_row(_scaled(grads, factor)))


def _two_passes(
    request: Request,
    first: Source,
    second: Source,
    warnings: Warnings,
    reduction: str,
    checks: _Checks | None,
) -> Iterator[Block]:
    """The gradient of the mean (or of a root loss) in flat memory: the totals from a first
    reading of the input, then every row scaled as it streams by in a second."""
    import numpy as np

    from losscli.cli.common import located, notice_text
    from losscli.core.evaluation.requests import batch_values, check_gradient
    from losscli.render.blocks import Block

    reducer = request.reducer()
    count = ignored = 0
    for batch in first.batches():
        with located(first, batch):
            result = batch_values(request, batch.y_true, batch.y_pred, batch.weights)
        for notice in result.notices:
            warnings.add(notice_text(notice, first, batch))
        reducer.add(result)
        count += result.values.shape[0]
        ignored += result.left_out
    warnings.finish(first, count, ignored)
    again = 0
    for batch in second.batches():
        with located(second, batch):
            result = batch_values(
                request, batch.y_true, batch.y_pred, batch.weights, with_grads=True
            )
            if checks is not None:
                checks.add(check_gradient(request, batch.y_true, batch.y_pred), batch)
            scale = reducer.grad_scale(result, reduction)
        assert result.grads is not None
        n = result.values.shape[0]
        again += n
        factor = scale if np.isscalar(scale) else np.asarray(scale)[:, None]
        width = int(np.prod(result.grads.shape[1:]))
        # A row left out by --ignore-label has gradient 0 (as in PyTorch).
        grads = result.per_row(_scaled(result.grads.reshape(n, width), factor))
        yield Block(batch.row_number_array(), grads)
    if again != count:
        from losscli.inputs.source import InputError

        raise InputError(f"the input changed while it was read ({count} rows, then {again})")


def _scaled(grads: Any, factor: Any) -> Any:
    """grads * factor, 0 where the factor is 0 (a zero-weight example), even at inf."""
    import numpy as np

    with np.errstate(invalid="ignore"):
        return np.where(np.asarray(factor) == 0, 0.0, grads * factor)


class _Checks:
    """The worst finite-difference disagreement over all batches."""

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


def _wrt(space: str) -> str:
    return {"prob": "p", "logit": "logit", "logprob": "log_p", "raw": "y_pred", "log": "log_pred"}[
        space
    ]


def _grad_columns(pred_names: tuple[str, ...], width: int, wrt: str) -> list[str]:
    """One gradient column per prediction column, its header saying what the derivative is
    taken with respect to: dL/dp, dL/dlogit[a] (after the table's column a), dL/dlogit[2]."""
    if width == 1:
        return [f"dL/d{wrt}"]
    if len(pred_names) == width:
        return [f"dL/d{wrt}[{name}]" for name in pred_names]
    return [f"dL/d{wrt}[{k + 1}]" for k in range(width)]
