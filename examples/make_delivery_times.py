"""Generate delivery_times.csv, the bundled example of `losscli recommend --trial`.

400 deliveries: the distance in km and the number of stops (the features) and the delivery
time in minutes (the target), 8 + 2.5 min/km + 4 min/stop with Gaussian noise of 2 minutes,
except for 4% of orders logged 25 to 60 minutes late (a courier who forgot to close the
order: always late, never early). A least-squares fit is pulled toward those late logs; a
Huber fit is not, so on held-out data Huber predicts the typical delivery better, which
`losscli recommend examples/delivery_times.csv -t minutes --trial --target-stat median`
shows.

Deterministic: Python's own generator with a fixed seed, numbers rounded to 0.01. Run
`python examples/make_delivery_times.py` to rewrite the file; a test checks that the
committed file is what this script writes.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

SEED = 2015
ROWS = 400
NOISE_SD = 2.0
LATE_SHARE = 0.04


def rows() -> list[tuple[float, int, float]]:
    rng = random.Random(SEED)
    out = []
    for _ in range(ROWS):
        km = round(rng.uniform(0.5, 12.0), 2)
        stops = rng.randint(0, 4)
        minutes = 8.0 + 2.5 * km + 4.0 * stops + rng.gauss(0.0, NOISE_SD)
        if rng.random() < LATE_SHARE:
            minutes += rng.uniform(25.0, 60.0)
        out.append((km, stops, round(minutes, 2)))
    return out


def render() -> str:
    lines = ["km,stops,minutes"] + [f"{k:.2f},{s},{m:.2f}" for k, s, m in rows()]
    return "\n".join(lines) + "\n"


def main(path: str | None = None) -> None:
    target = Path(path) if path else Path(__file__).with_name("delivery_times.csv")
    target.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
