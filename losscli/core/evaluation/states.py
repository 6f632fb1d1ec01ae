"""Partial states: the reductions of compute, grad, compare and recommend's profile as values
that take batches (`update`), combine (`merge`) and answer at the end (`result`).

A state computed on one part of the data (a file, a partition, a worker's share) merges with
the state of another part into the state of both, so any scheduler can split the work:
processes (--jobs), Dask, Spark, or a shell loop over `losscli compute --state`.

What each state holds, and why merging loses nothing:

- every sum is an Accumulator (evaluation/reduce.py): a compensated running sum whose compensation
  term is merged too, so 1,000 merged states give the one-pass value to about 1e-15 relative;
- counts are integers; the largest |gradient| is a maximum;
- compare's top-1% share keeps the largest contributions in a bounded pool (Influence); the
  union of two pools cut back to the same bound holds the largest of both, so it merges;
- the profile's moments merge with the pairwise formulas of core/advice/profile.py; its median, MAD
  and quantiles are exact while the values fit in memory (see profile.RobustSample).

`LossState` (what `compute --state` writes) also serializes to versioned JSON with every float
written exactly (as a hexadecimal float string), and carries what it was computed with: the
loss, its parameters, the space, the convention and the columns read. `merge` refuses states
that differ in any of these, naming the field.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from losscli.core.advice.influence import Influence
from losscli.core.errors import DataError
from losscli.core.evaluation.reduce import Accumulator, Reducer, ScaledSum
from losscli.core.evaluation.requests import BatchValues, Request, batch_values, make_request
from losscli.core.losses.types import Array

if TYPE_CHECKING:  # recommend's profile is imported where it is used: compute needs none of it
    from losscli.core.advice.profile import Profile, Profiler, SpreadProfile

# The layout of a state's JSON; a state of another version is refused, not guessed at.
STATE_FORMAT = "losscli-state"
STATE_VERSION = 1


class StateMismatch(DataError):
    """Two states that cannot merge: computed with different settings (exit 3)."""

    def __init__(self, message: str, field_name: str = "") -> None:
        super().__init__(message)
        self.field_name = field_name


def identity_of(request: Request, columns: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a state was computed with; states merge only when these are equal."""
    identity = {
        "loss": request.loss.name,
        "params": dict(request.params),
        "space": request.space,
        "normalize": request.normalize,
        "convention": request.convention,
        "columns": dict(columns or {}),
    }
    # As JSON has it (tuples as lists), so a state read back compares equal to a new one.
    return dict(json.loads(json.dumps(identity)))


def request_of(identity: dict[str, Any]) -> Request:
    return make_request(
        identity["loss"],
        identity["params"],
        space=identity["space"],
        normalize=identity["normalize"],
        convention=identity["convention"],
    )


def check_same(a: dict[str, Any], b: dict[str, Any], what: str = "state") -> None:
    """Raise StateMismatch naming the first field in which two identities differ."""
    for name in dict.fromkeys([*a, *b]):
        if a.get(name) != b.get(name):
            raise StateMismatch(
                f"the {what}s differ in {name}: {a.get(name)!r} and {b.get(name)!r}", name
            )


class _RequestHolder:
    """A state that rebuilds its Request from its identity: a state pickles (to another
    process, a Dask worker, a Spark executor) as its numbers and settings only."""

    identity: dict[str, Any]
    _request: Request | None

    @property
    def request(self) -> Request:
        if self._request is None:
            self._request = request_of(self.identity)
        return self._request

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_request": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class _ReducingState(_RequestHolder):
    """A state around one loss's Reducer: made empty from a Request, fed batch by batch."""

    reducer: Reducer
    # Whether a batch's per-example gradients are computed too (grad and compare need them).
    WITH_GRADS = False

    @classmethod
    def empty(cls, request: Request, columns: dict[str, Any] | None = None) -> Self:
        return cls(identity_of(request, columns), request.reducer(), _request=request)  # type: ignore[call-arg]

    @property
    def count(self) -> int:
        return self.reducer.count

    def update(self, y_true: object, y_pred: object, weights: object | None = None) -> BatchValues:
        """Add one batch; returns its values (their notices are the caller's to tell)."""
        result = batch_values(self.request, y_true, y_pred, weights, with_grads=self.WITH_GRADS)
        self.add(result)
        return result

    def add(self, result: BatchValues) -> None:
        raise NotImplementedError  # each state says what it keeps of a batch


@dataclass
class LossState(_ReducingState):
    """compute's reduction: the Reducer of one loss (count, weight sum, compensated sums,
    the convention's denominators)."""

    identity: dict[str, Any]
    reducer: Reducer
    _request: Request | None = field(default=None, repr=False, compare=False)

    def add(self, result: BatchValues) -> None:
        """Add a batch whose values the caller computed already."""
        self.reducer.add(result)

    def merge(self, other: LossState) -> None:
        check_same(self.identity, other.identity)
        self.reducer.merge(other.reducer)

    def result(self, reduction: str = "mean") -> float:
        if self.count == 0:
            raise DataError("no examples: the states hold no rows")
        return self.reducer.result(reduction)

    # --- JSON ---------------------------------------------------------------------------------

    def to_json(self) -> str:
        document = {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "kind": "loss",
            **self.identity,
            "reducer": _reducer_to_dict(self.reducer),
        }
        return json.dumps(document, sort_keys=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> LossState:
        """A state written by to_json; DataError when it is not one, or of another version."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataError(f"not a losscli state (invalid JSON: {error.msg})") from None
        if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
            raise DataError("not a losscli state (no 'format': 'losscli-state')")
        if document.get("version") != STATE_VERSION:
            raise StateMismatch(
                f"state version {document.get('version')!r}; this losscli reads version "
                f"{STATE_VERSION}",
                "version",
            )
        if document.get("kind") != "loss":
            raise DataError(f"a state of kind {document.get('kind')!r}, not a loss state")
        try:
            identity = {
                key: document[key]
                for key in ("loss", "params", "space", "normalize", "convention", "columns")
            }
            reducer = _reducer_from_dict(document["reducer"])
        except (KeyError, TypeError, ValueError) as error:
            raise DataError(f"a damaged losscli state ({type(error).__name__}: {error})") from None
        return cls(identity, reducer)


@dataclass
class GradState(_ReducingState):
    """grad --reduction mean|sum: the totals the scale of each row's gradient needs (the
    Reducer), the per-output sums of the (weighted) gradients and the largest |gradient|,
    kept per group of rows that share one scale (the label groups of a nonzero-by-label mean).

    `result` gives the per-output sums and the largest |gradient| of the gradients of the
    reduced loss: what `grad --reduction R` prints, summed over its rows and maximized."""

    identity: dict[str, Any]
    reducer: Reducer
    sums: dict[float, list[Accumulator]] = field(default_factory=dict)
    largest: dict[float, float] = field(default_factory=dict)
    _request: Request | None = field(default=None, repr=False, compare=False)

    WITH_GRADS = True

    def add(self, result: BatchValues) -> None:
        assert result.grads is not None
        self.reducer.add(result)
        n = result.values.shape[0]
        grads = _weighted_rows(_per_example_rows(result.grads, n), result.weights)
        for group, rows in self._groups(result):
            part = grads[rows] if rows is not None else grads
            sums = self.sums.setdefault(group, [Accumulator() for _ in range(part.shape[1])])
            for column, acc in enumerate(sums):
                acc.add(part[:, column])
            if part.size:
                top = float(np.max(np.abs(part)))
                self.largest[group] = max(self.largest.get(group, 0.0), top)

    def _groups(self, result: BatchValues) -> list[tuple[float, Array | None]]:
        if self.reducer.rule != "nonzero-by-label":
            return [(0.0, None)]
        # Only rows whose loss is > 0 have a gradient in a nonzero-by-label mean.
        assert result.labels is not None
        active = result.values > 0
        return [
            (float(label), active & (result.labels == label))
            for label in np.unique(result.labels[active])
        ]

    def merge(self, other: GradState) -> None:
        check_same(self.identity, other.identity)
        self.reducer.merge(other.reducer)
        for group, sums in other.sums.items():
            mine = self.sums.setdefault(group, [Accumulator() for _ in sums])
            for acc, theirs in zip(mine, sums, strict=True):
                acc.merge(theirs)
        for group, top in other.largest.items():
            self.largest[group] = max(self.largest.get(group, 0.0), top)

    def result(self, reduction: str = "mean") -> dict[str, Any]:
        if self.count == 0:
            raise DataError("no examples: the states hold no rows")
        width = max((len(s) for s in self.sums.values()), default=0)
        totals = [0.0] * width
        largest = 0.0
        for group, sums in self.sums.items():
            factor = self._factor(group, reduction)
            for column, acc in enumerate(sums):
                totals[column] += factor * acc.sum()
            largest = max(largest, abs(factor) * self.largest.get(group, 0.0))
        return {"n": self.count, "grad_sum": totals, "max_abs_grad": largest}

    def _factor(self, group: float, reduction: str) -> float:
        """The factor the gradients of a group are multiplied by under this reduction (the
        weights are in the sums already), as Reducer.grad_scale applies it row by row."""
        reducer = self.reducer
        factor = 1.0
        if reduction == "mean":
            if reducer.rule == "target-weights":
                factor = 1.0 / _positive(reducer.denominator.sum(), "the class weights")
            elif reducer.rule == "nonzero-by-label":
                g = reducer.groups.get(group)
                total = 0.0 if g is None else g.weight_total + g.weight_compensation
                factor = 1.0 / total if total > 0 else 0.0
            else:
                weight = reducer.totals.weight_total + reducer.totals.weight_compensation
                factor = 1.0 / _positive(weight, "the weights")
                if reducer.rule == "elements":
                    factor /= reducer.width
        if reducer.root:
            total = reducer._reduced(reduction)
            factor = 0.0 if total == 0 else factor / (2.0 * math.sqrt(total))
        return factor


def _positive(value: float, what: str) -> float:
    if value <= 0:
        raise DataError(f"{what} sum to 0: the mean is undefined")
    return value


def _per_example_rows(grads: Array, n: int) -> Array:
    """Gradients as n rows of their cells; n may be 0 (every row of a batch was left out by
    --ignore-label), where reshape(0, -1) could not tell the width."""
    return grads.reshape(n, int(np.prod(grads.shape[1:])))


def _weighted_rows(grads: Array, weights: Array | None) -> Array:
    if weights is None:
        return grads
    with np.errstate(invalid="ignore"):
        return np.where(weights[:, None] == 0, 0.0, grads * weights[:, None])


@dataclass
class CompareState(_ReducingState):
    """One row of compare: the loss's Reducer and its Influence (the top-1% pool, the total
    of the contributions and the largest |gradient|)."""

    identity: dict[str, Any]
    reducer: Reducer
    influence: Influence = field(default_factory=Influence)
    _request: Request | None = field(default=None, repr=False, compare=False)

    WITH_GRADS = True

    def add(self, result: BatchValues) -> None:
        assert result.grads is not None
        self.reducer.add(result)
        n = result.values.shape[0]
        grads = _weighted_rows(_per_example_rows(result.grads, n), result.weights)
        self.influence.add(result.weighted(), grads)

    def merge(self, other: CompareState) -> None:
        check_same(self.identity, other.identity)
        self.reducer.merge(other.reducer)
        self.influence.merge(other.influence)

    def result(self, reduction: str = "mean") -> dict[str, Any]:
        if self.count == 0:
            raise DataError("no examples: the states hold no rows")
        return {
            "n": self.count,
            "value": self.reducer.result(reduction),
            "top_1pct_share": self.influence.top_share(),
            "top_share_exact": self.influence.exact,
            "max_abs_grad": self.influence.max_abs_grad,
        }


# KLL sketches of this size rank any value within 0.28% of the count (99% confidence:
# datasketches' get_normalized_rank_error(1000, False)), in about 30 KB however many values.
SKETCH_K = 1000


@dataclass
class ProfileState:
    """recommend's profile of a target column, or of residuals: a Profiler (mergeable moments,
    label counts, and the values themselves while they fit in memory: an exact median, MAD
    and quartiles), and an Apache DataSketches KLL sketch of the same values, which merges and
    stays small. Beyond the profiler's exact limit the median, MAD, quartiles and tail share
    come from the sketch, and `robust_method` states its rank error; without the
    `datasketches` package, from the profiler's uniform sample (core/advice/profile.py)."""

    profiler: Profiler
    sketch: Any = None

    @classmethod
    def empty(cls, *, with_pred: bool, exact_limit: int | None = None) -> ProfileState:
        from losscli.core.advice.profile import EXACT_LIMIT, Profiler, RobustSample

        if exact_limit is None:
            exact_limit = EXACT_LIMIT
        return cls(Profiler(with_pred=with_pred, sample=RobustSample(limit=exact_limit)), _kll())

    @property
    def count(self) -> int:
        return self.profiler.rows

    def update(self, y_true: object, y_pred: object = None, weights: object | None = None) -> None:
        if weights is not None:
            raise DataError("the profile takes no weights")
        target = np.asarray(y_true, dtype=np.float64).reshape(-1)
        pred = None if y_pred is None else np.asarray(y_pred, dtype=np.float64).reshape(-1)
        self.profiler.add(target, pred if self.profiler.with_pred else None)
        if self.sketch is not None:  # the values the profiler took (it checked them)
            values = pred - target if pred is not None and self.profiler.with_pred else target
            # The bindings take a writable C-ordered float64 array (Polars hands out read-only).
            self.sketch.update(np.require(values, np.float64, ["C", "W"]))

    def merge(self, other: ProfileState) -> None:
        self.profiler.merge(other.profiler)
        if self.sketch is not None and other.sketch is not None:
            self.sketch.merge(other.sketch)
        else:
            self.sketch = None

    @property
    def exact(self) -> bool:
        return self.profiler.sample.exact

    @property
    def robust_method(self) -> str:
        """How the median, MAD, quartiles and tail share were found, with their error."""
        if self.exact:
            return f"exact (all {self.count} values held in memory)"
        if self.sketch is not None:
            error = self.sketch.get_normalized_rank_error(SKETCH_K, False)
            return (
                f"KLL sketch (Apache DataSketches, k={SKETCH_K}) of {self.count} values: each "
                f"quantile's rank within {100 * error:.2g}% of the count (99% confidence)"
            )
        return (
            f"a uniform sample of {self.profiler.sample.size} of {self.count} values "
            "(core/advice/profile.py states its error)"
        )

    def result(self, *, as_labels: bool | None = None) -> Profile:
        from losscli.core.advice.profile import SpreadProfile

        profile = self.profiler.finish(as_labels=as_labels)
        if self.exact or self.sketch is None or not isinstance(profile, SpreadProfile):
            return profile
        return _from_sketch(profile, self.sketch)

    def __getstate__(self) -> dict[str, Any]:
        # The sketch pickles as its own compact serialization.
        sketch = None if self.sketch is None else bytes(self.sketch.serialize())
        return {"profiler": self.profiler, "sketch": sketch}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.profiler = state["profiler"]
        self.sketch = None
        if state["sketch"] is not None:
            from datasketches import kll_doubles_sketch

            self.sketch = kll_doubles_sketch.deserialize(state["sketch"])


def _kll() -> Any:
    try:
        from datasketches import kll_doubles_sketch
    except ImportError:
        return None
    return kll_doubles_sketch(SKETCH_K)


def _from_sketch(profile: SpreadProfile, sketch: Any) -> SpreadProfile:
    """The robust statistics of a spread profile read from a KLL sketch of the values: the
    MAD is the t with F(median + t) - F(median - t) = 1/2, found by bisection on the CDF."""
    from losscli.core.advice.profile import MAD_TO_SD, TAIL_SDS

    median = float(sketch.get_quantile(0.5))
    low, high = 0.0, max(sketch.get_max_value() - median, median - sketch.get_min_value())
    for _ in range(100):
        middle = (low + high) / 2
        inside = np.diff(sketch.get_cdf([median - middle, median + middle]))[0]
        if inside >= 0.5:
            high = middle
        else:
            low = middle
        if high - low <= 1e-12 * max(high, 1e-300):
            break
    scale = MAD_TO_SD * high
    if scale == 0.0 or not math.isfinite(scale):
        return profile  # over half the values equal the median: the profiler's own reading
    q1, q3 = float(sketch.get_quantile(0.25)), float(sketch.get_quantile(0.75))
    near = sketch.get_cdf([median - TAIL_SDS * scale, median + TAIL_SDS * scale])
    return dataclasses.replace(
        profile,
        median=median,
        scale=scale,
        scale_method=(
            f"MAD x 1.4826 from a KLL sketch (k={SKETCH_K}) of {profile.n} values: quantile "
            f"ranks within {100 * sketch.get_normalized_rank_error(SKETCH_K, False):.2g}% of "
            "the count (99% confidence)"
        ),
        tail_share=float(1.0 - (near[1] - near[0])),
        quartile_skew=(q3 + q1 - 2 * median) / (q3 - q1) if q3 > q1 else 0.0,
        robust_from=int(sketch.num_retained),  # the values the sketch keeps
    )


def merge_all(states: list[Any]) -> Any:
    """The merge of states, in order (a pairwise tree: each sum is merged log2(n) times)."""
    if not states:
        raise DataError("no states to merge")
    level = list(states)
    while len(level) > 1:
        merged = []
        for k in range(0, len(level) - 1, 2):
            level[k].merge(level[k + 1])
            merged.append(level[k])
        if len(level) % 2:
            merged.append(level[-1])
        level = merged
    return level[0]


# --- exact floats in JSON ---------------------------------------------------------------------


def _number_out(value: Any) -> Any:
    if isinstance(value, float):
        return value.hex()
    return value


def _number_in(value: Any) -> Any:
    if isinstance(value, str):
        return float.fromhex(value)
    return value


def _accumulator_to_dict(acc: Accumulator) -> dict[str, Any]:
    """The accumulator's scaled, compensated sums exactly: floats as hex, exponents as ints."""
    return {
        "values": _sum_to_dict(acc.values),
        "weights": _sum_to_dict(acc.weights),
        "count": acc.count,
    }


def _sum_to_dict(total: ScaledSum) -> dict[str, Any]:
    return {f.name: _number_out(getattr(total, f.name)) for f in dataclasses.fields(total)}


def _accumulator_from_dict(data: dict[str, Any]) -> Accumulator:
    names = {f.name for f in dataclasses.fields(Accumulator)}
    if set(data) != names:
        raise ValueError(f"accumulator fields {sorted(data)}, expected {sorted(names)}")
    count = data["count"]
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError(f"accumulator count {count!r} is not a whole number >= 0")
    return Accumulator(_sum_from_dict(data["values"]), _sum_from_dict(data["weights"]), count)


def _sum_from_dict(data: Any) -> ScaledSum:
    names = {f.name for f in dataclasses.fields(ScaledSum)}
    if not isinstance(data, dict) or set(data) != names:
        raise ValueError(f"a sum needs the fields {sorted(names)}, not {data!r}")
    exponent = data["exponent"]
    if not isinstance(exponent, int) or isinstance(exponent, bool):
        raise ValueError(f"a sum's exponent {exponent!r} is not a whole number")
    total, compensation = _number_in(data["total"]), _number_in(data["compensation"])
    if not all(isinstance(x, float) for x in (total, compensation)):
        raise ValueError(f"a sum's total and compensation must be hex floats, not {data!r}")
    return ScaledSum(total, compensation, exponent)


def _reducer_to_dict(reducer: Reducer) -> dict[str, Any]:
    return {
        "rule": reducer.rule,
        "root": reducer.root,
        "width": reducer.width,
        "totals": _accumulator_to_dict(reducer.totals),
        "denominator": _accumulator_to_dict(reducer.denominator),
        "groups": [
            [label.hex(), _accumulator_to_dict(acc)] for label, acc in reducer.groups.items()
        ],
    }


def _reducer_from_dict(data: dict[str, Any]) -> Reducer:
    return Reducer(
        rule=data["rule"],
        totals=_accumulator_from_dict(data["totals"]),
        width=int(data["width"]),
        groups={float.fromhex(k): _accumulator_from_dict(v) for k, v in data["groups"]},
        root=bool(data["root"]),
        denominator=_accumulator_from_dict(data["denominator"]),
    )


STATE_KINDS: dict[str, Any] = {"loss": LossState, "grad": GradState, "compare": CompareState}


def state_kind(kind: str) -> Any:
    """The state class of a reduction: loss (compute), grad, compare."""
    return STATE_KINDS[kind]


def new_state(kind: str, identity: dict[str, Any]) -> Any:
    """An empty state of a kind, from its identity alone (a picklable recipe for workers)."""
    request = request_of(identity)
    return STATE_KINDS[kind](identity, request.reducer(), _request=request)
