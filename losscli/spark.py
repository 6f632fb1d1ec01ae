"""Spark as an engine: each partition of a Spark DataFrame reduced to a partial state
(core/evaluation/states.py) by `mapInPandas`, the states collected and merged on the driver.

    >>> from losscli.core import LossState, make_request
    >>> from losscli.spark import reduce_dataframe
    >>> frame = spark.read.parquet("preds/")                    # doctest: +SKIP
    >>> state = reduce_dataframe(frame, lambda: LossState.empty(make_request("mse")),
    ...                          target=["y_true"], pred=["y_pred"])   # doctest: +SKIP
    >>> state.result("mean")                                    # doctest: +SKIP

Any state works the same way: `GradState`, `CompareState`, `ProfileState`. Each partition
sends the driver one pickled state (a few hundred bytes for compute), never its rows.
The executors run Python with losscli installed (PYSPARK_PYTHON names that Python). Needs
the `spark` extra: pip install 'losscli[spark]'.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

STATE_SCHEMA = "state binary"


def reduce_dataframe(
    frame: Any,
    make_state: Callable[[], Any],
    *,
    target: list[str],
    pred: list[str],
    weight: str | None = None,
) -> Any:
    """The merged state of a Spark DataFrame's rows: one state per partition, updated with
    the selected columns batch by batch (Arrow batches, bounded memory), merged on the driver
    in partition order."""
    import pickle

    from losscli.core.evaluation.states import merge_all

    columns = [*target, *pred, *([weight] if weight else [])]

    def states(batches: Iterator[Any]) -> Iterator[Any]:
        import numpy as np
        import pandas as pd

        state = make_state()
        for batch in batches:
            if len(batch):
                y_true = batch[target].to_numpy(dtype=np.float64) if target else None
                y_pred = batch[pred].to_numpy(dtype=np.float64)
                weights = batch[weight].to_numpy(dtype=np.float64) if weight else None
                state.update(y_true, y_pred, weights)
        yield pd.DataFrame({"state": [pickle.dumps(state)]})

    rows = frame.select(*columns).mapInPandas(states, schema=STATE_SCHEMA).collect()
    parts = [pickle.loads(row["state"]) for row in rows]
    return merge_all(parts) if parts else make_state()
