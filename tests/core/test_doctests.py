"""The examples in the core's docstrings run: losscli/core/__init__.py's (evaluate huber),
the answer parser's in exercises/expressions.py and the decision guide's in
advice/recommend.py. Every module of the core is searched, so a new example runs too."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import losscli.core

MODULES = ["losscli.core"] + [
    info.name for info in pkgutil.walk_packages(losscli.core.__path__, "losscli.core.")
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


@pytest.mark.parametrize(
    "name", ["losscli.core", "losscli.core.exercises.expressions", "losscli.core.advice.recommend"]
)
def test_the_documented_examples_are_found(name: str) -> None:
    assert doctest.testmod(importlib.import_module(name)).attempted >= 2
