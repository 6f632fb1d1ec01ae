"""The process around a command: standard streams that may be closed, and signals.

Only the console entry point (`losscli`, `python -m losscli`) calls these; the app run
in-process by a test runner leaves the interpreter's streams and signal handlers alone.
"""

from __future__ import annotations

import io
import os
import signal
import sys
from typing import Any

from losscli.cli.errors import ExitCode, Terminated

# The signal a command's exit code stands for: after cleanup the process dies by it, as
# CPython does for an uncaught KeyboardInterrupt, so a shell loop stops at the first Ctrl-C.
SIGNAL_EXITS = {ExitCode.INTERRUPTED: signal.SIGINT, ExitCode.TERMINATED: signal.SIGTERM}


class _StickyEof(io.RawIOBase):
    """Standard input that stays at its end once it got there: at a terminal each read after
    Ctrl-D would wait for another Ctrl-D, so one press ends the input."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.at_end = False

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return os.isatty(self.fd)

    def readinto(self, buffer: Any) -> int:
        if self.at_end:
            return 0
        # os.read(v) retries on EINTR after running Python's signal handlers, so Ctrl-C
        # raises KeyboardInterrupt here even while a read waits on a terminal or a pipe.
        if hasattr(os, "readv"):
            count = os.readv(self.fd, [buffer])
        else:  # Windows
            data = os.read(self.fd, len(buffer))
            count = len(data)
            memoryview(buffer).cast("B")[:count] = data
        self.at_end = count == 0
        return count


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _put_on(fd: int, opened: int) -> None:
    if opened != fd:
        os.dup2(opened, fd)
        os.close(opened)


def prepare() -> None:
    """Make closed standard streams behave like their usual ends, give stdin a sticky end,
    and turn SIGTERM into an exception that cleans up like Ctrl-C does."""
    # Lowest descriptor first: os.open returns the lowest free one.
    if not _is_open(0):
        # A closed stdin reads as empty.
        _put_on(0, os.open(os.devnull, os.O_RDONLY))
    if not _is_open(1):
        # A closed stdout is a pipe nobody reads: the first write ends the command with
        # 141, quietly, as `losscli ... | head -0` does; a command that writes nothing succeeds.
        read_end, write_end = os.pipe()
        os.close(read_end)
        _put_on(1, write_end)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
    if not _is_open(2):
        _put_on(2, os.open(os.devnull, os.O_WRONLY))
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
    stdin = sys.stdin
    encoding = getattr(stdin, "encoding", None) or "utf-8"
    sys.stdin = io.TextIOWrapper(io.BufferedReader(_StickyEof(0)), encoding=encoding)
    signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated()


def exit_by_signal(code: object) -> None:
    """For the exit code of an interrupted command: die by that signal, if the platform can."""
    if code not in SIGNAL_EXITS or os.name != "posix":
        return  # elsewhere the exit code says it
    number = SIGNAL_EXITS[code]  # type: ignore[index]
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    signal.signal(number, signal.SIG_DFL)
    os.kill(os.getpid(), number)
