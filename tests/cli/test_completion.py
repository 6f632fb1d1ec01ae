"""Shell completion: the protocol's candidates, the shipped scripts in real shells, and what
completion must not do (import NumPy or Polars, touch a shell's startup files)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from conftest import REPO, run_subprocess

from losscli.cli import names
from losscli.cli.app import app
from losscli.cli.completion import FILE_NAMES, Shell, script

COMPLETIONS = REPO / "completions"


def candidates(cli, line: str, env: dict[str, str] | None = None) -> list[str]:
    """What bash's TAB offers after `line` (a trailing space starts a new word)."""
    words = line.split()
    current = len(words) if line.endswith(" ") else len(words) - 1
    protocol = {
        "_LOSSCLI_COMPLETE": "complete_bash",
        "COMP_WORDS": line,
        "COMP_CWORD": str(current),
    }
    run = cli(env={**(env or {}), **protocol})
    assert run.exit_code == 0, run.stderr
    return run.stdout.split()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("losscli compute hu", ["huber", "huber-loss"]),
        (
            "losscli grad b",
            [
                "binary-cross-entropy",
                "brier",
                "bce",
                "binary-crossentropy",
                "brier-score",
                "brier-score-loss",
                "bce-with-logits",
            ],
        ),
        ("losscli show kl-", ["kl-divergence", "kl-div"]),
        ("losscli plot mse ma", ["mae", "mape", "margin-ranking", "margin-ranking-loss"]),
        ("losscli list --family ", list(names.FAMILIES)),
        ("losscli compute huber -f j", ["json", "jsonl"]),
        ("losscli compute huber --reduction ", ["mean", "sum", "none"]),
        ("losscli compute huber --de", ["--delimiter", "--delta"]),
        ("losscli completion ", ["bash", "zsh", "fish"]),
        ("losscli comp", ["compute", "compare", "completion"]),
        ("losscli --v", ["--version"]),
        ("losscli compute mse --convention t", ["torch"]),
        ("losscli compute kl --direction ", ["forward", "reverse"]),
        ("losscli compare mse h", ["hinge", "huber", "hinge-loss", "huber-loss"]),
        ("losscli exercise check ce-", ["ce-3class", "ce-nll-dataset"]),
        (
            "losscli exercise hint --seed 3 huber-",
            ["huber-delta-limits", "huber-influence", "huber-vs-mse"],
        ),
        ("losscli exercise v", ["validate"]),
    ],
)
def test_candidates(cli, line, expected):
    assert candidates(cli, line) == expected


def test_an_empty_loss_word_offers_each_loss_once(cli):
    assert candidates(cli, "losscli compute ") == sorted(names.LOSSES)


def test_every_command_is_offered(cli):
    root = typer.main.get_command(app)
    ctx = root.make_context("losscli", [], resilient_parsing=True)
    visible = [n for n in root.list_commands(ctx) if not root.get_command(ctx, n).hidden]
    assert candidates(cli, "losscli ") == visible


def test_every_exercise_file_is_offered(cli):
    ids = sorted(p.stem for p in (REPO / "exercises").glob("*.toml"))
    assert len(ids) >= 16
    assert candidates(cli, "losscli exercise show ") == ids


def test_exercise_ids_from_other_directories(cli, tmp_path):
    (tmp_path / "my-own.toml").write_text('title = "Mine"\n')
    (tmp_path / "my-broken.toml").write_text("title = \n")
    line = "losscli exercise check my"
    assert candidates(cli, line) == []
    env = {"LOSSCLI_EXERCISES": str(tmp_path)}
    assert candidates(cli, f"{line}", env=env) == ["my-broken", "my-own"]
    assert candidates(cli, f"losscli exercise check --exercises-dir {tmp_path} my") == [
        "my-broken",
        "my-own",
    ]
    zsh = cli(env={"_LOSSCLI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line, **env}).stdout
    assert '"my-own":"Mine"' in zsh and '"my-broken"\n' in zsh


def test_completion_finds_the_exercises_where_the_exercise_command_does():
    from losscli.cli.candidates import builtin_exercise_dir
    from losscli.inputs.exercises import builtin_dir

    assert builtin_exercise_dir() == builtin_dir()


def test_where_a_file_goes_nothing_is_offered_so_the_shell_offers_files(cli):
    assert candidates(cli, "losscli compute huber ") == []


def _arguments(command, ctx):
    """(path, parameter, context) for every argument of every command under `command`."""
    for param in command.params:
        yield ctx.command_path, param, ctx
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            sub_ctx = sub.make_context(name, [], parent=ctx, resilient_parsing=True)
            yield from _arguments(sub, sub_ctx)


def _arguments_named(metavar: str):
    root = typer.main.get_command(app)
    ctx = root.make_context("losscli", [], resilient_parsing=True)
    return [
        (path, param, c)
        for path, param, c in _arguments(root, ctx)
        if param.param_type_name == "argument" and metavar in (param.metavar or "").split()
    ]


def test_every_loss_argument_completes_loss_names():
    # A new command taking LOSS must offer loss names too: this walks the live app.
    found = _arguments_named("LOSS") + _arguments_named("LOSS...") + _arguments_named("[LOSS...]")
    assert {path for path, _, _ in found} >= {
        f"losscli {c}" for c in ("show", "compute", "grad", "compare", "plot", "explore")
    }
    for path, param, c in found:
        offered = [item.value for item in param.shell_complete(c, "hu")]
        assert offered == ["huber", "huber-loss"], path


def test_every_choice_parameter_completes_its_values():
    # names.CHOICES is generated from the registry's parameters; every command that has such
    # an option offers the values.
    root = typer.main.get_command(app)
    ctx = root.make_context("losscli", [], resilient_parsing=True)
    seen = set()
    for path, param, c in _arguments(root, ctx):
        for option in set(getattr(param, "opts", [])) & set(names.CHOICES):
            offered = [item.value for item in param.shell_complete(c, "")]
            assert offered == list(names.CHOICES[option]), (path, option)
            seen.add(option)
    assert seen == set(names.CHOICES) and "--direction" in seen


def test_every_exercise_argument_completes_exercise_ids():
    found = _arguments_named("ID")
    assert {path for path, _, _ in found} >= {
        f"losscli exercise {c}" for c in ("show", "check", "hint", "solution")
    }
    for path, param, c in found:
        offered = [item.value for item in param.shell_complete(c, "ce-3")]
        assert offered == ["ce-3class"], path


@pytest.mark.parametrize(
    ("shell", "env", "expected"),
    [
        (
            "zsh",
            {"_TYPER_COMPLETE_ARGS": "losscli compute hu"},
            '_arguments \'*: :(("huber":"Huber loss\\\\: quadratic near zero, linear beyond '
            'delta."\n"huber-loss":"alias of huber"))\'',
        ),
        ("zsh", {"_TYPER_COMPLETE_ARGS": "losscli compute huber "}, "_files"),
        (
            "fish",
            {
                "_TYPER_COMPLETE_ARGS": "losscli compute hu",
                "_TYPER_COMPLETE_FISH_ACTION": "get-args",
            },
            "huber\tHuber loss: quadratic near zero, linear beyond delta.\nhuber-loss\talias of huber",
        ),
    ],
)
def test_zsh_and_fish_get_descriptions(cli, shell, env, expected):
    run = cli(env={"_LOSSCLI_COMPLETE": f"complete_{shell}", **env})
    assert run.stdout.rstrip("\n") == expected


def test_a_real_process_answers_without_importing_numpy_or_polars():
    env = {
        "_LOSSCLI_COMPLETE": "complete_bash",
        "COMP_WORDS": "losscli compute hu",
        "COMP_CWORD": "2",
        "PYTHONPROFILEIMPORTTIME": "1",
    }
    done = run_subprocess(env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().split() == ["huber", "huber-loss"]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.decode().splitlines()}
    assert "typer" in imported
    assert not {m for m in imported if m.split(".")[0] in ("numpy", "polars")}


@pytest.mark.parametrize("shell", list(Shell))
def test_completion_command_prints_the_shipped_file(cli, shell):
    run = cli("completion", shell.value)
    assert run.exit_code == 0
    assert run.stdout == (COMPLETIONS / FILE_NAMES[shell]).read_text()
    assert run.stdout == script(shell)


def test_unknown_shell_is_a_usage_error(cli):
    run = cli("completion", "tcsh")
    assert run.exit_code == 2 and run.stdout == ""


@pytest.mark.parametrize("option", ["--install-completion", "--show-completion"])
def test_no_command_installs_completion(cli, option):
    assert cli(option).exit_code == 2


def test_nothing_is_written_to_the_home_directory(tmp_path):
    for shell in Shell:
        done = run_subprocess("completion", shell.value, env={"HOME": str(tmp_path)})
        assert done.returncode == 0
    assert list(tmp_path.iterdir()) == []


# The shipped scripts in the shells themselves, where they are installed.


@pytest.fixture
def on_path(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH has a `losscli` that runs this checkout."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "losscli"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m losscli "$@"\n')
    shim.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO),
    }


def _shell(name: str, script_text: str, env: dict[str, str]) -> list[str]:
    executable = shutil.which(name)
    if executable is None:
        # CI installs the shells (.ci/run), so there a missing one fails instead of skipping;
        # a fresh machine without zsh or fish still passes the README's test command.
        message = f"{name} is not installed (Debian: apt-get install zsh fish)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    flags = {"bash": ["--norc", "--noprofile", "-c"], "zsh": ["-f", "-c"], "fish": ["-N", "-c"]}
    done = subprocess.run(
        [executable, *flags[name], script_text],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_bash_script(on_path):
    lines = _shell(
        "bash",
        f'source "{COMPLETIONS / "losscli.bash"}"\n'
        "COMP_WORDS=(losscli compute hu); COMP_CWORD=2\n"
        '_losscli_completion losscli; printf "%s\\n" "${COMPREPLY[@]}"\n'
        "complete -p losscli\n",
        on_path,
    )
    assert lines == ["huber", "huber-loss", "complete -o default -F _losscli_completion losscli"]


def test_zsh_script(on_path):
    # compsys needs a terminal; stand-ins for its functions show what the script hands them.
    lines = _shell(
        "zsh",
        '_arguments() { print -rl -- "$@" }\n'
        'compdef() { print -r -- "compdef $*" }\n'
        f'source "{COMPLETIONS / "_losscli"}"\n'
        "words=(losscli compute hu); CURRENT=3; _losscli\n",
        on_path,
    )
    assert lines == [
        "compdef _losscli losscli",
        '*: :(("huber":"Huber loss\\\\: quadratic near zero, linear beyond delta."',
        '"huber-loss":"alias of huber"))',
    ]


def test_fish_script(on_path):
    lines = _shell(
        "fish",
        f'source "{COMPLETIONS / "losscli.fish"}"\ncomplete -C "losscli compute hu"\n',
        on_path,
    )
    assert lines == [
        "huber\tHuber loss: quadratic near zero, linear beyond delta.",
        "huber-loss\talias of huber",
    ]


# --- column names of the table on the line, and files after compare's losses -------------


@pytest.fixture
def tables(tmp_path, monkeypatch):
    """The same three columns as CSV, TSV, NDJSON and Parquet, in the current directory."""
    import polars as pl

    monkeypatch.chdir(tmp_path)
    frame = pl.DataFrame({"truth": [1, 0], "prob_a": [0.2, 0.9], "prob_b": [0.8, 0.1]})
    frame.write_csv("scores.csv")
    frame.write_csv("scores.tsv", separator="\t")
    frame.write_ndjson("scores.jsonl")
    frame.write_parquet("scores.parquet")
    Path("bare.csv").write_text("1,0.2,0.8\n0,0.9,0.1\n")
    Path("notes.md").write_text("not,a,table\n")
    return tmp_path


@pytest.mark.parametrize("table", ["scores.csv", "scores.tsv", "scores.jsonl", "scores.parquet"])
@pytest.mark.parametrize("option", ["-t", "--target", "-p", "--pred", "--weight"])
def test_column_options_complete_the_columns_of_the_file_on_the_line(cli, tables, table, option):
    line = f"losscli compute ce {table} {option} "
    assert candidates(cli, line) == ["truth", "prob_a", "prob_b"]
    assert candidates(cli, f"losscli compute ce {table} {option} pr") == ["prob_a", "prob_b"]


def test_after_a_comma_the_next_column_is_completed(cli, tables):
    assert candidates(cli, "losscli grad ce scores.csv -p prob_a,p") == [
        "prob_a,prob_a",
        "prob_a,prob_b",
    ]


def test_columns_of_a_headerless_table_are_numbered(cli, tables):
    assert candidates(cli, "losscli compute ce bare.csv --no-header -t ") == ["1", "2", "3"]
    # A first line of numbers is data (as the reader judges it), --header says otherwise.
    assert candidates(cli, "losscli compute ce bare.csv -t ") == ["1", "2", "3"]
    assert candidates(cli, "losscli compute ce bare.csv --header -t 0") == ["0.2", "0.8"]


def test_compare_completes_columns_of_its_table_and_the_table_itself(cli, tables):
    assert candidates(cli, "losscli compare mse mae scores.csv -t t") == ["truth"]
    # After the first loss, table files (not other files) are offered beside loss names.
    offered = candidates(cli, "losscli compare mse sc")
    assert offered == ["scores.csv", "scores.jsonl", "scores.parquet", "scores.tsv"]
    assert "bare.csv" in candidates(cli, "losscli compare mse ")
    assert "notes.md" not in candidates(cli, "losscli compare mse ")
    # Before any loss, only losses: the first word is never the table.
    assert "scores.csv" not in candidates(cli, "losscli compare ")


def test_without_a_readable_table_columns_offer_nothing(cli, tables):
    assert candidates(cli, "losscli compute ce -t ") == []
    assert candidates(cli, "losscli compute ce notes.md -t ") == []
    assert candidates(cli, "losscli compute ce notes.md --input-format csv -t ") == [
        "not",
        "a",
        "table",
    ]
    Path("broken.parquet").write_bytes(b"PAR1 not really")
    assert candidates(cli, "losscli compute ce broken.parquet -t ") == []


def test_column_completion_of_a_csv_imports_neither_numpy_nor_polars(tables):
    env = {
        "_LOSSCLI_COMPLETE": "complete_bash",
        "COMP_WORDS": "losscli compute ce scores.csv -p ",
        "COMP_CWORD": "5",
        "PYTHONPROFILEIMPORTTIME": "1",
    }
    done = run_subprocess(env=env, cwd=tables)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().split() == ["truth", "prob_a", "prob_b"]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.decode().splitlines()}
    assert not {m for m in imported if m.split(".")[0] in ("numpy", "polars")}
