"""The student's progress: attempts per part, hints seen, solved times, in one JSON file.

Where: $LOSSCLI_HOME/progress.json, else the platform's data directory ($XDG_DATA_HOME or
~/.local/share on Linux, ~/Library/Application Support on macOS, %APPDATA% on Windows).

Writes are atomic (a temporary file in the same directory, then os.replace), and every
read-modify-write holds an exclusive lock (fcntl.flock on progress.json.lock), so two
`exercise check` processes at once lose no attempt. A file that cannot be read or parsed
is moved aside (progress.json.corrupt-TIMESTAMP) with a warning, and a fresh one is started;
a directory that cannot be written costs a warning, never the answer's feedback.

It lives in the inputs layer because it is file I/O the core must not do, and keeping it out
of the Typer commands lets tests drive it directly, from several processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

VERSION = 1
FILE = "progress.json"


def data_dir() -> Path:
    """$LOSSCLI_HOME, else the platform's directory for application data."""
    home = os.environ.get("LOSSCLI_HOME")
    if home:
        return Path(home).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / "losscli"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "losscli"
    xdg = os.environ.get("XDG_DATA_HOME")
    return Path(xdg if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share") / (
        "losscli"
    )


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def empty() -> dict[str, Any]:
    return {"version": VERSION, "exercises": {}}


def exercise_entry(data: dict[str, Any], exercise_id: str) -> dict[str, Any]:
    """The record of one exercise, created on first use."""
    entry = data["exercises"].setdefault(exercise_id, {})
    entry.setdefault("attempts", 0)
    entry.setdefault("hints_seen", 0)
    entry.setdefault("solved_at", None)
    entry.setdefault("solution_seen", False)
    entry.setdefault("variants", {})
    return entry


def variant_entry(entry: dict[str, Any], key: str) -> dict[str, Any]:
    variant = entry["variants"].setdefault(key, {})
    variant.setdefault("attempts", 0)
    variant.setdefault("solved_at", None)
    variant.setdefault("parts", {})
    return variant


def part_entry(variant: dict[str, Any], name: str) -> dict[str, Any]:
    part = variant["parts"].setdefault(name, {})
    part.setdefault("attempts", 0)
    part.setdefault("solved_at", None)
    return part


class ProgressStore:
    """progress.json in `directory`; `warnings` collects what the user should be told."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else data_dir()
        self.path = self.directory / FILE
        self.warnings: list[str] = []

    def read(self) -> dict[str, Any]:
        """The current progress (fresh if there is none)."""
        with self.update(save=False) as data:
            return data

    @contextlib.contextmanager
    def update(self, save: bool = True) -> Iterator[dict[str, Any]]:
        """Lock, read, let the caller change the data, write it back atomically, unlock."""
        with self._locked():
            data = self._load()
            yield data
            if save:
                self._save(data)

    def reset(self) -> Path | None:
        """Forget all progress, keeping the old file as a backup; the backup's path, or None
        if there was no progress (or it could not be moved: see warnings)."""
        with self._locked():
            if not self.path.exists():
                return None
            backup = self._backup_path()
            try:
                os.replace(self.path, backup)
            except OSError as error:
                self.warnings.append(f"cannot move {self.path}: {error.strerror or error}")
                return None
            return backup

    def forget(self, exercise_id: str) -> Path | None:
        """Forget one exercise (every variant), after copying the file to a backup; the
        backup's path, or None if the exercise had no progress."""
        with self._locked():
            data = self._load()
            if exercise_id not in data["exercises"]:
                return None
            backup = self._backup_path()
            try:
                shutil.copy2(self.path, backup)
            except OSError as error:
                self.warnings.append(f"cannot back up {self.path}: {error.strerror or error}")
                return None
            del data["exercises"][exercise_id]
            self._save(data)
            return backup

    def _backup_path(self) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{FILE}.bak-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{FILE}.bak-{stamp}-{n}")
        return target

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            lock = _open_lock(self.path.with_name(FILE + ".lock"))
        except OSError as error:
            self.warnings.append(
                f"progress is not saved: cannot use {self.directory}: {error.strerror or error}"
            )
            yield
            return
        with lock:
            _lock(lock.fileno())
            try:
                yield
            finally:
                _unlock(lock.fileno())

    def _load(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return empty()
        except (OSError, UnicodeDecodeError) as error:
            return self._set_aside(f"cannot be read ({getattr(error, 'strerror', None) or error})")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            return self._set_aside(f"is not valid JSON ({error.msg}, line {error.lineno})")
        except ValueError:  # an integer of more digits than Python converts (4300)
            return self._set_aside("holds a number too long to read")
        except RecursionError:
            return self._set_aside("is nested too deeply to read")
        if not _well_formed(data):
            return self._set_aside("does not have the layout losscli writes")
        return data

    def _set_aside(self, why: str) -> dict[str, Any]:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{FILE}.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{FILE}.corrupt-{stamp}-{n}")
        try:
            os.replace(self.path, target)
            moved = f"moved to {target}"
        except OSError as error:
            moved = f"and could not be moved aside ({error.strerror or error})"
        self.warnings.append(f"progress file {self.path} {why}; {moved}; starting afresh")
        return empty()

    def _save(self, data: dict[str, Any]) -> None:
        try:
            fd, temp = tempfile.mkstemp(prefix=FILE + ".", suffix=".tmp", dir=self.directory)
        except OSError as error:
            self.warnings.append(f"progress is not saved: {error.strerror or error}")
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1, sort_keys=True)
                out.write("\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self.path)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            self.warnings.append(f"progress is not saved: {error.strerror or error}")


def _open_lock(path: Path) -> Any:
    """The lock file, created if needed, never through a symlink: a link planted at
    progress.json.lock must not make losscli create or touch the file it points to."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as error:
        if path.is_symlink():
            raise OSError(error.errno, f"{path.name} is a symbolic link; remove it") from None
        raise
    return os.fdopen(fd, "r+b")


def _well_formed(data: Any) -> bool:
    """The layout this module writes, down to the types the commands do arithmetic on."""

    def counts(record: Any, *names: str) -> bool:
        return isinstance(record, dict) and all(
            type(record.get(n, 0)) is int and record.get(n, 0) >= 0 for n in names
        )

    def stamps(record: dict[str, Any]) -> bool:
        return isinstance(record.get("solved_at"), (str, type(None)))

    if not isinstance(data, dict) or data.get("version") != VERSION:
        return False
    exercises = data.get("exercises")
    if not isinstance(exercises, dict):
        return False
    for entry in exercises.values():
        if not counts(entry, "attempts", "hints_seen") or not stamps(entry):
            return False
        variants = entry.get("variants", {})
        if not isinstance(variants, dict):
            return False
        for variant in variants.values():
            if not isinstance(variant, dict) or not stamps(variant):
                return False
            if not counts(variant, "attempts"):
                return False
            parts = variant.get("parts", {})
            if not isinstance(parts, dict):
                return False
            if not all(counts(part, "attempts") and stamps(part) for part in parts.values()):
                return False
    return True


try:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # Windows: no flock; msvcrt locks a byte range instead
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
