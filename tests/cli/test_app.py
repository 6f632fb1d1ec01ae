"""The app as a whole: help, version, exit codes, colour, and what is imported when."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import REPO, run_subprocess

from losscli import __version__


def in_fresh_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )


def test_help_does_not_import_numpy_or_polars():
    code = (
        "import sys, json\n"
        "from typer.testing import CliRunner\n"
        "from losscli.cli.app import app\n"
        "runner = CliRunner()\n"
        "for args in (['--help'], ['compute', '--help'], ['grad', '--help'], ['list', '--help']):\n"
        "    assert runner.invoke(app, args).exit_code == 0\n"
        "print(json.dumps([m for m in ('numpy', 'polars') if m in sys.modules]))\n"
    )
    done = in_fresh_python(code)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_help_shows_math_as_written(cli):
    run = cli("compute", "--help")
    assert run.exit_code == 0
    assert "-log(p[y])" in run.stdout


def test_version(cli):
    assert cli("--version").stdout == f"losscli {__version__}\n"
    doc = cli("--version", "--json").json()
    assert doc["losscli"] == __version__
    assert set(doc) == {"losscli", "python", "numpy", "polars", "typer", "rich"}


def test_version_json_reports_what_is_running(cli):
    import platform
    from importlib.metadata import version

    doc = cli("--version", "--json").json()
    assert doc["python"] == platform.python_version()
    assert {name: doc[name] for name in ("numpy", "polars", "typer", "rich")} == {
        name: version(name) for name in ("numpy", "polars", "typer", "rich")
    }


def test_python_dash_m_works_like_the_script():
    done = run_subprocess("compute", "ce", "--y-true", "2", "--y-pred", "0.1,0.2,0.7")
    assert done.returncode == 0 and done.stdout == b"0.35667494393873245\n"


def test_no_arguments_prints_help(cli):
    run = cli()
    assert run.exit_code == 0 and run.stdout.startswith("Usage: losscli")


def test_command_without_arguments_is_a_usage_error_with_help(cli):
    run = cli("compute")
    assert run.exit_code == 2 and run.stdout == ""
    assert "Usage: losscli compute" in run.stderr


# One test per exit code of docs/design.md section 3.


def test_exit_0(cli):
    assert cli("compute", "mse", "--y-true", "1", "--y-pred", "1").exit_code == 0


def test_exit_1_check_failed(cli):
    run = cli("compute", "mse", "--y-true", "1", "--y-pred", "2", "--expect", "0")
    assert run.exit_code == 1 and run.stderr.startswith("losscli: error: expected 0.0")


def test_exit_2_usage(cli):
    run = cli("compute", "--bogus-option")
    assert run.exit_code == 2 and run.stderr.startswith("losscli: error:") and run.stdout == ""
    assert "hint: see 'losscli compute --help'" in run.stderr


def test_exit_3_bad_input(cli):
    run = cli("compute", "mse", "--y-true", "1", "--y-pred", "one")
    assert run.exit_code == 3 and run.stdout == ""


def test_exit_70_internal_error_one_line_unless_debug(cli, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("losscli.core.evaluation.requests.batch_values", broken)
    run = cli("compute", "mse", "--y-true", "1", "--y-pred", "1")
    assert run.exit_code == 70 and run.stdout == ""
    [line] = run.stderr.splitlines()
    assert line.startswith("losscli: error: internal error (ZeroDivisionError: boom)")
    assert "report it with the output of 'losscli --version --json'" in line
    debug = cli("compute", "mse", "--y-true", "1", "--y-pred", "1", env={"LOSSCLI_DEBUG": "1"})
    assert debug.exit_code == 70 and "Traceback" in debug.stderr


def test_internal_error_in_a_real_process():
    # A bug with a multi-line message still gives one line, and the process exits 70.
    code = (
        "import sys\n"
        "import losscli.core.evaluation.requests as evaluation\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError('first\\nsecond')\n"
        "evaluation.batch_values = broken\n"
        "from losscli.cli.app import main\n"
        "sys.argv = ['losscli', 'compute', 'mse', '--y-true', '1', '--y-pred', '1']\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "LOSSCLI_DEBUG"}
    env["PYTHONPATH"] = str(REPO)
    for debug in (False, True):
        run_env = {**env, "LOSSCLI_DEBUG": "1"} if debug else env
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=run_env, check=False
        )
        assert done.returncode == 70 and done.stdout == ""
        if debug:
            assert "Traceback" in done.stderr and "RuntimeError: first" in done.stderr
        else:
            [line] = done.stderr.splitlines()
            assert line.startswith("losscli: error: internal error (RuntimeError: first second)")


def test_exit_130_interrupted(cli, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("losscli.core.evaluation.requests.batch_values", interrupted)
    run = cli("compute", "mse", "--y-true", "1", "--y-pred", "1")
    assert run.exit_code == 130 and run.stdout == ""


def test_exit_141_broken_pipe_is_in_test_tables():
    # The real-pipe test lives with the streamed output: tests/cli/test_tables.py.
    from test_tables import test_broken_pipe_exits_141_silently

    assert callable(test_broken_pipe_exits_141_silently)


@pytest.mark.parametrize("env", [{}, {"NO_COLOR": "1"}, {"FORCE_COLOR": "1"}, {"COLUMNS": "40"}])
def test_machine_formats_ignore_colour_settings(cli, env):
    args = ("compute", "huber", "--y-true", "0,0", "--y-pred", "0.5,3", "--reduction", "none")
    plain = cli(*args, "--json")
    coloured = cli(*args, "--json", "--color", "always", env=env)
    assert coloured.stdout == plain.stdout
    assert "\x1b[" not in cli(*args, "-f", "tsv", env=env).stdout


def test_color_always_and_never_on_tables(cli):
    args = ("show", "mse", "-f", "table")
    assert "\x1b[" in cli(*args, "--color", "always").stdout
    assert "\x1b[" not in cli(*args, "--color", "never", env={"FORCE_COLOR": "1"}).stdout
