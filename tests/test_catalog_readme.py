"""The README's loss tables cover the registry (tools/generate.py writes them from the
records; tests/test_docs.py checks they are current), each framework's name agrees with its
convention, and the examples of its "Losses and conventions" section print what the README
shows."""

from __future__ import annotations

import re
import shlex

import pytest
from conftest import REPO

from losscli.core import all_losses
from losscli.core.conventions import covers


def section() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return readme.split("## Losses and conventions", 1)[1].split("\n## ", 1)[0]


def table_names(text: str, header: str) -> list[str]:
    """The first-column loss names of the markdown table whose header starts with `header`."""
    rows = text.split(header, 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    return [re.match(r"\| `([a-z0-9-]+)`", row).group(1) for row in rows]  # type: ignore[union-attr]


def test_both_tables_list_every_loss_once():
    names = {loss.name for loss in all_losses()}
    for header in ("| loss (parameters)", "| losscli | also accepted"):
        listed = table_names(section(), header)
        assert sorted(listed) == sorted(names), header
    assert f"all {len(names)} losses" in section()


def test_the_framework_table_has_a_column_per_framework():
    header = next(line for line in section().splitlines() if line.startswith("| losscli |"))
    assert [c.strip() for c in header.strip("|").split("|")] == [
        "losscli",
        "also accepted",
        "PyTorch",
        "Keras",
        "Optax",
        "scikit-learn",
        "SciPy",
    ]


@pytest.mark.parametrize("loss", all_losses(), ids=lambda loss: loss.name)
@pytest.mark.parametrize("framework", ["torch", "keras", "optax", "sklearn"])
def test_a_framework_name_is_given_exactly_where_the_convention_has_the_loss(loss, framework):
    # A name in parentheses is a related quantity, not the loss: no convention reproduces it.
    name = loss.framework_names.get(framework, "")
    named = bool(name) and not name.startswith("(")
    has_rule = covers(framework, loss)
    assert named == has_rule, f"{loss.name}: --convention {framework} " + (
        "has the loss, but framework_names gives no name for it"
        if has_rule
        else f"has no such loss, but framework_names names {name!r}"
    )


def examples() -> list[tuple[str, list[str]]]:
    block = re.search(r"```console\n(.*?)```", section(), re.S)
    assert block, "the section has a console block"
    out: list[tuple[str, list[str]]] = []
    for line in block.group(1).splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        else:
            out[-1][1].append(line)
    return out


@pytest.mark.parametrize(("command", "expected"), examples())
def test_section_examples_print_what_the_readme_shows(cli, command, expected):
    args = shlex.split(command)
    run = cli(*args[1:])
    assert run.exit_code == 0, run.stderr
    assert run.stdout.splitlines() == expected
