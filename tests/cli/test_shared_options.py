"""Options shared by the data commands are declared once (issue 17, "commands only
command"): `options.input_options` gives compute, grad and compare the same input options, in
the same order, and hands each command one InputOptions."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

import losscli.cli
from losscli.cli import options as o
from losscli.cli.app import app

DATA_COMMANDS = ("compute", "grad", "compare")


def declared(command: str) -> list[tuple[str, tuple[str, ...], str | None, object]]:
    """The command's options as click sees them: name, spellings, help, default."""
    params = typer.main.get_command(app).commands[command].params  # type: ignore[attr-defined]
    return [
        (p.name, (*p.opts, *p.secondary_opts), getattr(p, "help", None), p.default) for p in params
    ]


def test_the_input_options_are_one_declaration_on_every_data_command():
    names = list(o.INPUT_OPTIONS)
    groups = []
    for command in DATA_COMMANDS:
        options = declared(command)
        at = [name for name, *_ in options].index(names[0])
        group = options[at : at + len(names)]
        assert [name for name, *_ in group] == names, command  # together, in order
        groups.append(group)
    assert groups[0] == groups[1] == groups[2]
    spellings = {spelling for _, opts, _, _ in groups[0] for spelling in opts}
    assert {"--y-true", "--y-pred", "-t", "--target", "--nan", "--labels"} <= spellings


@pytest.mark.parametrize("command", DATA_COMMANDS)
def test_each_data_command_help_shows_the_input_options(cli, command):
    run = cli(command, "--help", env={"COLUMNS": "200"})
    assert run.exit_code == 0
    for text in ("--y-true", "--y-pred", "--weights", "--target", "--pred", "--weight",
                 "--input-format", "--delimiter", "--no-header", "--labels", "--nan",
                 "--no-progress"):  # fmt: skip
        assert text in run.stdout, (command, text)
    # One option, one line: --nan's help is the shared declaration's.
    assert "drop the row and say how many were dropped" in " ".join(run.stdout.split())


def test_no_data_command_declares_an_input_option_itself():
    folder = Path(losscli.cli.__file__).parent
    for command in DATA_COMMANDS:
        text = (folder / f"{command}.py").read_text(encoding="utf-8")
        assert "@o.input_options" in text
        for name in o.INPUT_OPTIONS:
            assert f"    {name}: o." not in text, (command, name)


def test_a_command_receives_the_options_as_one_input_options(cli, tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("a;b\n1;1.5\n2;2\n", encoding="utf-8")
    run = cli(
        "compute", "mse", str(table), "--delimiter", ";", "-t", "a", "-p", "b", "--json"
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert run.json()["value"] == pytest.approx(0.125)  # (0.5^2 + 0^2) / 2


def every_command(command=None, path=()):
    """(path, command) of every command of the app, sub-commands of groups included."""
    command = command or typer.main.get_command(app)
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    for name, sub in sorted(subcommands.items()):
        yield from every_command(sub, (*path, name))


def test_the_output_options_are_one_declaration_on_every_command_that_has_them():
    groups = {}
    for path, command in every_command():
        params = [(p.name, (*p.opts, *p.secondary_opts), p.help, p.default) for p in command.params]
        names = [name for name, *_ in params]
        if "fmt" not in names:
            continue
        at = names.index("fmt")
        groups[" ".join(path)] = params[at : at + len(o.OUTPUT_OPTIONS)]
    # compute, grad, compare, merge, recommend, list, show and every exercise command.
    assert {"compute", "grad", "compare", "merge", "recommend", "list", "show"} <= set(groups)
    assert {"exercise check", "exercise validate"} <= set(groups)
    first = groups["compute"]
    assert [name for name, *_ in first] == list(o.OUTPUT_OPTIONS)
    for command, group in groups.items():
        assert group == first, command
    folder = Path(losscli.cli.__file__).parent
    for module in folder.glob("*.py"):
        assert "fmt: o.Format" not in module.read_text(encoding="utf-8"), module.name


def test_a_command_receives_the_output_options_as_one_output(cli):
    # --json is -f json, whatever -f says.
    run = cli("compute", "mse", "--y-true", "1,2", "--y-pred", "1,3", "-f", "tsv", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["value"] == 0.5  # (0^2 + 1^2) / 2
    run = cli("compute", "mse", "--y-true", "1,2", "--y-pred", "1,3", "-f", "plain")
    assert run.stdout.strip() == "0.5"
