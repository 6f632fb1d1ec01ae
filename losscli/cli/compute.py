"""`losscli compute LOSS`: the loss of predictions against targets."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from losscli.cli import options as o
from losscli.cli import scale as sc

if TYPE_CHECKING:
    from losscli.cli.common import InputOptions
    from losscli.core.evaluation.requests import Request
    from losscli.core.evaluation.states import LossState
    from losscli.inputs.source import Source
    from losscli.run.context import Warnings

HELP = """Compute a loss of predictions against targets.

Values come inline (--y-true, --y-pred) or from a table: FILE, or stdin when it is piped.

--reduction none streams one row per example as the table is read: on a bad row the rows
already written stand, the output ends at a whole line and the error (exit 3) names the row.
The terminal table shows the first 1000 rows; -f tsv, csv or jsonl write every row.

A loss parameter given a list is a sweep: one row per value (--reduction none: one column
per value), each the value a run with that value alone gives. The values of a per-class
parameter are separated by ';': --class-weights '1,2;2,1'.

Examples:

\b
  losscli compute huber --delta 1 --y-true 0,0,0 --y-pred 0.5,2,10 --reduction none
  losscli compute cross-entropy --y-true 2 --y-pred 0.1,0.2,0.7   # -log(p[y])
  losscli compute bce --logits --y-true 1,0 --y-pred 0.3,-2
  losscli compute huber --delta 0.5,1,2 examples/residuals_outliers.csv   # a sweep
  losscli compute mse examples/regression.csv
  losscli compute mse 'preds/*.parquet' --jobs 2      # many files, merged exactly
  losscli compute mse day1.csv --state > day1.json    # then: losscli merge day*.json
  model predict | losscli compute ce -t label -p 'p*'
"""


def register(app: typer.Typer) -> None:
    app.command("compute", help=HELP, no_args_is_help=True)(compute)


@o.input_options
@o.loss_parameters(settings=("ignore_label", "log_target", "precision", "multioutput"))
@o.output_options
def compute(
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
    out: o.Output = o.NO_OUTPUT,
) -> None:
    from losscli.cli import sweep
    from losscli.cli.common import build_requests, open_source
    from losscli.core.errors import UsageError
    from losscli.run.context import Warnings

    o.check_number("--expect", expect, infinite=True)
    o.check_number("--rtol", rtol, 0.0)
    o.check_number("--atol", atol, 0.0)
    if expect is not None and reduction is o.Reduction.none:
        raise UsageError("--expect compares one number; it does not go with --reduction none")
    requests = build_requests(
        loss, params, logits, log_probs, normalize, convention and convention.value, log_input
    )
    request = requests[0]
    dataset = sc.is_dataset(files) or engine is sc.Engine.dask
    file = files[0] if files and not dataset else None
    inputs = replace(inputs, file=file)
    output = out.format
    warnings = (sweep.OnceWarnings if len(requests) > 1 else Warnings)(live=output != "json")
    if scheduler is not None and engine is not sc.Engine.dask:
        raise UsageError("--scheduler is the address of a Dask scheduler: add --engine dask")
    per_example = reduction is o.Reduction.none and not state
    if request.multioutput is not None and (dataset or state):
        raise UsageError("--multioutput reads one table; it goes with neither FILE... nor --state")
    if len(requests) > 1:
        sweep.refuse("--state", state, "writes the state of one loss")
        sweep.refuse("--expect", expect is not None, "compares one number")
        sweep.refuse("--multioutput", request.multioutput, "gives one value per output")
        sweep.refuse("--engine dask", engine is sc.Engine.dask, "reduces one loss")
        _sweep(requests, files or [], dataset, inputs, reduction, jobs, warnings, output, out.color)
        return
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
            request, loss_state, reduction.value, warnings, output, out.color, expect, rtol, atol
        )
        return
    _compute_one(request, source, reduction, warnings, output, out.color, expect, rtol, atol)


def _sweep(
    requests: list[Request],
    files: list[str],
    dataset: bool,
    inputs: InputOptions,
    reduction: o.Reduction,
    jobs: int | None,
    warnings: Warnings,
    output: str,
    color: str,
) -> None:
    """compute at every value of a sweep: one row per value, or with --reduction none one
    column per value; each value computed exactly as a run with that value alone."""
    from losscli.cli import sweep
    from losscli.cli.common import open_source
    from losscli.core.errors import UsageError
    from losscli.render.emit import emit
    from losscli.render.report import Report
    from losscli.run.losses import Lane, per_example

    first = requests[0]
    names = sweep.swept(requests)
    header = {"loss": first.loss.name, "convention": first.convention, "swept": names}
    # Every value of the sweep is a lane of one pass over the input: it is read once.
    if dataset:
        source = sc.chained_source(files, first.loss.takes_target, inputs)
    else:
        source = open_source(first.loss, inputs, space=first.space)
    if reduction is o.Reduction.none:
        if dataset and first.loss.batch:
            raise UsageError(f"{first.loss.name} is a batch loss: give it one table")
        labels = [sweep.setting(r, names) for r in requests]
        blocks = per_example(source, [Lane("", r) for r in requests], warnings)
        if output == "json":
            table = [block.values for block in blocks]
            results = [
                {"params": dict(r.params), "values": [v for b in table for v in b[:, k].tolist()]}
                for k, r in enumerate(requests)
            ]
            n = len(results[0]["values"])
            payload = {**header, "reduction": "none", "n": n, "results": results}
            report = Report(payload=payload, columns=(), rows=(), warnings=warnings.items)
        else:
            report = Report(
                payload=header,
                columns=("row", *labels),
                rows=(),
                blocks=blocks,
                title=f"{sweep.title(requests)} per example",
                indexed=True,
            )
        emit(report, output, color)
        return
    if dataset:
        states = _dataset_states(requests, files, inputs, jobs, warnings)
    else:
        states = _states(requests, source, warnings)
    summaries: list[dict[str, object]] = []
    rows = []
    for request, loss_state in zip(requests, states, strict=True):
        value, n = loss_state.result(reduction.value), loss_state.count
        summaries.append(
            {
                "loss": request.loss.name,
                "params": dict(request.params),
                "convention": request.convention,
                "reduction": reduction.value,
                "n": n,
                "value": value,
            }
        )
        cells = [sweep.cell(request.params.get(name)) for name in names]
        rows.append((request.loss.name, *cells, reduction.value, n, value))
    report = Report(
        payload={**header, "reduction": reduction.value, "results": summaries},
        columns=("loss", *names, "reduction", "n", "value"),
        rows=rows,
        title=sweep.title(requests),
        warnings=warnings.items,
        records="results",
    )
    emit(report, output, color)


def _dataset_states(
    requests: list[Request],
    files: list[str],
    inputs: InputOptions,
    jobs: int | None,
    warnings: Warnings,
) -> list[LossState]:
    """The merged state of every value of a sweep over FILE...: each file read once."""
    from losscli.core.errors import UsageError
    from losscli.core.evaluation.states import identity_of
    from losscli.inputs.dataset import expand
    from losscli.inputs.source import InputError

    if "-" in files:
        raise UsageError("several inputs are files, globs or directories; stdin ('-') is one table")
    identities = [identity_of(r) for r in requests]
    states, notices, skipped, chosen, _ = sc.reduce_files_many(
        expand(files), inputs, identities, [False] * len(requests), "loss", jobs
    )
    sc.tell_reading(chosen, notices, skipped, warnings)
    if states[0].count == 0:
        raise InputError("no examples: the files have no data rows")
    return states


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
    return _states([request], source, warnings)[0]


def _states(requests: list[Request], source: Source, warnings: Warnings) -> list[LossState]:
    """The state of each request (each value of a sweep), from one pass over the input."""
    from losscli.core.evaluation.states import LossState
    from losscli.run.losses import Lane, reduced

    columns = {
        "target": list(source.target_names),
        "pred": list(source.pred_names),
        "weight": source.weight_name,
    }
    # The mean as the convention takes it.
    states = [LossState.empty(request, columns) for request in requests]
    reduced(
        source,
        [Lane("", r, state=state) for r, state in zip(requests, states, strict=True)],
        warnings,
    )
    return states


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
    """--multioutput: each output's value (run/outputs.py computes them), or their mean
    ('uniform'); with --reduction none, one row per example."""
    from losscli.cli.errors import CheckFailed
    from losscli.render.emit import emit
    from losscli.render.report import Report
    from losscli.run.outputs import per_example_outputs, reduced_outputs

    header = {**header, "multioutput": request.multioutput}
    uniform = request.multioutput == "uniform"
    if reduction == "none":
        labels, table = per_example_outputs(request, source, warnings)
        if output == "json":
            values: list[Any] = [row[1] if uniform else list(row[1:]) for row in table]
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

    outputs = reduced_outputs(request, source, warnings, reduction)
    count, labels = outputs.count, outputs.labels
    if outputs.uniform is not None:
        value = outputs.uniform
        report = Report(
            payload={
                **header,
                "n": count,
                "value": value,
                "outputs": dict(zip(labels, outputs.values, strict=True)),
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
        payload={**header, "n": count, "values": dict(zip(labels, outputs.values, strict=True))},
        columns=("output", "value"),
        rows=list(zip(labels, outputs.values, strict=True)),
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
