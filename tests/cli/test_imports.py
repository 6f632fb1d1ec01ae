"""`losscli --help` and the help of every command stay light: no NumPy, Polars or plotting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from losscli.core.losses import FAMILY_MODULES

REPO = Path(__file__).resolve().parents[2]

HEAVY = ("numpy", "polars", "matplotlib", "plotext", "textual")

SNIPPET = """
import sys
from losscli.cli.app import app
try:
    app({args!r})
except SystemExit:
    pass
print(",".join(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["--help"], "Usage:"),
        (["plot", "--help"], "Usage:"),
        (["explore", "--help"], "Usage:"),
        (["--version", "--json"], '"numpy": '),
        (["completion", "bash"], "complete -o default"),
    ],
)
def test_light_commands_import_nothing_heavy(args, shown):
    code = SNIPPET.format(args=args, heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert shown in done.stdout
    assert done.stdout.splitlines()[-1] == ""


# The console script (`main`) builds only the invoked command and converts option values
# without pydantic where they need no converting: the one-off commands stay near the cost
# of importing Typer (bench/run.py times them).
MAIN_SNIPPET = """
import sys
sys.argv = ["losscli", *{args!r}]
from losscli.cli.app import main
try:
    main()
except SystemExit:
    pass
print(",".join(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize(
    ("args", "env", "heavy"),
    [
        (["--version"], {}, ("numpy", "polars", "pydantic", "rich")),
        (["--help"], {}, ("numpy", "polars", "pydantic", "rich")),
        (["completion", "bash"], {}, ("numpy", "polars", "pydantic", "rich")),
        # The catalog comes from plain data (catalog_data.py), not the registry.
        (["list"], {}, ("numpy", "polars", "pydantic", "rich")),
        (["list", "--json"], {}, ("numpy", "polars", "pydantic", "rich")),
        # The command list (--help, completing a command's name) is generated data
        # (command_list.py): no command module, nor what they import, is loaded for it.
        (["--help"], {}, ("losscli.cli.compute", "losscli.cli.options", "losscli.cli.catalog")),
        (
            [],
            {"_LOSSCLI_COMPLETE": "complete_bash", "COMP_WORDS": "losscli co", "COMP_CWORD": "1"},
            ("losscli.cli.compute", "losscli.cli.options", "losscli.cli.catalog"),
        ),
        # Only the invoked command's module is imported: none of the others.
        (["--version"], {}, ("losscli.cli.compute", "losscli.cli.catalog")),
        (
            ["compute", "mse", "--y-true", "1,2", "--y-pred", "1,3"],
            {},
            ("losscli.cli.catalog", "losscli.cli.compare", "losscli.cli.exercise"),
        ),
        (
            [],
            {
                "_LOSSCLI_COMPLETE": "complete_bash",
                "COMP_WORDS": "losscli compute hu",
                "COMP_CWORD": "2",
            },
            ("numpy", "polars", "pydantic", "rich"),
        ),
        (["compute", "mse", "--y-true", "1,2", "--y-pred", "1,3"], {}, ("polars", "pydantic")),
        # FILE... (a list of strings) is taken as given: no pydantic for a table either.
        (["compute", "huber", "--reduction", "none", "examples/regression.csv"], {}, ("pydantic",)),
        # A reduction needs none of recommend's profile, nor the exercise titles' TOML reader.
        (
            ["compute", "mse", "examples/regression.csv"],
            {},
            ("losscli.core.advice.profile", "tomllib"),
        ),
    ],
)
def test_the_console_script_imports_only_what_the_command_needs(args, env, heavy):
    code = MAIN_SNIPPET.format(args=args, heavy=heavy)
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        env={**os.environ, **env},
    )
    assert done.stdout.strip(), done.stderr
    assert done.stdout.splitlines()[-1] == "", done.stdout


# One-off inline values need NumPy and the family module of the asked-for loss: no table
# reader (Polars), no Rich (tables, progress), no pydantic, no other family module, no
# framework's convention under the catalog's (the default); and compute, whose value is a
# sum, no thread pool (a handful of values is summed in the calling thread).
CONVENTION_MODULES = ("pytorch", "keras", "sklearn", "optax", "hadsell", "pml")


@pytest.mark.parametrize(
    ("args", "family"),
    [
        (["compute", "mse", "--y-true", "1,2", "--y-pred", "1,3"], "regression"),
        (["grad", "huber", "--y-true", "1,2", "--y-pred", "1,3"], "regression"),
        (["compute", "kl", "--y-true", "0.5,0.5", "--y-pred", "0.4,0.6"], "divergence"),
    ],
)
def test_inline_values_import_one_family_module_and_no_tables(args, family):
    heavy = (
        "polars",
        "rich",
        "pydantic",
        "losscli.inputs.table",
        *(("concurrent.futures",) if args[0] == "compute" else ()),
        *(f"losscli.core.losses.{m}" for m in FAMILY_MODULES if m != family),
        *(f"losscli.core.conventions.{m}" for m in CONVENTION_MODULES),
    )
    code = MAIN_SNIPPET.format(args=args, heavy=heavy) + (
        f"print('losscli.core.losses.{family}' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    *_, unwanted, loaded = done.stdout.splitlines()
    assert (unwanted, loaded) == ("", "True"), done.stdout + done.stderr


# What OpenBLAS (NumPy's BLAS) computes with after the command: the variable and its pool.
BLAS_SNIPPET = """
import json, os, sys
sys.argv = ["losscli", *{args!r}]
from losscli.cli.app import main
try:
    main()
except SystemExit:
    pass
from threadpoolctl import threadpool_info
pools = [p["num_threads"] for p in threadpool_info() if p["internal_api"] == "openblas"]
print(json.dumps([os.environ.get("OPENBLAS_NUM_THREADS"), pools]))
"""


@pytest.mark.parametrize(
    ("args", "env", "variable", "threads"),
    [
        # A one-off with inline values: one BLAS thread, none spinning beside it.
        (["compute", "mse", "--y-true", "1,2", "--y-pred", "1,3"], {}, "1", 1),
        (["grad", "mse", "--y-true=1,2", "--y-pred=1,3"], {}, "1", 1),
        # The user's choice stands, whichever variable OpenBLAS reads it from.
        (
            ["compute", "mse", "--y-true", "1,2", "--y-pred", "1,3"],
            {"OMP_NUM_THREADS": "2"},
            None,
            2,
        ),
        (
            ["compute", "mse", "--y-true", "1,2", "--y-pred", "1,3"],
            {"OPENBLAS_NUM_THREADS": "2"},
            "2",
            2,
        ),
        # A table keeps OpenBLAS's own choice (every core).
        (["compute", "mse", "examples/regression.csv"], {}, None, None),
    ],
)
def test_inline_values_compute_with_one_blas_thread_unless_the_user_says(
    args, env, variable, threads
):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
    }
    done = subprocess.run(
        [sys.executable, "-c", BLAS_SNIPPET.format(args=args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        env={**clean, **env},
    )
    found, pools = json.loads(done.stdout.splitlines()[-1])
    assert found == variable
    assert pools, "NumPy's OpenBLAS was not found"
    if threads is not None:
        assert pools == [threads]


def test_command_modules_name_every_command_in_the_order_help_lists_them():
    from importlib import import_module

    from losscli.cli.app import COMMAND_MODULES, app, app_with

    names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    assert sorted(names) == sorted(COMMAND_MODULES)
    for module in set(COMMAND_MODULES.values()):
        import_module(f"losscli.cli.{module}")
        alone = app_with([module])
        registered = {c.name for c in alone.registered_commands} | {
            g.name for g in alone.registered_groups
        }
        assert registered == {n for n, m in COMMAND_MODULES.items() if m == module}
    ordered = [c.name for c in app.registered_commands]
    assert ordered == [n for n in COMMAND_MODULES if n in ordered]


def test_only_the_named_command_is_built():
    from losscli.cli.app import app, narrowed

    def names(typer_app):
        return [c.name for c in typer_app.registered_commands] + [
            g.name for g in typer_app.registered_groups
        ]

    assert names(narrowed(app, ["compute", "mse", "--y-true", "1"])) == ["compute"]
    assert names(narrowed(app, ["exercise", "list"])) == ["exercise"]
    assert names(narrowed(app, ["--version"])) == []
    # The whole app where the command list is shown or a word names no command.
    for args in (["--help"], [], ["--version", "--help"], ["comptue", "mse"]):
        assert narrowed(app, args) is app


@pytest.mark.parametrize(
    "args",
    [
        ["compute", "--help"],
        ["compute", "mse", "--y-true", "1,2", "--y-pred", "1,3", "--delta", "x"],
        ["compute", "mse", "--y-true", "1,2", "--y-pred", "1,3", "--reduction", "nope"],
        ["compute", "mse", "--y-true", "1,2", "--y-pred", "1,x"],
        ["grad", "huber", "--delta", "2", "--y-true", "0", "--y-pred", "3"],
        ["comptue"],
        ["--version", "--json"],
        ["--help"],  # the command list, from stand-ins (add_listing)
        [],
        ["--json"],
        ["exercise", "--help"],
        ["list"],
        ["list", "--json"],
        ["list", "--family", "regression", "-f", "csv"],
        ["list", "--family", "nope"],
        ["show", "huber", "-f", "tsv"],
        ["compute", "mse", "examples/regression.csv", "examples/regression.csv", "-f", "json"],
        ["compute", "mse", "examples/no-such-file.csv"],
    ],
)
def test_the_narrowed_app_answers_as_the_whole_app(args):
    """Same output, same errors, same exit code through the console script as through the
    whole app (which the in-process tests drive)."""
    whole = f"import sys\nfrom losscli.cli.app import app\nsys.argv = ['losscli', *{args!r}]\napp()"
    script = (
        f"import sys\nsys.argv = ['losscli', *{args!r}]\nfrom losscli.cli.app import main\nmain()"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
        for code in (whole, script)
    ]
    assert runs[0].returncode == runs[1].returncode
    assert runs[0].stdout == runs[1].stdout
    assert runs[0].stderr == runs[1].stderr


@pytest.mark.parametrize(
    "env",
    [
        {"_LOSSCLI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "losscli "},
        {"_LOSSCLI_COMPLETE": "complete_bash", "COMP_WORDS": "losscli co", "COMP_CWORD": "1"},
        {"_LOSSCLI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "losscli compute hu"},
        {"_LOSSCLI_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "losscli exercise "},
    ],
)
def test_completion_through_the_console_script_is_the_whole_apps(env):
    runs = [
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, **env},
        )
        for code in (
            "from losscli.cli.app import app\napp()",
            "from losscli.cli.app import main\nmain()",
        )
    ]
    assert runs[0].stdout.strip()
    assert (runs[0].returncode, runs[0].stdout) == (runs[1].returncode, runs[1].stdout)
