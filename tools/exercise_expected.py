"""Print the textbook answer of every part of the exercises that record `expected`, beside
the recorded value, so an author can check a changed exercise by hand:

    .venv/bin/python tools/exercise_expected.py exercises/huber-vs-mse.toml

With --write, the recorded values are replaced by the computed ones (to 12 significant
digits) after the author has checked them; `losscli exercise validate` compares the two to
1e-9 relative.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from losscli.core.exercises.model import draw_variant, work
from losscli.inputs.exercises import load_file


def main(args: list[str]) -> None:
    write = "--write" in args
    for name in [a for a in args if a != "--write"]:
        path = Path(name)
        exercise = load_file(path)
        answers = work(exercise, draw_variant(exercise)).answers
        lines = path.read_text(encoding="utf-8").split("\n")
        part = None
        for i, line in enumerate(lines):
            named = re.match(r'name = "([^"]+)"', line)
            if named:
                part = named[1]
            recorded = re.match(r"expected = (\S+)", line)
            if recorded and part in answers:
                value = answers[part]
                print(f"{path.name}\t{part}\trecorded {recorded[1]}\tcomputed {value!r}")
                text = f"{value:.12g}"
                lines[i] = f"expected = {text if float(text) == value else repr(value)}"
        if write:
            path.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
