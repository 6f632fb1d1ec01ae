"""`losscli grad LOSS`: the derivative of each example's loss with respect to its prediction."""

from __future__ import annotations

from typing import Annotated

import typer

from losscli.cli import options as o

HELP = """Gradient of each example's loss with respect to its prediction.

With --logits the derivative is taken with respect to the logits. --reduction mean gives the
gradient of the mean loss (each row divided by n), as autograd would. At kinks a stated
subgradient is used: sign(0) = 0; hinge exactly at the margin: 0.

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
    from losscli.cli.common import build_request, located, notice_text, open_source
    from losscli.cli.errors import CheckFailed
    from losscli.core.evaluation import check_gradient, gradient
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
    (batch,) = source.batches()
    with located(source, batch):
        result = gradient(
            request, batch.y_true, batch.y_pred, reduction=reduction.value, weights=batch.weights
        )
        checked = check_gradient(request, batch.y_true, batch.y_pred) if check else None
    warnings = [notice_text(n, source, batch.first_row) for n in result.notices]

    grads = result.grads.reshape(result.n, -1)
    names = _grad_columns(source.pred_names, grads.shape[1])
    payload: dict[str, object] = {
        "loss": request.loss.name,
        "params": dict(request.params),
        "convention": "catalog",
        "reduction": reduction.value,
        "wrt": _wrt(request.space),
        "n": result.n,
        "grad": grads[:, 0].tolist() if grads.shape[1] == 1 else grads.tolist(),
    }
    if checked is not None:
        payload["check"] = {
            "max_rel_diff": checked.max_rel_diff,
            "worst_row": None if checked.worst_row is None else checked.worst_row + 1,
            "compared": checked.compared,
            "skipped_at_kinks_or_bounds": checked.skipped,
            "tolerance": CHECK_TOLERANCE,
            "ok": checked.max_rel_diff <= CHECK_TOLERANCE,
        }
    report = Report(
        payload=payload,
        columns=("row", *names),
        rows=[(i + 1, *row) for i, row in enumerate(grads.tolist())],
        title=f"d {request.loss.name} / d {_wrt(request.space)}",
        indexed=True,
        warnings=warnings,
    )
    output = o.output_format(fmt, json_flag)
    emit(report, output, color.value)
    if checked is not None and output != "json":
        typer.echo(
            f"losscli: gradient check: largest relative difference {checked.max_rel_diff:.3g} "
            f"over {checked.compared} cells ({checked.skipped} skipped at kinks or domain bounds)",
            err=True,
        )
    if checked is not None and checked.max_rel_diff > CHECK_TOLERANCE:
        raise CheckFailed(
            f"gradient check failed: relative difference {checked.max_rel_diff:.3g} at "
            f"{source.row_name(checked.worst_row or 0)} exceeds {CHECK_TOLERANCE:g}"
        )


def _wrt(space: str) -> str:
    return {"prob": "p", "logit": "logit", "logprob": "log_p", "raw": "y_pred"}[space]


def _grad_columns(pred_names: tuple[str, ...], width: int) -> list[str]:
    if width == 1:
        return ["grad"]
    if len(pred_names) == width:
        return [f"grad_{name}" for name in pred_names]
    return [f"grad_{k + 1}" for k in range(width)]
