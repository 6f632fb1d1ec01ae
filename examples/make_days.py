"""Write examples/days/: a small Hive-style dataset (day=1/, day=2/, day=3/, one CSV each)
for the README's "At scale" section.

Targets are integers and predictions differ from them by multiples of 1/4, so every squared
residual and every partial sum is exact in float64: each way of splitting the work (states
and merge, --jobs, Dask, Spark) prints the same digits.

    python examples/make_days.py [OUT_DIR]
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

DAYS = 3
ROWS = 40


def main(out: str = str(Path(__file__).resolve().parent / "days")) -> None:
    rng = random.Random(16)
    for day in range(1, DAYS + 1):
        folder = Path(out) / f"day={day}"
        folder.mkdir(parents=True, exist_ok=True)
        lines = ["y_true,y_pred"]
        for _ in range(ROWS):
            y = rng.randint(0, 20)
            lines.append(f"{y},{y + rng.randint(-12, 12) / 4}")
        (folder / "preds.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
