"""A parameter added to a loss's record reaches the commands with no edit in cli/: the
options come from the generated names module (tools/generate.py), attached by one decorator."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json

import pytest
import typer
from conftest import REPO
from typer.testing import CliRunner

from losscli.cli import compare, compute, grad, names, plot
from losscli.cli.app import LossCliGroup
from losscli.core.losses import registry
from losscli.core.losses.types import Param

COMMANDS = (compute, grad, compare, plot)


@pytest.fixture
def knobbed_app(monkeypatch):
    """huber with a throwaway parameter --knob that scales its value and gradient, put in
    the registry; names.py made from it as tools/generate.py makes it; the command modules
    imported again, so that each command makes its options afresh, on a new app."""
    huber = registry.get("huber")

    def value(y_true, y_pred, *, knob, **params):
        return knob * huber.value(y_true, y_pred, **params)

    def gradient(y_true, y_pred, *, knob, **params):
        return knob * huber.grad(y_true, y_pred, **params)

    knob = Param("knob", 1.0, "a throwaway scale of the value", lower=0.0)
    record = dataclasses.replace(
        huber, params=(*huber.params, knob), value=value, grad=gradient, value_and_grad=None
    )
    monkeypatch.setitem(registry._LOSSES, "huber", record)
    spec = importlib.util.spec_from_file_location("generate", REPO / "tools" / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    generated: dict[str, object] = {}
    exec(generate.names_module(), generated)
    monkeypatch.setattr(names, "PARAMS", generated["PARAMS"])
    for module in COMMANDS:
        importlib.reload(module)
    app = typer.Typer(cls=LossCliGroup, add_completion=False, rich_markup_mode=None)
    for module in COMMANDS:
        module.register(app)
    yield app
    monkeypatch.undo()
    for module in COMMANDS:
        importlib.reload(module)


def run(app, *args):
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


INLINE = ("--y-true", "0,0,0", "--y-pred", "0.5,2,-10")


@pytest.mark.parametrize("command", ["compute", "grad", "compare", "plot"])
def test_the_new_parameter_has_its_option_and_help(knobbed_app, command):
    code, out, _ = run(knobbed_app, command, "--help")
    assert code == 0
    assert "--knob X[,X...]" in out
    assert "huber: a throwaway scale of the value (default 1)." in " ".join(out.split())


def test_the_new_parameter_reaches_the_core(knobbed_app):
    # huber's mean on these rows is 3.7083333333333335 (compute huber, delta 1): 0.125,
    # 1.5 and 9.5 over 3; --knob 2 doubles it, --knob 2,3 sweeps it.
    code, out, err = run(knobbed_app, "compute", "huber", *INLINE, "--json")
    assert code == 0, err
    assert json.loads(out)["value"] == pytest.approx(3.7083333333333335, rel=1e-15)
    code, out, err = run(knobbed_app, "compute", "huber", *INLINE, "--knob", "2", "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["params"] == {"delta": 1.0, "knob": 2.0}
    assert document["value"] == pytest.approx(2 * 3.7083333333333335, rel=1e-15)
    code, out, err = run(knobbed_app, "grad", "huber", *INLINE, "--knob", "3", "--json")
    assert code == 0, err
    assert json.loads(out)["grad"] == [1.5, 3.0, -3.0]
    code, out, err = run(knobbed_app, "compare", "mse", "huber", *INLINE, "--knob", "2,3", "--json")
    assert code == 0, err
    rows = [(r["loss"], r["params"].get("knob")) for r in json.loads(out)["losses"]]
    assert rows == [("mse", None), ("huber", 2.0), ("huber", 3.0)]


def test_the_new_parameter_is_checked_by_its_record(knobbed_app):
    code, _, err = run(knobbed_app, "compute", "huber", *INLINE, "--knob", "-1")
    assert code == 2
    assert "--knob must be at least 0, not -1" in err
    code, _, err = run(knobbed_app, "compute", "mse", *INLINE, "--knob", "2")
    assert code == 2
    assert "mse has no parameter --knob" in err
