"""`losscli grad LOSS`: the derivative of each example's loss with respect to its prediction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from losscli.cli import options as o
from losscli.cli import scale as sc

if TYPE_CHECKING:
    from losscli.core.evaluation.requests import Request
    from losscli.inputs.source import Source
    from losscli.run.context import Warnings
    from losscli.run.losses import GradientChecks

HELP = """Gradient of each example's loss with respect to its prediction.

With --logits the derivative is taken with respect to the logits. --reduction mean gives the
gradient of the mean loss (each row divided by n), as autograd would. At kinks a stated
subgradient is used: sign(0) = 0; hinge exactly at the margin: 0.

Rows stream as they are computed: on a bad row the rows already written stand, the output
ends at a whole line and the error (exit 3) names the row. --reduction mean needs n (or the
weight total) before the first row: a FILE is then read twice (totals, then rows) in flat
memory; a table on stdin is held until it ends (about 16 bytes a row and 8 per gradient
value; save a very large table to a file first).

A loss parameter given a list is a sweep: the gradient columns of each value side by side.

Examples:

\b
  losscli grad binary-cross-entropy --logits --y-true 1,0 --y-pred 0.3,-2   # sigmoid(z) - y
  losscli grad huber --delta 1 --y-true 0,0,0 --y-pred 0.5,2,-10 --check
  losscli grad huber --delta 0.5,1,2 --y-true 0,0,0 --y-pred 0.5,2,-10   # a sweep
"""


def register(app: typer.Typer) -> None:
    app.command("grad", help=HELP, no_args_is_help=True)(grad)


@o.input_options
@o.loss_parameters(settings=("ignore_label", "log_target", "precision"))
@o.output_options
def grad(
    loss: o.LossName,
    files: sc.Files = None,
    inputs: o.InputOptions = o.NO_INPUTS,
    logits: o.Logits = False,
    log_probs: o.LogProbs = False,
    log_input: o.LogInput = False,
    normalize: o.Normalize = False,
    convention: o.Convention = None,
    params: o.LossParams = o.NO_PARAMS,
    reduction: Annotated[
        o.Reduction,
        typer.Option("--reduction", help="none (per example), or the gradient of the mean/sum."),
    ] = o.Reduction.none,
    check: Annotated[
        bool,
        typer.Option("--check", help="Compare with central finite differences (exit 1 if off)."),
    ] = False,
    out: o.Output = o.NO_OUTPUT,
) -> None:
    from losscli.cli import sweep
    from losscli.cli.common import build_requests, open_source
    from losscli.cli.errors import CheckFailed
    from losscli.render.emit import emit
    from losscli.render.report import Report
    from losscli.run.context import Warnings
    from losscli.run.losses import CHECK_TOLERANCE, GradientChecks, gradients

    requests = build_requests(
        loss, params, logits, log_probs, normalize, convention and convention.value, log_input
    )
    request = requests[0]
    dataset = sc.is_dataset(files)
    file = files[0] if files and not dataset else None
    inputs = replace(inputs, file=file)
    if dataset:  # the files one after another, rows numbered as in their concatenation
        if request.loss.batch:
            from losscli.core.errors import UsageError

            raise UsageError(f"{request.loss.name} is a batch loss: give it one table")
        source = sc.chained_source(files or [], request.loss.takes_target, inputs)
    else:
        source = open_source(request.loss, inputs, space=request.space)
    output = out.format
    warnings = (sweep.OnceWarnings if len(requests) > 1 else Warnings)(live=output != "json")
    checks = GradientChecks() if check else None
    reread = None
    if inputs.file not in (None, "-") and not request.loss.batch:
        # A file can be read again: totals first, then the rows, in flat memory.
        reread = lambda: open_source(request.loss, inputs, quiet=True, space=request.space)  # noqa: E731
    if len(requests) > 1:
        _sweep(requests, source, warnings, reduction, checks, reread, output, out.color)
        return
    blocks = gradients([request], source, warnings, reduction.value, checks, reread)
    record: dict[str, Any] = {
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
        record |= {"n": len(collected), "grad": [r[0] if flat else r for r in collected]}
        if checks is not None:
            record["check"] = checks.summary()
        report = Report(payload=record, columns=(), rows=(), warnings=warnings.items)
    else:
        report = Report(
            payload=record,
            columns=("row", *names),
            rows=(),
            blocks=blocks,
            title=f"d {request.loss.name} / d {_wrt(request.space)}",
            indexed=True,
        )
    emit(report, output, out.color)
    if checks is None:
        return
    if output != "json":
        typer.echo(f"losscli: gradient check: {checks.describe()}", err=True)
    if checks.worst > CHECK_TOLERANCE:
        raise CheckFailed(f"gradient check failed: {checks.describe()} exceeds {CHECK_TOLERANCE:g}")


def _sweep(
    requests: list[Request],
    source: Source,
    warnings: Warnings,
    reduction: o.Reduction,
    checks: GradientChecks | None,
    reread: Callable[[], Source] | None,
    output: str,
    color: str,
) -> None:
    """grad at every value of a sweep: the gradient columns of each value side by side,
    each exactly what a run with that value alone prints."""
    from losscli.cli import sweep
    from losscli.cli.errors import CheckFailed
    from losscli.render.emit import emit
    from losscli.render.report import Report
    from losscli.run.losses import CHECK_TOLERANCE, gradients

    first = requests[0]
    names = sweep.swept(requests)
    wrt = _wrt(first.space)
    # One reading of the input for every value (two with totals first: see gradients).
    blocks = gradients(requests, source, warnings, reduction.value, checks, reread)
    columns = _grad_columns(source.pred_names, source.pred_width, wrt)
    header: dict[str, Any] = {
        "loss": first.loss.name,
        "convention": first.convention,
        "swept": names,
        "reduction": reduction.value,
        "wrt": wrt,
    }
    if output == "json":
        table = [block.values for block in blocks]
        width = len(columns)
        results = []
        for k, request in enumerate(requests):
            rows = [row for b in table for row in b[:, k * width : (k + 1) * width].tolist()]
            results.append(
                {
                    "params": dict(request.params),
                    "grad": [r[0] for r in rows] if width == 1 else rows,
                }
            )
        header |= {"n": sum(b.shape[0] for b in table), "results": results}
        if checks is not None:
            header["check"] = checks.summary()
        report = Report(payload=header, columns=(), rows=(), warnings=warnings.items)
    else:
        labels = [f"{column} {sweep.setting(r, names)}" for r in requests for column in columns]
        report = Report(
            payload=header,
            columns=("row", *labels),
            rows=(),
            blocks=blocks,
            title=f"d {sweep.title(requests)} / d {wrt}",
            indexed=True,
        )
    emit(report, output, color)
    if checks is None:
        return
    if output != "json":
        typer.echo(f"losscli: gradient check: {checks.describe()}", err=True)
    if checks.worst > CHECK_TOLERANCE:
        raise CheckFailed(f"gradient check failed: {checks.describe()} exceeds {CHECK_TOLERANCE:g}")


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
