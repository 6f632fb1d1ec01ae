"""`losscli list` and `losscli show LOSS`: the catalog."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from losscli.cli import options as o
from losscli.cli.candidates import families

if TYPE_CHECKING:
    from losscli.core.losses.types import Loss

PROPERTY_COLUMNS = ("convex", "smooth", "robust", "probabilistic")


def register(app: typer.Typer) -> None:
    app.command("list", help="The catalog: every loss with its family and properties.")(list_losses)
    app.command(
        "show",
        help="One loss in full: formula, gradient, parameters, properties, use, references.",
        no_args_is_help=True,
    )(show)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


@o.output_options
def list_losses(
    family: Annotated[
        str | None,
        typer.Option(
            "--family",
            help="Only this family: regression, classification, ...",
            autocompletion=families,
        ),
    ] = None,
    out: o.Output = o.NO_OUTPUT,
) -> None:
    from losscli.cli.catalog_data import RECORDS
    from losscli.core.errors import UsageError
    from losscli.render.emit import emit
    from losscli.render.report import Report

    # The registry's records as plain data (tools/generate.py writes them): no NumPy here.
    losses = RECORDS
    families = sorted({loss["family"] for loss in losses})
    if family is not None:
        if family.strip().lower() not in families:  # any case, as loss names
            raise UsageError(f"--family must be one of {', '.join(families)}, not {family!r}")
        losses = tuple(loss for loss in losses if loss["family"] == family.strip().lower())
    losses = tuple(sorted(losses, key=lambda loss: (families.index(loss["family"]), loss["name"])))
    rows = [
        (
            loss["name"],
            ", ".join(loss["aliases"]),
            loss["family"],
            *(_yes(loss["properties"][p]) for p in PROPERTY_COLUMNS),
            loss["typical_use"].split(";")[0].split(":")[0].rstrip("."),
        )
        for loss in losses
    ]
    report = Report(
        payload={"losses": list(losses)},
        columns=("name", "aliases", "family", *PROPERTY_COLUMNS, "typical use"),
        rows=rows,
        title="losscli catalog",
        human=lambda console: _list_human(console, rows),
        records="losses",
    )
    emit(report, out.format, out.color)


@o.output_options
def show(
    loss: o.LossName,
    out: o.Output = o.NO_OUTPUT,
) -> None:
    from losscli.core.conventions import CONVENTIONS, describe
    from losscli.core.evaluation.requests import options_for
    from losscli.core.losses.registry import alias_meaning, get
    from losscli.render.emit import emit
    from losscli.render.report import Report

    record = get(loss)
    # A convention that defines only other losses (hadsell, pml: contrastive) has nothing to
    # say about this one; a framework that lacks this loss says so, and stays.
    conventions = [
        c
        for c in describe(record)
        if c["name"] != "catalog" and CONVENTIONS[c["name"]].speaks_of(record.name)
    ]
    framework_aliases = _framework_aliases(record)
    data = _record(record) | {
        "conventions": conventions,
        "framework_aliases": framework_aliases,
        "options": [{"option": name, "doc": doc} for name, doc in options_for(record)],
    }
    meaning = alias_meaning(loss)
    if meaning is not None:
        from losscli.cli.common import note

        note(meaning.describe(loss.strip().lower().replace("_", "-")))
    rows = [
        ("name", record.name),
        ("aliases", ", ".join(record.aliases)),
        *((f"alias {alias}", what) for alias, what in framework_aliases.items()),
        ("family", record.family),
        ("summary", record.summary),
        ("formula", record.formula),
        ("gradient", record.grad_formula),
        *(
            (f"parameter {p.option}", f"{p.doc} (default {_default(p.default)})")
            for p in record.params
        ),
        ("predictions", ", ".join(_SPACES[s] for s in record.spaces)),
        *((f"option {name}", doc) for name, doc in options_for(record)),
        *((p, _yes(getattr(record.properties, p))) for p in PROPERTY_COLUMNS),
        ("typical use", record.typical_use),
        *(("confusion", c) for c in record.confusions),
        *(("reference", r) for r in record.references),
        *((f"convention {c['name']}", _convention_line(c)) for c in conventions),
    ]
    if record.kink_note:
        rows.insert(6, ("at kinks", record.kink_note))
    report = Report(
        payload=data,
        columns=("field", "value"),
        rows=rows,
        title=record.name,
        human=lambda console: _show_human(console, record, conventions),
    )
    emit(report, out.format, out.color)


_SPACES = {
    "raw": "raw values",
    "prob": "probabilities (default)",
    "logit": "logits (--logits)",
    "logprob": "log-probabilities (--log-probs)",
    "log": "natural logs of the positive prediction (--log-input)",
}


def _default(value: Any) -> str:
    return "none" if value is None else str(value)


def _record(loss: Loss) -> dict[str, Any]:
    return {
        "name": loss.name,
        "aliases": list(loss.aliases),
        "family": loss.family,
        "summary": loss.summary,
        "formula": loss.formula,
        "gradient": loss.grad_formula,
        "params": [
            {"name": p.name, "option": p.option, "default": p.default, "doc": p.doc}
            | ({"choices": list(p.choices)} if p.choices else {})
            for p in loss.params
        ],
        "predictions": list(loss.spaces),
        "properties": {p: getattr(loss.properties, p) for p in PROPERTY_COLUMNS},
        "typical_use": loss.typical_use,
        "confusions": list(loss.confusions),
        "references": list(loss.references),
        "kinks": loss.kink_note or None,
    }


def _list_human(console: Any, rows: list[tuple[str, ...]]) -> None:
    """The catalog on a terminal: one line per loss, the long texts cut to the width."""
    from rich.text import Text

    from losscli.render.fit import Column, print_fitted

    # On a narrow screen the free text goes first, then the flags from the right, then the
    # family; the name and whether the loss is convex always stay.
    columns = [
        Column("name", style="bold"),
        Column("family", drop=5),
        Column("convex", justify="center"),
        *(
            Column(name, drop=4 - i, justify="center")
            for i, name in enumerate(("smooth", "robust", "prob."))
        ),
        Column("typical use", drop=1, ellipsis=True),
    ]
    cells = [
        [name, family, *flags, use]  # each flag is "yes" or "no", as typed
        for name, _aliases, family, *flags, use in rows
    ]
    print_fitted(console, columns, cells, title="losscli catalog", header_style="bold")

    console.print(
        Text("losscli show NAME explains one loss; aliases are listed there.", style="dim")
    )


def _bullets(console: Any, title: str, items: tuple[str, ...]) -> None:
    from rich.table import Table
    from rich.text import Text

    if not items:
        return
    console.print()
    console.print(Text(title, style="bold"))
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for item in items:
        grid.add_row(Text("  -"), Text(item))
    console.print(grid)


def _framework_aliases(record: Loss) -> dict[str, str]:
    """The loss's aliases that name a framework's function, and how each reads and computes."""
    from losscli.core.losses.registry import alias_meaning

    found = {}
    for alias in record.aliases:
        meaning = alias_meaning(alias)
        if meaning is not None:
            found[alias] = meaning.describe(alias)
    return found


def _why_none(c: dict[str, Any]) -> str:
    """Why a convention has no such loss: the default sentence says it all ("PyTorch has no
    such loss"); a reason of its own follows the words "no such loss"."""
    from losscli.core.conventions import CONVENTIONS

    if c["why"] == CONVENTIONS[c["name"]].no_such_loss:
        return str(c["why"])
    return f"no such loss: {c['why']}"


def _convention_line(c: dict[str, Any]) -> str:
    """One line for a convention in the table and TSV views of `show`."""
    if not c["available"]:
        return _why_none(c)
    what = " ".join(c["differences"]) if c["differences"] else "same as the catalog."
    docs = f" Docs: {c['reference']}" if c.get("reference") else ""
    return f"{c['function']}: {what} With --weights: {c['weighted_mean']}.{docs}"


def _show_human(console: Any, loss: Loss, conventions: list[dict[str, Any]]) -> None:
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    console.print(Text(f"{loss.name}", style="bold"), Text(f"  ({loss.family})", style="dim"))
    if loss.aliases:
        console.print(Text("aliases: " + ", ".join(loss.aliases), style="dim"))
    for line in _framework_aliases(loss).values():
        console.print(Text(line, style="dim"))
    console.print(Text(loss.summary))
    console.print()
    console.print(Text("formula   ", style="bold") + Text(loss.formula))
    console.print(Text("gradient  ", style="bold") + Text(loss.grad_formula))
    if loss.kink_note:
        console.print(Text("at kinks  ", style="bold") + Text(loss.kink_note))
    console.print(
        Text("inputs    ", style="bold") + Text(", ".join(_SPACES[s] for s in loss.spaces))
    )
    if loss.params:
        table = Table(title=Text("parameters"), title_justify="left", show_edge=False)
        for column in ("option", "default", "meaning"):
            table.add_column(column)
        for p in loss.params:
            table.add_row(Text(p.option), Text(_default(p.default)), Text(p.doc))
        console.print()
        console.print(table)
    from losscli.core.evaluation.requests import options_for

    _bullets(console, "options", tuple(f"{name} {doc}" for name, doc in options_for(loss)))
    props = "  ".join(f"{p}: {_yes(getattr(loss.properties, p))}" for p in PROPERTY_COLUMNS)
    console.print()
    console.print(Text("properties  ", style="bold") + Text(props))
    console.print()
    console.print(Text("when to use", style="bold"))
    console.print(Padding(Text(loss.typical_use), (0, 0, 0, 2), expand=False))
    _bullets(console, "common confusions", loss.confusions)
    _bullets(console, "references", loss.references)
    console.print()
    console.print(Text("conventions", style="bold") + Text("  (--convention NAME)", style="dim"))
    table = Table(show_header=False, box=None, padding=(0, 1, 0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")  # a long link folds onto the next line, never cut
    for c in conventions:
        if not c["available"]:
            table.add_row(Text(c["name"]), Text(_why_none(c), style="dim"))
            continue
        cell = Text(c["function"])
        if not c["differences"]:
            cell.append("\nsame as the catalog", style="dim")
        for line in c["differences"]:
            cell.append("\ndiffers: " + line)
        for line in c["notes"]:
            cell.append("\nnote: " + line, style="dim")
        cell.append("\nwith --weights: " + c["weighted_mean"], style="dim")
        if c.get("reference"):
            cell.append("\ndocs: ")
            cell.append(c["reference"], style=f"link {c['reference']}")
        table.add_row(Text(c["name"]), cell)
    console.print(table)
