"""`losscli recommend` from flags: output shapes, formats and errors."""

from __future__ import annotations

import pytest
from conftest import run_subprocess


def test_json_document(cli):
    run = cli("recommend", "--task", "binary", "--positive-rate", "0.005", "--json")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert set(doc) == {"profile", "recommendations", "warnings"}
    assert doc["profile"] == {
        "source": "flags",
        "task": "binary",
        "positive_rate": 0.005,
        "minority_share": 0.005,
        "classes": 2,
    }
    first = doc["recommendations"][0]
    assert set(first) == {"loss", "params", "score", "reasons", "caveats", "references"}
    assert first["loss"] == "focal" and first["params"] == {"gamma": 2.0, "alpha": 0.25}
    assert first["reasons"][0].startswith("positives are 0.5% of examples")
    assert [r["loss"] for r in doc["recommendations"]] == ["focal", "binary-cross-entropy"]


def test_plain_prints_loss_names_best_first(cli):
    run = cli("recommend", "--task", "regression", "--outliers", "heavy", "-f", "plain")
    assert run.lines() == ["huber", "mae"]


def test_plain_head_in_a_real_pipe():
    done = run_subprocess(
        "recommend", "--task", "regression", "--target-stat", "median", "-f", "plain", input=b""
    )
    assert done.returncode == 0
    assert done.stdout.decode().splitlines()[0] == "mae"


def test_piped_output_is_tsv_with_header(cli):
    run = cli("recommend", "--task", "regression", "--outliers", "some", "--residual-scale", "2")
    rows = run.tsv()
    assert [r["loss"] for r in rows] == ["huber"]
    assert rows[0]["params"] == "delta=2.69" and rows[0]["score"] == "0.9"
    assert "1.345 x residual scale 2 = 2.69" in rows[0]["reasons"]


def test_table_shows_profile_reasons_and_caveats(cli):
    run = cli(
        "recommend",
        "--task",
        "embedding",
        "--want",
        "ranking",
        "-f",
        "table",
        env={"COLUMNS": "200"},
    )
    assert run.exit_code == 0
    assert "what you stated" in run.stdout
    assert "1. triplet" in run.stdout and "margin=0.2" in run.stdout
    # triplet, contrastive and infonce are all in the catalog (issue 8 added the first and
    # the last): none is marked as missing.
    assert "not in the catalog yet" not in run.stdout


def test_class_counts(cli):
    doc = cli("recommend", "--task", "multiclass", "--class-counts", "990, 5, 5", "--json").json()
    assert doc["profile"]["classes"] == 3
    assert doc["recommendations"][0]["loss"] == "softmax-focal"


def test_quantile_implies_target_stat(cli):
    doc = cli("recommend", "--task", "regression", "--quantile", "0.9", "--json").json()
    (pinball,) = doc["recommendations"]
    assert pinball["loss"] == "pinball" and pinball["params"] == {"quantile": 0.9}
    # pinball is in the catalog: its suggestion can be computed as given.
    assert not any("not in the catalog yet" in c for c in pinball["caveats"])
    value = cli("compute", "pinball", "--quantile", "0.9", "--y-true", "1", "--y-pred", "0")
    assert value.exit_code == 0 and float(value.stdout) == 0.9


def test_variational_implies_distribution(cli):
    doc = cli("recommend", "--variational", "--json").json()
    assert doc["profile"]["task"] == "distribution"
    assert doc["recommendations"][0]["params"] == {"direction": "reverse"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--positive-rate", "0.1"], "give --task"),
        (["--task", "binary", "--outliers", "heavy"], "--outliers applies to --task regression"),
        (["--task", "binary", "--positive-rate", "2"], "--positive-rate must be between 0 and 1"),
        (["--task", "multiclass", "--class-counts", "5,x"], "--class-counts takes whole numbers"),
        (["--task", "regression", "--target-stat", "quantile"], "needs --quantile"),
        (["--task", "clustering"], "'clustering' is not one of"),
    ],
)
def test_usage_errors(cli, args, message):
    run = cli("recommend", *args)
    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr.startswith("losscli: error: ") and message in run.stderr


def test_help_does_not_import_numpy():
    code = (
        "import sys; from losscli.cli.app import main; sys.argv = ['losscli', 'recommend', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "assert 'numpy' not in sys.modules and 'polars' not in sys.modules, 'imported'\n"
    )
    import subprocess
    import sys

    from conftest import REPO

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert b"--positive-rate" in done.stdout


def test_every_top_name_is_computable(cli):
    # Issue 12 item 5: `recommend --task binary --want ranking -f plain | head -1` named
    # pairwise-logistic, which compute refused.
    top = cli("recommend", "--task", "binary", "--want", "ranking", "-f", "plain").lines()[0]
    assert top == "margin-ranking"
    run = cli("compute", top, "--margin", "1", "--y-true", "1", "--y-pred", "0.3,0.1")
    assert run.exit_code == 0 and float(run.stdout) == pytest.approx(0.8)  # max(0, 1 - 0.2)


def test_no_arguments_at_a_terminal_is_the_help_and_a_usage_error():
    # A pseudo-terminal on stdin: nothing piped, nothing given.
    import os
    import pty

    leader, follower = pty.openpty()
    try:
        done = run_subprocess("recommend", stdin=follower)
    finally:
        os.close(leader)
        os.close(follower)
    assert done.returncode == 2
    assert b"Usage: losscli recommend" in done.stderr and done.stdout == b""


@pytest.mark.parametrize(
    ("kind", "first"),
    [("counts", "poisson"), ("zero-inflated", "tweedie"), ("positive", "gamma-deviance")],
)
def test_target_kind_from_flags(cli, kind, first):
    doc = cli("recommend", "--task", "regression", "--target-kind", kind, "--json").json()
    assert doc["profile"]["target_kind"] == kind
    top = doc["recommendations"][0]
    assert top["loss"] == first and f"(--target-kind {kind})" in top["reasons"][0]


def test_soft_targets_are_named_by_their_catalog_loss(cli):
    names = cli("recommend", "--task", "distribution", "-f", "plain").lines()
    assert names == ["kl", "distribution-cross-entropy"]
