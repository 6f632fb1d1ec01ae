"""Issue 19: `--quiet` silences notes (column choices, skipped rows) but never errors. Each
command that writes notes takes it; warnings about the data and errors are still written,
and a JSON document still carries what was skipped."""

from __future__ import annotations

import pytest

from losscli.cli.app import QUIET_COMMANDS

TABLE = "y,p\n1,2\n,3\n4,4\n"  # columns guessed (a note); row 2 has no target


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(TABLE)
    return str(path)


@pytest.mark.parametrize(
    "args",
    [
        ("compute", "mse", "{t}", "--nan", "skip"),
        ("grad", "mse", "{t}", "--nan", "skip", "-f", "tsv"),
        ("compare", "mse", "mae", "{t}", "--nan", "skip", "-f", "tsv"),
        ("plot", "mse", "--data", "{t}", "--nan", "skip", "--width", "60"),
        ("recommend", "{t}", "--nan", "skip", "-f", "tsv"),
    ],
)
def test_quiet_silences_the_notes_and_keeps_the_output(cli, table, args) -> None:
    args = tuple(a.format(t=table) for a in args)
    loud = cli(*args)
    assert loud.exit_code == 0, loud.stderr
    assert "losscli: note: using column 'y' as the target" in loud.stderr
    for flag in ("-q", "--quiet"):
        quiet = cli(*args, flag)
        assert quiet.exit_code == 0, quiet.stderr
        assert "note:" not in quiet.stderr and "skipped" not in quiet.stderr, quiet.stderr
        assert quiet.stdout == loud.stdout


def test_the_skipped_rows_note_is_silenced_but_json_keeps_it(cli, table) -> None:
    loud = cli("compute", "mse", table, "--nan", "skip")
    assert "skipped 1 row with missing or non-finite values" in loud.stderr
    quiet = cli("compute", "mse", table, "--nan", "skip", "-q", "--json")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    data = quiet.json()
    # (2-1)^2 and (4-4)^2 over the two rows kept.
    assert data["value"] == 0.5 and data["n"] == 2
    assert data["warnings"] == ["skipped 1 row with missing or non-finite values (--nan skip)"]


def test_quiet_never_silences_an_error(cli, table) -> None:
    run = cli("compute", "mse", table, "-q")  # row 2's empty target, --nan error by default
    assert run.exit_code == 3 and run.stdout == ""
    assert run.stderr == "losscli: error: row 2, column 'y': missing value (an empty cell)\n"
    usage = cli("compute", "mse", "-q", "--y-true", "1", "--y-pred", "10%")
    assert usage.exit_code == 2 and "is not a number" in usage.stderr


def test_quiet_keeps_warnings_about_the_data(cli) -> None:
    # Every example's loss is 0: the top-1% share is undefined (a warning, not a note).
    run = cli("compare", "mse", "mae", "--y-true", "1,2", "--y-pred", "1,2", "-q", "-f", "tsv")
    assert run.exit_code == 0
    assert "losscli: warning:" in run.stderr and "note:" not in run.stderr


def test_quiet_silences_an_aliases_note_in_show(cli) -> None:
    loud = cli("show", "bce-with-logits", "-f", "tsv")
    assert "losscli: note: bce-with-logits is torch.nn.BCEWithLogitsLoss" in loud.stderr
    quiet = cli("show", "bce-with-logits", "-f", "tsv", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == loud.stdout


def test_quiet_is_on_every_command_that_writes_notes_and_said_in_help(cli) -> None:
    for command in sorted(QUIET_COMMANDS):
        help_text = cli(command, "--help").stdout
        assert "-q, --quiet" in help_text, command
    # A command without notes has no --quiet: an unknown option, as click says.
    run = cli("list", "--quiet")
    assert run.exit_code == 2 and "No such option: --quiet" in run.stderr


def test_quiet_does_not_outlive_its_command(cli, table) -> None:
    cli("compute", "mse", table, "--nan", "skip", "-q")
    again = cli("compute", "mse", table, "--nan", "skip")
    assert "note: using column" in again.stderr
