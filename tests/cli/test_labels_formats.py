"""Issue 12, peer parity: text class labels read the same from CSV, TSV, NDJSON and Parquet.

One table written in the four formats (by Polars' own writers) gives the same parsed output
for compute, grad and compare, the same label order rules (sorted as scikit-learn's
LabelBinarizer, or --labels), and the same errors naming row, column and value (exit 3).
The values themselves are checked against scikit-learn's log_loss on the same data; the
CSV reading is the reference of tests/cli/test_string_labels.py."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import log_loss

LABELS = ["bird", "cat", "dog", "cat", "bird", "dog", "cat"]
PROBS = [
    [0.2, 0.5, 0.3],
    [0.1, 0.1, 0.8],
    [0.6, 0.3, 0.1],
    [0.3, 0.3, 0.4],
    [0.5, 0.25, 0.25],
    [0.15, 0.15, 0.7],
    [0.2, 0.6, 0.2],
]
FORMATS = ["csv", "tsv", "ndjson", "parquet"]


def _table(labels: list[str | None] = LABELS, probs: list[list[float]] = PROBS) -> pl.DataFrame:
    columns = np.asarray(probs).T
    return pl.DataFrame(
        {
            "label": pl.Series(labels, dtype=pl.String),
            "p_bird": columns[0],
            "p_cat": columns[1],
            "p_dog": columns[2],
        }
    )


def _write(table: pl.DataFrame, directory: Path, kind: str, name: str = "classes") -> str:
    path = directory / f"{name}.{kind}"
    if kind == "csv":
        table.write_csv(path)
    elif kind == "tsv":
        table.write_csv(path, separator="\t")
    elif kind == "ndjson":
        table.write_ndjson(path)
    else:
        table.write_parquet(path)
    return str(path)


def _runs(cli, tmp_path, table, command: str, *args: str):
    """The same command on the table in each format: {format: run}. `command`: the words
    before the file ("compare ce focal"), `args` the options after it."""
    return {kind: cli(*command.split(), _write(table, tmp_path, kind), *args) for kind in FORMATS}


def _same_json(runs) -> object:
    outputs = {}
    for kind, run in runs.items():
        assert run.exit_code == 0, (kind, run.stderr)
        outputs[kind] = run.json()
    first = outputs["csv"]
    for kind, output in outputs.items():
        assert output == first, kind
    return first


def test_compute_is_the_same_in_every_format_and_is_sklearns_log_loss(cli, tmp_path) -> None:
    runs = _runs(cli, tmp_path, _table(), "compute ce", "-t", "label", "-f", "json")
    output = _same_json(runs)
    assert math.isclose(output["value"], log_loss(LABELS, PROBS), rel_tol=1e-12)
    for run in runs.values():
        assert "labels mapped in sorted order: bird=0, cat=1, dog=2" in run.stderr


def test_grad_and_per_example_values_are_the_same_in_every_format(cli, tmp_path) -> None:
    grad = _same_json(_runs(cli, tmp_path, _table(), "grad ce", "-t", "label", "-f", "json"))
    # Each example's d(-log p_y)/dp_y = -1/p_y at its class (bird=0, cat=1, dog=2), else 0.
    classes = [["bird", "cat", "dog"].index(label) for label in LABELS]
    for row, (k, probs) in enumerate(zip(classes, PROBS, strict=True)):
        expected = [0.0, 0.0, 0.0]
        expected[k] = -1 / probs[k]
        assert grad["grad"][row] == pytest.approx(expected, rel=1e-12)
    none = _runs(
        cli, tmp_path, _table(), "compute ce", "-t", "label", "--reduction", "none", "-f", "json"
    )
    values = _same_json(none)["values"]
    assert values == pytest.approx([-math.log(p[k]) for k, p in zip(classes, PROBS, strict=True)])


def test_compare_is_the_same_in_every_format(cli, tmp_path) -> None:
    runs = _runs(
        cli,
        tmp_path,
        _table(),
        "compare ce multiclass-hinge softmax-focal",
        "-t",
        "label",
        "-f",
        "json",
    )
    output = _same_json(runs)
    assert [entry["loss"] for entry in output["losses"]] == [
        "cross-entropy",
        "multiclass-hinge",
        "softmax-focal",
    ]
    assert math.isclose(output["losses"][0]["value"], log_loss(LABELS, PROBS), rel_tol=1e-12)


def test_labels_option_fixes_the_order_in_every_format(cli, tmp_path) -> None:
    runs = _runs(
        cli,
        tmp_path,
        _table(),
        "compute ce",
        "-t",
        "label",
        "--labels",
        "dog,cat,bird",
        "-f",
        "json",
    )
    output = _same_json(runs)
    # Class 0 is dog, read from column p_bird: the columns reversed are in sorted order again.
    expected = log_loss(LABELS, np.asarray(PROBS)[:, ::-1])
    assert math.isclose(output["value"], expected, rel_tol=1e-12)
    assert all("sorted order" not in run.stderr for run in runs.values())


@pytest.mark.parametrize("kind", FORMATS)
def test_an_unknown_label_is_exit_3_naming_row_column_and_value(cli, tmp_path, kind) -> None:
    path = _write(_table(), tmp_path, kind)
    run = cli("compute", "ce", path, "-t", "label", "--labels", "bird,cat,emu")
    assert run.exit_code == 3
    assert run.stdout == ""
    assert (
        "losscli: error: row 3, column 'label': 'dog' is not one of the labels (bird, cat, emu)"
        in run.stderr
    )


@pytest.mark.parametrize("kind", FORMATS)
def test_a_missing_label_is_named_or_skipped_with_nan_skip(cli, tmp_path, kind) -> None:
    labels: list[str | None] = [*LABELS]
    labels[3] = None  # an empty cell, a null, or a JSON null
    path = _write(_table(labels), tmp_path, kind)
    run = cli("compute", "ce", path, "-t", "label")
    assert run.exit_code == 3
    assert "losscli: error: row 4, column 'label': missing value" in run.stderr
    skip = cli("compute", "ce", path, "-t", "label", "--nan", "skip", "-f", "json")
    assert skip.exit_code == 0, skip.stderr
    kept = [k for k in range(len(LABELS)) if k != 3]
    expected = log_loss([LABELS[k] for k in kept], [PROBS[k] for k in kept])
    assert math.isclose(skip.json()["value"], expected, rel_tol=1e-12)
    assert skip.json()["n"] == len(kept)


@pytest.mark.parametrize("kind", FORMATS)
def test_the_first_bad_row_is_named_whichever_column_it_is_in(cli, tmp_path, kind) -> None:
    """A bad label in row 5 and a missing prediction in row 2: row 2 is named."""
    labels = [*LABELS]
    labels[4] = "emu"
    table = _table(labels).with_columns(
        pl.when(pl.int_range(pl.len()) == 1).then(None).otherwise(pl.col("p_dog")).alias("p_dog")
    )
    run = cli(
        "compute", "ce", _write(table, tmp_path, kind), "-t", "label", "--labels", "bird,cat,dog"
    )
    assert run.exit_code == 3
    assert "row 2, column 'p_dog': missing value" in run.stderr


@pytest.mark.parametrize("dtype", [pl.Categorical, pl.Enum(["dog", "cat", "bird"])])
def test_parquet_categorical_and_enum_labels_map_in_sorted_order(cli, tmp_path, dtype) -> None:
    """The order rule is the same as for text: sorted (an Enum's declared order is not the
    class order, as scikit-learn's np.unique ignores a pandas category order)."""
    table = _table().with_columns(pl.col("label").cast(dtype))
    run = cli("compute", "ce", _write(table, tmp_path, "parquet"), "-t", "label", "-f", "json")
    assert run.exit_code == 0, run.stderr
    assert math.isclose(run.json()["value"], log_loss(LABELS, PROBS), rel_tol=1e-12)
    assert "bird=0, cat=1, dog=2" in run.stderr


def test_labels_from_stdin(cli, tmp_path) -> None:
    """NDJSON streams: the order must be known before the first row, as for CSV. A Parquet
    table is read whole from stdin before its first row anyway: its labels are found."""
    ndjson = Path(_write(_table(), tmp_path, "ndjson")).read_bytes()
    run = cli("compute", "ce", "-", "-t", "label", input=ndjson)
    assert run.exit_code == 2
    assert "--labels" in run.stderr
    given = cli("compute", "ce", "-", "-t", "label", "--labels", "bird,cat,dog", input=ndjson)
    assert given.exit_code == 0, given.stderr
    assert math.isclose(float(given.stdout), log_loss(LABELS, PROBS), rel_tol=1e-12)
    parquet = Path(_write(_table(), tmp_path, "parquet")).read_bytes()
    piped = cli("compute", "ce", "-", "-t", "label", "--input-format", "parquet", input=parquet)
    assert piped.exit_code == 0, piped.stderr
    assert math.isclose(float(piped.stdout), log_loss(LABELS, PROBS), rel_tol=1e-12)


@pytest.mark.parametrize("kind", FORMATS)
def test_labels_option_on_integer_targets_reads_them_as_text(cli, tmp_path, kind) -> None:
    """As in a CSV file, --labels 1,0 makes the label '1' class 0: the classes swap."""
    table = pl.DataFrame({"y_true": [1, 0, 1, 0], "y_pred": [0.8, 0.3, 0.6, 0.45]})
    path = _write(table, tmp_path, kind, name="binary")
    run = cli("compute", "log-loss", path, "--labels", "1,0", "-f", "json")
    assert run.exit_code == 0, run.stderr
    swapped = log_loss([0, 1, 0, 1], [0.8, 0.3, 0.6, 0.45])
    assert math.isclose(run.json()["value"], swapped, rel_tol=1e-12)


def test_a_parquet_float_column_is_not_labels(cli, tmp_path) -> None:
    table = pl.DataFrame({"y_true": [1.0, 0.0], "y_pred": [0.8, 0.3]})
    run = cli("compute", "log-loss", _write(table, tmp_path, "parquet"), "--labels", "0,1")
    assert run.exit_code == 3
    assert "column 'y_true' is of type Float64, not class labels" in run.stderr


@pytest.mark.parametrize("chunk", ["16", "100000"])
def test_ndjson_labels_across_small_blocks_and_bad_rows(cli, tmp_path, chunk) -> None:
    """Tiny blocks send every block through Python's reader; the result is the same, and a
    bad prediction after a text label is still named by its row."""
    env = {"LOSSCLI_CHUNK_BYTES": chunk}
    path = _write(_table(), tmp_path, "ndjson")
    run = cli("compute", "ce", path, "-t", "label", "-f", "json", env=env)
    assert run.exit_code == 0, run.stderr
    assert math.isclose(run.json()["value"], log_loss(LABELS, PROBS), rel_tol=1e-12)
    lines = Path(path).read_text().splitlines()
    lines[3] = lines[3].replace('"p_cat":0.3', '"p_cat":"x"')
    Path(path).write_text("\n".join(lines) + "\n")
    bad = cli("compute", "ce", path, "-t", "label", env=env)
    assert bad.exit_code == 3
    assert "row 4, column 'p_cat': 'x' is not a number" in bad.stderr
