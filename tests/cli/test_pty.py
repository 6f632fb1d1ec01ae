"""Issue 19, "every screen size", in a real terminal: the installed `losscli` console script run
in a pseudo-terminal (Python's pty module) of 40, 80 and 200 columns with colour on (TERM=
xterm-256color) and off (NO_COLOR=1), choosing its own output format as a user's terminal
makes it choose. No line is wider than the terminal, every number is printed whole on one line
(checked against the same command's JSON), and colour codes appear when, and only when, colour
is on."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

WIDTHS = (40, 80, 200)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\]8;[^\x1b]*\x1b\\\\")
ELLIPSIS_BY_DIGIT = re.compile(r"\d…|…\d")
RESIDUALS = str(REPO / "examples" / "residuals_outliers.csv")


def _script() -> list[str]:
    """The console script next to this Python (the venv's), else `python -m losscli`."""
    here = Path(sys.executable).parent / "losscli"
    found = str(here) if here.exists() else shutil.which("losscli")
    return [found] if found else [sys.executable, "-m", "losscli"]


def in_terminal(*args: str, columns: int, colour: bool) -> tuple[int, str]:
    """Run losscli with stdin, stdout and stderr on a pseudo-terminal `columns` wide; the
    exit code and what the terminal received (line ends as \\n)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update({"COLUMNS": str(columns), "LINES": "50", "PYTHONPATH": str(REPO)})
    env.update(
        {"TERM": "xterm-256color"} if colour else {"TERM": "xterm-256color", "NO_COLOR": "1"}
    )
    env.pop("COLORTERM", None)
    env.pop("LOSSCLI_DEBUG", None)
    process = subprocess.Popen(
        [*_script(), *args], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    code = process.wait(timeout=120)
    return code, b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def _numbers_of(document: object) -> list[float]:
    if isinstance(document, bool):
        return []
    if isinstance(document, (int, float)):
        return [float(document)]
    if isinstance(document, dict):
        return [x for value in document.values() for x in _numbers_of(value)]
    if isinstance(document, list):
        return [x for value in document for x in _numbers_of(value)]
    return []


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?%?")


def _shown_numbers(text: str) -> list[float]:
    found = []
    for token in NUMBER.findall(text):
        value = float(token.rstrip("%"))
        found.append(value / 100 if token.endswith("%") else value)
    return found


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def has_colour(text: str) -> bool:
    """Whether a select-graphic-rendition code sets a colour (foreground or background, 8,
    16, 256 or true colour); bold and dim are not colours (NO_COLOR leaves them, as Rich)."""
    for match in SGR.finditer(text):
        for code in filter(None, match.group(1).split(";")):
            if 30 <= int(code) <= 38 or 40 <= int(code) <= 48 or 90 <= int(code) <= 107:
                return True
    return False


def _check_screen(text: str, columns: int, colour: bool, coloured: bool = False) -> str:
    """The screen without escape codes, after checking it: no colour under NO_COLOR (and,
    for what is drawn in colour, `coloured`, colour in a colour terminal), no line wider
    than the terminal, no "…" against a digit."""
    plain = ANSI.sub("", text)
    if not colour:
        assert not has_colour(text), repr(text)
    elif coloured:
        assert has_colour(text), repr(text)
    for line in plain.splitlines():
        assert len(line) <= columns, (columns, line)
    assert not ELLIPSIS_BY_DIGIT.search(plain), plain
    return plain


@functools.cache
def _json_of(case: str) -> dict[str, Any]:
    """The case's JSON document, from the same script (read once for all widths)."""
    piped = subprocess.run([*_script(), *CASES[case], "--json"], capture_output=True, check=True)
    return json.loads(piped.stdout)  # type: ignore[no-any-return]


CASES = {
    # One value: printed plainly or as a key/value list, never folded.
    "compute": ("compute", "cross-entropy", "--y-true", "2", "--y-pred", "0.1,0.2,0.7"),
    "compare": ("compare", "mse", "mae", "huber", RESIDUALS),
    "grad": ("grad", "huber", "--y-true", "0,0,0", "--y-pred", "0.5,-2,3.25"),
    # The README tour's sweep: at 40 columns `n` and `reduction` go, never the values.
    "sweep": (
        "compute",
        "huber",
        "--delta",
        "0.5,1,2",
        "--y-true",
        "0,0,0",
        "--y-pred",
        "0.5,2,10",
    ),
}


@pytest.mark.parametrize("colour", [True, False], ids=["colour", "no-colour"])
@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_numbers_are_whole_at_every_width(case: str, columns: int, colour: bool) -> None:
    args = CASES[case]
    code, text = in_terminal(*args, columns=columns, colour=colour)
    assert code == 0, text
    plain = _check_screen(text, columns, colour)
    shown = _shown_numbers(plain)
    # Every number the JSON holds for what the screen shows is on the screen, whole: equal to
    # the 6 significant digits a terminal table prints (the JSON's in full).
    document = _json_of(case)
    if case == "compare":
        # The columns a narrow screen leaves out are named; the loss values always stay.
        expected = [row["value"] for row in document["losses"]]
    elif case == "grad":
        expected = document["grad"]
    elif case == "sweep":
        expected = [result["value"] for result in document["results"]]
        assert len(expected) == 3
    else:
        expected = [document["value"]]
    for value in expected:
        assert any(abs(s - value) <= 5e-6 * max(1.0, abs(value)) for s in shown), (
            value,
            plain,
        )


@pytest.mark.parametrize("colour", [True, False], ids=["colour", "no-colour"])
@pytest.mark.parametrize("columns", WIDTHS)
def test_the_catalog_fits_every_width(columns: int, colour: bool) -> None:
    code, text = in_terminal("list", columns=columns, colour=colour)
    assert code == 0, text
    plain = _check_screen(text, columns, colour)
    if colour:
        assert SGR.search(text), text  # bold headers in a terminal
    # Every loss is named whole, on its own row: the name column is never squeezed away.
    from losscli.core import all_losses

    names = {line.split("│")[1].strip() for line in plain.splitlines() if line.count("│") >= 2}
    assert {loss.name for loss in all_losses()} <= names, plain


@pytest.mark.parametrize("colour", [True, False], ids=["colour", "no-colour"])
@pytest.mark.parametrize("columns", WIDTHS)
def test_a_plot_fits_every_width(columns: int, colour: bool) -> None:
    code, text = in_terminal("plot", "focal", "--gamma", "2", columns=columns, colour=colour)
    assert code == 0, text
    plain = _check_screen(text, columns, colour, coloured=True)
    assert "focal" in plain


@pytest.mark.parametrize("columns", WIDTHS)
def test_notes_and_errors_in_a_terminal(columns: int) -> None:
    # Errors stay one line however narrow the terminal (stderr is not wrapped by Rich).
    code, text = in_terminal(
        "plot", "mse", "--range", "-3", "--width", "40", columns=columns, colour=True
    )
    assert code == 2
    assert text == "losscli: error: --range needs two numbers A B, not -3 --width\n"
    # --quiet in a terminal: the value, no note.
    table = REPO / "examples" / "regression.csv"
    code, text = in_terminal("compute", "mse", str(table), "-q", columns=columns, colour=False)
    assert code == 0 and "note:" not in text


def test_colour_can_be_forced_off_by_the_option_in_a_colour_terminal() -> None:
    code, text = in_terminal(*CASES["compare"], "--color", "never", columns=80, colour=True)
    assert code == 0 and "\x1b" not in text
