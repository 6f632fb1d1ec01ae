"""The README's tour shows real output: each `$ losscli ...` line there is run and its output
compared, line by line, with what the README prints (a line with `...` is a prefix check)."""

from __future__ import annotations

import re
import shlex

import pytest
from conftest import REPO


def tour_commands() -> list[tuple[str, list[str]]]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    tour = readme.split("## Tour", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```console\n(.*?)```", tour, re.S)
    assert block, "the Tour section has a console block"
    commands: list[tuple[str, list[str]]] = []
    for line in block.group(1).splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif commands:
            commands[-1][1].append(line)
    return commands


@pytest.mark.parametrize(("command", "expected"), tour_commands())
def test_tour_output_is_what_losscli_prints(cli, command, expected):
    captured = re.fullmatch(r'(\w+)=\$\((losscli .*)\); echo "\$\1"', command)
    args = shlex.split(captured.group(2) if captured else command)
    assert args[0] == "losscli"
    run = cli(*args[1:])
    assert run.exit_code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == len(expected)
    for got, shown in zip(lines, expected, strict=True):
        if "..." in shown:
            for part in shown.split("..."):
                assert part.strip(" ,") in got
        else:
            assert got == shown


def exercise_commands() -> list[tuple[str, list[str]]]:
    """The console block of the README's Exercises section that shows a formula answer and a
    concept item (the first block there lists and shows with a terminal's table)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exercises", 1)[1].split("\n## ", 1)[0]
    block = next(
        b for b in re.findall(r"```console\n(.*?)```", section, re.S) if "derive-huber" in b
    )
    commands: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif commands:
            commands[-1][1].append(line)
    return commands


def test_exercise_section_runs_in_order(cli):
    # One student in one progress file: each command sees the previous ones' progress.
    commands = exercise_commands()
    assert len(commands) == 4
    for command, expected in commands:
        run = cli(*shlex.split(command)[1:], env={"COLUMNS": "80"})
        assert run.exit_code in (0, 1), run.stderr
        stdout = [line.rstrip() for line in run.stdout.splitlines()]
        assert stdout == [line for line in expected if not line.startswith("losscli: error")]
