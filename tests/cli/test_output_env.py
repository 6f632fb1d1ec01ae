"""Colour and width settings change human output only.

Machine formats (json, jsonl, csv, tsv, plain) are never written through Rich: whatever
NO_COLOR, FORCE_COLOR, COLUMNS and --color say, they are byte-for-byte the same. Tables
honour all four: the flag beats the environment, COLUMNS sets the width.
"""

from __future__ import annotations

import re

import pytest

MACHINE_FORMATS = ("json", "jsonl", "csv", "tsv", "plain")

# One invocation of every command that has -f/--format, scalar and tabular results both.
COMMANDS = {
    "list": ("list",),
    "show": ("show", "huber"),
    "compute": ("compute", "huber", "--y-true", "0,0", "--y-pred", "0.5,3"),
    "compute-none": (
        "compute",
        "ce",
        "--y-true",
        "2,0",
        "--y-pred",
        "0.1,0.2,0.7;0.5,0.3,0.2",
        "--reduction",
        "none",
    ),
    "grad": ("grad", "bce", "--logits", "--y-true", "1,0", "--y-pred", "0.3,-2"),
    "recommend": ("recommend", "--task", "regression", "--outliers", "heavy"),
    "compare": ("compare", "mse", "mae", "huber", "--y-true", "0,0,0", "--y-pred", "0.5,3,10"),
    "compare-conventions": (
        "compare",
        "bce",
        "--conventions",
        "--y-true",
        "1,0",
        "--y-pred",
        "0.9,0.2",
    ),
    "exercise-list": ("exercise", "list"),
    "exercise-show": ("exercise", "show", "ce-3class"),
}

SETTINGS = [
    ({"NO_COLOR": "1"}, ()),
    ({"FORCE_COLOR": "1"}, ()),
    ({"COLUMNS": "300", "LINES": "5"}, ()),
    ({"NO_COLOR": "1", "COLUMNS": "30"}, ("--color", "always")),
    ({"FORCE_COLOR": "1"}, ("--color", "never")),
]

ANSI = re.compile(r"\x1b\[")
COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-7]|9[0-7])m")  # a foreground colour, not just bold


@pytest.fixture(autouse=True)
def progress_home(tmp_path, monkeypatch):
    # The exercise commands read progress: keep it away from the real home directory.
    monkeypatch.setenv("LOSSCLI_HOME", str(tmp_path))


@pytest.mark.parametrize("fmt", MACHINE_FORMATS)
@pytest.mark.parametrize("name", list(COMMANDS))
def test_machine_output_is_the_same_whatever_the_colour_and_width(cli, name, fmt):
    args = (*COMMANDS[name], "-f", fmt)
    baseline = cli(*args)
    assert baseline.exit_code == 0, baseline.stderr
    assert baseline.stdout and not ANSI.search(baseline.stdout)
    for env, flags in SETTINGS:
        run = cli(*args, *flags, env=env)
        assert run.stdout == baseline.stdout, (env, flags)


@pytest.mark.parametrize("fmt", MACHINE_FORMATS)
@pytest.mark.parametrize("name", list(COMMANDS))
def test_machine_formats_never_touch_rich(cli, monkeypatch, name, fmt):
    def no_rich(*args, **kwargs):
        raise AssertionError("a machine format went through a Rich console")

    monkeypatch.setattr("rich.console.Console.__init__", no_rich)
    run = cli(*COMMANDS[name], "-f", fmt, "--color", "always", env={"FORCE_COLOR": "1"})
    assert run.exit_code == 0, run.stderr


@pytest.mark.parametrize(
    ("env", "flag", "colour"),
    [
        ({}, "auto", False),  # not a terminal
        ({"FORCE_COLOR": "1"}, "auto", True),
        ({"NO_COLOR": "1"}, "auto", False),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, "auto", False),
        ({}, "always", True),
        ({"NO_COLOR": "1"}, "always", True),  # the flag beats the environment
        ({"FORCE_COLOR": "1"}, "never", False),
    ],
)
def test_colour_in_tables(cli, env, flag, colour):
    run = cli(*COMMANDS["recommend"], "-f", "table", "--color", flag, env=env)
    assert run.exit_code == 0
    assert bool(COLOUR.search(run.stdout)) is colour
    if flag == "never":
        assert not ANSI.search(run.stdout)


@pytest.mark.parametrize("width", [40, 72, 160])
@pytest.mark.parametrize(
    "name",
    ["list", "show", "compute-none", "recommend", "compare", "exercise-list", "exercise-show"],
)
def test_tables_fit_columns(cli, name, width):
    run = cli(*COMMANDS[name], "-f", "table", env={"COLUMNS": str(width)})
    assert run.exit_code == 0
    assert max(len(line) for line in run.stdout.splitlines()) <= width


def test_wide_columns_are_used(cli):
    narrow = cli("list", "-f", "table", env={"COLUMNS": "60"}).stdout
    wide = cli("list", "-f", "table", env={"COLUMNS": "200"}).stdout
    assert max(map(len, wide.splitlines())) > 60 >= max(map(len, narrow.splitlines()))
