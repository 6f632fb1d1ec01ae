"""The order of the catalog (`losscli list`, `all_losses()`) is the one written in
losscli/core/losses/__init__.py: family module by family module as FAMILIES lists them, each
module's losses in the order it defines them. It must not depend on which module a program
happens to import first (losscli/core/evaluation/curves.py, for one, imports
classification before anything else)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from losscli.core.losses import FAMILIES
from losscli.core.losses.registry import all_losses

NAMES = [loss.name for loss in all_losses()]

FIRST_IMPORTS = [
    *(family.__name__ for family in FAMILIES),
    "losscli.core.losses.types",
    "losscli.core.losses.numerics",
    "losscli.core.evaluation.curves",
    "losscli.core.conventions",
    "losscli.core.exercises.model",
]

# Imports one module first, in a fresh interpreter, then prints the catalog's names.
SCRIPT = (
    "import importlib, json, sys\n"
    "importlib.import_module(sys.argv[1])\n"
    "from losscli.core.losses.registry import all_losses\n"
    "print(json.dumps([loss.name for loss in all_losses()]))\n"
)


@pytest.mark.parametrize("first", FIRST_IMPORTS)
def test_the_order_does_not_depend_on_the_first_import(first: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, first], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == NAMES


def test_losses_come_family_module_by_family_module_in_the_written_order() -> None:
    # A family module defines its losses' value functions, so they name the module.
    modules = [family.__name__ for family in FAMILIES]
    positions = [modules.index(loss.value.__module__) for loss in all_losses()]
    assert positions == sorted(positions)
    # Every family module listed contributes, and every loss comes from a listed module.
    assert set(positions) == set(range(len(modules)))


def test_the_catalog_opens_with_the_first_family() -> None:
    # regression.py's first record is the catalog's first line of `losscli list`.
    assert NAMES[:3] == ["mse", "mae", "huber"]


@pytest.mark.parametrize("first", ["kl", "infonce", "mse"])
def test_the_order_does_not_depend_on_the_first_loss_asked_for(first: str) -> None:
    # get() imports the asked-for loss's family module alone, before any other.
    script = SCRIPT.replace("importlib.import_module(sys.argv[1])", "")
    script = f"from losscli.core.losses.registry import get\nget({first!r})\n{script}"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == NAMES
