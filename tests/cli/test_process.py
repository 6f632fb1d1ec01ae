"""Issue 18 in real processes: closed and full streams, Ctrl-C, Ctrl-D and SIGTERM while
losscli waits on stdin, and the exit codes of the README's table."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="/proc and /dev/full are Linux")

EXAMPLE = str(REPO / "examples" / "regression.csv")


def start(*args: str, **kwargs: object) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("LOSSCLI_DEBUG", None)
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "losscli", *args], env=env, **kwargs
    )


def run_shell(command: str) -> subprocess.CompletedProcess[bytes]:
    """A command line as a user types it in sh (redirections included)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("LOSSCLI_DEBUG", None)
    losscli = f"{sys.executable} -m losscli"
    return subprocess.run(
        ["sh", "-c", command.replace("losscli", losscli)],
        capture_output=True,
        env=env,
        check=False,
        cwd=REPO,
        timeout=120,
    )


def wait_until_reading(process: subprocess.Popen[bytes]) -> None:
    """Until the process's main thread sleeps in a read of its stdin (pipe or terminal)."""
    wchan = Path(f"/proc/{process.pid}/wchan")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "losscli ended before it waited on stdin"
        state = wchan.read_text()
        if "read" in state or "wait_woken" in state:
            return
        time.sleep(0.05)
    raise AssertionError(f"losscli never blocked on stdin ({wchan.read_text()})")


# --- streams -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "losscli compute mse --y-true 0 --y-pred 1 >&-",
        f"losscli compute mse {EXAMPLE} --reduction none >&-",
        "losscli list >&-",
    ],
)
def test_closed_stdout_is_a_quiet_broken_pipe(command: str) -> None:
    done = run_shell(command)
    assert done.returncode == 141, done.stderr
    assert done.stderr == b""


def test_closed_stdout_without_output_succeeds(tmp_path: Path) -> None:
    # As with a pipe nobody reads: only a write to stdout fails.
    figure = tmp_path / "curve.svg"
    done = run_shell(f"losscli plot mse -o {figure} >&-")
    assert done.returncode == 0, done.stderr
    assert figure.read_text().startswith("<?xml")


@pytest.mark.parametrize("command", ["losscli compute mse - <&-", "losscli compute mse <&-"])
def test_closed_stdin_reads_as_empty(command: str) -> None:
    done = run_shell(command)
    assert done.returncode == 3, done.stderr
    assert done.stderr == b"losscli: error: stdin: the input is empty\n"


@pytest.mark.parametrize(
    "command",
    [
        "losscli compute mse --y-true 0 --y-pred 1 > /dev/full",
        f"losscli compute mse {EXAMPLE} --reduction none -f json > /dev/full",
        "losscli list > /dev/full",
        "losscli plot mse --width 60 --height 12 > /dev/full",
    ],
)
def test_full_disk_is_exit_74(command: str) -> None:
    done = run_shell(command)
    assert done.returncode == 74, done.stderr
    assert done.stderr.decode().splitlines() == [
        "losscli: error: no space left on device: free some space or write elsewhere"
    ]


def test_full_stderr_keeps_the_exit_code() -> None:
    assert run_shell("losscli compute mse --y-true 0 --y-pred x 2>/dev/full").returncode == 3


# --- signals -----------------------------------------------------------------------------------


def test_ctrl_c_on_a_stalled_pipe_stops_at_once() -> None:
    # Polars' import used to replace the SIGINT handler with one that restarts the read.
    read_end, write_end = os.pipe()
    process = start(
        "compute", "mse", stdin=read_end, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    os.close(read_end)
    try:
        os.write(write_end, b"y_true,y_pred\n1,2\n")
        wait_until_reading(process)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        os.close(write_end)
        if process.poll() is None:
            process.kill()
    # Dies by SIGINT after cleanup, as CPython does: a shell loop stops (sh reports 130).
    assert process.returncode == -signal.SIGINT, err
    assert out == b""
    assert b"Traceback" not in err


def test_ctrl_c_while_reading_a_terminal() -> None:
    primary, secondary = pty.openpty()
    process = start("compute", "mse", "-", stdin=secondary, stdout=subprocess.PIPE)
    os.close(secondary)
    try:
        wait_until_reading(process)
        process.send_signal(signal.SIGINT)  # what the terminal sends for Ctrl-C
        process.communicate(timeout=30)
    finally:
        os.close(primary)
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGINT


def test_one_ctrl_d_ends_terminal_input() -> None:
    primary, secondary = pty.openpty()
    process = start("compute", "mse", "-", stdin=secondary, stdout=subprocess.PIPE)
    os.close(secondary)
    try:
        wait_until_reading(process)
        os.write(primary, b"y_true,y_pred\n1,3\n")
        os.write(primary, b"\x04")  # one Ctrl-D at the start of a line
        out, _ = process.communicate(timeout=60)
    finally:
        os.close(primary)
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert float(out) == 4.0


def test_sigterm_while_waiting_dies_by_sigterm() -> None:
    read_end, write_end = os.pipe()
    process = start(
        "compute", "mse", stdin=read_end, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    os.close(read_end)
    try:
        wait_until_reading(process)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        os.close(write_end)
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGTERM, err
    assert b"Traceback" not in err


def losscli_child(parent: int) -> int | None:
    """The child of `parent` that runs `python -m losscli` (after its exec: before it, a
    forked shell's command line mentions losscli too)."""
    found = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, check=False)
    for pid in found.stdout.split():
        try:
            argv = Path(f"/proc/{int(pid)}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[1:3] == [b"-m", b"losscli"]:
            return int(pid)
    return None


def test_a_shell_loop_stops_at_the_first_ctrl_c(tmp_path: Path) -> None:
    # for f in *.csv; do losscli compute mse "$f"; done: the first interrupted run ends the loop.
    marker = tmp_path / "ran"
    script = (
        f"for i in 1 2 3; do echo $i >> {marker}; "
        f"sleep 600 | {sys.executable} -m losscli compute mse; done"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    shell = subprocess.Popen(["bash", "-c", script], env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        child = None
        while child is None and time.monotonic() < deadline:
            child = losscli_child(shell.pid)
            time.sleep(0.05)
        assert child is not None

        class Child:
            pid = child

            def poll(self) -> None:
                return None

        wait_until_reading(Child())  # type: ignore[arg-type]
        # Ctrl-C at a terminal signals the whole foreground process group.
        os.killpg(shell.pid, signal.SIGINT)
        shell.wait(timeout=60)
    finally:
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGKILL)
            shell.wait()
    assert marker.read_text().split() == ["1"]


# --- out of memory -----------------------------------------------------------------------------

OOM_LINES = [
    "losscli: error: out of memory",
    "hint: --reduction mean or sum streams in flat memory; --reduction none, grad --reduction "
    "mean and -f table/json hold every row: stream with -f tsv or jsonl, or split the input",
]


def run_out_of_memory(setup: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    """losscli's entry point in a process where `setup` makes something run out of memory."""
    code = (
        "import sys\n"
        f"{setup}\n"
        "from losscli.cli.app import main\n"
        f"sys.argv = ['losscli', *{list(args)!r}]\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("LOSSCLI_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, env=env, check=False, timeout=120
    )


def test_out_of_memory_is_one_line_and_exit_70() -> None:
    # NumPy's allocation failure (numpy's _ArrayMemoryError is a MemoryError).
    setup = (
        "import numpy as np, losscli.core.evaluation.requests as ev\n"
        "def values(*args, **kwargs):\n"
        "    return np.empty(1 << 48)  # 2 PiB: beyond any address space\n"
        "ev.batch_values = values"
    )
    done = run_out_of_memory(setup, "compute", "mse", EXAMPLE, "--reduction", "none")
    assert done.returncode == 70
    assert done.stderr.decode().splitlines() == OOM_LINES


def test_out_of_memory_in_the_handler_itself() -> None:
    # The handler must not fail: a second MemoryError while reporting still gives the line.
    setup = (
        "import losscli.core.evaluation.requests as ev, losscli.cli.app as app\n"
        "def boom(*args, **kwargs):\n"
        "    raise MemoryError\n"
        "ev.batch_values = boom\n"
        "app.handle = boom"
    )
    done = run_out_of_memory(setup, "compute", "mse", EXAMPLE)
    assert done.returncode == 70
    assert done.stderr.decode().splitlines() == OOM_LINES
