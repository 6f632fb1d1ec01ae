"""Docs that cannot drift: generated files are current, and the README names every
environment variable and exit code the code has."""

from __future__ import annotations

import importlib.util
import re

import pytest
from conftest import REPO

from losscli.cli.errors import ExitCode


def load_generator():
    spec = importlib.util.spec_from_file_location("generate", REPO / "tools" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = load_generator()
README = (REPO / "README.md").read_text(encoding="utf-8")
EXPECTED = generate.outputs()


@pytest.mark.parametrize("path", list(EXPECTED), ids=lambda p: p.relative_to(REPO).as_posix())
def test_generated_file_is_current(path):
    expected = EXPECTED[path]
    assert path.is_file(), f"{path} is missing: run python tools/generate.py"
    assert path.read_text(encoding="utf-8") == expected, (
        f"{path.relative_to(REPO)} is stale: run python tools/generate.py"
    )


def test_check_mode_reports_nothing_stale(capsys):
    assert generate.main(["--check"]) == 0
    assert capsys.readouterr().out == ""


def test_command_reference_covers_every_command():
    block = README[README.index(generate.BEGIN) : README.index(generate.END)]
    for path in generate.command_paths():
        assert f"### {' '.join(['losscli', *path])}\n" in block


def test_every_environment_variable_is_documented():
    used = {
        name
        for source in (REPO / "losscli").rglob("*.py")
        for name in re.findall(r"\bLOSSCLI_[A-Z_]+\b", source.read_text(encoding="utf-8"))
    }
    assert {"LOSSCLI_DEBUG", "LOSSCLI_CHUNK_BYTES"} <= used
    for name in sorted(used | {"NO_COLOR", "FORCE_COLOR", "COLUMNS"}):
        assert f"| `{name}`" in README or f"`{name}`," in README, name


def test_every_exit_code_is_documented():
    section = README[README.index("## Exit codes") :]
    section = section[: section.index("\n## ", 1)]
    documented = {int(n) for n in re.findall(r"^\| (\d+) \|", section, flags=re.MULTILINE)}
    assert documented == {int(code) for code in ExitCode}
