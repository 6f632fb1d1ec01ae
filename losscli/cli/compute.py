"""`losscli compute LOSS`: the loss of predictions against targets."""

from __future__ import annotations

import math
from typing import Annotated

import typer

from losscli.cli import options as o

HELP = """Compute a loss of predictions against targets.

Examples:

\b
  losscli compute huber --delta 1 --y-true 0,0,0 --y-pred 0.5,2,10 --reduction none
  losscli compute cross-entropy --y-true 2 --y-pred 0.1,0.2,0.7   # -log(p[y])
  losscli compute bce --logits --y-true 1,0 --y-pred 0.3,-2
"""


def register(app: typer.Typer) -> None:
    app.command("compute", help=HELP, no_args_is_help=True)(compute)


def compute(
    loss: Annotated[str, typer.Argument(metavar="LOSS", help="Loss name or alias (losscli list).")],
    y_true: o.YTrue = None,
    y_pred: o.YPred = None,
    weights: o.Weights = None,
    logits: o.Logits = False,
    log_probs: o.LogProbs = False,
    normalize: o.Normalize = False,
    delta: o.Delta = None,
    gamma: o.Gamma = None,
    alpha: o.Alpha = None,
    margin: o.Margin = None,
    eps: o.Eps = None,
    direction: o.Direction = None,
    log_base: o.LogBase = None,
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
    from losscli.cli.common import build_request, located, notice_text, open_source
    from losscli.cli.errors import CheckFailed
    from losscli.core.evaluation import batch_values
    from losscli.core.reduce import Accumulator
    from losscli.render.emit import emit
    from losscli.render.report import Report

    params = o.collect_params(
        delta=delta,
        gamma=gamma,
        alpha=alpha,
        margin=margin,
        eps=eps,
        direction=direction,
        log_base=log_base,
    )
    request = build_request(loss, params, logits, log_probs, normalize)
    source = open_source(request, y_true, y_pred, weights)
    if expect is not None and reduction is o.Reduction.none:
        from losscli.core.errors import UsageError

        raise UsageError("--expect compares one number; it does not go with --reduction none")

    acc = Accumulator()
    values: list[float] = []
    warnings: list[str] = []
    for batch in source.batches():
        with located(source, batch):
            result = batch_values(request, batch.y_true, batch.y_pred, batch.weights)
        if reduction is o.Reduction.none:
            values.extend(result.weighted().tolist())
        else:
            acc.add(result.values, result.weights)
        warnings.extend(notice_text(n, source, batch.first_row) for n in result.notices)

    base = {
        "loss": request.loss.name,
        "params": dict(request.params),
        "convention": "catalog",
        "reduction": reduction.value,
        "n": acc.count or len(values),
    }
    if reduction is o.Reduction.none:
        report = Report(
            payload={**base, "values": values},
            columns=("row", "value"),
            rows=[(i + 1, v) for i, v in enumerate(values)],
            title=f"{request.loss.name} per example",
            indexed=True,
            warnings=warnings,
        )
    else:
        with located(source, batch):  # the weights may sum to 0
            value = acc.result(reduction.value)
        report = Report(
            payload={**base, "value": value},
            columns=("loss", "reduction", "n", "value"),
            rows=[(request.loss.name, reduction.value, base["n"], value)],
            scalar=value,
            title=_title(request),
            warnings=warnings,
        )
    emit(report, o.output_format(fmt, json_flag), color.value)
    if expect is not None:
        value = report.scalar
        assert value is not None
        if not math.isclose(value, expect, rel_tol=rtol, abs_tol=atol):
            raise CheckFailed(f"expected {expect!r}, got {value!r} (rtol {rtol:g}, atol {atol:g})")


def _title(request: object) -> str:
    loss = request.loss  # type: ignore[attr-defined]
    params = ", ".join(f"{k}={v}" for k, v in request.params.items())  # type: ignore[attr-defined]
    return f"{loss.name}({params})" if params else loss.name
