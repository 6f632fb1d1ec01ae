"""Tables in: every format from a file and from stdin, column selection, weights, strict
validation with the place of each error, chunk boundaries and streamed per-row output."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import polars as pl
import pytest
from conftest import REPO, run_subprocess

CSV = "y_true,y_pred\n1,2\n3,5\n0,0\n"  # squared errors 1, 4, 0: mean 5/3


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_csv_file_and_stdin_give_the_same_mean(cli, tmp_path):
    path = write(tmp_path, "d.csv", CSV)
    from_file = cli("compute", "mse", path)
    from_stdin = cli("compute", "mse", input=CSV)
    dash = cli("compute", "mse", "-", input=CSV)
    assert from_file.exit_code == from_stdin.exit_code == dash.exit_code == 0
    assert float(from_file.stdout) == float(from_stdin.stdout) == float(dash.stdout) == 5 / 3


@pytest.mark.parametrize("fmt", ["csv", "tsv", "parquet", "ndjson"])
def test_every_format_by_extension(cli, tmp_path, fmt):
    df = pl.DataFrame({"y_true": [1.0, 3.0, 0.0], "y_pred": [2.0, 5.0, 0.0]})
    path = tmp_path / f"d.{ {'ndjson': 'jsonl'}.get(fmt, fmt) }"
    if fmt == "csv":
        df.write_csv(path)
    elif fmt == "tsv":
        df.write_csv(path, separator="\t")
    elif fmt == "parquet":
        df.write_parquet(path)
    else:
        df.write_ndjson(path)
    run = cli("compute", "mse", str(path), "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["value"] == 5 / 3 and run.json()["n"] == 3


@pytest.mark.parametrize("fmt", ["tsv", "parquet", "ndjson"])
def test_formats_from_stdin_sniffed_or_named(cli, tmp_path, fmt):
    df = pl.DataFrame({"y_true": [1.0, 3.0, 0.0], "y_pred": [2.0, 5.0, 0.0]})
    path = tmp_path / "d"
    if fmt == "tsv":
        df.write_csv(path, separator="\t")
    elif fmt == "parquet":
        df.write_parquet(path)
    else:
        df.write_ndjson(path)
    data = path.read_bytes()
    sniffed = cli("compute", "mse", input=data)
    named = cli("compute", "mse", "--input-format", fmt, input=data)
    assert float(sniffed.stdout) == float(named.stdout) == 5 / 3


def test_crlf_and_bom_and_delimiter(cli):
    text = "\ufeffy_true;y_pred\r\n1;2\r\n3;5\r\n0;0\r\n"
    run = cli("compute", "mse", "--delimiter", ";", input=text.encode("utf-8"))
    assert run.exit_code == 0, run.stderr
    assert float(run.stdout) == 5 / 3


def test_no_header_names_columns_1_to_n(cli):
    run = cli("compute", "mse", "--no-header", "-t", "2", "-p", "1", input="2,1\n5,3\n0,0\n")
    assert float(run.stdout) == 5 / 3
    run = cli("compute", "mse", "--no-header", "-f", "json", input="1,2\n")
    assert run.json()["value"] == 1.0
    assert "using column '1' as the target" in run.stderr


@pytest.mark.parametrize(
    "selection",
    [
        ["-t", "truth", "-p", "model"],
        ["-t", "2", "-p", "3"],
        ["--target", "tr*", "--pred", "mod?l"],
        ["-p", "model", "-t", "truth"],
    ],
)
def test_column_selection_forms(cli, selection):
    text = "id,truth,model,other\na,1,2,9\nb,3,5,9\nc,0,0,9\n"
    run = cli("compute", "mse", *selection, input=text)
    assert run.exit_code == 0, run.stderr
    assert float(run.stdout) == 5 / 3


def test_default_columns_are_first_and_rest_and_said(cli):
    text = "label,p0,p1,p2\n2,0.1,0.2,0.7\n0,0.5,0.25,0.25\n"
    run = cli("compute", "ce", input=text)
    assert float(run.stdout) == pytest.approx((-math.log(0.7) - math.log(0.5)) / 2, rel=1e-15)
    assert "using column 'label' as the target" in run.stderr


def test_glob_selects_class_probability_columns(cli):
    text = "p_a,p_b,p_c,label,junk\n0.1,0.2,0.7,2,x\n"
    run = cli("compute", "ce", "-t", "label", "-p", "p_*", input=text)
    assert float(run.stdout) == -math.log(0.7)


def test_weight_column_gives_weighted_mean(cli):
    text = "y_true,y_pred,w\n0,1,1\n0,2,3\n"
    run = cli("compute", "mse", "-t", "y_true", "-p", "y_pred", "--weight", "w", input=text)
    assert float(run.stdout) == pytest.approx(13 / 4, rel=1e-15)


def test_distributions_and_embeddings_from_tables(cli):
    text = "t0,t1,q0,q1\n0.5,0.5,0.9,0.1\n"
    run = cli("compute", "kl", "-t", "t*", "-p", "q*", input=text)
    assert float(run.stdout) == pytest.approx(0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(5))
    text = "similar,a1,a2,b1,b2\n1,0,0,3,4\n0,0,0,0.3,0.4\n"
    run = cli(
        "compute", "contrastive", "-t", "similar", "--reduction", "none", "-f", "plain", input=text
    )
    assert [float(v) for v in run.lines()] == pytest.approx([25.0, 0.25])


@pytest.mark.parametrize(
    ("args", "text", "fragment"),
    [
        (["mse"], "y_true,y_pred\n1,2\n3,abc\n", "row 2, column 'y_pred': 'abc' is not a number"),
        (["mse"], "y_true,y_pred\n1,2\n3,\n", "row 2, column 'y_pred': missing value"),
        (["mse"], "y_true,y_pred\n1,2\n3,4,5\n", "row 2: has 3 fields but the header has 2"),
        (["mse"], "y_true,y_pred\n1,2\nnan,4\n", "row 2, column 'y_true': nan is not a finite"),
        (["mse"], "y_true,y_pred\n1,2\n1,inf\n", "row 2, column 'y_pred': inf is not a finite"),
        (
            ["bce"],
            "y_true,y_pred\n1,0.5\n0,1.5\n",
            "row 2, column 'y_pred': 1.5 must be a probability",
        ),
        (
            ["ce", "-t", "y"],
            "y,a,b\n0,0.5,0.5\n2,0.5,0.5\n",
            "row 2, column 'y': 2.0 must be a class label",
        ),
        (
            ["ce", "-t", "y"],
            "y,a,b\n0,0.5,0.5\n1,0.5,0.4\n",
            "row 2, columns 'a', 'b': sums to 0.9",
        ),
        (["mse", "-t", "truth"], "y_true,y_pred\n1,2\n", "no column 'truth'"),
        (["mse", "-t", "y_tru"], "y_true,y_pred\n1,2\n", "did you mean 'y_true'?"),
        (["mse", "-t", "7"], "y_true,y_pred\n1,2\n", "column 7 does not exist"),
        (["mse"], "", "the input is empty"),
        (["mse"], "y_true,y_pred\n", "no data rows"),
        (["mse"], "only\n1\n", "it needs a target and at least one prediction column"),
        (
            ["mse", "--weight", "w"],
            "y_true,y_pred,w\n1,2,-1\n",
            "row 1, column 'w': -1.0 must be a weight",
        ),
    ],
)
def test_bad_tables_exit_3_naming_row_and_column(cli, args, text, fragment):
    run = cli("compute", *args, input=text)
    assert run.exit_code == 3, run.stderr
    assert run.stdout == ""
    errors = [line for line in run.stderr.splitlines() if line.startswith("losscli: error:")]
    assert len(errors) == 1 and fragment in errors[0], run.stderr


def test_unknown_column_lists_the_columns(cli):
    run = cli("compute", "mse", "-p", "pred", input="y_true,y_hat\n1,2\n")
    assert run.exit_code == 3
    assert "columns: y_true, y_hat" in run.stderr


def test_missing_file_is_a_usage_error(cli, tmp_path):
    # Issue 19: a missing file is exit 2, as Click's own Path check would make it.
    run = cli("compute", "mse", str(tmp_path / "nope.csv"))
    assert run.exit_code == 2 and "nope.csv: no such file" in run.stderr


def test_nan_skip_drops_rows_and_says_how_many(cli):
    text = "y_true,y_pred\n1,2\n3,\nnan,1\n0,0\n"
    run = cli("compute", "mse", "--nan", "skip", "--reduction", "none", input=text)
    assert run.tsv() == [{"row": "1", "value": "1.0"}, {"row": "4", "value": "0.0"}]
    assert "skipped 2 rows" in run.stderr
    doc = cli("compute", "mse", "--nan", "skip", "--json", input=text).json()
    assert doc["value"] == 0.5 and doc["n"] == 2
    assert any("skipped 2 rows" in w for w in doc["warnings"])
    # a non-numeric cell is still an error: nothing is silently coerced
    run = cli("compute", "mse", "--nan", "skip", input="y_true,y_pred\n1,x\n")
    assert run.exit_code == 3


def test_errors_after_skipped_rows_name_the_input_row(cli):
    text = "y_true,y_pred\n1,\n1,\n0,0.5\n1,1.5\n"
    run = cli("compute", "bce", "--nan", "skip", input=text)
    assert run.exit_code == 3
    assert "row 4, column 'y_pred': 1.5" in run.stderr


def test_inline_and_table_options_do_not_mix(cli, tmp_path):
    path = write(tmp_path, "d.csv", CSV)
    run = cli("compute", "mse", path, "--y-true", "1", "--y-pred", "1")
    assert run.exit_code == 2
    run = cli("compute", "mse", "-t", "a", "--y-true", "1", "--y-pred", "1")
    assert run.exit_code == 2 and "--target" in run.stderr


def test_terminal_stdin_without_input_exits_2_with_hint(cli, monkeypatch):
    monkeypatch.setattr("losscli.cli.common.stdin_is_terminal", lambda: True)
    run = cli("compute", "mse")
    assert run.exit_code == 2 and "no input" in run.stderr and run.stdout == ""


def make_rows(n, seed=0):
    rng = np.random.default_rng(seed)
    y = np.round(rng.normal(size=n), 6)
    p = np.round(rng.normal(size=n), 6)
    text = "y_true,y_pred\n" + "".join(
        f"{a!r},{b!r}\n" for a, b in zip(y.tolist(), p.tolist(), strict=True)
    )
    return text, float(np.mean((p - y) ** 2))


@pytest.mark.parametrize("chunk", ["1", "7", "16", "64", "1000"])
def test_chunk_boundaries_do_not_change_the_answer(cli, chunk):
    # Tiny blocks split rows across reads at every possible place.
    text, expected = make_rows(300)
    run = cli("compute", "mse", "--json", input=text, env={"LOSSCLI_CHUNK_BYTES": chunk})
    assert run.exit_code == 0, run.stderr
    assert run.json()["n"] == 300
    assert run.json()["value"] == pytest.approx(expected, rel=1e-14)


def test_file_length_an_exact_multiple_of_the_chunk(cli, tmp_path):
    body = "y_true,y_pred\n" + "1,2\n" * 99  # 14 + 99 * 4 = 410 bytes = 10 * 41
    path = write(tmp_path, "d.csv", body)
    assert len(body) % 41 == 0
    run = cli("compute", "mse", path, "--json", env={"LOSSCLI_CHUNK_BYTES": "41"})
    assert run.json() == {**run.json(), "n": 99, "value": 1.0}
    no_newline = write(tmp_path, "e.csv", body.rstrip("\n"))
    run = cli("compute", "mse", no_newline, "--json", env={"LOSSCLI_CHUNK_BYTES": "41"})
    assert run.json()["n"] == 99


def test_bad_cell_in_a_later_chunk_has_its_global_row(cli):
    text, _ = make_rows(50)
    lines = text.splitlines()
    lines[37] = "1,oops"  # data row 37
    run = cli("compute", "mse", input="\n".join(lines) + "\n", env={"LOSSCLI_CHUNK_BYTES": "64"})
    assert run.exit_code == 3
    assert "row 37, column 'y_pred': 'oops' is not a number" in run.stderr


def test_reduction_none_and_grad_stream_every_row(cli):
    text, _ = make_rows(120)
    env = {"LOSSCLI_CHUNK_BYTES": "100"}
    values = cli("compute", "mse", "--reduction", "none", "-f", "plain", input=text, env=env)
    assert len(values.lines()) == 120
    grads = cli("grad", "mse", "-f", "tsv", input=text, env=env).tsv()
    assert [int(r["row"]) for r in grads] == list(range(1, 121))
    rows = [line.split(",") for line in text.splitlines()[1:]]
    assert [float(r["dL/dy_pred"]) for r in grads] == pytest.approx(
        [2 * (float(p) - float(t)) for t, p in rows], rel=1e-12
    )


def test_grad_mean_divides_by_n_over_all_chunks(cli):
    text, _ = make_rows(40)
    env = {"LOSSCLI_CHUNK_BYTES": "50"}
    per = cli("grad", "mse", "--json", input=text, env=env).json()["grad"]
    mean = cli("grad", "mse", "--reduction", "mean", "--json", input=text, env=env).json()["grad"]
    assert mean == pytest.approx([g / 40 for g in per], rel=1e-15)


def test_grad_names_columns_after_the_table(cli):
    run = cli("grad", "ce", "--logits", "-t", "y", "-f", "tsv", input="y,a,b,c\n2,1,2,3\n")
    assert list(run.tsv()[0]) == ["row", "dL/dlogit[a]", "dL/dlogit[b]", "dL/dlogit[c]"]


def test_broken_pipe_exits_141_silently(tmp_path):
    # Per-example output is written one batch at a time: small blocks make many batches, so
    # the reader has gone long before the last one (one batch could fit the pipe's buffer).
    text, _ = make_rows(20000)
    path = tmp_path / "big.csv"
    path.write_text(text)
    script = (
        f"{sys.executable} -m losscli compute mse {path} --reduction none -f plain | head -1;"
        ' echo "${PIPESTATUS[0]}"'
    )
    done = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "LOSSCLI_CHUNK_BYTES": "4096"},
        check=False,
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and lines[1] == "141", done.stdout + done.stderr
    assert done.stderr == ""


def test_inline_values_do_not_import_polars():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from losscli.cli.app import app\n"
        "r = CliRunner().invoke(app, ['compute', 'mse', '--y-true', '1,2', '--y-pred', '1,3'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(json.dumps(sorted(m for m in ('polars', 'numpy') if m in sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", "import json\n" + code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["numpy"]


def test_subprocess_reads_a_real_pipe():
    done = run_subprocess("compute", "mse", input=CSV.encode())
    assert done.returncode == 0 and float(done.stdout) == 5 / 3
