"""`losscli compare LOSS...`: several losses on the same data side by side, or one loss under
every convention (`--conventions`)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from losscli.cli import options as o
from losscli.cli import scale as sc
from losscli.cli.candidates import losses_then_tables
from losscli.run.compare import Entry, Selection

if TYPE_CHECKING:
    from losscli.inputs.source import Source
    from losscli.run.context import Warnings

HELP = """Compare losses on the same data: one row per loss.

Values come inline (--y-true, --y-pred) or from a table: FILE (after the losses), or stdin
when it is piped. The table is read once, in blocks, for all the losses.

Each row shows the value (mean or sum), top_1pct_share: the share of the total that the worst
1% of examples contribute (ceil(n/100) examples, at least one), max_abs_grad: the largest
|gradient| of one example's loss, and the catalog's properties robust and convex. On
residuals with a few outliers, MSE's total belongs to the outliers; Huber's and MAE's do not,
and Huber's largest gradient is delta.

--all compares the losses that apply to the data: the task its values show (regression,
binary or class labels, distributions, pairs) and the space of its predictions (probabilities
or scores); the rest are listed on stderr with the reason. --all --any-task compares every
loss whose input domain fits the data. Batch losses such as nt-xent, which read the whole
input at once, are compared only when named. --conventions shows one loss the
way each framework computes it, one row per convention. --per-example prints one column per
loss (or convention) and one row per example instead.

Parameters (--delta, --beta, ...) apply to the losses that take them. A parameter given a
list is a sweep: one row per value for each loss that takes it, the parameter as a column.

Examples:

\b
  losscli compare mse mae huber examples/residuals_outliers.csv
  losscli compare mse mae huber --y-true 0,0,0,0 --y-pred 0.1,-0.2,0.3,10
  losscli compare mse huber --delta 0.5,1,2 examples/residuals_outliers.csv
  losscli compare bce --conventions --y-true 1,0 --y-pred 0,0.2
  losscli compare --all --y-true 1,0,1 --y-pred 0.9,0.2,0.6
  losscli compare mse huber 'preds/*.parquet' --jobs 2   # many files, merged exactly
"""


def register(app: typer.Typer) -> None:
    app.command("compare", help=HELP, no_args_is_help=True)(compare)


@o.input_options
@o.loss_parameters(settings=("ignore_label", "log_target", "precision"))
@o.output_options
def compare(
    losses: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="LOSS... [FILE...]",
            help="Loss names or aliases (losscli list), then optionally the table to read "
            "('-' for stdin), or several: files, globs, a directory (a dataset).",
            show_default=False,
            autocompletion=losses_then_tables,
        ),
    ] = None,
    all_losses: Annotated[
        bool,
        typer.Option("--all", help="Every loss that applies to the data's task and predictions."),
    ] = False,
    any_task: Annotated[
        bool,
        typer.Option(
            "--any-task",
            help="With --all: every loss whose input domain fits, whatever the task.",
        ),
    ] = False,
    conventions: Annotated[
        bool,
        typer.Option("--conventions", help="One loss under every convention, one row each."),
    ] = False,
    per_example: Annotated[
        bool,
        typer.Option("--per-example", help="Each loss per example: one row per example."),
    ] = False,
    inputs: o.InputOptions = o.NO_INPUTS,
    logits: o.Logits = False,
    log_probs: o.LogProbs = False,
    log_input: o.LogInput = False,
    normalize: o.Normalize = False,
    params: o.LossParams = o.NO_PARAMS,
    convention: o.Convention = None,
    reduction: Annotated[
        o.Reduction,
        typer.Option("--reduction", help="mean or sum (per example: --per-example)."),
    ] = o.Reduction.mean,
    jobs: sc.Jobs = None,
    out: o.Output = o.NO_OUTPUT,
) -> None:
    from losscli.cli.common import note, open_source
    from losscli.core.errors import UsageError
    from losscli.run.context import Warnings

    given = params.given
    space = o.space_from_flags(logits, log_probs, log_input)
    names, files = _split_files(losses or [])
    dataset = sc.is_dataset(files)
    file = files[0] if files and not dataset else None
    if reduction is o.Reduction.none:
        raise UsageError(
            "compare reduces to one number per loss; for per-example values use --per-example"
        )
    if conventions:
        if all_losses or len(names) != 1:
            raise UsageError("--conventions compares one loss: give exactly one LOSS")
        if convention is not None:
            raise UsageError("--conventions shows every convention; leave out --convention")
        entries = _convention_entries(names[0], given, space, normalize)
    elif all_losses:
        if names:
            raise UsageError("give LOSS... or --all, not both")
        entries = _all_entries(
            given, space, normalize, convention.value if convention else "catalog"
        )
    elif names:
        entries = _loss_entries(names, given, space, normalize, convention and convention.value)
    else:
        raise UsageError("name the losses to compare, or pass --all")
    if any_task and not all_losses:
        raise UsageError("--any-task goes with --all")
    # --all without --any-task: only the losses that apply to the data's task and space.
    applies_to = space if all_losses and not any_task else None
    selecting = all_losses and not any_task

    inputs = replace(inputs, file=file)
    # Inline lists are laid out the way the first loss reads them; a table is the same for all.
    layout = next(e.request for e in entries if e.request is not None)
    if all_losses and inputs.y_true is None and inputs.y_pred is None:
        # --all knows the task only once it reads: a table is laid out for class labels, so
        # that a text target (cat, dog) is read as labels; a number stays the number it is.
        layout = next(
            (
                e.request
                for e in entries
                if e.request is not None and e.request.loss.target == "class"
            ),
            layout,
        )
    # A batch loss among them (nt-xent) needs the whole input as one batch, as it would alone.
    whole = any(e.request is not None and e.request.loss.batch for e in entries)
    output = out.format
    warnings = Warnings(live=output != "json")
    if dataset:
        if len(files) > 1:
            # `compare mse huber a.csv b.csv` may mean two models: say what it computes.
            note(
                f"compare takes one table: {', '.join(files)} are read as one, rows one after "
                "another; to compare the predictions in each file, run compare on each"
            )
        if per_example:
            raise UsageError(
                "--per-example prints the rows of one table; with several files compare "
                "their totals (or run compare on each file)"
            )
        if whole:
            raise UsageError("a batch loss (each value depends on its neighbours) reads one table")
        if inputs.y_true is not None or inputs.y_pred is not None:
            raise UsageError("give FILE... or --y-true/--y-pred, not both")
        _summary_many(
            entries, files, inputs, jobs, warnings, reduction.value, conventions, output, out.color
        )
        return
    source = open_source(layout.loss, inputs, whole=whole)
    if per_example:
        _per_example(entries, source, warnings, output, out.color)
    else:
        from losscli.run.compare import totals
        from losscli.run.context import located

        select = Selection(applies_to) if selecting else None
        last_batch = totals(entries, source, warnings, select)
        _show(
            entries,
            warnings,
            reduction.value,
            conventions,
            output,
            out.color,
            lambda: located(source, last_batch),
            select,
            weighted=source.weight_name is not None,
        )


def _split_files(args: list[str]) -> tuple[list[str], list[str]]:
    """LOSS... [FILE...]: the trailing arguments that name tables (see _split_file; a glob,
    a directory or a URL also names one), the losses before them."""
    from losscli.inputs.dataset import GLOB_CHARS, is_remote

    files: list[str] = []
    rest = list(args)
    while rest:
        _, file = _split_file(rest)
        last = rest[-1]
        if file is None and not (
            (is_remote(last) or any(ch in last for ch in GLOB_CHARS)) and len(rest) > 1
        ):
            break
        files.insert(0, last)
        rest = rest[:-1]
    return list(dict.fromkeys(rest)), files


def _split_file(args: list[str]) -> tuple[list[str], str | None]:
    """LOSS... [FILE]: the last argument is the table when it is '-', or not a loss name and
    an existing path or a table's file name. A file named like a loss: write ./mse."""
    from pathlib import Path

    from losscli.core.errors import UsageError
    from losscli.core.losses.registry import get
    from losscli.inputs.table import EXTENSIONS

    if not args:
        return [], None
    last = args[-1]
    names = list(dict.fromkeys(args[:-1]))
    if last == "-":
        return names, last
    try:
        get(last)
    except UsageError:
        path = Path(last)
        if path.exists() or path.suffix.lower() in EXTENSIONS:
            return names, last
    return list(dict.fromkeys(args)), None


# --- choosing what to compare -----------------------------------------------------------------


def _taken(params: dict[str, Any], loss: Any) -> dict[str, Any]:
    from losscli.core.evaluation.requests import settings_for

    # The loss's own parameters, and the settings of how rows are read that apply to it
    # (--ignore-label for the losses of class labels, --precision for all).
    names = {p.name for p in loss.params} | settings_for(loss)
    return {k: v for k, v in params.items() if k in names}


def _check_params_used(params: dict[str, Any], records: list[Any]) -> None:
    from losscli.core.errors import UsageError
    from losscli.core.evaluation.requests import settings_for

    taken = {p.name for loss in records for p in loss.params}
    taken |= {name for loss in records for name in settings_for(loss)}
    for name in params:
        if name not in taken:
            option = "--" + name.replace("_", "-")
            losses = ", ".join(loss.name for loss in records)
            raise UsageError(f"{option} is a parameter of none of the losses compared ({losses})")


def _loss_entries(
    names: list[str],
    params: dict[str, Any],
    space: str | None,
    normalize: bool,
    convention: str | None,
) -> list[Entry]:
    from losscli.cli.common import alias_defaults
    from losscli.core.evaluation.requests import make_request
    from losscli.core.losses.registry import alias_meaning, get

    # A loss once, by its canonical name; an alias that names a framework's function
    # (bce-with-logits) is its own row, computed as that function is.
    chosen: dict[str, str] = {}
    for name in names:
        label = name.strip().lower() if alias_meaning(name) else get(name).name
        chosen.setdefault(label, name)
    _check_params_used(params, [get(name) for name in chosen.values()])
    entries = []
    for label, name in chosen.items():
        loss = get(name)
        loss_space, loss_convention = alias_defaults(name, space, convention)
        for setting in loss.sweep(_taken(params, loss)):  # several: --delta 0.5,1,2
            request = make_request(
                loss,
                setting,  # type: ignore[arg-type]
                space=loss_space,  # type: ignore[arg-type]
                normalize=normalize,
                convention=loss_convention,
            )
            entries.append(Entry(label, request))
    return _named_settings(entries)


def _named_settings(entries: list[Entry]) -> list[Entry]:
    """Name the values of each loss's swept parameters in its entries (delta=0.5)."""
    from losscli.cli import sweep

    by_label: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.request is not None:
            by_label.setdefault(entry.label, []).append(entry)
    for group in by_label.values():
        requests = [e.request for e in group if e.request is not None]
        names = sweep.swept(requests)
        for entry, request in zip(group, requests, strict=True):
            entry.setting = sweep.setting(request, names)
    return entries


FAMILY_ORDER = ("regression", "classification", "divergence", "metric")


def _all_entries(
    params: dict[str, Any], space: str | None, normalize: bool, convention: str
) -> list[Entry]:
    from losscli.core.conventions import covers
    from losscli.core.errors import UsageError
    from losscli.core.evaluation.requests import make_request
    from losscli.core.losses.registry import all_losses

    # Family by family (regression first), in the registry's order within each.
    losses = all_losses()
    order = {family: k for k, family in enumerate(FAMILY_ORDER)}
    ranked = sorted(losses, key=lambda loss: order.get(loss.family, len(order)))
    # A batch loss (nt-xent) needs the whole input at once: --all leaves it out, so that it
    # never holds a large table in memory; name it to compare it.
    records = [loss for loss in ranked if covers(convention, loss) and not loss.batch]
    _check_params_used(params, records)
    entries = [
        Entry(loss.name, None, why="a batch loss, read whole: name it to compare it", optional=True)
        for loss in ranked
        if loss.batch and covers(convention, loss)
    ]
    for loss in records:
        if space is not None and space not in loss.spaces:
            continue
        for setting in loss.sweep(_taken(params, loss)):
            try:
                request = make_request(
                    loss,
                    setting,  # type: ignore[arg-type]
                    space=space,
                    normalize=normalize,
                    convention=convention,
                )
            except UsageError:
                continue
            entries.append(Entry(loss.name, request, optional=True))
    if not entries:
        raise UsageError("no loss takes these options; drop --logits/--log-probs or --convention")
    return _named_settings(entries)


def _convention_entries(
    name: str, params: dict[str, Any], space: str | None, normalize: bool
) -> list[Entry]:
    from losscli.core.conventions import NAMES, covers, get_convention
    from losscli.core.errors import UsageError
    from losscli.core.evaluation.requests import make_request
    from losscli.core.losses.registry import get

    loss = get(name)
    settings = loss.sweep(params)
    if len(settings) > 1:
        raise UsageError(
            "--conventions shows one setting of the loss; give one value per parameter "
            "(compare LOSS --convention NAME takes a sweep)"
        )
    params = settings[0]
    # The catalog's request first: a parameter or space the loss does not take is an error,
    # as in compute, not a row per convention.
    make_request(loss, params, space=space, normalize=normalize)  # type: ignore[arg-type]
    entries = []
    for convention in NAMES:
        if not covers(convention, loss):
            conv = get_convention(convention)
            entries.append(Entry(convention, None, why=conv.why_missing(loss.name), missing=True))
            continue
        try:
            request = make_request(
                loss,
                params,  # type: ignore[arg-type]
                space=space,  # type: ignore[arg-type]
                normalize=normalize,
                convention=convention,
            )
        except UsageError as error:
            entries.append(Entry(convention, None, why=str(error)))
            continue
        entries.append(Entry(convention, request))
    return entries


def _summary_many(
    entries: list[Entry],
    files: list[str],
    inputs: Any,
    jobs: int | None,
    warnings: Warnings,
    reduction: str,
    by_convention: bool,
    output: str,
    color: str,
) -> None:
    """The summary over many files: each file read once (by --jobs processes) into a
    CompareState per loss, the states merged, then shown as for one table."""
    import contextlib

    from losscli.core.evaluation.states import identity_of
    from losscli.inputs.dataset import expand
    from losscli.inputs.source import InputError

    active = [e for e in entries if e.request is not None]
    identities = [identity_of(e.request) for e in active if e.request is not None]
    states, notices, skipped, chosen, dropped = sc.reduce_files_many(
        expand(files),
        inputs,
        identities,
        [e.optional for e in active],
        "compare",
        jobs,
    )
    sc.tell_reading(chosen, notices, skipped, warnings)
    for index, (entry, state) in enumerate(zip(active, states, strict=True)):
        if state is None:
            why, first = dropped[index]
            entry.request = None
            if not first:
                entry.why = f"{entry.name} left out: {why}"
                warnings.add(entry.why)
            continue
        entry.state = state
    if sum(s.count for s in states if s is not None) == 0 and any(states):
        raise InputError("no examples: the files have no data rows")
    _show(
        entries,
        warnings,
        reduction,
        by_convention,
        output,
        color,
        contextlib.nullcontext,
        None,
        weighted=inputs.weight is not None,
    )


def _show(
    entries: list[Entry],
    warnings: Warnings,
    reduction: str,
    by_convention: bool,
    output: str,
    color: str,
    where: Any,
    select: Selection | None,
    *,
    weighted: bool,
) -> None:
    """The comparison table of entries whose totals are in (run/compare.py's rows)."""
    from losscli.render.compare import comparison
    from losscli.render.emit import emit
    from losscli.run.compare import rows

    result = rows(entries, warnings, reduction, by_convention, where, select)
    records = result.records
    # A sweep's parameters as columns, blank for a loss that does not take one.
    swept = [] if by_convention else _swept([e for e in result.shown if e.setting])
    report = comparison(
        records,
        by_convention=by_convention,
        weighted=weighted,
        reduction=reduction,
        n=result.n,
        loss_name=next(e.request.loss.name for e in entries if e.request is not None),
        left_out=result.left_out if select is not None else None,
        swept=swept,
        swept_cells=[[_cell(r["params"].get(name)) for name in swept] for r in records],
        warnings=warnings.items,
    )
    emit(report, output, color)


def _swept(entries: list[Entry]) -> list[str]:
    """The parameters swept in any loss of the comparison, in the order they first come."""
    from losscli.cli import sweep

    names: dict[str, None] = {}
    by_label: dict[str, list[Any]] = {}
    for entry in entries:
        by_label.setdefault(entry.label, []).append(entry.request)
    for requests in by_label.values():
        names |= dict.fromkeys(sweep.swept(requests))
    return list(names)


def _cell(value: Any) -> str | None:
    from losscli.cli import sweep

    return None if value is None else sweep.cell(value)


def _per_example(
    entries: list[Entry], source: Source, warnings: Warnings, output: str, color: str
) -> None:
    """One column per loss and one row per example, streamed as computed; the first batch
    is read before any output, to settle which --all losses fit the data."""
    import itertools

    from losscli.render.emit import emit
    from losscli.render.report import Report
    from losscli.run.losses import per_example

    blocks = per_example(source, entries, warnings, count="read")
    first = next(blocks)  # raises when the input is empty, or no loss fits it
    labels = [e.name for e in entries if e.request is not None]
    blocks = itertools.chain([first], blocks)
    if output == "json":
        table = [row for block in blocks for row in block.values.tolist()]
        values = {label: [row[k] for row in table] for k, label in enumerate(labels)}
        payload = {"columns": labels, "n": len(table), "reduction": "none", "values": values}
        report = Report(payload=payload, columns=(), rows=(), warnings=warnings.items)
    else:
        report = Report(
            payload={},
            columns=("row", *labels),
            rows=(),
            blocks=blocks,
            title="per example",
            indexed=True,
        )
    emit(report, output, color)
