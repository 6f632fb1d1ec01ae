"""Generate residuals_outliers.csv, the bundled example of `losscli compare`.

500 delivery times in minutes (y_true) and a model's predictions (y_pred): Gaussian errors
with a standard deviation of one minute, except for 5 orders (1%) whose predictions are off
by 15 to 30 minutes, as data-entry mistakes would be. The worst 1% of examples are exactly
those outliers, so `losscli compare mse mae huber examples/residuals_outliers.csv` shows how
much of each loss they own.

Deterministic: Python's own generator with a fixed seed, numbers rounded to 0.01 minute.
Run `python examples/make_residuals_outliers.py` to rewrite the file; a test checks that the
committed file is what this script writes.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

SEED = 2006
ROWS = 500
NOISE_SD = 1.0
# (row, error in minutes) of the gross outliers.
OUTLIERS = ((37, 15.0), (121, -18.0), (250, 22.0), (333, -26.0), (461, 30.0))


def rows() -> list[tuple[float, float]]:
    rng = random.Random(SEED)
    out = []
    for _ in range(ROWS):
        y_true = round(rng.uniform(10.0, 60.0), 2)
        error = rng.gauss(0.0, NOISE_SD)
        out.append((y_true, round(y_true + error, 2)))
    for i, error in OUTLIERS:
        y_true = out[i][0]
        out[i] = (y_true, round(y_true + error, 2))
    return out


def render() -> str:
    lines = ["y_true,y_pred"] + [f"{t:.2f},{p:.2f}" for t, p in rows()]
    return "\n".join(lines) + "\n"


def main(path: str | None = None) -> None:
    target = Path(path) if path else Path(__file__).with_name("residuals_outliers.csv")
    target.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
