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


def test_every_registered_parameter_reaches_the_core():
    # An option declared on a command but missing from LOSS_PARAMS would be ignored silently.
    registered = {p.name for loss in all_losses() for p in loss.params}
    assert registered <= set(o.LOSS_PARAMS), sorted(registered - set(o.LOSS_PARAMS))


@pytest.mark.parametrize("command", COMMANDS)
def test_a_loss_parameter_option_is_passed_on(command, cli):
    # Each command hands its arguments to o.loss_params by name: --delta 2 must change
    # Huber's numbers (plot and explore have their own tests of their parameters).
    args = {
        "compute": ["compute", "huber", "--y-true", "0", "--y-pred", "3", "--json"],
        "grad": ["grad", "huber", "--y-true", "0", "--y-pred", "3", "--json"],
        "compare": ["compare", "huber", "--y-true", "0", "--y-pred", "3", "--json"],
    }[command]
    default = cli(*args).json()
    wider = cli(*args, "--delta", "2").json()
    assert default != wider
