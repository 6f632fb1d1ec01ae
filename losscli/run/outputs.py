"""--multioutput: a regression loss over several output columns (each target column and the
prediction column beside it), each output a lane of one pass over the input, as
scikit-learn's multioutput='raw_values'; 'uniform' is their mean (RMSE: each output's root,
then the mean)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from losscli.core.evaluation.requests import Request
    from losscli.inputs.source import Source
    from losscli.run.context import Warnings


@dataclass(frozen=True)
class Outputs:
    """Each output's reduced value, named after its prediction column (else 1..N), the
    number of examples and, for 'uniform', the mean of the outputs' values."""

    labels: list[str]
    values: list[float]
    count: int
    uniform: float | None


def reduced_outputs(
    request: Request, source: Source, warnings: Warnings, reduction: str
) -> Outputs:
    """Each output column reduced on its own, from one pass over `source`."""
    from losscli.run.context import located
    from losscli.run.losses import Lane, reduced

    names = list(source.pred_names)
    lanes = [Lane("", request, output=j) for j in range(source.pred_width)]
    for lane in lanes:
        lane.state = request.reducer()
    batch = reduced(source, lanes, warnings)
    count = lanes[0].state.count
    assert batch is not None
    with located(source, batch):  # the weights may sum to 0
        values = [lane.state.result(reduction) for lane in lanes]
    labels = names if len(names) == len(values) else [str(j + 1) for j in range(len(values))]
    uniform = math.fsum(values) / len(values) if request.multioutput == "uniform" else None
    return Outputs(labels, values, count, uniform)


def per_example_outputs(
    request: Request, source: Source, warnings: Warnings
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Each example's value per output ('raw'), or its mean over the outputs ('uniform':
    Keras's per-sample loss): the column labels, and one row (its number first) a row."""
    from losscli.render.blocks import block_rows
    from losscli.run.losses import Lane, per_example

    uniform = request.multioutput == "uniform"
    names = list(source.pred_names)
    lanes = [Lane("", request, output=j) for j in range(source.pred_width)]
    table: list[tuple[Any, ...]] = []
    for number, *cells in block_rows(per_example(source, lanes, warnings)):
        table.append((number, sum(cells) / len(cells)) if uniform else (number, *cells))
    width = len(table[0]) - 1
    labels = (
        ["value"]
        if uniform
        else (names if len(names) == width else [str(j + 1) for j in range(width)])
    )
    return labels, table
