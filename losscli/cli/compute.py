"""`losscli compute LOSS`: the loss of predictions against targets."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any

import typer

from losscli.cli import options as o
from losscli.cli import scale as sc

if TYPE_CHECKING:
    from losscli.core.evaluation.requests import Request
    from losscli.core.evaluation.states import LossState
    from losscli.inputs.source import Source
    from losscli.run.context import Warnings

HELP = """Compute a loss of predictions against targets.

Values come inline (--y-true, --y-pred) or from a table: FILE, or stdin when it is piped.

--reduction none streams one row per example as the table is read: on a bad row the rows
already written stand, the output ends at a whole line and the error (exit 3) names the row.
The terminal table shows the first 1000 rows; -f tsv, csv or jsonl write every row.

Examples:

\b
  losscli compute huber --delta 1 --y-true 0,0,0 --y-pred 0.5,2,10 --reduction none
  losscli compute cross-entropy --y-true 2 --y-pred 0.1,0.2,0.7   # -log(p[y])
  losscli compute bce --logits --y-true 1,0 --y-pred 0.3,-2
  losscli compute mse examples/regression.csv
  losscli compute mse 'preds/*.parquet' --jobs 2      # many files, merged exactly
  losscli compute mse day1.csv --state > day1.json    # then: losscli merge day*.json
  model predict | losscli compute ce -t label -p 'p*'
"""


def register(app: typer.Typer) -> None:
    app.command("compute", help=HELP, no_args_is_help=True)(compute)


def compute(
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
    multioutput: o.MultiOutput = None,
    reduction: Annotated[
        o.Reduction, typer.Option("--reduction", help="mean, sum, or none (one value per row).")
    ] = o.Reduction.mean,
    expect: Annotated[
        float | None,
        typer.Option("--expect", help="Exit 1 unless the value matches V.", metavar="V"),
    ] = None,
    rtol: Annotated[float, typer.Option("--rtol", help="Relative tolerance of --expect.")] = 1e-9,
    atol: Annotated[float, typer.Option("--atol", help="Absolute tolerance of --expect.")] = 0.0,
    state: sc.StateFlag = False,
    jobs: sc.Jobs = None,
    engine: sc.EngineOpt = sc.Engine.local,
    scheduler: sc.Scheduler = None,
    fmt: o.Format = o.OutputFormat.auto,
    json_flag: o.Json = False,
    color: o.ColorOpt = o.Color.auto,
) -> None:
    from losscli.cli.common import InputOptions, build_request, open_source
    from losscli.core.errors import UsageError
    from losscli.run.context import Warnings

    o.check_number("--expect", expect, infinite=True)
    o.check_number("--rtol", rtol, 0.0)
    o.check_number("--atol", atol, 0.0)
    if expect is not None and reduction is o.Reduction.none:
        raise UsageError("--expect compares one number; it does not go with --reduction none")
    params = o.loss_params(locals())
    request = build_request(
        loss, params, logits, log_probs, normalize, convention and convention.value, log_input
    )
    dataset = sc.is_dataset(files) or engine is sc.Engine.dask
    file = files[0] if files and not dataset else None
    inputs = InputOptions.from_arguments(locals())
    output = o.output_format(fmt, json_flag)
    warnings = Warnings(live=output != "json")
    if scheduler is not None and engine is not sc.Engine.dask:
        raise UsageError("--scheduler is the address of a Dask scheduler: add --engine dask")
    per_example = reduction is o.Reduction.none and not state
    if request.multioutput is not None and (dataset or state):
        raise UsageError("--multioutput reads one table; it goes with neither FILE... nor --state")
    if dataset and not per_example:
        if request.loss.batch:
            raise UsageError(
                f"{request.loss.name} is a batch loss (each value depends on the rows around "
                "it): give it one table"
            )
        if inputs.y_true is not None or inputs.y_pred is not None:
            raise UsageError("give FILE... or --y-true/--y-pred, not both")
        loss_state = sc.dataset_state(
            files or [], inputs, request, jobs, engine, scheduler, warnings
        )
    elif dataset:  # one row per example: the files one after another
        if request.loss.batch:
            raise UsageError(f"{request.loss.name} is a batch loss: give it one table")
        if engine is sc.Engine.dask:
            raise UsageError("--engine dask reduces; --reduction none reads the files in order")
        loss_state = None
        source = sc.chained_source(files or [], request.loss.takes_target, inputs)
    else:
        loss_state = None
        source = open_source(request.loss, inputs, space=request.space)
    if state:
        if loss_state is None:
            loss_state = _state(request, source, warnings)
        _print_state(loss_state)
        return
    if loss_state is not None:
        show_value(
            request, loss_state, reduction.value, warnings, output, color.value, expect, rtol, atol
        )
        return
    _compute_one(request, source, reduction, warnings, output, color.value, expect, rtol, atol)


def _compute_one(
    request: Request,
    source: Source,
    reduction: o.Reduction,
    warnings: Warnings,
    output: str,
    color: str,
    expect: float | None,
    rtol: float,
    atol: float,
) -> None:
    from losscli.core.errors import UsageError
    from losscli.render.emit import emit
    from losscli.render.report import Report

    header = {
        "loss": request.loss.name,
        "params": dict(request.params),
        "convention": request.convention,
        "reduction": reduction.value,
    }

    if request.multioutput is not None:
        if expect is not None and request.multioutput == "raw":
            raise UsageError("--expect compares one number; --multioutput raw gives one per output")
        _multioutput(
            request,
            source,
            warnings,
            reduction.value,
            output,
            color,
            header,
            expect,
            rtol,
            atol,
        )
        return

    if reduction is o.Reduction.none:
        from losscli.run.losses import Lane, per_example

        blocks = per_example(source, [Lane("", request)], warnings)
        if output == "json":
            values = [value for block in blocks for value in block.values[:, 0].tolist()]
            report = Report(
                payload={**header, "n": len(values), "values": values},
                columns=(),
                rows=(),
                warnings=warnings.items,
            )
        else:
            report = Report(
                payload=header,
                columns=("row", "value"),
                rows=(),
                blocks=blocks,
                title=f"{request.loss.name} per example",
                indexed=True,
            )
        emit(report, output, color)
        return

    loss_state = _state(request, source, warnings)
    show_value(request, loss_state, reduction.value, warnings, output, color, expect, rtol, atol)


def show_value(
    request: Request,
    loss_state: LossState,
    reduction: str,
    warnings: Warnings,
    output: str,
    color: str,
    expect: float | None = None,
    rtol: float = 1e-9,
    atol: float = 0.0,
) -> None:
    """The reduced value as compute prints it (merge prints merged states the same way)."""
    from losscli.cli.errors import CheckFailed
    from losscli.render.emit import emit
    from losscli.render.report import Report

    header = {
        "loss": request.loss.name,
        "params": dict(request.params),
        "convention": request.convention,
        "reduction": reduction,
    }
    value, n = loss_state.result(reduction), loss_state.count
    report = Report(
        payload={**header, "n": n, "value": value},
        columns=("loss", "reduction", "n", "value"),
        rows=[(request.loss.name, reduction, n, value)],
        scalar=value,
        title=_title(request),
        warnings=warnings.items,
    )
    emit(report, output, color)
    if expect is not None and not math.isclose(value, expect, rel_tol=rtol, abs_tol=atol):
        raise CheckFailed(f"expected {expect!r}, got {value!r} (rtol {rtol:g}, atol {atol:g})")


def _state(request: Request, source: Source, warnings: Warnings) -> LossState:
    """Stream every batch into one state of compensated sums; memory does not grow with the
    input. The columns read are part of the state (merge refuses states of other columns)."""
    from losscli.core.evaluation.states import LossState
    from losscli.run.losses import Lane, reduced

    columns = {
        "target": list(source.target_names),
        "pred": list(source.pred_names),
        "weight": source.weight_name,
    }
    acc = LossState.empty(request, columns)  # the mean as the convention takes it
    reduced(source, [Lane("", request, state=acc)], warnings)
    return acc


def _print_state(loss_state: LossState) -> None:
    import sys

    sys.stdout.write(loss_state.to_json() + "\n")
    sys.stdout.flush()


def _multioutput(
    request: Request,
    source: Source,
    warnings: Warnings,
    reduction: str,
    output: str,
    color: str,
    header: dict[str, Any],
    expect: float | None,
    rtol: float,
    atol: float,
) -> None:
    """--multioutput: each output column (a target column and the prediction column beside
    it) reduced on its own, as scikit-learn's multioutput='raw_values'; 'uniform' is their
    mean (RMSE: each output's root, then the mean). With --reduction none, each example's
    value per output (raw) or its mean over the outputs (uniform: Keras's per-sample loss)."""
    from losscli.cli.errors import CheckFailed
    from losscli.render.blocks import block_rows
    from losscli.render.emit import emit
    from losscli.render.report import Report
    from losscli.run.context import located
    from losscli.run.losses import Lane, per_example, reduced

    header = {**header, "multioutput": request.multioutput}
    uniform = request.multioutput == "uniform"
    names = list(source.pred_names)
    lanes = [Lane("", request, output=j) for j in range(source.pred_width)]
    if reduction == "none":
        table: list[tuple[Any, ...]] = []
        for number, *cells in block_rows(per_example(source, lanes, warnings)):
            table.append((number, sum(cells) / len(cells)) if uniform else (number, *cells))
        width = len(table[0]) - 1
        labels = (
            ["value"]
            if uniform
            else (names if len(names) == width else [str(j + 1) for j in range(width)])
        )
        if output == "json":
            values = [row[1] if uniform else list(row[1:]) for row in table]
            payload = {**header, "n": len(table), "outputs": labels, "values": values}
            report = Report(payload=payload, columns=(), rows=(), warnings=warnings.items)
        else:
            report = Report(
                payload=header,
                columns=("row", *labels),
                rows=table,
                title=f"{request.loss.name} per example",
                indexed=True,
            )
        emit(report, output, color)
        return

    for lane in lanes:
        lane.state = request.reducer()
    batch = reduced(source, lanes, warnings)
    count = lanes[0].state.count
    assert batch is not None
    with located(source, batch):  # the weights may sum to 0
        values = [lane.state.result(reduction) for lane in lanes]
    labels = names if len(names) == len(values) else [str(j + 1) for j in range(len(values))]
    if uniform:
        value = math.fsum(values) / len(values)
        report = Report(
            payload={
                **header,
                "n": count,
                "value": value,
                "outputs": dict(zip(labels, values, strict=True)),
            },
            columns=("loss", "reduction", "n", "value"),
            rows=[(request.loss.name, reduction, count, value)],
            scalar=value,
            title=_title(request) + " (uniform average of outputs)",
            warnings=warnings.items,
        )
        emit(report, output, color)
        if expect is not None and not math.isclose(value, expect, rel_tol=rtol, abs_tol=atol):
            raise CheckFailed(f"expected {expect!r}, got {value!r} (rtol {rtol:g}, atol {atol:g})")
        return
    report = Report(
        payload={**header, "n": count, "values": dict(zip(labels, values, strict=True))},
        columns=("output", "value"),
        rows=list(zip(labels, values, strict=True)),
        title=_title(request) + " per output",
        warnings=warnings.items,
        indexed=True,
    )
    emit(report, output, color)


def _title(request: Request) -> str:
    """The loss with its parameters as they are typed: `huber --delta 0.5`, never a Python
    repr (`huber(delta=0.5)`); a convention other than the catalog's is named too."""
    words = [request.loss.name]
    for param in request.loss.params:
        if param.name in request.params:
            words += [param.option, _typed(request.params[param.name])]
    if request.convention != "catalog":
        words += ["--convention", request.convention]
    return " ".join(words)


def _typed(value: object) -> str:
    """A parameter value as an option takes it: 0.5, 2 (not 2.0), 0.25,0.75, yes."""
    if isinstance(value, (tuple, list)):
        return ",".join(_typed(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    return str(value)
