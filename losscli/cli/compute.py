"""`losscli compute LOSS`: the loss of predictions against targets."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from losscli.cli import options as o

if TYPE_CHECKING:
    from losscli.cli.common import Warnings
    from losscli.core.evaluation import Request
    from losscli.inputs.source import Source

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
  model predict | losscli compute ce -t label -p 'p*'
"""


def register(app: typer.Typer) -> None:
    app.command("compute", help=HELP, no_args_is_help=True)(compute)


def compute(
    loss: o.LossName,
    file: o.File = None,
    y_true: o.YTrue = None,
    y_pred: o.YPred = None,
    weights: o.Weights = None,
    target: o.Target = None,
    pred: o.Pred = None,
    weight: o.WeightColumn = None,
    input_format: o.InputFormatOpt = None,
    delimiter: o.Delimiter = None,
    header: o.Header = None,
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
    reduction: Annotated[
        o.Reduction, typer.Option("--reduction", help="mean, sum, or none (one value per row).")
    ] = o.Reduction.mean,
    expect: Annotated[
        float | None,
        typer.Option("--expect", help="Exit 1 unless the value matches V.", metavar="V"),
    ] = None,
    rtol: Annotated[float, typer.Option("--rtol", help="Relative tolerance of --expect.")] = 1e-9,
    atol: Annotated[float, typer.Option("--atol", help="Absolute tolerance of --expect.")] = 0.0,
    fmt: o.Format = o.OutputFormat.auto,
    json_flag: o.Json = False,
    color: o.ColorOpt = o.Color.auto,
) -> None:
    from losscli.cli.common import InputOptions, Warnings, build_request, open_source
    from losscli.cli.errors import CheckFailed
    from losscli.core.errors import UsageError
    from losscli.render.emit import emit
    from losscli.render.report import Report

    o.check_number("--expect", expect, infinite=True)
    o.check_number("--rtol", rtol, 0.0)
    o.check_number("--atol", atol, 0.0)
    if expect is not None and reduction is o.Reduction.none:
        raise UsageError("--expect compares one number; it does not go with --reduction none")
    params = o.loss_params(locals())
    request = build_request(
        loss, params, logits, log_probs, normalize, convention and convention.value, log_input
    )
    inputs = InputOptions.from_arguments(locals())
    source = open_source(request.loss, inputs, space=request.space)
    output = o.output_format(fmt, json_flag)
    warnings = Warnings(live=output != "json")
    header = {
        "loss": request.loss.name,
        "params": dict(request.params),
        "convention": request.convention,
        "reduction": reduction.value,
    }

    if reduction is o.Reduction.none:
        rows = _per_example(request, source, warnings)
        if output == "json":
            values = [value for _, value in rows]
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
                rows=rows,
                title=f"{request.loss.name} per example",
                indexed=True,
            )
        emit(report, output, color.value)
        return

    value, n = _reduced(request, source, warnings, reduction.value)
    report = Report(
        payload={**header, "n": n, "value": value},
        columns=("loss", "reduction", "n", "value"),
        rows=[(request.loss.name, reduction.value, n, value)],
        scalar=value,
        title=_title(request),
        warnings=warnings.items,
    )
    emit(report, output, color.value)
    if expect is not None and not math.isclose(value, expect, rel_tol=rtol, abs_tol=atol):
        raise CheckFailed(f"expected {expect!r}, got {value!r} (rtol {rtol:g}, atol {atol:g})")


def _reduced(
    request: Request, source: Source, warnings: Warnings, reduction: str
) -> tuple[float, int]:
    """Stream every batch into one compensated sum; memory does not grow with the input."""
    from losscli.cli.common import located, notice_text
    from losscli.core.evaluation import batch_values

    acc = request.reducer()  # the mean as the convention takes it
    batch = None
    for batch in source.batches():
        with located(source, batch):
            result = batch_values(request, batch.y_true, batch.y_pred, batch.weights)
        acc.add(result)
        for notice in result.notices:
            warnings.add(notice_text(notice, source, batch))
    warnings.finish(source, acc.count)
    assert batch is not None
    with located(source, batch):  # the weights may sum to 0
        return acc.result(reduction), acc.count


def _per_example(request: Request, source: Source, warnings: Warnings) -> Iterator[tuple[int, Any]]:
    """(input row number, value) for every example, batch by batch, as they are computed."""
    from losscli.cli.common import located, notice_text
    from losscli.core.evaluation import batch_values

    count = 0
    for batch in source.batches():
        with located(source, batch):
            result = batch_values(request, batch.y_true, batch.y_pred, batch.weights)
        for notice in result.notices:
            warnings.add(notice_text(notice, source, batch))
        values = result.weighted().tolist()
        count += len(values)
        yield from zip(batch.row_numbers(), values, strict=True)
    warnings.finish(source, count)


def _title(request: Request) -> str:
    params = ", ".join(f"{k}={v}" for k, v in request.params.items())
    return f"{request.loss.name}({params})" if params else request.loss.name
