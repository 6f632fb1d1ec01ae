"""compare's views: the JSON records of its rows, and the table (a fitted table on a
terminal) of losses, or of one loss under each convention."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from losscli.render.report import Report

if TYPE_CHECKING:
    from losscli.core.evaluation.requests import Request


def comparison(
    records: list[dict[str, Any]],
    *,
    by_convention: bool,
    weighted: bool,
    reduction: str,
    n: int,
    loss_name: str,
    left_out: list[dict[str, str]] | None,
    warnings: list[str],
    swept: Sequence[str] = (),
    swept_cells: Sequence[Sequence[str | None]] = (),
) -> Report:
    """The comparison of `records` (values in) over n examples; `weighted`: the input has
    sample weights (by convention, a column says how each mean divides them); `left_out`:
    what --all left out, when it chose; `swept`: a sweep's parameters, shown as columns
    after the loss (`swept_cells`: each record's values of them, as typed; None: not taken)."""
    from losscli.core.advice.influence import top_count

    columns: tuple[str, ...]
    if by_convention:
        columns = ("convention", "value", "top_1pct_share", "max_abs_grad", "difference")
        if weighted:  # how each convention's mean divides the weighted sum
            columns = (*columns[:4], "weighted_mean", columns[4])
        rows = [
            (
                r["convention"],
                r.get("value"),
                r.get("top_1pct_share"),
                r.get("max_abs_grad"),
                *((r.get("weighted_mean"),) if weighted else ()),
                r["difference"],
            )
            for r in records
        ]
        payload: dict[str, Any] = {"loss": loss_name, "conventions": records}
        title = f"{loss_name} under each convention"
    else:
        columns = ("loss", *swept, "value", "top_1pct_share", "max_abs_grad", "robust", "convex")
        cells = swept_cells or [()] * len(records)
        rows = [
            (
                r["loss"],
                *cell,
                r["value"],
                r["top_1pct_share"],
                r["max_abs_grad"],
                _yes(r["robust"]),
                _yes(r["convex"]),
            )
            for r, cell in zip(records, cells, strict=True)
        ]
        payload = {"losses": records}
        title = "compare"
    payload |= {"reduction": reduction, "n": n, "top_count": top_count(n)}
    if left_out is not None:
        payload["left_out"] = left_out
    caption = (
        f"{reduction} over {n} examples; top 1% share: the part of the total from the "
        f"{top_count(n)} largest (n/a for a loss that can be below 0); max |grad|: the largest "
        "per-example gradient"
    )
    return Report(
        payload=payload,
        columns=columns,
        rows=rows,
        title=title,
        warnings=warnings,
        human=lambda console: _human(console, columns, rows, title, caption),
        records="conventions" if by_convention else "losses",
    )


def record(
    label: str, request: Request | None, *, why: str, missing: bool, by_convention: bool
) -> dict[str, Any]:
    """One row's record in the JSON document: a loss's settings and catalog properties, or
    (by convention) the framework's function and how it differs, or why it has none."""
    if by_convention:
        if request is None:
            return {
                "convention": label,
                "available": False,
                "why": why,
                "difference": "no such loss" if missing else why,
            }
        rule = request.rule
        return {
            "convention": label,
            "available": True,
            "function": rule.function,
            "params": dict(request.params),
            "difference": "reference" if label == "catalog" else rule.short,
            "differences": list(rule.differences),
            # What the mean divides Σ w·L by when sample weights are given.
            "weighted_mean": "Σ w·L / N" if request.weighted_mean == "count" else "Σ w·L / Σ w",
        }
    assert request is not None
    props = request.loss.properties
    return {
        "loss": label,
        "params": dict(request.params),
        "convention": request.convention,
        "robust": props.robust,
        "convex": props.convex,
    }


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _human(
    console: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]], title: str, caption: str
) -> None:
    from losscli.render.fit import Column, print_fitted

    headers = {
        "top_1pct_share": "top 1% share",
        "max_abs_grad": "max |grad|",
        "weighted_mean": "weighted mean",
    }
    # On a narrow screen the loss's properties go first, then the explanations, then the
    # numbers after the value; the name and the value always stay.
    drop_order = {
        "convex": 1,
        "robust": 2,
        "difference": 1,
        "weighted_mean": 2,
        "max_abs_grad": 3,
        "top_1pct_share": 4,
    }
    # The number columns stay right-aligned when every cell is "-" (no value: all zero losses).
    numbers = {"value", "top_1pct_share", "max_abs_grad"}
    fitted = [
        Column(
            headers.get(name, name),
            drop=drop_order.get(name, 0),
            justify="right" if name in numbers else "left",
        )
        for name in columns
    ]
    cells = [
        [_human_cell(name, value) for name, value in zip(columns, row, strict=True)] for row in rows
    ]
    print_fitted(console, fitted, cells, title=title, caption=caption)


def _human_cell(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if name == "top_1pct_share":
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
