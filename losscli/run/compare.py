"""compare's run: several losses (or one loss under every convention) over one input, each
an `Entry` (a lane of run/losses.py's one pass), and the rows of the comparison from their
totals: the value, the share of the worst 1% of examples and the largest gradient, with the
warnings that qualify them. The command builds the entries from its arguments and renders
the rows (render/compare.py)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from losscli.run.losses import Lane

if TYPE_CHECKING:
    from losscli.inputs.source import Batch, Source
    from losscli.run.context import Warnings


@dataclass
class Entry(Lane):
    """One row of the comparison: a loss (or a convention of one loss) and its totals (a
    CompareState, once the input is read)."""

    missing: bool = False  # the convention has no such loss at all
    setting: str = ""  # the values of a sweep's parameters: delta=0.5 (else empty)

    @property
    def name(self) -> str:
        """The label, and a sweep's values: what a message or a column calls this row."""
        return f"{self.label} {self.setting}" if self.setting else self.label


@dataclass
class Selection:
    """--all without --any-task: on the first batch, leave out the losses that do not apply
    to the data's task and prediction space, and say which and why."""

    space: str | None
    left_out: list[tuple[str, str]] | None = None

    def apply(self, entries: list[Entry], batch: Batch) -> None:
        from losscli.core.losses.applicability import data_kind, reason_left_out

        kind = data_kind(batch.y_true, batch.y_pred)
        self.left_out = []
        for entry in entries:
            if entry.request is None:
                continue
            why = reason_left_out(entry.request.loss, kind, self.space)
            if why is not None:
                entry.request, entry.state = None, None
                self.left_out.append((entry.name, why))

    def tell(self, entries: list[Entry]) -> list[dict[str, str]]:
        """The losses left out, on stderr, also those whose domain refused the data."""
        from losscli.render.notes import note

        assert self.left_out is not None
        refused = [(e.name, e.why) for e in entries if e.request is None and e.why]
        left = self.left_out + refused
        if left:
            note(f"--all left out {len(left)} losses that do not apply (--any-task compares them):")
        by_reason: dict[str, list[str]] = {}
        for label, why in left:
            by_reason.setdefault(why, []).append(label)
        for why, labels in by_reason.items():
            note(f"  {', '.join(labels)}: {why}")
        return [{"loss": label, "reason": why} for label, why in left]


def totals(
    entries: list[Entry], source: Source, warnings: Warnings, select: Selection | None = None
) -> Batch:
    """Every entry's totals (a CompareState: its reduction, and the influence of its worst
    examples) from one pass over `source`; `select` leaves out, on the first batch, what
    --all finds does not apply. Returns the last batch: the place an error of the totals is
    named at (the weights may sum to 0)."""
    from losscli.core.evaluation.states import CompareState
    from losscli.run.losses import reduced

    for entry in entries:
        if entry.request is not None:
            entry.state = CompareState.empty(entry.request)
    choose = (lambda batch: select.apply(entries, batch)) if select is not None else None
    last_batch = reduced(source, entries, warnings, grads=True, choose=choose, count="read")
    assert last_batch is not None
    return last_batch


@dataclass(frozen=True)
class Comparison:
    """The rows of a comparison: the entries shown, their records (render/compare.py's,
    values in), the number of examples and what --all left out (empty when it did not
    choose)."""

    shown: list[Entry]
    records: list[dict[str, Any]]
    n: int
    left_out: list[dict[str, str]]


def rows(
    entries: list[Entry],
    warnings: Warnings,
    reduction: str,
    by_convention: bool,
    where: Callable[[], AbstractContextManager[Any]],
    select: Selection | None,
) -> Comparison:
    """The comparison's rows from the entries whose totals are in (`where()`: the context
    that names the place of an error in the totals, such as weights that sum to 0; `select`:
    what --all chose, when it chose), and the warnings that qualify them."""
    from losscli.core.errors import DataError
    from losscli.render.compare import record
    from losscli.run.losses import NO_LOSS_FITS

    shown = [e for e in entries if e.state is not None or (by_convention and e.why)]
    if not any(e.state is not None for e in shown):
        raise DataError(NO_LOSS_FITS)
    left_out = select.tell(entries) if select is not None and select.left_out is not None else []
    n = next(e.state.influence.count for e in shown if e.state is not None)
    records = []
    for entry in shown:
        row = record(
            entry.label,
            entry.request,
            why=entry.why,
            missing=entry.missing,
            by_convention=by_convention,
        )
        if entry.state is not None:
            assert entry.request is not None
            influence = entry.state.influence
            with where():  # the weights may sum to 0
                row["value"] = entry.state.reducer.result(reduction)
            row["top_1pct_share"] = influence.top_share()
            row["max_abs_grad"] = influence.max_abs_grad
            if influence.negative or not entry.request.loss.properties.nonnegative:
                # The loss is a log-density or drops a constant of the target (PyTorch's and
                # Keras's Poisson): its zero is arbitrary, so no share of its total is
                # meaningful, even where every value of this input happens to be positive.
                row["top_1pct_share"] = None
                how = "is below 0 for some examples" if influence.negative else "can be < 0"
                warnings.add(
                    f"{entry.name}: top_1pct_share is n/a: the loss {how}, and a share of a "
                    "total is defined only for parts >= 0"
                )
            if not influence.exact:
                warnings.add(
                    f"{entry.name}: top_1pct_share is a lower bound: the worst 1% of {n} "
                    f"examples is more than the {influence.keep} largest values kept"
                )
        records.append(row)
    for row in records:
        # An infinite total has its own notice already; a total of 0 needs saying.
        if row.get("available", True) and row["value"] == 0:
            warnings.add(
                f"{row.get('loss') or row.get('convention')}: top_1pct_share is undefined: "
                "every example's loss is 0"
            )
    return Comparison(shown, records, n, left_out)
