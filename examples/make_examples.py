"""Regenerate the bundled example tables (deterministic): python examples/make_examples.py

regression.csv       200 rows: y_true, y_pred (Gaussian noise, sd 0.5)
classification.csv   200 rows: label (0-2) and class probabilities p0, p1, p2
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def main() -> None:
    rng = np.random.default_rng(2026)
    y = np.round(rng.normal(10.0, 3.0, 200), 3)
    pred = np.round(y + rng.normal(0.0, 0.5, 200), 3)
    rows = "\n".join(f"{a:.3f},{b:.3f}" for a, b in zip(y, pred, strict=True))
    (HERE / "regression.csv").write_text("y_true,y_pred\n" + rows + "\n")

    labels = rng.integers(0, 3, 200)
    logits = rng.normal(0.0, 1.0, (200, 3))
    logits[np.arange(200), labels] += 1.0
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    p = np.round(p, 6)
    p[:, 2] = np.round(1.0 - p[:, 0] - p[:, 1], 6)  # rows sum to 1 exactly as written
    lines = [f"{k},{a:.6f},{b:.6f},{c:.6f}" for k, (a, b, c) in zip(labels, p, strict=True)]
    (HERE / "classification.csv").write_text("label,p0,p1,p2\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
