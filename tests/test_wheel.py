"""The built wheel, installed in a fresh virtual environment, works from anywhere.

Editable installs and the checkout hide packaging mistakes (a module or data file left out
of the wheel, a path into the repository), so this builds the wheel offline, installs it
into a new venv and runs it from a directory outside the checkout. The venv's own
site-packages holds only losscli; NumPy, Polars, Typer and Rich are the ones these tests
run with, reached through a .pth file, so nothing is downloaded. About 10 s;
`pytest -m 'not wheel'` skips it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

from losscli import __version__

pytestmark = [
    pytest.mark.wheel,
    pytest.mark.skipif(sys.platform == "win32", reason="the venv layout here is POSIX (bin/)"),
]

DEPENDENCIES = ("numpy", "polars", "typer", "rich")
CSV = b"y_true,y_pred\n0,0.5\n0,2\n0,10\n"


def build_wheel(tmp: Path) -> Path:
    # From a copy of what the sdist would hold, so the checkout gets no build/ or egg-info.
    source = tmp / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("losscli", "exercises"):
        shutil.copytree(REPO / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    build = [*pip, "wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(tmp)]
    subprocess.run(build, check=True, capture_output=True)
    [wheel] = tmp.glob("losscli-*.whl")
    return wheel


def dependency_dirs() -> list[str]:
    """The site-packages directories the running tests import the dependencies from."""
    import importlib

    found: list[str] = []
    for name in DEPENDENCIES:
        where = str(Path(importlib.import_module(name).__file__).resolve().parent.parent)
        if where not in found:
            found.append(where)
    return found


def make_venv(tmp: Path, wheel: Path) -> Path:
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # A .pth line only adds its directory to sys.path: .pth files inside it (such as the
    # editable install of this checkout) are not run, so losscli comes from the wheel alone.
    Path(purelib, "losscli_test_dependencies.pth").write_text("\n".join(dependency_dirs()) + "\n")
    install = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", str(python)]
    subprocess.run(
        [*install, "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(tmp)
    venv = make_venv(tmp, wheel)
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOSSCLI_", "PYTHON"))}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        PYTHONNOUSERSITE="1",
        LOSSCLI_HOME=str(tmp / "home"),  # exercise progress goes here, not to the real home
    )

    def run(*args: str, input: bytes | None = None, module: bool = False) -> str:
        """`losscli ARGS` (or `python -m losscli ARGS`) from the venv, outside the checkout."""
        command = [str(venv / "bin" / "python"), "-m", "losscli"] if module else ["losscli"]
        done = subprocess.run(
            [*command, *args], input=input, capture_output=True, cwd=elsewhere, env=env
        )
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode()

    return wheel, venv, run


def test_the_wheel_declares_its_dependencies_and_holds_the_package(installed):
    wheel, _, _ = installed
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        requires = [
            line.split(":", 1)[1].strip()
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:") and "extra ==" not in line
        ]
    assert sorted(r.split(">")[0].split("=")[0].strip() for r in requires) == sorted(DEPENDENCIES)
    on_disk = {p.relative_to(REPO).as_posix() for p in (REPO / "losscli").rglob("*.py")}
    assert on_disk <= names
    shipped = {n.rsplit("/", 1)[-1] for n in names if n.endswith(".toml")}
    assert {p.name for p in (REPO / "exercises").glob("*.toml")} <= shipped


def test_losscli_is_imported_from_the_venv_not_the_checkout(installed):
    _, venv, _ = installed
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import losscli; print(losscli.__file__)"],
        capture_output=True,
        text=True,
        cwd=venv.parent,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"},
        check=True,
    )
    assert Path(done.stdout.strip()).is_relative_to(venv)


@pytest.mark.parametrize("module", [False, True], ids=["losscli", "python -m losscli"])
def test_installed_commands_work_outside_the_checkout(installed, module):
    _, _, run = installed
    assert run("--version", module=module) == f"losscli {__version__}\n"
    versions = json.loads(run("--version", "--json", module=module))
    assert versions["losscli"] == __version__
    assert all(versions[name] != "not installed" for name in DEPENDENCIES)

    catalog = run("list", "-f", "tsv", module=module).splitlines()
    assert catalog[0].startswith("name\t") and any(r.startswith("huber\t") for r in catalog)

    piped = run("compute", "mse", "--json", input=CSV, module=module)
    assert json.loads(piped)["value"] == pytest.approx((0.25 + 4 + 100) / 3, rel=1e-15)

    bash = run("completion", "bash", module=module)
    assert bash == (REPO / "completions" / "losscli.bash").read_text()


@pytest.mark.parametrize("module", [False, True], ids=["losscli", "python -m losscli"])
def test_installed_exercises_come_from_the_wheel(installed, module):
    _, _, run = installed
    listed = json.loads(run("exercise", "list", "--json", module=module))["exercises"]
    assert sorted(e["id"] for e in listed) == sorted(
        p.stem for p in (REPO / "exercises").glob("*.toml")
    )
    checked = run("exercise", "check", "ce-3class", "-a", "-ln(0.7)", "--json", module=module)
    assert json.loads(checked)["solved"] is True


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("losscli compute hu", ["huber", "huber-loss"]),
        ("losscli exercise check ce-", ["ce-3class", "ce-nll-dataset"]),
    ],
)
def test_installed_completion_answers(installed, line, expected):
    _, venv, _ = installed
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONNOUSERSITE": "1",
        "_LOSSCLI_COMPLETE": "complete_bash",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(line.split()) - 1),
    }
    done = subprocess.run(
        ["losscli"], capture_output=True, text=True, cwd=venv.parent, env=env, check=True
    )
    assert done.stdout.split() == expected
