"""Contrastive losses of the InfoNCE family: each positive scored against a set of candidates
with a softmax at a temperature.

Two input layouts, one loss each:

- infonce: a similarity matrix. Each row holds the similarities of one anchor to K candidates
  and the target is the column of its positive (a cross-entropy over s / τ). Rows are
  independent, so it streams like any other loss.
- nt-xent: rows of embeddings with pair ids (SimCLR). Two rows with the same id are each
  other's positive; every other row of the same batch is a negative. The batch is explicit:
  the whole input by default, or consecutive groups of --batch-size rows (as a data loader
  without shuffling would cut them), so a row's value depends on the rows of its batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from losscli.core.errors import DataError
from losscli.core.losses import checks
from losscli.core.losses.classification import ce_grad, ce_value
from losscli.core.losses.multiclass import prepare_class_scores
from losscli.core.losses.registry import register
from losscli.core.losses.types import Array, Loss, Param, Prepared, Properties, Space

# Similarity cells computed at once for nt-xent: rows are processed in blocks of about this
# many cells, so the memory does not grow with the square of the batch.
BLOCK_CELLS = 1 << 22


# --- InfoNCE on a similarity matrix ------------------------------------------------------------


def _onehot(y: Array, k: int) -> Array:
    rows = np.zeros((y.shape[0], k))
    rows[np.arange(y.shape[0]), y.astype(np.intp)] = 1.0
    return rows


def _scaled(s: Array, temperature: float) -> Array:
    # Shifted by the row maximum before dividing, so that s / τ cannot overflow where the
    # softmax is finite; softmax and cross-entropy do not see the shift.
    with np.errstate(over="ignore", invalid="ignore"):
        return (s - np.max(s, axis=1, keepdims=True)) / temperature


def infonce_value(
    y_true: Array, y_pred: Array, *, space: Space = "raw", temperature: float = 0.07
) -> Array:
    z = _scaled(y_pred, temperature)
    return ce_value(_onehot(y_true, y_pred.shape[1]), z, space="logit")


def infonce_grad(
    y_true: Array, y_pred: Array, *, space: Space = "raw", temperature: float = 0.07
) -> Array:
    z = _scaled(y_pred, temperature)
    return ce_grad(_onehot(y_true, y_pred.shape[1]), z, space="logit") / temperature


# --- NT-Xent on embeddings with pair ids -------------------------------------------------------


def _groups(n: int, batch_size: float | None) -> list[slice]:
    size = n if batch_size is None else int(batch_size)
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def _partners(ids: Array, offset: int, where: str = "its batch") -> np.ndarray:
    """For each row of one batch, the row holding the same id; DataError unless every id
    occurs exactly twice in the batch."""
    _, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
    bad = counts[inverse] != 2
    if bad.any():
        row = int(np.argmax(bad))
        count = int(counts[inverse[row]])
        raise DataError(
            f"is a pair id that occurs {count} time{'s' if count != 1 else ''} in {where}; "
            "nt-xent needs every id exactly twice per batch (a row and its positive)",
            row=offset + row,
            side="target",
            column=0,
            value=ids[row],
        )
    order = np.argsort(inverse, kind="stable")
    partner = np.empty(ids.shape[0], dtype=np.intp)
    first, second = order[0::2], order[1::2]
    partner[first], partner[second] = second, first
    return partner


def prepare_pair_ids(
    y_true: Array, y_pred: Array, space: Space, params: Mapping[str, Any], normalize: bool
) -> Prepared:
    """One group id per row and one non-zero embedding per row (zero vectors too under a
    convention whose cosine takes them as 0: Optax). Rows sharing an id are each other's
    positives (a pair, or a group of any size); a row alone with its id is only a negative.
    Each batch needs at least one positive pair. `mean_weights` holds each row's number of
    positive pairs: the mean is over positive pairs."""
    y_true = checks.as_2d(y_true, "target")
    y_pred = checks.as_2d(y_pred, "pred")
    checks.check_rows(y_true, y_pred)
    checks.check_columns(y_true, "target", (1,), "(one pair id per row)")
    checks.check_finite(y_true, "target")
    checks.check_finite(y_pred, "pred")
    zero = ~np.any(y_pred != 0, axis=1)
    if zero.any() and not params.get("zero_vectors", False):
        raise DataError(
            "is a zero vector: its cosine similarity is undefined (Optax takes it as 0: "
            "--convention optax)",
            row=int(np.argmax(zero)),
            side="pred",
        )
    size = params.get("batch_size")
    positives = np.zeros(y_true.shape[0])
    for k, group in enumerate(_groups(y_true.shape[0], size), start=1):
        _, inverse, counts = np.unique(y_true[group, 0], return_inverse=True, return_counts=True)
        positives[group] = counts[inverse] - 1
        if not positives[group].any():
            where = "the input (one batch)" if size is None else f"batch {k} (--batch-size {size})"
            raise DataError(
                f"{where} has no positive pair: every id occurs once (rows sharing an id are "
                "each other's positives)",
                row=group.start,
                side="target",
                column=0,
                value=y_true[group.start, 0],
            )
    return Prepared(y_true[:, 0], y_pred, mean_weights=positives)


def _is_pairs(ids: Array, x: Array) -> bool:
    """SimCLR's layout: every id exactly twice and no zero vector (the pair-only path)."""
    _, counts = np.unique(ids, return_counts=True)
    return bool(np.all(counts == 2)) and bool(np.all(np.any(x != 0, axis=1)))


def _ntxent_any_groups(
    ids: Array, x: Array, temperature: float, want_grad: bool
) -> tuple[Array, Array | None]:
    """Per-row values of one batch with groups of any size (pytorch-metric-learning's
    NTXentLoss, Optax's ntxent) and, if asked, d(sum of the values)/dx.

    For an anchor i and each positive p (same id, p ≠ i), with N(i) the rows of other ids:
    ℓ_ip = -ln [e^s_ip / (e^s_ip + Σ_{n∈N(i)} e^s_in)] = softplus(LSE_N(i) - s_ip). A row's
    value is the sum over its positives (0 for a row alone with its id); dividing the total by
    the number of positive pairs gives the peers' mean. A zero vector has cosine 0 with every
    row (Optax) and gradient 0 (the cosine has no derivative there).
    """
    n = x.shape[0]
    nonzero = np.any(x != 0, axis=1)
    u = np.zeros(x.shape)
    norms = np.ones(n)
    if nonzero.any():
        u[nonzero], norms[nonzero] = _unit_rows(x[nonzero])
    values = np.zeros(n)
    g_u = np.zeros(u.shape) if want_grad else None
    block = max(1, BLOCK_CELLS // max(n, 1))
    for start in range(0, n, block):
        stop = min(start + block, n)
        rows = np.arange(stop - start)
        s = (u[start:stop] @ u.T) / temperature
        same = ids[start:stop, None] == ids[None, :]
        positive = same.copy()
        positive[rows, start + rows] = False
        negative = ~same
        masked = np.where(negative, s, -np.inf)
        top = np.max(masked, axis=1)
        has_neg = np.isfinite(top)
        top = np.where(has_neg, top, 0.0)
        with np.errstate(divide="ignore"):
            lse = top + np.log(np.sum(np.exp(masked - top[:, None]), axis=1))
        a = lse[:, None] - s  # -inf for every cell of a row without negatives
        terms = np.where(positive, np.logaddexp(0.0, a), 0.0)
        values[start:stop] = terms.sum(axis=1)
        if g_u is not None:
            # dℓ_ip/ds_ip = -σ(a_ip); dℓ_ip/ds_in = σ(a_ip) e^(s_in - LSE_N(i)).
            sig = np.where(positive, 0.5 * (1.0 + np.tanh(0.5 * a)), 0.0)
            weight = sig.sum(axis=1)
            with np.errstate(invalid="ignore"):
                soft = np.where(negative & has_neg[:, None], np.exp(s - lse[:, None]), 0.0)
            g = (soft * weight[:, None] - sig) / temperature
            g_u[start:stop] += g @ u
            g_u += g.T @ u[start:stop]
    if g_u is None:
        return values, None
    radial = np.sum(u * g_u, axis=1, keepdims=True)
    grad = (g_u - u * radial) / norms[:, None]
    grad[~nonzero] = 0.0
    return values, grad


def _unit_rows(x: Array) -> tuple[Array, Array]:
    """Rows scaled to unit length, and their lengths (scaled first: no overflow)."""
    scale = np.max(np.abs(x), axis=1)
    scaled = x / scale[:, None]
    norm = np.sqrt(np.sum(scaled * scaled, axis=1))
    with np.errstate(over="ignore"):
        return scaled / norm[:, None], scale * norm


def _ntxent_group(
    ids: Array, x: Array, temperature: float, want_grad: bool
) -> tuple[Array, Array | None]:
    """Per-row values of one batch and, if asked, d(sum of the values)/dx."""
    n = x.shape[0]
    partner = _partners(ids, 0)
    u, norms = _unit_rows(x)
    values = np.empty(n)
    g_u = np.zeros(u.shape) if want_grad else None
    block = max(1, BLOCK_CELLS // max(n, 1))
    for start in range(0, n, block):
        stop = min(start + block, n)
        rows = np.arange(stop - start)
        c = u[start:stop] @ u.T  # c_ik = cos(x_i, x_k); s_ik = c_ik / τ
        c[rows, start + rows] = -np.inf  # a row is not its own candidate
        top = np.argmax(c, axis=1)
        m = c[rows, top]
        # s_ik - max_k s_ik as (c_ik - max c) / τ: differences of cosines first, so a tiny τ
        # (down to 5e-324) sends them to -inf, never inf - inf = NaN.
        with np.errstate(over="ignore", invalid="ignore"):
            shifted = (c - m[:, None]) / temperature
            e = np.exp(shifted)
            e_others = e.copy()
            e_others[rows, top] = 0.0
            # ℓ_i = ln Σ_{k≠i} e^s_ik - s_ij = (m - s_ij) + ln(1 + Σ_{k≠top} e^(s_ik - m)):
            # the difference taken first and log1p, so a confident row, whose loss is about
            # the sum of the others, keeps its digits (m + ln(...) - s_ij would cancel them).
            log_rest = np.log1p(e_others.sum(axis=1))
            values[start:stop] = -shifted[rows, partner[start:stop]] + log_rest
        if g_u is not None:
            # dℓ_i/ds_ik = softmax_k - [k = partner]; s_ik enters ℓ_i and ℓ_k alike.
            g = e / np.exp(log_rest)[:, None]
            g[rows, partner[start:stop]] -= 1.0  # the 1/τ of ds/dc comes last (below)
            g_u[start:stop] += g @ u
            g_u += g.T @ u[start:stop]
    if g_u is None:
        return values, None
    # Through u = x / ||x||: remove the radial part and divide by the length; then by τ,
    # last, so that a tiny τ makes only a non-zero gradient infinite (never inf - inf).
    radial = np.sum(u * g_u, axis=1, keepdims=True)
    with np.errstate(over="ignore"):
        return values, (g_u - u * radial) / norms[:, None] / temperature


def ntxent_value(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "raw",
    temperature: float = 0.07,
    batch_size: float | None = None,
    zero_vectors: bool = False,
) -> Array:
    out = np.empty(y_true.shape[0])
    for group in _groups(y_true.shape[0], batch_size):
        ids, x = y_true[group], y_pred[group]
        run = _ntxent_group if _is_pairs(ids, x) else _ntxent_any_groups
        out[group], _ = run(ids, x, temperature, False)
    return out


def ntxent_grad(
    y_true: Array,
    y_pred: Array,
    *,
    space: Space = "raw",
    temperature: float = 0.07,
    batch_size: float | None = None,
    zero_vectors: bool = False,
) -> Array:
    out = np.empty(y_pred.shape)
    for group in _groups(y_true.shape[0], batch_size):
        ids, x = y_true[group], y_pred[group]
        run = _ntxent_group if _is_pairs(ids, x) else _ntxent_any_groups
        _, g = run(ids, x, temperature, True)
        assert g is not None
        out[group] = g
    return out


TEMPERATURE = Param(
    "temperature",
    0.07,
    "τ dividing the similarities before the softmax (lower: sharper)",
    lower=0.0,
    lower_open=True,
)

INFONCE = register(
    Loss(
        name="infonce",
        aliases=("info-nce", "infonce-loss", "cpc"),
        family="metric",
        summary="InfoNCE: the positive picked out of K candidates by a softmax of s / τ.",
        target="class",
        pred_columns="many",
        spaces=("raw",),
        params=(TEMPERATURE,),
        properties=Properties(convex=True, smooth=True, robust=False, probabilistic=True),
        value=infonce_value,
        grad=infonce_grad,
        prepare=prepare_class_scores,
        formula=(
            "L = -ln [exp(s_y/τ) / Σ_k exp(s_k/τ)];  each row: similarities s of an anchor to "
            "K candidates, target y = the column of its positive"
        ),
        grad_formula="dL/ds_k = (softmax(s/τ)_k - [k = y]) / τ",
        typical_use=(
            "Contrastive representation learning from a similarity matrix (CPC, MoCo, one "
            "direction of CLIP): anchor-candidate scores with the positive's column."
        ),
        confusions=(
            "It is cross-entropy of s/τ with the positive's column as the label; the default "
            "τ = 0.07 (MoCo, Optax and pytorch-metric-learning) suits cosine similarities; "
            "use --temperature 1 for scores that are already logits (CPC).",
            "CLIP's loss averages this over rows and over columns (both directions).",
            "Rows are independent here; for a batch of embeddings with pair ids use nt-xent.",
            "Its optimum is ln K - (a lower bound on the mutual information), never 0 for a "
            "finite gap.",
        ),
        references=(
            "van den Oord, Li, Vinyals. Representation Learning with Contrastive Predictive "
            "Coding. 2018.",
            "He, Fan, Wu, Xie, Girshick. Momentum Contrast for Unsupervised Visual "
            "Representation Learning. CVPR 2020.",
        ),
    )
)

NT_XENT = register(
    Loss(
        name="nt-xent",
        aliases=("ntxent", "simclr", "nt-xent-loss", "normalized-temperature-cross-entropy"),
        family="metric",
        summary="NT-Xent (SimCLR): each embedding's pair found among its batch by cosine / τ.",
        target="pair-ids",
        pred_columns="any",
        spaces=("raw",),
        params=(
            TEMPERATURE,
            Param(
                "batch_size",
                None,
                "rows per batch, cut in input order (unset: the whole input is one batch)",
                lower=2.0,
                integer=True,
            ),
        ),
        properties=Properties(
            convex=False, smooth=True, robust=False, probabilistic=True, zero_at_perfect=False
        ),
        value=ntxent_value,
        grad=ntxent_grad,
        prepare=prepare_pair_ids,
        formula=(
            "ℓ_i = -ln [exp(s_ij/τ) / Σ_{k≠i} exp(s_ik/τ)],  s = cosine similarity, j = the "
            "other row with i's pair id, k over the rows of i's batch; groups: ℓ_i = Σ_p "
            "-ln [e^(s_ip/τ) / (e^(s_ip/τ) + Σ_n e^(s_in/τ))] over i's positives p and the "
            "rows n of other ids, the mean over positive pairs"
        ),
        grad_formula=(
            "dΣℓ/ds_ik = (P_ik - [k = j(i)] + P_ki - [i = j(k)]) / τ, P_i = softmax over "
            "k ≠ i; then through x / ||x||: (I - x̂ x̂^T)/||x||"
        ),
        typical_use=(
            "Self-supervised contrastive learning (SimCLR): two augmented views of each "
            "example share a pair id; the other 2N - 2 rows of the batch are negatives."
        ),
        confusions=(
            "A batch loss: each row's value depends on every row of its batch, so the batch "
            "must be stated (--batch-size, else the whole input); the gradient of a row is "
            "that of the batch's total (as autograd gives), and sample weights are refused.",
            "Rows sharing an id are each other's positives: a pair (SimCLR's layout) or a "
            "group of any size, as pytorch-metric-learning's NTXentLoss and Optax's ntxent "
            "take them; for each positive pair the other positives are not in the "
            "denominator, and the mean is over positive pairs (a row's value is the sum of "
            "its pairs' terms). A row alone with its id is only a negative. Supervised "
            "contrastive (SupConLoss) keeps the other positives in the denominator: another "
            "loss.",
            "Default τ = 0.07 as Optax and pytorch-metric-learning; SimCLR used 0.1 to 0.5.",
            "Bounded below by ln(1 + (2N - 2) e^(-2/τ)) > 0: never 0.",
        ),
        references=(
            "Chen, Kornblith, Norouzi, Hinton. A Simple Framework for Contrastive Learning of "
            "Visual Representations. ICML 2020.",
            "Optax optax.losses.ntxent; pytorch-metric-learning NTXentLoss.",
        ),
        batch=True,
        extra={"mean": "positive-pairs"},
    )
)
