"""`losscli --help` and the help of every command stay light: no NumPy, Polars or plotting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

HEAVY = ("numpy", "polars", "matplotlib", "plotext", "textual")

SNIPPET = """
import sys
from losscli.cli.app import app
try:
    app({args!r})
except SystemExit:
    pass
print(",".join(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["--help"], "Usage:"),
        (["plot", "--help"], "Usage:"),
        (["explore", "--help"], "Usage:"),
        (["--version", "--json"], '"numpy": '),
        (["completion", "bash"], "complete -o default"),
    ],
)
def test_light_commands_import_nothing_heavy(args, shown):
    code = SNIPPET.format(args=args, heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert shown in done.stdout
    assert done.stdout.splitlines()[-1] == ""
