"""The progress file: where it lives, atomic writes, corrupt files set aside, and no attempt
lost when several processes update it at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from losscli.inputs import progress as p
from losscli.inputs.progress import ProgressStore, data_dir

REPO = Path(__file__).resolve().parents[2]


def test_losscli_home_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("LOSSCLI_HOME", str(tmp_path / "here"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "here"


def test_platform_directory_without_losscli_home(monkeypatch, tmp_path):
    monkeypatch.delenv("LOSSCLI_HOME")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "losscli"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir() == tmp_path / ".local" / "share" / "losscli"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert data_dir() == tmp_path / "Library" / "Application Support" / "losscli"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "roaming"))
    assert data_dir() == tmp_path / "roaming" / "losscli"


def test_update_writes_json_and_leaves_no_temporary_files(tmp_path):
    store = ProgressStore(tmp_path / "home")
    with store.update() as data:
        p.exercise_entry(data, "ce-3class")["attempts"] += 1
    saved = json.loads(store.path.read_text())
    assert saved["version"] == 1
    assert saved["exercises"]["ce-3class"]["attempts"] == 1
    assert sorted(f.name for f in store.directory.iterdir()) == [
        "progress.json",
        "progress.json.lock",
    ]
    assert store.read() == saved and store.warnings == []


def test_a_failed_update_changes_nothing(tmp_path):
    store = ProgressStore(tmp_path)
    with store.update() as data:
        p.exercise_entry(data, "a")["attempts"] = 1
    with pytest.raises(RuntimeError), store.update() as data:
        p.exercise_entry(data, "a")["attempts"] = 99
        raise RuntimeError
    assert store.read()["exercises"]["a"]["attempts"] == 1


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "does not have the layout"),
        ('{"version": 1, "exercises": {"a": {"attempts": "many"}}}', "does not have the layout"),
        ('{"version": 99, "exercises": {}}', "does not have the layout"),
        (b"\xff\xfe\x00", "cannot be read"),
    ],
)
def test_corrupt_file_is_moved_aside_with_a_warning(tmp_path, content, why):
    store = ProgressStore(tmp_path)
    if isinstance(content, bytes):
        store.path.write_bytes(content)
    else:
        store.path.write_text(content)
    with store.update() as data:
        assert data == p.empty()
        p.exercise_entry(data, "a")["attempts"] = 1
    [warning] = store.warnings
    assert why in warning and "moved to" in warning and "starting afresh" in warning
    aside = [f for f in tmp_path.iterdir() if f.name.startswith("progress.json.corrupt-")]
    assert len(aside) == 1
    assert (
        aside[0].read_bytes() if isinstance(content, bytes) else aside[0].read_text()
    ) == content
    assert json.loads(store.path.read_text())["exercises"]["a"]["attempts"] == 1


def test_unreadable_file_is_moved_aside(tmp_path):
    store = ProgressStore(tmp_path)
    store.path.mkdir()  # reading a directory fails whatever the permissions
    assert store.read() == p.empty()
    assert "cannot be read" in store.warnings[0]


def test_unwritable_home_costs_a_warning_not_the_command(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = ProgressStore(blocker / "home")
    with store.update() as data:
        p.exercise_entry(data, "a")["attempts"] += 1
    assert "progress is not saved" in store.warnings[0]


def test_reset_keeps_a_backup(tmp_path):
    store = ProgressStore(tmp_path)
    assert store.reset() is None
    with store.update() as data:
        p.exercise_entry(data, "a")
    before = store.path.read_text()
    backup = store.reset()
    assert backup is not None and not store.path.exists()
    assert backup.name.startswith("progress.json.bak-") and backup.read_text() == before


def test_forget_one_exercise_keeps_the_others_and_a_backup(tmp_path):
    store = ProgressStore(tmp_path)
    assert store.forget("a") is None
    with store.update() as data:
        p.exercise_entry(data, "a")["attempts"] = 3
        p.exercise_entry(data, "b")["attempts"] = 2
    before = store.path.read_text()
    backup = store.forget("a")
    assert backup is not None and backup.read_text() == before
    assert set(store.read()["exercises"]) == {"b"}


BUMP = """
import sys
from losscli.inputs import progress as p
store = p.ProgressStore(p.Path(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    with store.update() as data:
        entry = p.exercise_entry(data, "ce-3class")
        entry["attempts"] += 1
        part = p.part_entry(p.variant_entry(entry, "default"), "loss")
        part["attempts"] += 1
"""


def test_concurrent_processes_lose_no_attempt(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, "-c", BUMP, str(tmp_path), "40"], env=env)
        for _ in range(4)
    ]
    assert [proc.wait(timeout=60) for proc in procs] == [0, 0, 0, 0]
    data = ProgressStore(tmp_path).read()
    entry = data["exercises"]["ce-3class"]
    assert entry["attempts"] == 160
    assert entry["variants"]["default"]["parts"]["loss"]["attempts"] == 160
