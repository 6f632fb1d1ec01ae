"""losscli/run/losses.py: the one loop that runs losses over an input. Its results are the
core's numbers however the input is cut into batches, per-example rows stream until a bad
row, and compute, grad and compare all take their results from it."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from losscli.core.evaluation.requests import evaluate, gradient, make_request
from losscli.core.evaluation.states import CompareState, LossState
from losscli.inputs.source import InputError
from losscli.inputs.table import TableSource, choose_columns, open_table
from losscli.run import losses
from losscli.run.context import Warnings
from losscli.run.losses import Lane, gradients, per_example, reduced

ROWS = 300


@pytest.fixture
def table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, np.ndarray, np.ndarray]:
    """A regression table of 300 rows, read in blocks of about 30 rows (many batches)."""
    monkeypatch.setenv("LOSSCLI_CHUNK_BYTES", "1024")
    rng = np.random.default_rng(17)
    y = rng.normal(0, 1, ROWS)
    p = y + rng.standard_cauchy(ROWS)
    path = tmp_path / "table.csv"
    lines = [f"{a!r},{b!r}" for a, b in zip(y.tolist(), p.tolist(), strict=True)]
    path.write_text("y_true,y_pred\n" + "\n".join(lines) + "\n")
    return path, y, p


def _source(path: Path) -> TableSource:
    reader = open_table(str(path))
    selection = choose_columns(reader.names, None, None, None, takes_target=True)
    return TableSource(reader, selection, skip_missing=False)


def test_the_table_is_read_in_many_batches(table):
    path, _, _ = table
    assert len(list(_source(path).batches())) >= 5


@pytest.mark.parametrize("loss", ["mse", "huber", "log-cosh"])
def test_reduced_state_is_the_cores_mean(table, loss):
    path, y, p = table
    request = make_request(loss, {})
    state = LossState.empty(request)
    warnings = Warnings(live=False)
    reduced(_source(path), [Lane("", request, state=state)], warnings)
    # The reference: the core's per-example values on the whole table, summed exactly.
    values = evaluate(request, y, p, reduction="none").values
    assert state.count == ROWS
    assert state.result("mean") == pytest.approx(math.fsum(values.tolist()) / ROWS, rel=1e-15)
    assert state.result("sum") == pytest.approx(math.fsum(values.tolist()), rel=1e-15)
    assert warnings.items == []


def test_per_example_blocks_are_the_cores_values_in_input_order(table):
    path, y, p = table
    request = make_request("huber", {"delta": 0.5})
    blocks = list(per_example(_source(path), [Lane("", request)], Warnings(live=False)))
    assert len(blocks) >= 5  # streamed batch by batch, not collected
    numbers = np.concatenate([b.row_numbers for b in blocks])
    values = np.concatenate([b.values for b in blocks])
    np.testing.assert_array_equal(numbers, np.arange(1, ROWS + 1))
    np.testing.assert_array_equal(values[:, 0], evaluate(request, y, p, reduction="none").values)


def test_per_example_has_one_column_per_lane(table):
    path, y, p = table
    names = ["mse", "mae", "huber"]
    lanes = [Lane(name, make_request(name, {})) for name in names]
    blocks = list(per_example(_source(path), lanes, Warnings(live=False), count="read"))
    values = np.concatenate([b.values for b in blocks])
    assert values.shape == (ROWS, 3)
    for k, name in enumerate(names):
        expected = evaluate(make_request(name, {}), y, p, reduction="none").values
        np.testing.assert_array_equal(values[:, k], expected)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("twice", [False, True])
def test_gradients_are_the_cores_gradients(table, reduction, twice):
    """Held until the end (stdin) or read twice (a file): the same numbers as the core's
    gradient of the reduced loss on the whole table."""
    path, y, p = table
    request = make_request("rmse" if reduction == "sum" else "mse", {})
    reread = (lambda: _source(path)) if twice else None
    blocks = list(
        gradients([request], _source(path), Warnings(live=False), reduction, reread=reread)
    )
    grads = np.concatenate([b.values for b in blocks])[:, 0]
    expected = gradient(request, y, p, reduction=reduction).grads
    np.testing.assert_allclose(grads, expected, rtol=1e-13, atol=0)


def test_compare_lanes_are_each_losses_core_value(table):
    path, y, p = table
    names = ["mse", "mae", "huber"]
    lanes = [
        Lane(n, make_request(n, {}), state=CompareState.empty(make_request(n, {}))) for n in names
    ]
    reduced(_source(path), lanes, Warnings(live=False), grads=True, count="read")
    for name, lane in zip(names, lanes, strict=True):
        expected = evaluate(make_request(name, {}), y, p).value
        assert lane.state.result()["value"] == pytest.approx(expected, rel=1e-14)
        core_grads = gradient(make_request(name, {}), y, p).grads
        assert lane.state.influence.max_abs_grad == np.max(np.abs(core_grads))


def test_multioutput_lanes_read_one_output_column_each(tmp_path):
    rng = np.random.default_rng(3)
    t, q = rng.normal(size=(50, 2)), rng.normal(size=(50, 2))
    path = tmp_path / "two.csv"
    rows = [
        ",".join(repr(v) for v in [*a, *b]) for a, b in zip(t.tolist(), q.tolist(), strict=True)
    ]
    path.write_text("t1,t2,p1,p2\n" + "\n".join(rows) + "\n")
    reader = open_table(str(path))
    selection = choose_columns(reader.names, "t1,t2", "p1,p2", None, takes_target=True)
    request = make_request("mae", {})
    lanes = [Lane("", request, state=request.reducer(), output=j) for j in range(2)]
    reduced(TableSource(reader, selection, skip_missing=False), lanes, Warnings(live=False))
    for j, lane in enumerate(lanes):
        expected = evaluate(request, t[:, j], q[:, j]).value
        assert lane.state.result("mean") == pytest.approx(expected, rel=1e-15)


def _bad_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """150 good rows, then 'abc' in y_pred at row 151, then one more good row."""
    monkeypatch.setenv("LOSSCLI_CHUNK_BYTES", "200")
    lines = [f"{k},{k + 1}" for k in range(1, 151)] + ["0,abc", "1,2"]
    path = tmp_path / "bad.csv"
    path.write_text("y_true,y_pred\n" + "\n".join(lines) + "\n")
    return path


def test_per_example_yields_the_rows_before_a_bad_row_then_names_it(tmp_path, monkeypatch):
    path = _bad_table(tmp_path, monkeypatch)
    blocks = per_example(_source(path), [Lane("", make_request("mse", {}))], Warnings(live=False))
    numbers = []
    with pytest.raises(InputError) as raised:
        for block in blocks:
            numbers.extend(block.row_numbers.tolist())
    assert numbers == list(range(1, len(numbers) + 1)) and 100 <= len(numbers) <= 150
    assert str(raised.value) == "row 151, column 'y_pred': 'abc' is not a number"


@pytest.mark.parametrize(
    "command",
    [
        ("compute", "mse", "--reduction", "none"),
        ("grad", "mse"),
        ("compare", "mse", "mae", "--per-example"),
    ],
)
def test_commands_stream_rows_before_a_bad_row_then_exit_3(cli, tmp_path, monkeypatch, command):
    path = _bad_table(tmp_path, monkeypatch)
    run = cli(*command, str(path), "-f", "csv")
    assert run.exit_code == 3
    lines = run.stdout.splitlines()
    rows = [int(line.split(",")[0]) for line in lines[1:]]
    assert rows == list(range(1, len(rows) + 1)) and 100 <= len(rows) <= 150
    assert "row 151, column 'y_pred': 'abc' is not a number" in run.stderr


def test_an_optional_lane_is_left_out_silently_on_the_first_batch_and_said_later(
    tmp_path, monkeypatch
):
    """--all's rule: a loss whose domain the first batch refuses is left out silently; one
    that a later batch refuses is left out with a warning, its partial totals dropped."""
    monkeypatch.setenv("LOSSCLI_CHUNK_BYTES", "64")
    path = tmp_path / "drift.csv"
    path.write_text("y_true,y_pred\n" + "0,0.5\n" * 40 + "1,1.5\n")
    kept = Lane("mae", make_request("mae", {}), optional=True)
    later = Lane("bce", make_request("bce", {}), optional=True)
    for lane in (kept, later):
        assert lane.request is not None
        lane.state = LossState.empty(lane.request)
    # mae takes any number; bce refuses the probability 1.5 of row 41.
    # softmax-focal needs one prediction column per class: refused on the first batch.
    wrong = Lane("softmax-focal", make_request("softmax-focal", {}), optional=True)
    warnings = Warnings(live=False)
    reduced(_source(path), [wrong, kept, later], warnings, count="read")
    assert wrong.request is None and wrong.dropped is not None and wrong.dropped[1] is True
    assert later.request is None and later.state is None
    assert later.dropped is not None and later.dropped[1] is False
    assert warnings.items == [later.why] and later.why.startswith("bce left out: row 41")
    assert kept.state is not None and kept.state.count == 41


def test_notices_name_the_lane_and_the_place(tmp_path):
    path = tmp_path / "zero.csv"
    path.write_text("y_true,y_pred\n1,0.5\n1,0\n")
    lanes = [Lane("bce", make_request("bce", {})), Lane("mse", make_request("mse", {}))]
    warnings = Warnings(live=False)
    reduced(_source(path), lanes, warnings, where="day1.csv: ", count="read")
    assert len(warnings.items) == 1
    assert warnings.items[0].startswith("day1.csv: bce: the loss is infinite for 1 example")
    assert warnings.items[0].endswith("(row 2)")


@pytest.mark.parametrize(
    "command",
    [
        ("compute", "mse"),
        ("compute", "mse", "--reduction", "none"),
        ("compute", "mse", "--multioutput", "raw"),
        ("grad", "mse"),
        ("grad", "mse", "--reduction", "mean"),
        ("compare", "mse", "mae"),
        ("compare", "mse", "mae", "--per-example"),
    ],
)
def test_compute_grad_and_compare_read_through_the_one_loop(cli, table, monkeypatch, command):
    """Every batch each command reads passes through losses.stream, and the command prints
    the numbers the loop gave."""
    path, _, _ = table
    batches = []
    original = losses.stream

    def counting(*args, **kwargs):
        for step in original(*args, **kwargs):
            batches.append(step.batch)
            yield step

    monkeypatch.setattr(losses, "stream", counting)
    run = cli(*command, str(path), "--json")
    assert run.exit_code == 0, run.stderr
    read = sum(b.y_pred.shape[0] for b in batches)
    passes = 2 if command == ("grad", "mse", "--reduction", "mean") else 1  # a file: read twice
    assert read == passes * ROWS


def test_a_batch_whose_every_row_is_left_out_feeds_compare_states():
    """--ignore-label can leave a batch without rows: its gradients (none) still reshape."""
    from losscli.inputs.inline import InlineSource

    request = make_request("binary-cross-entropy", {"ignore_label": 1})
    source = InlineSource(request.loss, "1,1", "0.2,0.8", None)
    lane = Lane("bce", request, state=CompareState.empty(request))
    warnings = Warnings(live=False)
    reduced(source, [lane], warnings, grads=True, count="read")
    assert lane.state.count == 0 and lane.state.influence.max_abs_grad == 0.0
    assert warnings.items == [
        "bce: left out 2 examples labelled 1 (--ignore-label): they count neither in the value "
        "nor in the mean (row 1, row 2)"
    ]
