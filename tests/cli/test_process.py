"""Issue 18 in real processes: closed and full streams, Ctrl-C, Ctrl-D and SIGTERM while
losscli waits on stdin, and the exit codes of the README's table."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="/proc and /dev/full are Linux")

EXAMPLE = str(REPO / "examples" / "regression.csv")


def start(
    *args: str, env: dict[str, str] | None = None, **kwargs: object
) -> subprocess.Popen[bytes]:
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("LOSSCLI_DEBUG", None)
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "losscli", *args], env=full_env, **kwargs
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


# --- signals while per-example rows stream out (issue 19) ---------------------------------------
# The rows are formatted and written on a second thread one block ahead (render/blocks.py), so
# a signal or a closed pipe meets that thread mid-block. Blocks of 64 KiB of input (about 3400
# rows, over blocks.POLARS_FROM_ROWS) take that thread; the reader stops reading after 64 KiB
# of output, so losscli is blocked writing, with rows still to come, when the signal lands.

STREAMED = [
    ("compute", "mse", "--reduction", "none", "-f", "tsv"),
    ("grad", "mse", "-f", "jsonl"),
    ("compare", "mse", "mae", "--per-example", "-f", "csv"),
]


@pytest.fixture(scope="module")
def long_table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("signals") / "long.csv"
    rows = (f"{i % 7}.25,{i % 11}.5\n" for i in range(300_000))
    path.write_text("y_true,y_pred\n" + "".join(rows))
    return path


def whole_rows(out: bytes, args: tuple[str, ...]) -> list[int]:
    """The row numbers of the output, which must end at a whole line; each line whole."""
    assert out.endswith(b"\n"), out[-80:]
    lines = out.decode().splitlines()
    if "jsonl" in args:
        import json

        records = [json.loads(line) for line in lines]
        assert all(list(r) == ["row", "dL/dy_pred"] for r in records)
        return [r["row"] for r in records]
    separator = "\t" if "tsv" in args else ","
    header, *body = (line.split(separator) for line in lines)
    assert all(len(cells) == len(header) for cells in body)
    assert all(float(cell) >= 0 or "grad" in args for cells in body for cell in cells[1:])
    return [int(cells[0]) for cells in body]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("args", STREAMED, ids=lambda a: a[0])
def test_a_signal_mid_stream_ends_on_a_whole_line(
    long_table: Path, args: tuple[str, ...], sig: signal.Signals
) -> None:
    process = start(
        *args[:-2], str(long_table), *args[-2:], bufsize=0,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={"LOSSCLI_CHUNK_BYTES": "65536"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = b""  # unbuffered: communicate() reads the rest from the descriptor
        while len(first) < 65536:
            first += process.stdout.read(65536 - len(first))
        assert process.poll() is None  # rows still to come
        process.send_signal(sig)
        rest, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    # Cleanup (the block in hand is finished), then death by the signal: 130 / 143 in sh.
    assert process.returncode == -sig, err
    assert err == b""
    rows = whole_rows(first + rest, args)
    assert rows == list(range(1, len(rows) + 1))  # in order, none lost in between
    assert 0 < len(rows) < 300_000


@pytest.mark.parametrize("args", STREAMED, ids=lambda a: a[0])
def test_head_ends_a_stream_with_141_silently(long_table: Path, args: tuple[str, ...]) -> None:
    words = " ".join([*args[:-2], str(long_table), *args[-2:]])
    done = subprocess.run(
        ["bash", "-c", f'{sys.executable} -m losscli {words} | head -3; echo "${{PIPESTATUS[0]}}"'],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "LOSSCLI_CHUNK_BYTES": "65536"},
        check=False,
        timeout=120,
    )
    *shown, status = done.stdout.decode().splitlines()
    assert status == "141", done.stderr
    assert done.stderr == b""
    assert len(shown) == 3


def test_ctrl_c_quits_explore_in_a_terminal() -> None:
    # In the explorer the terminal is raw: Ctrl-C arrives as the byte 0x03, a key, and quits.
    primary, secondary = pty.openpty()
    env = {"TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    process = start("explore", "mse", stdin=secondary, stdout=secondary, stderr=secondary, env=env)
    os.close(secondary)
    seen = b""
    try:
        deadline = time.monotonic() + 120
        while b"mse" not in seen and time.monotonic() < deadline:
            if select.select([primary], [], [], 1)[0]:
                seen += os.read(primary, 65536)  # the drawn screen
        assert b"mse" in seen
        os.write(primary, b"\x03")
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if select.select([primary], [], [], 1)[0]:
                    os.read(primary, 65536)  # keep the terminal drained while it closes
            except OSError:
                break
        process.wait(timeout=60)
    finally:
        os.close(primary)
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
