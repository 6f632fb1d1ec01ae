"""Evaluating a loss: one request (loss, parameters, prediction space), then values,
reductions, gradients and a finite-difference check of the gradients."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from losscli.core import conventions
from losscli.core.conventions import CATALOG_RULE, Rule
from losscli.core.errors import DataError, UsageError
from losscli.core.evaluation.leaves import LeafPass, leaf_pass
from losscli.core.evaluation.reduce import Reducer, check_reduction, check_weights
from losscli.core.losses import checks, registry
from losscli.core.losses.types import Array, Loss, Notice, Params, ParamValue, Prepared, Space


@dataclass(frozen=True)
class Request:
    """A loss with its parameters resolved and checked, the space its predictions are in, and
    the convention it is computed under (its Rule: see core/conventions/)."""

    loss: Loss
    params: dict[str, ParamValue]
    space: Space
    normalize: bool = False
    convention: str = "catalog"
    rule: Rule = CATALOG_RULE
    # What the mean with sample weights divides by: "weights" (Σ w) or "count" (N).
    weighted_mean: str = "weights"
    # Rows whose target label is this value are left out of the value and the mean (PyTorch's
    # ignore_index, Keras's ignore_class); None: every row counts.
    ignore_label: float | None = None
    # The target rows are natural logs of probabilities (PyTorch's log_target=True).
    log_target: bool = False
    # Several regression outputs side by side (scikit-learn's multioutput): "raw", one value
    # per output column, or "uniform", their mean; None: one output.
    multioutput: str | None = None
    # "float32": each example's value and gradient computed from float32 inputs, as the
    # frameworks compute by default (a convention's clip at 1 - 1e-7 is then 1 - 2^-23);
    # the reduction stays float64. "float64" is the catalog's exact default.
    precision: str = "float64"

    def prepare(self, y_true: object, y_pred: object) -> Prepared:
        p = checks.as_2d(y_pred, "pred")
        # A loss without targets (triplets) may be given None: no target columns.
        t = np.zeros((p.shape[0], 0)) if y_true is None else checks.as_2d(y_true, "target")
        settings = {**self.params, **self.rule.input_settings}
        if self.log_target:
            settings["log_target"] = True
        return self.loss.prepare(t, p, self.space, settings, self.normalize)

    def _computed(self, prepared: Prepared) -> Prepared:
        if self.precision == "float64":
            return prepared
        # NumPy keeps float32 through ufuncs and Python-float constants (NEP 50).
        return Prepared(prepared.y_true.astype(np.float32), prepared.y_pred.astype(np.float32))

    def values(self, prepared: Prepared) -> Array:
        (out,) = self._blockwise((self.loss.value,), prepared)
        return out

    def grads(self, prepared: Prepared) -> Array:
        (out,) = self._blockwise((self.loss.grad,), prepared)
        return out

    def values_and_grads(self, prepared: Prepared, grad_factor: float = 1.0) -> tuple[Array, Array]:
        """values() and grads() together: one call where the loss shares their work. The
        gradients come multiplied by `grad_factor` (a mean's 1/n), in the same pass."""
        both = self.loss.value_and_grad
        factors = (1.0, grad_factor)
        if both is None:
            value, grad = self._blockwise((self.loss.value, self.loss.grad), prepared, factors)
        else:
            value, grad = self._blockwise((both,), prepared, factors, pairs=True)
        return value, grad

    def _blockwise(
        self,
        fns: tuple[Any, ...],
        prepared: Prepared,
        factors: tuple[float, ...] = (1.0,),
        *,
        pairs: bool = False,
    ) -> list[Array]:
        """Each function's result on the whole batch (as `_scaled` leaves it, then times its
        entry of `factors`), computed BLOCK_ELEMENTS cells at a time.

        Every example's value and gradient depend on its own row alone (except for a batch
        loss, computed whole), so rows may be taken in blocks: the temporaries of a formula
        then stay in the CPU's cache instead of each being a fresh array of the whole batch.
        The numbers are the same either way (tests/core/test_row_blocks.py).
        """
        prepared = self._computed(prepared)  # float32 inputs under --precision float32
        y_true, y_pred = prepared.y_true, prepared.y_pred
        kwargs = {"space": self.space, **self.params, **self.rule.settings}
        n = y_pred.shape[0]
        width = max(1, int(np.prod(y_pred.shape[1:])))
        rows = max(1, BLOCK_ELEMENTS // width)
        blockable = (
            not self.loss.batch and isinstance(y_true, np.ndarray) and y_true.shape[:1] == (n,)
        )
        outputs: list[Array] = []
        with np.errstate(all="ignore"):
            if not blockable or n <= 2 * rows:
                for fn in fns:
                    result = fn(y_true, y_pred, **kwargs)
                    outputs.extend(result if pairs else (result,))
                scaled = [self._scaled(out, prepared) for out in outputs]
                for out, factor in zip(scaled, factors, strict=True):
                    if factor != 1.0:
                        out *= factor  # _scaled's array is this call's own
                return scaled

            def block(start: int) -> None:
                stop = min(start + rows, n)
                # errstate is per thread: each block sets its own.
                with np.errstate(all="ignore"):
                    parts: list[Any] = []
                    for fn in fns:
                        result = fn(y_true[start:stop], y_pred[start:stop], **kwargs)
                        parts.extend(result if pairs else (result,))
                    if not outputs:
                        outputs.extend(np.empty((n, *np.shape(part)[1:])) for part in parts)
                    for out, part, factor in zip(outputs, parts, factors, strict=True):
                        rows_out = self._scaled(part, None, into=out[start:stop])
                        if factor != 1.0:
                            rows_out *= factor  # while the block is in the cache

            block(0)  # the first block tells the shapes of the outputs
            rest = range(rows, n, rows)
            pool = _block_pool()
            if pool is None:
                for start in rest:
                    block(start)
            else:
                # NumPy releases the GIL inside each operation: blocks run on both cores,
                # each writing its own rows of the outputs.
                list(pool.map(block, rest))
        return outputs

    def _scaled(
        self, out: object, prepared: Prepared | None, *, into: Array | None = None
    ) -> Array:
        """float64, times the convention's scale, with -0.0 made 0.0: written `into` a block
        of the output when given, else in place where the array is the loss's own."""
        arr = np.asarray(out, dtype=np.float64)
        if self.rule.scale != 1.0:
            arr = arr * self.rule.scale
        elif into is None and (prepared is None or not _own_array(arr, prepared)):
            arr = arr.copy()
        # A loss written as -(terms) gives -0.0 where every term is 0; adding 0.0 turns it
        # into 0.0 (IEEE 754) and leaves every other value as it is.
        return np.add(arr, 0.0, out=arr if into is None else into)

    def reducer(self) -> Reducer:
        """Empty totals that reduce the way this request's convention takes its mean."""
        mean = self.rule.mean
        if self.loss.extra.get("mean") == "positive-pairs" and mean == "examples":
            # NT-Xent with groups: each row's value sums its positive pairs' terms and its
            # `mean_weights` counts them, so the weighted mean is the mean over pairs.
            mean = "target-weights"
        return Reducer(mean, root=self.loss.root, weighted_mean=self.weighted_mean)

    def infinity_notice(self, values: Array, total: float | None = None) -> Notice | None:
        """A notice naming the rows where the exact loss is infinite, with what to do.
        `total`: np.sum(values), when the caller has it."""
        if total is None:
            with np.errstate(over="ignore", invalid="ignore"):
                total = float(np.sum(values))
        if math.isfinite(total):  # one pass: inf or NaN would stay in the sum
            return None
        return self.infinite_rows_notice(np.flatnonzero(~np.isfinite(values)))

    def infinite_rows_notice(self, rows: np.ndarray) -> Notice | None:
        """The notice of infinity_notice, from the rows whose value is not finite."""
        if rows.size == 0:
            return None
        if self.loss.infinity_note:
            why = self.loss.infinity_note
        elif self.space == "prob":
            why = (
                "a predicted probability is exactly 0 where the target has mass; clip with "
                "--eps (for example --eps 1e-7) or pass --logits"
            )
        else:
            why = "the value overflows float64"
        count = rows.size
        text = f"the loss is infinite for {count} example{'s' if count > 1 else ''}: {why}"
        return Notice(text, tuple(int(r) for r in rows[:10]))


# Settings given with the loss parameters that apply to how the rows are read and reduced,
# for every loss that takes them, rather than to one loss's formula.
REQUEST_SETTINGS = ("ignore_label", "log_target", "multioutput", "precision")
PRECISIONS = ("float64", "float32")
MULTIOUTPUT = ("raw", "uniform")
# Target kinds of one class label per example: the losses --ignore-label applies to.
LABEL_TARGETS = ("binary", "labels", "sign", "class")


_POOL: list[Any] = []


def block_threads() -> int:
    """How many threads compute a batch's blocks: one per core, at most BLOCK_THREADS."""
    return max(1, min(BLOCK_THREADS, os.cpu_count() or 1))


def set_block_threads(threads: int) -> None:
    """Compute a batch's blocks on at most `threads` threads (1: in the calling thread).
    A process given a share of the cores (one of `--jobs N` workers) sets its share, so N
    processes do not each start a thread per core."""
    global BLOCK_THREADS
    BLOCK_THREADS = max(1, threads)
    while _POOL:
        _POOL.pop().shutdown(wait=False)


def _block_pool() -> Any:
    """A thread pool of block_threads() workers, made once; None for one thread."""
    workers = block_threads()
    if workers < 2:
        return None
    if not _POOL:
        from concurrent.futures import ThreadPoolExecutor

        _POOL.append(ThreadPoolExecutor(workers, thread_name_prefix="losscli-block"))
    return _POOL[0]


def values_sum(values: Array) -> float:
    """np.sum(values), bit for bit, its two halves summed on two threads for a long batch.

    NumPy's pairwise sum of n > 128 contiguous values is the sum of its first
    n2 = n//2 - (n//2) % 8 values plus the sum of the rest, each summed the same way
    (tests/core/test_row_blocks.py holds NumPy to it): the two halves may be summed apart.
    """
    n = values.shape[0] if values.ndim == 1 else 0
    # A short batch is summed here: no pool (nor concurrent.futures) for inline values.
    pool: Any = _block_pool() if n >= SPLIT_SUM_ELEMENTS else None
    split = pool is not None and values.dtype == np.float64 and values.flags.c_contiguous
    with np.errstate(over="ignore", invalid="ignore"):
        if not split:
            return float(np.sum(values))
        half = n // 2 - (n // 2) % 8
        first, second = pool.map(_quiet_sum, (values[:half], values[half:]))
        return float(first + second)


def _quiet_sum(values: Array) -> np.float64:
    with np.errstate(over="ignore", invalid="ignore"):  # per thread: a total beyond float64
        return np.sum(values)


def _own_array(arr: Array, prepared: Prepared) -> bool:
    """Whether `arr` may be changed in place: writable and not (a view of) an input."""
    if not arr.flags.writeable:
        return False
    inputs = (prepared.y_true, prepared.y_pred)
    return not any(isinstance(a, np.ndarray) and np.may_share_memory(arr, a) for a in inputs)


def make_request(
    loss: str | Loss,
    params: Params | None = None,
    *,
    space: Space | None = None,
    normalize: bool = False,
    convention: str = "catalog",
) -> Request:
    """Resolve a loss name or alias, its parameters, prediction space and convention;
    UsageError if any is wrong (or the convention has no such loss). `params` may also hold
    the REQUEST_SETTINGS (`ignore_label`, `log_target`, `multioutput`, `precision`)."""
    record = registry.get(loss) if isinstance(loss, str) else loss
    rule = conventions.rule_for(convention, record)
    conv = conventions.get_convention(convention)
    given = dict(params or {})
    ignore_label = _ignore_label(record, given.pop("ignore_label", None))
    log_target = bool(given.pop("log_target", False))
    if log_target and record.target != "distribution":
        raise UsageError(
            f"--log-target reads target distributions as logs; {record.name} takes no target "
            "distributions (kl, js, distribution-cross-entropy do)"
        )
    multioutput = _multioutput(record, given.pop("multioutput", None))
    precision = str(given.pop("precision", None) or "float64")
    if precision not in PRECISIONS:
        raise UsageError(f"--precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    return Request(
        record,
        conventions.resolve_params(rule, record, given),
        record.resolve_space(space),
        normalize,
        conv.name,
        rule,
        conv.weighted_mean_for(record.name)[0],
        ignore_label,
        log_target,
        multioutput,
        precision,
    )


def settings_for(loss: Loss) -> set[str]:
    """The REQUEST_SETTINGS that apply to `loss` (the others are refused by make_request)."""
    names = {"precision"}
    if loss.target in LABEL_TARGETS:
        names.add("ignore_label")
    if loss.target == "distribution":
        names.add("log_target")
    if loss.pred_columns == "one" and loss.target not in LABEL_TARGETS and not loss.batch:
        names.add("multioutput")
    return names


def options_for(loss: Loss) -> list[tuple[str, str]]:
    """The settings of how rows are read and reduced (REQUEST_SETTINGS) that apply to `loss`,
    each with what it does under each convention, for `show`."""
    out: list[tuple[str, str]] = []
    if loss.target in LABEL_TARGETS:
        out.append(
            (
                "--ignore-label",
                "K: rows whose class label is K are left out of the value and of the mean (and "
                "said on stderr); per example and in the gradient they are 0. PyTorch's "
                "ignore_index (torch: with --class-weights the mean divides by the kept rows' "
                "weights), Keras's ignore_class (keras: the mean over the kept rows).",
            )
        )
    if loss.target == "distribution":
        out.append(
            (
                "--log-target",
                "the target rows are ln P (PyTorch's kl_div(log_target=True), Optax's "
                "kl_divergence_with_log_targets); the catalog still asks that P sums to 1, "
                "torch and optax take the rows as given.",
            )
        )
        out.append(
            (
                "--normalize",
                "rescale each row (counts, or masses not summing to 1) to sum to 1 before "
                "computing; the range is checked after the rescaling. Under torch and optax, "
                "without it, rows are taken as given, cell by cell.",
            )
        )
    if loss.pred_columns == "one" and loss.target not in LABEL_TARGETS and not loss.batch:
        out.append(
            (
                "--multioutput",
                "raw|uniform: several outputs side by side (target and prediction columns "
                "paired in order), each reduced on its own (a root loss rooted per output): "
                "raw gives one value per output (scikit-learn's raw_values), uniform their "
                "mean (uniform_average); per example, uniform is the mean over the outputs "
                "(Keras's reduction over the last axis).",
            )
        )
    out.append(
        (
            "--precision",
            "float32 computes each example from float32 inputs, as PyTorch, Keras and Optax "
            "do by default (a convention's clip at 1 - 1e-7 is then 1 - 2^-23); the "
            "reduction stays float64. Default float64, exact.",
        )
    )
    return out


def _multioutput(loss: Loss, value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    if text not in MULTIOUTPUT:
        raise UsageError(f"--multioutput must be one of {', '.join(MULTIOUTPUT)}, not {text!r}")
    if loss.pred_columns != "one" or loss.target in LABEL_TARGETS or loss.batch:
        raise UsageError(
            f"--multioutput takes several regression outputs side by side; {loss.name} reads "
            "its prediction columns as one example"
        )
    return text


def output_columns(request: Request, y_true: object, y_pred: object) -> list[tuple[Array, Array]]:
    """With --multioutput: (targets, predictions) of each output column, in order; the target
    and prediction tables must have the same number of columns."""
    t = checks.as_2d(y_true, "target")
    p = checks.as_2d(y_pred, "pred")
    if t.shape[1] != p.shape[1]:
        raise DataError(
            f"--multioutput pairs target and prediction columns: there are {t.shape[1]} target "
            f"and {p.shape[1]} prediction columns",
            side="pred",
        )
    return [(t[:, j], p[:, j]) for j in range(p.shape[1])]


def evaluate_outputs(
    request: Request,
    y_true: object,
    y_pred: object,
    *,
    reduction: str = "mean",
    weights: object | None = None,
) -> list[float]:
    """One reduced value per output column (scikit-learn's multioutput='raw_values'): each
    output is reduced on its own, a root loss (RMSE) rooted per output. Their mean is
    'uniform_average'."""
    check_reduction(reduction)
    if reduction == "none":
        raise UsageError("evaluate_outputs reduces each output; use evaluate per column")
    out = []
    for t, p in output_columns(request, y_true, y_pred):
        reducer = request.reducer()
        reducer.add(batch_values(request, t, p, weights))
        out.append(reducer.result(reduction))
    return out


def _ignore_label(loss: Loss, value: object) -> float | None:
    if value is None:
        return None
    if loss.target not in LABEL_TARGETS:
        raise UsageError(
            f"--ignore-label leaves out rows by their class label; {loss.name} takes no class "
            "labels"
        )
    try:
        label = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise UsageError(f"--ignore-label must be a number, not {value!r}") from None
    if not math.isfinite(label):
        raise UsageError(f"--ignore-label must be finite, not {value!r}")
    return label


@dataclass(frozen=True)
class Evaluation:
    """The loss of a batch: per-example values and, unless reduction is none, one number.

    A mean or sum is computed without the array of per-example values (see leaves.py):
    `computed_values` is then the function that computes them, called when `values` is first
    read (from the inputs as they are then)."""

    request: Request
    reduction: str
    n: int
    computed_values: Array | Callable[[], Array] = field(repr=False)
    value: float | None
    notices: tuple[Notice, ...] = field(default=())

    @cached_property
    def values(self) -> Array:
        """Per-example values (weighted, for reduction none)."""
        values = self.computed_values
        return values() if callable(values) else values


@dataclass(frozen=True)
class Gradient:
    """Per-example gradients (scaled as the reduction implies), shape of the predictions."""

    request: Request
    reduction: str
    n: int
    grads: Array
    notices: tuple[Notice, ...] = field(default=())


def _notices(
    request: Request, prepared: Prepared, values: Array, total: float
) -> tuple[Notice, ...]:
    return _with_infinity(request, prepared, request.infinity_notice(values, total))


def _with_infinity(request: Request, prepared: Prepared, inf: Notice | None) -> tuple[Notice, ...]:
    """The batch's notices: prepare's, then the infinity notice (if any) in its words."""
    if inf is not None and request.space == "logit" and np.isneginf(prepared.y_pred).any():
        # A -inf logit masks its class (probability 0): infinite where it is the true class.
        text = inf.text.split(":")[0] + (
            ": the true class is masked (its logit is -inf, probability 0), or the value "
            "overflows float64"
        )
        inf = Notice(text, inf.rows)
    return prepared.notices + ((inf,) if inf else ())


@dataclass(frozen=True)
class BatchValues:
    """Per-example values of one batch, its checked weights, and what to tell the user;
    `width` (columns of a prediction) and `labels` (one per example, for label-grouped means)
    are what a Reducer may need; `grads` are per example, when asked for."""

    values: Array
    weights: Array | None
    notices: tuple[Notice, ...]
    width: int = 1
    labels: Array | None = None
    grads: Array | None = None
    mean_weights: Array | None = None
    # Which rows of the batch these values are for, when --ignore-label left some out (the
    # arrays above hold only the kept rows); None: every row.
    kept: np.ndarray | None = None
    # np.sum(values), inf or NaN where a value is: the infinity notice and the Reducer both
    # need it, and it is a whole pass over the values. None: not taken.
    total: float | None = None

    def weighted(self) -> Array:
        """w * value per input row (0 where w = 0, even if the value is infinite, and 0 for a
        row left out by --ignore-label, as PyTorch's and Keras's reduction='none' give)."""
        if self.weights is None:
            return self.per_row(self.values)
        return self.per_row(np.where(self.weights == 0, 0.0, self.weights * self.values))

    @property
    def left_out(self) -> int:
        """How many rows of the batch --ignore-label left out."""
        return 0 if self.kept is None else int((~self.kept).sum())

    def per_row(self, kept_rows: Array) -> Array:
        """Per-example numbers of the kept rows spread over every row of the batch, 0 at a
        row left out."""
        if self.kept is None:
            return kept_rows
        out = np.zeros((self.kept.shape[0], *kept_rows.shape[1:]))
        out[self.kept] = kept_rows
        return out


def refuse_batch_weights(request: Request, weights: object | None) -> None:
    """A batch loss (each value depends on the other rows) takes no sample weights: the
    gradient of a weighted mean would not be each row's gradient times its weight."""
    if weights is not None and request.loss.batch:
        raise UsageError(
            f"{request.loss.name} takes no sample weights: each example's loss depends on the "
            "other examples of its batch"
        )


def batch_values(
    request: Request,
    y_true: object,
    y_pred: object,
    weights: object | None = None,
    *,
    with_grads: bool = False,
    mean_grads: bool = False,
) -> BatchValues:
    """The building block of evaluate, for callers that stream batches into a Reducer
    (`request.reducer()`, then `add` each batch). `mean_grads`: the gradients come divided
    by the number of examples, for a plain mean of this one batch (see gradient)."""
    refuse_batch_weights(request, weights)
    kept, left_out = _kept_rows(request, y_true, y_pred)
    if kept is not None and not kept.any():
        return _nothing_kept(request, y_pred, weights, kept, left_out, with_grads)
    if kept is not None:
        y_true = checks.as_2d(y_true, "target")[kept]
        y_pred = checks.as_2d(y_pred, "pred")[kept]
        if weights is not None:
            w_all = check_weights(weights, kept.shape[0])
            weights = w_all[kept]
    prepared = request.prepare(y_true, y_pred)
    grads: Array | None = None
    if with_grads:
        # 1/n, as Reducer.grad_scale gives a plain mean of n values, applied per block.
        factor = 1.0 / prepared.y_pred.shape[0] if mean_grads else 1.0
        values, grads = request.values_and_grads(prepared, factor)
    else:
        values = request.values(prepared)
    w = check_weights(weights, values.shape[0]) if weights is not None else None
    width = prepared.y_pred.shape[1] if prepared.y_pred.ndim == 2 else 1
    labels = prepared.y_true if prepared.y_true.ndim == 1 else None
    total = values_sum(values)
    notices = _notices(request, prepared, values, total)
    if kept is not None:
        rows = np.flatnonzero(kept)
        notices = tuple(Notice(n.text, tuple(int(rows[r]) for r in n.rows)) for n in notices)
        notices += (left_out,) if left_out is not None else ()
    return BatchValues(
        values,
        w,
        notices,
        width,
        labels,
        grads,
        prepared.mean_weights,
        kept,
        total,
    )


def _nothing_kept(
    request: Request,
    y_pred: object,
    weights: object | None,
    kept: np.ndarray,
    left_out: Notice | None,
    with_grads: bool,
) -> BatchValues:
    """A batch whose every row has the ignored label: no values, only the notice (a later
    batch may have rows; a whole input without any is refused by the reduction)."""
    p = checks.as_2d(y_pred, "pred")
    if weights is not None:
        check_weights(weights, p.shape[0])
    empty = np.zeros(0)
    grad_shape = (0,) if request.loss.pred_columns == "one" else (0, p.shape[1])
    grads = np.zeros(grad_shape) if with_grads else None
    notices = (left_out,) if left_out is not None else ()
    w = empty if weights is not None else None
    return BatchValues(empty, w, notices, p.shape[1], None, grads, None, kept)


def _kept_rows(
    request: Request, y_true: object, y_pred: object
) -> tuple[np.ndarray | None, Notice | None]:
    """With --ignore-label K: which rows to keep (those whose label is not K), and the notice
    naming the rows left out; (None, None) when every row is kept."""
    if request.ignore_label is None or y_true is None:
        return None, None
    t = checks.as_2d(y_true, "target")
    if t.shape[1] != 1:
        return None, None  # target rows (one-hot, soft) carry no label to ignore
    ignored = t[:, 0] == request.ignore_label
    count = int(ignored.sum())
    if count == 0:
        return None, None
    label = f"{request.ignore_label:g}"
    text = (
        f"left out {count} example{'s' if count > 1 else ''} labelled {label} "
        "(--ignore-label): they count neither in the value nor in the mean"
    )
    return ~ignored, Notice(text, tuple(int(r) for r in np.flatnonzero(ignored)[:10]))


def evaluate(
    request: Request,
    y_true: object,
    y_pred: object,
    *,
    reduction: str = "mean",
    weights: object | None = None,
) -> Evaluation:
    check_reduction(reduction)
    if reduction != "none":
        reduced = _reduced_by_leaves(request, y_true, y_pred, weights, reduction)
        if reduced is not None:
            return reduced
    batch = batch_values(request, y_true, y_pred, weights)
    value: float | None = None
    if reduction != "none":
        reducer = request.reducer()
        reducer.add(batch)
        value = reducer.result(reduction)
    values = batch.weighted() if reduction == "none" else batch.values
    return Evaluation(request, reduction, values.shape[0], values, value, batch.notices)


def _leaf_applies(request: Request, y_true: object, weights: object | None) -> bool:
    """Whether a mean (or sum) may come from leaf_pass (leaves.py): not with sample weights,
    --ignore-label, a batch loss, or a mean by labels or class weights (those read the
    per-example values: they go the way of batch_values). Nor for rows of several
    predictions (classes): their values are a small part of what is read (a tenth for ten
    classes), and their leaves, half a block on average, cost more than the array of values
    (cross-entropy, 1M x 10: 8% more CPU time)."""
    return not (
        request.loss.pred_columns != "one"
        or weights is not None
        or request.ignore_label is not None
        or request.loss.batch
        or request.reducer().rule not in ("examples", "elements")
        or y_true is None
    )


@dataclass(frozen=True)
class _LeafInputs:
    """Inputs prepared for leaf_pass: the rows of its blocks (0: the inputs are not one row
    per example, no block pass) and the arrays whose finiteness the pass checks."""

    prepared: Prepared
    rows: int
    unchecked: list[Array]


def _leaf_prepared(request: Request, y_true: object, y_pred: object) -> _LeafInputs:
    """The inputs prepared with their finiteness checks left to the block pass (which reads
    each block anyway) where they have a row per example. Where a check fails, prepare again
    with every check in its place: that raises the error the user is to see."""
    try:
        # errstate: what prepare computes from a cell it has not yet found to be NaN or inf
        # (a row's sum) must not warn; it is prepared again, with every check, if one is.
        with checks.finiteness_deferred() as unchecked, np.errstate(all="ignore"):
            prepared = request.prepare(y_true, y_pred)
    except DataError:
        # A check after a finiteness check failed: the error to give may be the latter's.
        prepared, unchecked = request.prepare(y_true, y_pred), []
    n = prepared.y_pred.shape[0]
    rows_unchecked = [a for a in unchecked if a.shape[0] == n]
    if len(rows_unchecked) < len(unchecked):
        with np.errstate(over="ignore", invalid="ignore"):
            sums = [np.sum(a) for a in unchecked if a.shape[0] != n]
        if not all(map(math.isfinite, sums)):
            prepared = request.prepare(y_true, y_pred)
    if not isinstance(prepared.y_true, np.ndarray) or prepared.y_true.shape[:1] != (n,):
        return _LeafInputs(prepared, 0, [])
    width = max(1, int(np.prod(prepared.y_pred.shape[1:])))
    return _LeafInputs(prepared, max(1, BLOCK_ELEMENTS // width), rows_unchecked)


def _leaf_pass(
    request: Request, y_true: object, y_pred: object, inputs: _LeafInputs, **kwargs: Any
) -> LeafPass:
    """leaf_pass over the prepared inputs; where a block of an unchecked input has a sum
    that is not finite, the inputs are prepared again with every check (which raises the
    DataError of the first bad cell; finite cells whose sum overflows pass)."""
    found = leaf_pass(
        request, inputs.prepared, inputs.rows, _block_pool(), unchecked=inputs.unchecked, **kwargs
    )
    if not found.inputs_finite:
        request.prepare(y_true, y_pred)
    return found


def _reduced_by_leaves(
    request: Request, y_true: object, y_pred: object, weights: object | None, reduction: str
) -> Evaluation | None:
    """evaluate's mean or sum from one leaf_pass, without the array of per-example values;
    None where that does not apply, or where the sum is not finite (the Reducer then
    looks at the values: an infinite value, or finite ones whose sum overflows)."""
    if not _leaf_applies(request, y_true, weights):
        return None
    inputs = _leaf_prepared(request, y_true, y_pred)
    if not inputs.rows:
        return None
    prepared = inputs.prepared
    found = _leaf_pass(request, y_true, y_pred, inputs)
    if found.total is None or not math.isfinite(found.total):
        return None
    n = prepared.y_pred.shape[0]
    reducer = request.reducer()
    width = prepared.y_pred.shape[1] if prepared.y_pred.ndim == 2 else 1
    reducer.add_total(found.total, n, width)

    def values() -> Array:
        return batch_values(request, y_true, y_pred).values

    value = reducer.result(reduction)
    return Evaluation(request, reduction, n, values, value, prepared.notices)


def gradient(
    request: Request,
    y_true: object,
    y_pred: object,
    *,
    reduction: str = "none",
    weights: object | None = None,
) -> Gradient:
    check_reduction(reduction)
    reducer = request.reducer()
    # The plain mean (no weights, the mean over examples, not a root): its 1/n is applied in
    # the pass that computes the gradients instead of in one more pass over them.
    plain_mean = (
        reduction == "mean"
        and weights is None
        and reducer.rule == "examples"
        and not reducer.root
        and not request.loss.batch
        and request.ignore_label is None
    )
    if plain_mean and _leaf_applies(request, y_true, weights):
        inputs = _leaf_prepared(request, y_true, y_pred)
        if inputs.rows:
            # The values only for the infinity notice: each block's in the cache, not kept.
            n = inputs.prepared.y_pred.shape[0]
            found = _leaf_pass(request, y_true, y_pred, inputs, grad_factor=1.0 / n)
            assert found.grads is not None
            inf = request.infinite_rows_notice(found.bad_rows)
            notices = _with_infinity(request, inputs.prepared, inf)
            return Gradient(request, reduction, n, found.grads, notices)
    batch = batch_values(request, y_true, y_pred, weights, with_grads=True, mean_grads=plain_mean)
    assert batch.grads is not None
    grads = batch.grads
    n = grads.shape[0]
    if reducer.holds(reduction):  # the mean (and a root) needs the totals
        reducer.add(batch)
    scale: Any = 1.0 if plain_mean else reducer.grad_scale(batch, reduction)
    if isinstance(scale, np.ndarray):
        scale = scale.reshape((n,) + (1,) * (grads.ndim - 1))
        # A zero-weight example contributes nothing, even where its own gradient is infinite
        # (0 * inf would be NaN), as in Accumulator.add for the values.
        with np.errstate(invalid="ignore"):
            grads = np.where(scale == 0, 0.0, grads * scale)
    elif scale == 0:
        grads = np.zeros_like(grads)
    elif scale != 1:
        with np.errstate(over="ignore", under="ignore"):
            grads = np.multiply(grads, scale, out=grads)  # grads is this call's own array
    grads = batch.per_row(grads)  # rows left out by --ignore-label come back as 0
    return Gradient(request, reduction, grads.shape[0], grads, batch.notices)


# How many cells of a batch the value and gradient formulas take at a time (Request._blockwise):
# a formula's few temporaries of this size stay in the cache. 1 << 14 measured fastest (CPU
# time of huber, mse and BCE): a formula's temporaries of 1 << 15 cells (256 KiB each) made
# glibc return the freed memory to the system after each block (15-60 thousand page faults
# per 10M cells); smaller blocks pay more Python per cell. The same for the leaves of a mean
# without the per-example values (leaves.py): leaves of 20K cells (160 KiB temporaries)
# took 45 thousand page faults per 10M cells for Huber, 1.4x the CPU time.
BLOCK_ELEMENTS = 1 << 14
# Threads over blocks (NumPy releases the GIL within each operation); 1: none.
BLOCK_THREADS = 2
# From how many values on values_sum sums the halves of a batch on two threads.
SPLIT_SUM_ELEMENTS = 1 << 18

# How many ulps of a loss value check_gradient attributes to rounding (see there).
ROUNDING_ULPS = 32
# The rows of a batch loss whose cells check_gradient compares (see GradientCheck).
COUPLED_ROWS = 32


@dataclass(frozen=True)
class GradientCheck:
    """Analytic gradient against central differences, cell by cell."""

    max_rel_diff: float
    worst_row: int | None
    compared: int
    skipped: int
    # Cells of a batch loss's rows left out: each cell costs a whole batch's evaluation, so at
    # most COUPLED_ROWS rows (evenly spread) are checked.
    unchecked: int = 0


def check_gradient(request: Request, y_true: object, y_pred: object) -> GradientCheck:
    """Compare the analytic per-example gradient with central finite differences.

    Cells where the one-sided differences disagree (a kink within the step), or where a step
    leaves the loss's domain, are skipped and counted rather than reported as errors. For a
    batch loss the analytic gradient is that of the sum over the batch, and so is the
    difference quotient: every row's value moves when one row's prediction does.
    The check is of the formula, in float64 (float32 rounding would swamp the quotient).
    """
    request = replace(request, precision="float64")
    prepared = request.prepare(y_true, y_pred)
    analytic = request.grads(prepared)
    x = prepared.y_pred
    coupled = request.loss.batch
    base = request.values(prepared)
    if coupled:
        base = np.full(base.shape, math.fsum(base))
    flat_x = x.reshape(x.shape[0], -1)
    flat_g = analytic.reshape(x.shape[0], -1)
    with np.errstate(invalid="ignore"):
        row_scale = np.max(np.where(np.isfinite(flat_g), np.abs(flat_g), 0.0), axis=1)
    sampled = np.ones(flat_x.shape[0], dtype=bool)
    if coupled and flat_x.shape[0] > COUPLED_ROWS:
        sampled[:] = False
        sampled[np.linspace(0, flat_x.shape[0] - 1, COUPLED_ROWS).round().astype(int)] = True
    worst, worst_row, compared, skipped = 0.0, None, 0, 0
    for col in range(flat_x.shape[1]):
        h = 1e-6 * np.maximum(1.0, np.abs(flat_x[:, col]))

        def at(step: Array, col: int = col) -> Array:
            if coupled:
                return _coupled_values(request, prepared, flat_x, col, step, sampled)
            moved = flat_x.copy()
            with np.errstate(invalid="ignore"):  # a masked -inf logit: not compared
                moved[:, col] += step
            return request.values(Prepared(prepared.y_true, moved.reshape(x.shape)))

        up, down = at(h), at(-h)
        central = (up - down) / (2 * h)
        forward, backward = (up - base) / h, (base - down) / h
        tol = 1e-3 * np.maximum(1.0, np.maximum(np.abs(forward), np.abs(backward)))
        usable = (
            np.isfinite(up) & np.isfinite(down) & np.isfinite(base) & np.isfinite(flat_g[:, col])
        )
        usable &= np.abs(forward - backward) <= tol
        usable &= sampled
        a = flat_g[usable, col]
        c = central[usable]
        # Only the part of the difference beyond the resolution of the central difference
        # counts: the rounding of f itself (one ulp of a loss of 14 is already 2e-3 of a
        # gradient cell of 1e-6), and half the one-sided disagreement, its O(h) error at a C1
        # point such as max(0, m - d)^2 at d = m. Without this an exact gradient could score
        # 0.5 (at d = m) or 1e-2 (a far-off logit).
        # A loss formed from several logs and powers (Tweedie at p = 6.5: about 15 ulps) is
        # rounded by more than one ulp: up to ROUNDING_ULPS count as rounding.
        rounding = (
            ROUNDING_ULPS * np.finfo(np.float64).eps * np.maximum(np.abs(up), np.abs(down)) / h
        )
        if coupled:
            # A batch's total carries the rounding of every row's value.
            rounding = rounding * flat_x.shape[0]
        resolution = (0.5 * np.abs(forward - backward) + rounding)[usable]
        excess = np.maximum(np.abs(a - c) - resolution, 0.0)
        # Relative to the cell, or to 1e-4 of the row's largest gradient: a cell whose exact
        # gradient is 0 next to cells of size 1 (a triplet's anchor between its positive and
        # negative) sees the rounding of those larger terms, not an error of its own.
        floor = np.maximum(1e-6, 1e-4 * row_scale[usable])
        rel = excess / np.maximum(np.maximum(np.abs(a), np.abs(c)), floor)
        compared += int(usable.sum())
        skipped += int((~usable & sampled).sum())
        if rel.size and rel.max() > worst:
            worst = float(rel.max())
            worst_row = int(np.flatnonzero(usable)[int(np.argmax(rel))])
    unchecked = int((~sampled).sum()) * flat_x.shape[1]
    return GradientCheck(worst, worst_row, compared, skipped, unchecked)


def _coupled_values(
    request: Request,
    prepared: Prepared,
    flat_x: Array,
    col: int,
    step: Array,
    rows: np.ndarray,
) -> Array:
    """For a batch loss: the batch's total after moving one row's cell by its step, row by
    row (each row is moved alone, the others left where they were); only the `rows` marked
    (the others are NaN, not compared)."""
    shape = prepared.y_pred.shape
    out = np.full(flat_x.shape[0], np.nan)
    for row in np.flatnonzero(rows):
        moved = flat_x.copy()
        moved[row, col] += step[row]
        values = request.values(Prepared(prepared.y_true, moved.reshape(shape)))
        out[row] = math.fsum(values)
    return out
