"""Exit codes, and the one place where exceptions become messages and exit codes."""

from __future__ import annotations

import enum
import errno
import os
import sys
from typing import Any


class ExitCode(enum.IntEnum):
    OK = 0
    CHECK_FAILED = 1  # a wrong exercise answer, an --expect mismatch, a failed --check
    USAGE = 2  # the command line itself is wrong
    BAD_INPUT = 3  # the data or an exercise file cannot be used
    INTERNAL = 70  # a bug in losscli, or out of memory (EX_SOFTWARE)
    NO_SPACE = 74  # the disk is full (EX_IOERR)
    INTERRUPTED = 130  # Ctrl-C
    BROKEN_PIPE = 141  # the reader went away: `losscli ... | head -1`
    TERMINATED = 143  # SIGTERM


# Built before it is needed: when memory runs out, the handler must not need any.
OUT_OF_MEMORY = (
    b"losscli: error: out of memory\n"
    b"hint: --reduction mean or sum streams in flat memory; --reduction none, grad --reduction "
    b"mean and -f table/json hold every row: stream with -f tsv or jsonl, or split the input\n"
)


class PipeClosed(Exception):
    """The reader of stdout went away (EPIPE); not an OSError, so Typer lets it through."""


class Terminated(BaseException):
    """SIGTERM arrived: clean up as for Ctrl-C (a BaseException, like KeyboardInterrupt)."""


class CheckFailed(Exception):
    """A check the user asked for did not pass; the message says how (exit 1)."""


def error_line(message: str, hint: str | None = None) -> None:
    """The error format of docs/design.md section 3: one line, optionally a hint line, on stderr.
    Control characters from the input (a column name, a cell) are shown escaped."""
    from losscli.render.report import printable

    try:
        sys.stderr.write(f"losscli: error: {printable(message)}\n")
        if hint:
            sys.stderr.write(f"hint: {printable(hint)}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr itself is gone or full: the exit code still tells


def _silence_stdout() -> None:
    # The reader is gone: point stdout at /dev/null so the interpreter's final flush
    # does not raise a second BrokenPipeError.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _click_exceptions() -> Any:
    """The exceptions module of the click that Typer runs on (Typer >= 0.29 vendors its own)."""
    import typer

    return sys.modules[typer.BadParameter.__module__]


def handle(exc: BaseException) -> int:
    """Report an exception the way losscli promises and return the exit code."""
    if isinstance(exc, MemoryError):
        return out_of_memory(exc)
    if isinstance(exc, Terminated):
        return ExitCode.TERMINATED
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        _silence_stdout()  # what is buffered for stdout cannot be written either
        where = f" ({exc.filename})" if exc.filename else ""
        error_line(f"no space left on device{where}: free some space or write elsewhere")
        return ExitCode.NO_SPACE
    import typer

    from losscli.core.errors import DataError, UsageError
    from losscli.inputs.source import InputError
    from losscli.render.plotting import MissingExtra

    click = _click_exceptions()
    if isinstance(exc, (typer.Exit, getattr(click, "Exit", typer.Exit))):
        return int(exc.exit_code)  # type: ignore[attr-defined]  # either click's Exit
    if isinstance(exc, (BrokenPipeError, PipeClosed)):
        _silence_stdout()
        return ExitCode.BROKEN_PIPE
    if isinstance(exc, (KeyboardInterrupt, typer.Abort, getattr(click, "Abort", typer.Abort))):
        sys.stderr.write("\n")
        return ExitCode.INTERRUPTED
    if type(exc).__name__ == "NoArgsIsHelpError":
        # `losscli compute` alone: the command's help, as a usage error (no LOSS given).
        sys.stderr.write(exc.format_message() + "\n")  # type: ignore[attr-defined]
        return ExitCode.USAGE
    if isinstance(exc, click.UsageError):
        command = exc.ctx.command_path if exc.ctx is not None else "losscli"
        error_line(exc.format_message(), f"see '{command} --help'")
        return ExitCode.USAGE
    if isinstance(exc, click.ClickException):
        error_line(exc.format_message())
        return int(exc.exit_code)
    if isinstance(exc, (UsageError, MissingExtra)):
        error_line(str(exc))
        return ExitCode.USAGE
    if isinstance(exc, CheckFailed):
        error_line(str(exc))
        return ExitCode.CHECK_FAILED
    if isinstance(exc, (InputError, DataError)):
        error_line(str(exc), getattr(exc, "hint", None))
        return ExitCode.BAD_INPUT
    if os.environ.get("LOSSCLI_DEBUG") == "1":
        import traceback

        traceback.print_exception(exc)
    else:
        # One line, whatever the exception's text holds.
        what = " ".join(f"{type(exc).__name__}: {exc}".split())
        error_line(
            f"internal error ({what}); this is a bug in losscli: please report it with the "
            "output of 'losscli --version --json' (LOSSCLI_DEBUG=1 shows the traceback)"
        )
    return ExitCode.INTERNAL


def out_of_memory(exc: BaseException | None = None) -> int:
    """The one-line report of a MemoryError, written without allocating."""
    if exc is not None:
        exc.__traceback__ = None  # frees the arrays of the frames that were unwound
    try:
        os.write(2, OUT_OF_MEMORY)
    except OSError:
        pass
    return ExitCode.INTERNAL
