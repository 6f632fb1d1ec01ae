"""Regenerate tests/data/torch_references.npz: PyTorch's values for the oracle tests.

PyTorch is not a test dependency; the tests read its numbers from that file. To recompute them
(after adding or changing an oracle test), install the PyTorch the file was made with into the
venv and run this script from the repository root:

    .venv/bin/python -m pip install torch==2.13.0   # CPU wheels are enough
    .venv/bin/python tools/freeze_torch_references.py

It deletes the file and runs the tests that use PyTorch with LOSSCLI_RECORD_TORCH=1, so each
test's `record(torch)` function runs against the real PyTorch and its arrays (inputs, values,
gradients) are written again; the same tests then pass against their own numbers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "torch_references.npz"
# The test modules whose oracle tests call tests/torch_reference.torch_reference.
MODULES = (
    "tests/core/test_oracles.py",
    "tests/core/test_convention_oracles.py",
    "tests/core/test_catalog_oracles.py",
)


def main() -> int:
    import torch

    DATA.unlink(missing_ok=True)
    env = {**os.environ, "LOSSCLI_RECORD_TORCH": "1"}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:xdist",
        *MODULES,
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, check=False)
    if done.returncode == 0:
        print(f"wrote {DATA.relative_to(ROOT)} with torch {torch.__version__}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
