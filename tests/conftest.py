"""Shared test helpers: run the CLI in-process and parse what it printed.

This file's presence also puts tests/ on sys.path (pytest's default import mode inserts the
directory of a rootdir-level conftest), so test modules can `import strategies`.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent

# Hypothesis profiles. "ci", the default, is derandomised: every run of the suite draws the same
# examples (a seed derived from each test), and no example database replays an old failure,
# so a fresh clone and CI see one outcome. "explore" draws new random examples on every run,
# more of them, and keeps failures in .hypothesis/ to replay: HYPOTHESIS_PROFILE=explore
# (with --hypothesis-seed=N to repeat one run). tests/strategies.py reads max_examples from it.
settings.register_profile(
    "ci",
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "explore",
    max_examples=200,
    derandomize=False,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def tsv(self) -> list[dict[str, str]]:
        header, *rows = (line.split("\t") for line in self.stdout.splitlines())
        return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test reads or writes the real progress file, or loads a teacher's exercise set."""
    monkeypatch.setenv("LOSSCLI_HOME", str(tmp_path_factory.mktemp("losscli-home")))
    monkeypatch.delenv("LOSSCLI_EXERCISES", raising=False)


@functools.cache
def _click_command() -> tuple[Any, list[tuple[Any, dict[str, Any]]]]:
    """The app as the Click command that Typer makes of it, made once per test process
    (making it takes about 50 ms, ten times what a small command takes to run), with the
    attributes of each command in its tree as made."""
    import typer.main

    from losscli.cli.app import app

    command = typer.main.get_command(app)
    tree, made = [command], []
    while tree:
        node = tree.pop()
        made.append((node, dict(vars(node))))
        tree.extend(getattr(node, "commands", {}).values())
    return command, made


def _as_made(made: list[tuple[Any, dict[str, Any]]]) -> None:
    """Put back what a run set on the commands, so that the next run starts as the first
    did: the app's main wraps each command's get_help_option (app.lazy_coercion), and on a
    command made once those wrappers would pile up, one more every run."""
    for node, attributes in made:
        vars(node).clear()
        vars(node).update(attributes)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch):
    """cli("compute", "mse", ..., input="...") runs losscli in-process with CliRunner."""
    import typer.testing

    from losscli.cli.app import app

    monkeypatch.delenv("LOSSCLI_DEBUG", raising=False)
    runner = CliRunner()
    (command, made), make = _click_command(), typer.testing._get_command
    monkeypatch.setattr(typer.testing, "_get_command", lambda a: command if a is app else make(a))

    def run(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Run:
        try:
            result = runner.invoke(app, list(args), input=input, env=env)
        finally:
            _as_made(made)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


def run_subprocess(
    *args: str, input: bytes | None = None, env: dict[str, str] | None = None, **kwargs: Any
) -> subprocess.CompletedProcess[bytes]:
    """Run `python -m losscli` from this checkout in a real process."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("LOSSCLI_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "losscli", *args],
        input=input,
        capture_output=True,
        env=full_env,
        check=False,
        **kwargs,
    )
