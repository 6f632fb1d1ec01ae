"""The NumPy core against PyTorch CPU, loss by loss, in one process and one run.

    python bench/core.py [--elements 10000000] [--repeat 5] [--threads 2] [--only mse,huber]

For each loss: the mean value (losscli.core.evaluate) and the gradient of the mean
(losscli.core.gradient) on the same float64 data, against PyTorch's function (or the same
formula in torch ops where PyTorch has none) and its forward + backward. Class losses use
elements / 10 rows of 10 classes. Times are medians of --repeat runs, ours and torch's
interleaved so both see the same load; the ratio (ours / torch) is the point, not the seconds.
Without PyTorch installed it says so and times only losscli.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from losscli.core import evaluate, gradient, make_request

LN2 = float(np.log(2.0))


@dataclass
class Case:
    name: str  # as printed
    loss: str
    params: dict[str, Any]
    space: str | None
    data: Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]
    torch_loss: Callable[[Any, Any, Any], Any] | None  # (torch, y_true, y_pred) -> mean loss
    classes: bool = False


def regression(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    y = rng.normal(0.0, 1.0, n)
    return y, y + rng.normal(0.0, 0.7, n)


def binary_probs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(0, 2, n).astype(np.float64), rng.uniform(0.01, 0.99, n)


def binary_logits(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(0, 2, n).astype(np.float64), rng.normal(0.0, 3.0, n)


def signs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.where(rng.integers(0, 2, n) == 1, 1.0, -1.0), rng.normal(0.0, 1.5, n)


def class_logits(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(0, 10, rows).astype(np.float64), rng.normal(0.0, 1.0, (rows, 10))


def distributions(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    p = np.exp(rng.normal(0.0, 1.0, (rows, 10)))
    return p / p.sum(axis=1, keepdims=True), rng.normal(0.0, 1.0, (rows, 10))


def _focal(torch: Any, y: Any, z: Any) -> Any:
    # torchvision.ops.sigmoid_focal_loss (gamma 2, no alpha), written in torch ops.
    f = torch.nn.functional
    p = torch.sigmoid(z)
    ce = f.binary_cross_entropy_with_logits(z, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    return (ce * (1 - p_t) ** 2).mean()


CASES = [
    Case("mse", "mse", {}, None, regression, lambda t, y, p: t.nn.functional.mse_loss(p, y)),
    Case("mae", "mae", {}, None, regression, lambda t, y, p: t.nn.functional.l1_loss(p, y)),
    Case(
        "huber",
        "huber",
        {"delta": 1.0},
        None,
        regression,
        lambda t, y, p: t.nn.functional.huber_loss(p, y, delta=1.0),
    ),
    Case(
        "smooth-l1",
        "smooth-l1",
        {"beta": 1.0},
        None,
        regression,
        lambda t, y, p: t.nn.functional.smooth_l1_loss(p, y, beta=1.0),
    ),
    Case(
        "log-cosh",
        "log-cosh",
        {},
        None,
        regression,
        lambda t, y, p: ((p - y).abs() + t.nn.functional.softplus(-2 * (p - y).abs()) - LN2).mean(),
    ),
    Case(
        "bce (probabilities)",
        "binary-cross-entropy",
        {},
        "prob",
        binary_probs,
        lambda t, y, p: t.nn.functional.binary_cross_entropy(p, y),
    ),
    Case(
        "bce with logits",
        "binary-cross-entropy",
        {},
        "logit",
        binary_logits,
        lambda t, y, z: t.nn.functional.binary_cross_entropy_with_logits(z, y),
    ),
    Case("focal (logits)", "focal", {"gamma": 2.0}, "logit", binary_logits, _focal),
    Case(
        "hinge",
        "hinge",
        {},
        None,
        signs,
        lambda t, y, s: t.clamp(1 - y * s, min=0).mean(),
    ),
    Case(
        "cross-entropy (logits, 10 classes)",
        "cross-entropy",
        {},
        "logit",
        class_logits,
        lambda t, y, z: t.nn.functional.cross_entropy(z, y.long()),
        classes=True,
    ),
    Case(
        "kl (logits, 10 classes)",
        "kl",
        {},
        "logit",
        distributions,
        lambda t, p, z: t.nn.functional.kl_div(t.log_softmax(z, dim=1), p, reduction="batchmean"),
        classes=True,
    ),
]


def wall_time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def timed(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median wall time of each function, the functions interleaved run by run."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            times[name].append(wall_time(fn))
    return {name: statistics.median(t) for name, t in times.items()}


@dataclass
class Row:
    name: str
    size: str
    value_ours: float
    grad_ours: float
    value_torch: float | None
    grad_torch: float | None


def run_case(case: Case, elements: int, repeat: int, torch: Any) -> Row:
    rng = np.random.default_rng(0)
    rows = elements // 10 if case.classes else elements
    y, p = case.data(rng, rows)
    request = make_request(case.loss, case.params, space=case.space)  # type: ignore[arg-type]
    fns: dict[str, Callable[[], object]] = {
        "value": lambda: evaluate(request, y, p, reduction="mean").value,
        "grad": lambda: gradient(request, y, p, reduction="mean").grads,
    }
    if torch is not None and case.torch_loss is not None:
        ty, tp = torch.from_numpy(y), torch.from_numpy(p)
        torch_loss = case.torch_loss

        def torch_value() -> object:
            with torch.no_grad():
                return torch_loss(torch, ty, tp).item()

        def torch_grad() -> object:
            x = tp.detach().requires_grad_(True)
            torch_loss(torch, ty, x).backward()
            return x.grad

        fns |= {"torch value": torch_value, "torch grad": torch_grad}
        # Same answer first: a benchmark of different computations would mean nothing.
        ours, theirs = fns["value"](), torch_value()
        assert np.isclose(ours, theirs, rtol=1e-9), (case.name, ours, theirs)
        g_ours = np.asarray(fns["grad"]()).reshape(p.shape)
        g_torch = np.asarray(torch_grad())
        assert np.allclose(g_ours, g_torch, rtol=1e-7, atol=1e-15), case.name
    for fn in fns.values():  # warm up
        fn()
    t = timed(fns, repeat)
    size = f"{rows:,} x 10" if case.classes else f"{rows:,}"
    return Row(case.name, size, t["value"], t["grad"], t.get("torch value"), t.get("torch grad"))


def markdown(rows: list[Row]) -> str:
    lines = [
        "| loss | elements | value (ms) | torch (ms) | ratio "
        "| gradient (ms) | torch (ms) | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:

        def cells(ours: float, theirs: float | None) -> str:
            if theirs is None:
                return f"{ours * 1e3:.0f} | - | -"
            return f"{ours * 1e3:.0f} | {theirs * 1e3:.0f} | {ours / theirs:.2f}"

        lines.append(
            f"| {r.name} | {r.size} | {cells(r.value_ours, r.value_torch)} | "
            f"{cells(r.grad_ours, r.grad_torch)} |"
        )
    return "\n".join(lines)


def import_torch(threads: int) -> Any:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's intra-op threads")
    parser.add_argument("--only", default="", help="comma-separated case names (prefixes)")
    args = parser.parse_args()
    torch = import_torch(args.threads)
    if torch is None:
        print("torch not installed: losscli's times only (pip install torch for the ratios)")
    chosen = [c for c in CASES if not args.only or c.name.startswith(tuple(args.only.split(",")))]
    rows = [run_case(case, args.elements, args.repeat, torch) for case in chosen]
    print(markdown(rows))


if __name__ == "__main__":
    main()
