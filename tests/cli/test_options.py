"""Every loss parameter in the registry has an option on every command that computes losses,
and the CLI's list of conventions is the core's."""

from __future__ import annotations

import pytest
import typer

from losscli.cli import options as o
from losscli.cli.app import app
from losscli.core import all_losses
from losscli.core.conventions import NAMES

COMMANDS = ("compute", "grad", "compare")
# Commands that draw losses take their parameters too; explore has no --eps on purpose (its
# curves are the exact ones).
DRAWING = {"plot": (), "explore": ("--eps",)}


def option_names(command: str) -> set[str]:
    group = typer.main.get_command(app)
    params = group.commands[command].params  # type: ignore[attr-defined]
    return {opt for p in params for opt in getattr(p, "opts", [])}


@pytest.mark.parametrize("command", [*COMMANDS, *DRAWING])
def test_every_registered_parameter_has_an_option(command):
    names = option_names(command)
    exempt = DRAWING.get(command, ())
    missing = {
        f"{loss.name}: {p.option}"
        for loss in all_losses()
        for p in loss.params
        if p.option not in names and p.option not in exempt
    }
    assert not missing, f"{command} lacks options for: {sorted(missing)}"


@pytest.mark.parametrize("command", COMMANDS)
def test_convention_option(command):
    assert "--convention" in option_names(command)


def test_cli_conventions_are_the_cores():
    assert tuple(c.value for c in o.ConventionName) == NAMES


@pytest.mark.parametrize("command", COMMANDS)
def test_a_loss_parameter_option_is_passed_on(command, cli):
    # Each command receives the options as one LossParams: --delta 2 must change Huber's
    # numbers (plot and explore have their own tests of their parameters).
    args = {
        "compute": ["compute", "huber", "--y-true", "0", "--y-pred", "3", "--json"],
        "grad": ["grad", "huber", "--y-true", "0", "--y-pred", "3", "--json"],
        "compare": ["compare", "huber", "--y-true", "0", "--y-pred", "3", "--json"],
    }[command]
    default = cli(*args).json()
    wider = cli(*args, "--delta", "2").json()
    assert default != wider


def test_the_options_are_the_generated_records():
    # Each option is declared from names.PARAMS (tools/generate.py writes it from the
    # registry), with its help and metavar; a test in test_docs keeps that file current.
    from losscli.cli import names

    group = typer.main.get_command(app)
    params = {p.name: p for p in group.commands["compute"].params}  # type: ignore[attr-defined]
    for name, (kind, metavar, text) in names.PARAMS.items():
        option = params[name]
        assert option.help == text
        assert option.is_flag == (kind == "flag")
        if kind != "flag":
            assert option.metavar == metavar
    assert "focal, softmax-focal: focusing exponent" in names.PARAMS["gamma"][2]
    assert names.PARAMS["batch_size"][:2] == ("integer", "N[,N...]")
    assert names.PARAMS["direction"][:2] == ("choice", "forward|reverse")


def test_a_command_declares_the_options_once_in_a_decorator():
    # No command module names a loss parameter: the decorator adds them all.
    from pathlib import Path

    import losscli.cli

    folder = Path(losscli.cli.__file__).parent
    for module in ("compute", "grad", "compare", "plot", "explore"):
        text = (folder / f"{module}.py").read_text(encoding="utf-8")
        assert "@o.loss_parameters(" in text
        assert "locals()" not in text
        for name in ("delta", "gamma", "margin", "temperature"):
            assert f"    {name}: " not in text, (module, name)
