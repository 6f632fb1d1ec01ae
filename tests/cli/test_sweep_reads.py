"""A sweep reads its input once (issue 17): every value of `--delta 0.5,1,2` is a lane of one
pass of run/losses.py over the input, as compare's losses are; none re-opens the file or
keeps a copy of stdin per value."""

from __future__ import annotations

from pathlib import Path

import pytest


class CountingSource:
    """A source that counts how often its input is opened and read (its batches asked for)."""

    opened = 0
    reads = 0

    def __init__(self, source):
        self.source = source

    def __getattr__(self, name):
        return getattr(self.source, name)

    def batches(self):
        CountingSource.reads += 1
        return self.source.batches()


@pytest.fixture
def counted(monkeypatch):
    from losscli.cli import common

    opener = common.open_source

    def open_source(*args, **kwargs):
        CountingSource.opened += 1
        return CountingSource(opener(*args, **kwargs))

    CountingSource.opened = CountingSource.reads = 0
    monkeypatch.setattr(common, "open_source", open_source)
    return CountingSource


RESIDUALS = str(Path(__file__).parents[2] / "examples" / "residuals_outliers.csv")


@pytest.mark.parametrize(
    ("command", "reduction", "reads"),
    [
        ("compute", "mean", 1),
        ("compute", "sum", 1),
        ("compute", "none", 1),
        ("grad", "none", 1),
        # The gradient of the mean needs the totals first: a file is read twice (totals, then
        # rows), whatever the number of values.
        ("grad", "mean", 2),
    ],
)
def test_a_sweep_reads_its_input_once(cli, counted, command, reduction, reads):
    values = ["0.5", "1", "2", "5"]
    run = cli(command, "huber", RESIDUALS, "--delta", ",".join(values), "--reduction", reduction,
              "--json")  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert (counted.opened, counted.reads) == (reads, reads)
    document = run.json()
    # Each value's numbers are its single run's (tests/cli/test_sweeps.py checks every kind).
    key = {"compute": "values" if reduction == "none" else "value", "grad": "grad"}[command]
    for value, result in zip(values, document["results"], strict=True):
        single = cli(command, "huber", RESIDUALS, "--delta", value, "--reduction", reduction,
                     "--json").json()  # fmt: skip
        assert result[key] == single[key]


def test_a_sweep_of_stdin_reads_it_once(cli, counted):
    # stdin cannot be opened again: every value is computed from the one reading.
    with open(RESIDUALS, encoding="utf-8") as handle:
        table = handle.read()
    run = cli("compute", "huber", "--delta", "0.5,1,2", "--reduction", "none", "-f", "tsv",
              input=table)  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert (counted.opened, counted.reads) == (1, 1)
    header, *rows = run.lines()
    assert header.split("\t") == ["row", "delta=0.5", "delta=1", "delta=2"]
    assert len(rows) == table.count("\n") - 1
