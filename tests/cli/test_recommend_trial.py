"""`losscli recommend --trial` from the command line: the README's example, the sample, the
JSON folds, progress, bad input, and that plain `recommend` never imports scikit-learn."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys

import numpy as np
import polars as pl
import pytest
from conftest import REPO

DELIVERIES = str(REPO / "examples" / "delivery_times.csv")


def write(tmp_path, name: str, **columns) -> str:
    path = tmp_path / name
    pl.DataFrame(columns).write_csv(path)
    return str(path)


def test_delivery_times_csv_is_reproducible(tmp_path):
    generator = runpy.run_path(str(REPO / "examples" / "make_delivery_times.py"))
    generator["main"](str(tmp_path / "out.csv"))
    committed = (REPO / "examples" / "delivery_times.csv").read_text(encoding="utf-8")
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == committed


def test_readme_trial_is_what_recommend_prints(cli):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = "$ losscli recommend examples/delivery_times.csv -t minutes --trial"
    start = readme.index(command)
    block = readme[start : readme.index("```", start)].splitlines()
    args = block[0][len("$ losscli ") :].split()
    args[1] = DELIVERIES
    run = cli(*args, "--color", "never", "--no-progress", env={"COLUMNS": "100"})
    assert run.exit_code == 0, run.stderr
    assert [line.rstrip() for line in run.lines()] == [line.rstrip() for line in block[1:]]


def test_huber_beats_mse_on_held_out_absolute_error_beyond_the_spread(cli):
    doc = cli(
        "recommend", DELIVERIES, "-t", "minutes", "--trial", "--target-stat", "median", "--json"
    ).json()
    trial = doc["trial"]
    assert trial["metric"] == "mae" and trial["rows"] == 400 and trial["folds"] == 5
    by = {c["loss"]: c for c in trial["candidates"]}
    assert set(by) == {"mse", "huber", "mae"}
    # Every fold's score is in the document, for every metric shown.
    for c in trial["candidates"]:
        assert {len(v) for v in c["folds"].values()} == {5}
        assert c["mean"]["mae"] == pytest.approx(np.mean(c["folds"]["mae"]), rel=1e-12)
    huber_gain = np.array(by["mse"]["folds"]["mae"]) - np.array(by["huber"]["folds"]["mae"])
    assert huber_gain.mean() > 2 * huber_gain.std(ddof=1) > 0
    assert trial["winner"]["loss"] in ("huber", "mae")
    # The recommendation itself sits beside the trial.
    assert doc["recommendations"][0]["loss"] == "mae"


def test_progress_on_stderr_and_plain_names(cli):
    run = cli("recommend", DELIVERIES, "-t", "minutes", "--trial", "-f", "plain")
    assert run.exit_code == 0
    assert run.lines()[0] in ("huber", "mae", "mse") and len(run.lines()) == 3
    folds = [line for line in run.stderr.splitlines() if "trial: fold" in line]
    assert len(folds) == 5 and folds[0].endswith("fitting mse, huber, mae on 320 rows")
    quiet = cli("recommend", DELIVERIES, "-t", "minutes", "--trial", "--no-progress", "--json")
    assert "trial: fold" not in quiet.stderr


def test_sample_is_uniform_seeded_and_said(cli, tmp_path):
    rng = np.random.default_rng(11)
    x = rng.normal(size=3000)
    path = write(tmp_path, "big.csv", x=x, y=2 * x + rng.normal(size=3000))
    run = cli("recommend", path, "-t", "y", "--trial", "--sample", "500", "--json", "--seed", "3")
    doc = run.json()
    assert doc["trial"]["rows"] == 500 and doc["profile"]["rows"] == 3000
    assert "the trial fits a uniform sample of 500 of the 3000 rows (--sample)" in doc["warnings"]
    again = cli("recommend", path, "-t", "y", "--trial", "--sample", "500", "--json", "--seed", "3")
    assert again.json()["trial"] == doc["trial"]
    other = cli("recommend", path, "-t", "y", "--trial", "--sample", "500", "--json", "--seed", "4")
    assert other.json()["trial"]["candidates"] != doc["trial"]["candidates"]


def test_features_by_glob_and_index(cli, tmp_path):
    rng = np.random.default_rng(12)
    a, b = rng.normal(size=200), rng.normal(size=200)
    path = write(tmp_path, "f.csv", f_a=a, f_b=b, noise=rng.normal(size=200), y=a - b)
    doc = cli("recommend", path, "-t", "y", "-x", "f_*", "--trial", "--json").json()
    assert doc["profile"]["features"] == ["f_a", "f_b"]
    doc = cli("recommend", path, "-t", "4", "-x", "1,3", "--trial", "--json").json()
    assert doc["profile"]["features"] == ["f_a", "noise"]


def test_counts_trial_fits_poisson_on_poisson_deviance(cli, tmp_path):
    rng = np.random.default_rng(13)
    x = rng.normal(size=500)
    path = write(tmp_path, "c.csv", x=x, events=rng.poisson(np.exp(1 + 0.7 * x)))
    doc = cli("recommend", path, "-t", "events", "--trial", "--json").json()
    assert doc["trial"]["metric"] == "poisson"
    assert doc["trial"]["winner"]["loss"] == "poisson"
    assert doc["recommendations"][0]["loss"] == "poisson"


def test_rare_positives_show_average_precision(cli, tmp_path):
    rng = np.random.default_rng(14)
    x = rng.normal(size=3000)
    y = (rng.random(3000) < 1 / (1 + np.exp(-(-6.0 + 1.5 * x)))).astype(int)
    path = write(tmp_path, "r.csv", x=x, label=y)
    doc = cli("recommend", path, "-t", "label", "--trial", "--json").json()
    trial = doc["trial"]
    assert trial["metric"] == "binary-cross-entropy"
    assert [c["loss"] for c in trial["candidates"]] == ["binary-cross-entropy", "focal", "hinge"]
    first = trial["candidates"][0]
    assert {"binary-cross-entropy", "brier", "average-precision"} <= set(first["folds"])
    ranked = cli(
        "recommend", path, "-t", "label", "--trial", "--metric", "average-precision", "--json"
    ).json()["trial"]
    assert ranked["metric"] == "average-precision" and ranked["lower_is_better"] is False


# --- bad input: one line, exit 3 (data) or 2 (command line), never a traceback ----------------


def error_of(run, code: int) -> str:
    assert run.exit_code == code, (run.stdout, run.stderr)
    assert run.stdout == ""
    last = run.stderr.splitlines()[-1]
    assert last.startswith("losscli: error: ")
    return last


def test_no_feature_column(cli, tmp_path):
    path = write(tmp_path, "t.csv", y=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert "no feature column: the table has only the target 'y'" in error_of(
        cli("recommend", path, "--trial"), 3
    )


def test_constant_features(cli, tmp_path):
    rng = np.random.default_rng(15)
    x = rng.normal(size=100)
    path = write(tmp_path, "c.csv", x=x, flat=np.ones(100), y=x + rng.normal(size=100))
    doc = cli("recommend", path, "-t", "y", "--trial", "--json").json()
    assert "feature 'flat' is constant: left out" in doc["warnings"]
    path = write(tmp_path, "k.csv", flat=np.ones(100), y=rng.normal(size=100))
    assert "every feature is constant" in error_of(cli("recommend", path, "-t", "y", "--trial"), 3)


def test_fewer_rows_than_folds(cli, tmp_path):
    path = write(tmp_path, "few.csv", x=[1.0, 2.0, 4.0], y=[1.5, 2.5, 3.0])
    assert "3 rows are fewer than the 5 folds" in error_of(
        cli("recommend", path, "-t", "y", "--trial"), 3
    )


def test_a_class_with_fewer_examples_than_folds(cli, tmp_path):
    path = write(tmp_path, "cls.csv", x=np.arange(40.0), y=[0] * 37 + [1] * 3)
    assert "class 1 has 3 examples, fewer than the 5 folds" in error_of(
        cli("recommend", path, "-t", "y", "--trial"), 3
    )


def test_non_convergence_is_a_warning(cli, tmp_path, monkeypatch):
    from losscli.core.advice import trial

    monkeypatch.setattr(trial, "MAX_ITER", 1)
    rng = np.random.default_rng(16)
    x = rng.normal(size=300)
    path = write(tmp_path, "n.csv", x=x, events=rng.poisson(np.exp(1 + 0.5 * x)))
    run = cli("recommend", path, "-t", "events", "--trial", "-f", "plain")
    assert run.exit_code == 0
    assert "losscli: warning: poisson: did not converge in fold 1" in run.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-x", "x"], "-x goes with --trial"),
        (["--metric", "mae"], "--metric goes with --trial"),
        (["--trial", "-p", "x"], "leave out -p"),
        (["--trial", "--folds", "1"], "--folds must be at least 2"),
        (["--trial", "--metric", "maa"], "unknown loss 'maa'"),
        (["--trial", "--task", "embedding"], "not --task embedding"),
    ],
)
def test_usage_errors(cli, args, message):
    assert message in error_of(cli("recommend", DELIVERIES, "-t", "minutes", *args), 2)


def test_missing_extra_names_it(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.linear_model", None)
    line = error_of(cli("recommend", DELIVERIES, "-t", "minutes", "--trial"), 2)
    assert "pip install 'losscli[trial]'" in line


def test_recommend_without_trial_does_not_import_sklearn():
    code = (
        "import sys\n"
        "from losscli.cli.app import main\n"
        f"sys.argv = ['losscli', 'recommend', {DELIVERIES!r}, '-t', 'minutes', '--json']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "loaded = [m for m in ('sklearn', 'scipy') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)["recommendations"]


def test_a_piped_table_is_tried(cli):
    with open(DELIVERIES) as f:
        text = f.read()
    doc = cli(
        "recommend", "-t", "minutes", "--trial", "--target-stat", "median", "--json", input=text
    ).json()
    assert doc["profile"]["source"] == "stdin" and doc["trial"]["rows"] == 400
