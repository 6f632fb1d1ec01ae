"""`losscli exercise ...`: exit codes, feedback, variants, hints, solutions and progress."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, run_subprocess

# The six numbers of docs/design.md section 6, then the shares 100/104.25 and 9.5/11.125 and
# the robust one of the two losses.
HUBER_ANSWERS = ["0.125", "1.5", "9.5", "0.25", "4", "100", "0.9592", "0.8539", "huber"]


def answers(*values: str) -> list[str]:
    return [arg for v in values for arg in ("-a", v)]


def typed(part, value: float) -> str:
    """The right answer as a student types it: a number, a letter, or the formula."""
    if part.accepts == "choice":
        return "abcdefgh"[int(value)]
    if part.accepts == "formula":
        return part.formula.text
    return repr(value)


def progress_file() -> Path:
    return Path(os.environ["LOSSCLI_HOME"]) / "progress.json"


def saved() -> dict:
    return json.loads(progress_file().read_text())


def assert_error(run, code: int, fragment: str) -> None:
    assert run.exit_code == code, (run.stdout, run.stderr)
    assert run.stdout == ""
    assert run.stderr.startswith("losscli: error: ")
    assert fragment in run.stderr
    assert "Traceback" not in run.stderr


# --- the examples ------------------------------------------------------------------


def test_ce_3class_right_answer_as_an_expression_exits_0(cli):
    run = cli("exercise", "check", "ce-3class", "-a", "-ln(0.7)")
    assert run.exit_code == 0, run.stderr
    assert run.stderr == ""


def test_ce_3class_log10_answer_exits_1_with_its_feedback(cli):
    run = cli("exercise", "check", "ce-3class", "-a", "0.155", "--json")
    assert run.exit_code == 1
    [part] = run.json()["parts"]
    assert part["right"] is False and part["mistake"] == "log10"
    assert "base-10 logarithm" in part["feedback"]
    assert part["exact"] is None  # the answer is not revealed
    assert "0.3566" not in run.stdout
    assert run.stderr == "losscli: error: ce-3class: 1 of 1 answer wrong (loss)\n"


def test_huber_vs_mse_accepts_its_nine_parts(cli):
    run = cli("exercise", "check", "huber-vs-mse", *answers(*HUBER_ANSWERS), "--json")
    assert run.exit_code == 0
    doc = run.json()
    assert [p["name"] for p in doc["parts"]] == [
        "huber1",
        "huber2",
        "huber3",
        "mse1",
        "mse2",
        "mse3",
        "share-mse",
        "share-huber",
        "bounded",
    ]
    assert all(p["right"] for p in doc["parts"]) and doc["solved"] is True


def test_named_parts_in_any_order_and_mixed_with_positional(cli):
    named = [f"{n}={v}" for n, v in zip(("mse3", "huber1"), ("100", "1/8"), strict=True)]
    rest = ("1.5", "9.5", "0.25", "4", "100/104.25", "9.5/11.125", "A")
    run = cli("exercise", "check", "huber-vs-mse", *answers(*named, *rest))
    assert run.exit_code == 0, run.stdout


def test_parts_answered_across_runs_solve_it(cli):
    first = cli("exercise", "check", "huber-vs-mse", "-a", "huber1=0.125", "--json")
    assert first.exit_code == 1 and "still to answer" in first.stderr
    later = ["huber2", "huber3", "mse1", "mse2", "mse3", "share-mse", "share-huber", "bounded"]
    assert first.json()["unanswered"] == later
    rest = [f"{n}={v}" for n, v in zip(later, HUBER_ANSWERS[1:], strict=True)]
    second = cli("exercise", "check", "huber-vs-mse", *answers(*rest), "--json")
    assert second.exit_code == 0 and second.json()["solved"] is True


def test_wrong_part_among_right_ones(cli):
    values = [*HUBER_ANSWERS]
    values[1] = "2"  # r^2/2 past delta
    run = cli("exercise", "check", "huber-vs-mse", *answers(*values), "--json")
    assert run.exit_code == 1
    wrong = [p for p in run.json()["parts"] if not p["right"]]
    assert [(p["name"], p["mistake"]) for p in wrong] == [("huber2", "quadratic-past-delta-2")]
    assert "1 of 9 answers wrong (huber2)" in run.stderr


def test_far_off_answer_gets_direction_not_the_answer(cli):
    doc = cli("exercise", "check", "ce-3class", "-a", "3", "--json").json()
    assert doc["parts"][0]["feedback"] == "too high: about 8 times too large"


def test_right_answer_has_a_why_and_the_exact_value(cli):
    doc = cli("exercise", "check", "ce-3class", "-a", "0.357", "--json").json()
    [part] = doc["parts"]
    assert part["right"] and part["exact"] == -math.log(0.7)
    assert "-ln p[2]" in part["feedback"]


# --- unparseable answers: exit 2, not an attempt ------------------------------------------


HOSTILE = [
    "__import__('os')",
    "(1).real",
    "10**10**10",
    "(" * 10_000 + "1" + ")" * 10_000,
    "1" * 1_000_000,
    "ln(",
    "",
]


@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
def test_unparseable_answer_exits_2_quickly_and_is_not_an_attempt(cli, answer):
    start = time.perf_counter()
    run = cli("exercise", "check", "ce-3class", "-a", answer)
    # A guard against a hang (10**10**10 would run for ever), not a speed test: generous enough
    # for a loaded CI machine.
    assert time.perf_counter() - start < 30
    assert_error(run, 2, "part loss: ")
    assert not progress_file().exists()


def test_a_bad_answer_among_good_ones_records_nothing(cli):
    run = cli("exercise", "check", "huber-vs-mse", *answers("0.125", "x", "9.5"))
    assert_error(run, 2, "part huber2: cannot read 'x': unknown name 'x'")
    assert not progress_file().exists()


def test_plain_number_part_refuses_an_expression(cli):
    run = cli("exercise", "check", "huber-delta-limits", "-a", "small-delta=0.01*(3-0.005)/3")
    assert_error(run, 2, "not a plain decimal number")
    run = cli("exercise", "check", "huber-delta-limits", "-a", "small-delta=0.009983", "--json")
    assert run.exit_code == 1 and run.json()["parts"][0]["right"] is True


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["check", "ce-3clas", "-a", "1"], "unknown exercise 'ce-3clas'; did you mean ce-3class?"),
        (["show", "nothing-like-it"], "unknown exercise 'nothing-like-it'"),
        (["check", "ce-3class"], "no answer: give -a VALUE for ce-3class (parts, in order: loss)"),
        (["check", "ce-3class", "-a", "1", "-a", "2"], "has 1 part (loss) but 2 answers"),
        (["check", "huber-vs-mse", "-a", "huber4=1"], "no part 'huber4'; did you mean huber"),
        (["check", "huber-vs-mse", "-a", "mse1=1", "-a", "mse1=2"], "part mse1 is answered twice"),
        (["show", "ce-3class@x"], "after @ comes a seed"),
        (["show", "ce-3class@3", "--seed", "4"], "name different variants"),
        (["show", "ce-3class", "--seed", "-1"], "--seed"),
        (["list", "--topic", "regresion"], "did you mean regression?"),
        (["list", "--status", "maybe"], "--status"),
        (["solution", "ce-3class"], "shows once it is solved; --force shows it now"),
        (["validate", "/no/such/dir"], "is not a directory"),
        (["list", "--exercises-dir", "/no/such/dir"], "--exercises-dir: '/no/such/dir' is not"),
    ],
)
def test_usage_errors_exit_2(cli, args, fragment):
    assert_error(cli("exercise", *args), 2, fragment)


# --- show, variants -----------------------------------------------------------------------


def test_show_uses_textbook_numbers_and_never_the_answer(cli):
    doc = cli("exercise", "show", "ce-3class", "--json").json()
    assert doc["params"] == {"label": 2.0, "p": [0.1, 0.2, 0.7]}
    assert "p = (0.1, 0.2, 0.7)" in doc["prompt"] and doc["variant"] == "default"
    assert doc["parts"][0]["name"] == "loss" and doc["parts"][0]["tolerance"]["rel"] == 0.005
    text = json.dumps(doc)
    assert "0.3566" not in text and "0.357" not in text


def test_seed_and_at_shorthand_give_the_same_variant(cli):
    a = cli("exercise", "show", "ce-3class", "--seed", "7", "--json").json()
    b = cli("exercise", "show", "ce-3class@7", "--json").json()
    assert a == b and a["seed"] == 7 and a["variant"] == "7"
    default = cli("exercise", "show", "ce-3class", "--json").json()
    assert a["params"] != default["params"]


def test_variant_is_checked_against_its_own_numbers(cli):
    from losscli.core.exercises.model import draw_variant, work
    from losscli.inputs.exercises import builtin_dir, load_file

    exercise = load_file(builtin_dir() / "ce-3class.toml")
    answer = work(exercise, draw_variant(exercise, 7)).answers["loss"]
    assert cli("exercise", "check", "ce-3class@7", "-a", repr(answer)).exit_code == 0
    assert cli("exercise", "check", "ce-3class", "-a", repr(answer)).exit_code == 1
    doc = saved()["exercises"]["ce-3class"]
    assert doc["variants"]["7"]["solved_at"] and not doc["variants"]["default"]["solved_at"]


def test_show_table_and_tsv(cli):
    run = cli("exercise", "show", "huber-vs-mse", "-f", "table")
    assert run.exit_code == 0 and "huber3" in run.stdout and "-a VALUE ... (9 answers" in run.stdout
    rows = cli("exercise", "show", "huber-vs-mse", "-f", "tsv").tsv()
    assert {"field": "param delta", "value": "1"} in rows


# --- hints, solutions, progress, next ----------------------------------------------------


def test_hints_unlock_with_attempts(cli):
    first = cli("exercise", "hint", "ce-3class", "--json").json()
    assert len(first["hints"]) == 1 and first["next_after"] == 1
    cli("exercise", "check", "ce-3class", "-a", "1")
    second = cli("exercise", "hint", "ce-3class", "--json").json()
    assert len(second["hints"]) == 2 and second["attempts"] == 1
    assert "label 2 is entry 2" in second["hints"][1]
    assert saved()["exercises"]["ce-3class"]["hints_seen"] == 2
    table = cli("exercise", "hint", "ce-3class", "-f", "table").stdout
    assert "hint 2:" in table and "next hint unlocks after 1 more attempt" in table


def test_solution_after_solving_or_with_force(cli):
    forced = cli("exercise", "solution", "focal-gamma", "--force", "--json")
    assert forced.exit_code == 0
    assert forced.json()["answers"]["ratio"] == pytest.approx(0.000564907, abs=5e-10)
    assert saved()["exercises"]["focal-gamma"]["solution_seen"] is True
    cli("exercise", "check", "ce-3class", "-a", "-ln(0.7)")
    doc = cli("exercise", "solution", "ce-3class", "--json").json()
    assert "-ln p[2]" in doc["solution"] and doc["answers"] == {"loss": -math.log(0.7)}


def test_progress_records_attempts_per_part_hints_and_solved_time(cli):
    cli("exercise", "check", "ce-3class", "-a", "0.155")
    cli("exercise", "hint", "ce-3class")
    cli("exercise", "check", "ce-3class", "-a", "-ln(0.7)")
    doc = cli("exercise", "progress", "--json").json()
    entry = next(e for e in doc["exercises"] if e["id"] == "ce-3class")
    assert entry["attempts"] == 2 and entry["hints_seen"] == 2 and entry["status"] == "done"
    assert entry["variants"]["default"]["parts"]["loss"]["attempts"] == 2
    assert entry["solved_at"].endswith("Z")
    assert doc["solved"] == 1 and doc["total"] >= 15
    assert doc["path"] == str(progress_file())


def test_progress_reset_asks_first_and_keeps_a_backup(cli):
    cli("exercise", "check", "ce-3class", "-a", "1")
    before = progress_file().read_text()
    # piped, with nobody to ask: a usage error, nothing lost
    run = cli("exercise", "progress", "--reset")
    assert_error(run, 2, "resetting all progress asks for confirmation: add --yes")
    assert progress_file().read_text() == before
    doc = cli("exercise", "progress", "--reset", "--yes", "--json").json()
    assert doc["had_progress"] is True and not progress_file().exists()
    assert Path(doc["backup"]).read_text() == before
    doc = cli("exercise", "reset", "--yes", "--json").json()
    assert doc["had_progress"] is False


def test_reset_one_exercise(cli):
    cli("exercise", "check", "ce-3class", "-a", "-ln(0.7)")
    cli("exercise", "check", "huber-vs-mse", "-a", "huber1=0.125")
    run = cli("exercise", "reset", "ce-3class", "-f", "table")
    assert run.exit_code == 0
    assert "progress of ce-3class reset; the previous file is kept as " in run.stdout
    assert set(saved()["exercises"]) == {"huber-vs-mse"}
    [backup] = progress_file().parent.glob("progress.json.bak-*")
    assert "ce-3class" in json.loads(backup.read_text())["exercises"]
    run = cli("exercise", "reset", "ce-3clas")
    assert_error(run, 2, "did you mean ce-3class?")


def test_list_and_status_filters(cli):
    all_ = cli("exercise", "list", "--json").json()["exercises"]
    assert len(all_) >= 15 and all(e["status"] == "todo" for e in all_)
    # the catalog's order: its own three problems first, then by level
    assert [e["id"] for e in all_[:3]] == ["ce-3class", "huber-vs-mse", "focal-gamma"]
    assert [e["level"] for e in all_[3:]] == sorted(e["level"] for e in all_[3:])
    cli("exercise", "check", "ce-3class", "-a", "-ln(0.7)")
    done = cli("exercise", "list", "--status", "done", "--json").json()["exercises"]
    assert [e["id"] for e in done] == ["ce-3class"]
    todo = cli("exercise", "list", "--status", "todo", "--json").json()["exercises"]
    assert len(todo) == len(all_) - 1
    by_alias = cli("exercise", "list", "--topic", "ce", "--json").json()["exercises"]
    assert {e["id"] for e in by_alias} >= {"ce-3class", "ce-nll-dataset", "softmax-ce-logits"}
    assert all("cross-entropy" in e["topics"] for e in by_alias)
    rows = cli("exercise", "list").tsv()  # piped: TSV with a header
    assert rows[0].keys() == {"id", "title", "level", "topics", "parts", "status"}


def test_next_prefers_a_started_exercise_then_the_first_new_one(cli):
    first = cli("exercise", "next", "--json").json()
    assert first["id"] == "ce-3class" and "not tried" in first["reason"]
    cli("exercise", "check", "ce-3class", "-a", "-ln(0.7)")
    assert cli("exercise", "next", "--json").json()["id"] == "huber-vs-mse"
    cli("exercise", "check", "kl-asymmetry", "-a", "forward=1")
    assert cli("exercise", "next", "--json").json()["id"] == "kl-asymmetry"


def test_next_when_everything_is_solved(cli):
    from losscli.core.exercises.model import draw_variant, work
    from losscli.inputs.exercises import builtin_dir, load_all

    for exercise in load_all([builtin_dir()]).values():
        worked = work(exercise, draw_variant(exercise))
        given = answers(*(f"{p.name}={typed(p, worked.answers[p.name])}" for p in exercise.parts))
        assert cli("exercise", "check", exercise.id, *given).exit_code == 0, exercise.id
    doc = cli("exercise", "next", "--json").json()
    assert doc["id"] is None and "are solved" in doc["reason"]
    progress = cli("exercise", "progress", "--json").json()
    assert progress["solved"] == progress["total"]


# --- corrupt progress, teacher's sets, validate --------------------------------------------


def test_corrupt_progress_is_set_aside_with_a_warning(cli):
    progress_file().parent.mkdir(parents=True, exist_ok=True)
    progress_file().write_text("{garbage")
    run = cli("exercise", "check", "ce-3class", "-a", "-ln(0.7)")
    assert run.exit_code == 0
    assert "losscli: warning: progress file" in run.stderr and "moved to" in run.stderr
    assert saved()["exercises"]["ce-3class"]["attempts"] == 1
    assert list(progress_file().parent.glob("progress.json.corrupt-*"))


def teacher_set(tmp_path: Path, text: str | None = None) -> Path:
    directory = tmp_path / "teacher"
    directory.mkdir(exist_ok=True)
    source = (REPO / "exercises" / "mse-mean-gradient.toml").read_text()
    (directory / "my-mse.toml").write_text(text if text is not None else source)
    return directory


def test_teacher_set_by_option_and_environment(cli, tmp_path, monkeypatch):
    directory = teacher_set(tmp_path)
    run = cli("exercise", "show", "my-mse", "--exercises-dir", str(directory), "--json")
    assert run.exit_code == 0 and run.json()["id"] == "my-mse"
    assert cli("exercise", "show", "my-mse").exit_code == 2
    monkeypatch.setenv("LOSSCLI_EXERCISES", str(directory))
    assert cli("exercise", "check", "my-mse", "-a", "1.75", "-a", "-1/3").exit_code == 0


def test_bad_exercise_file_exits_3_naming_file_and_key(cli, tmp_path):
    source = (REPO / "exercises" / "mse-mean-gradient.toml").read_text()
    directory = teacher_set(tmp_path, source.replace('loss = "mse"', 'loss = "mse2"', 1))
    run = cli("exercise", "show", "my-mse", "--exercises-dir", str(directory))
    assert_error(run, 3, f"{directory / 'my-mse.toml'}: quantities.mse.loss: unknown loss")
    # list skips it with a warning naming the file and key, and lists all the others
    run = cli("exercise", "list", "--exercises-dir", str(directory), "--json")
    assert run.exit_code == 0
    [warning] = run.json()["warnings"]
    assert warning.startswith(f"skipped {directory / 'my-mse.toml'}: quantities.mse.loss")
    ids = [e["id"] for e in run.json()["exercises"]]
    assert "ce-3class" in ids and "my-mse" not in ids


def test_validate_built_in_set(cli):
    # Every built-in exercise through the command. Each file with the default seeds 0..299
    # (every slip in every variant): tests/test_exercise_files.py::test_file_validates.
    run = cli("exercise", "validate", "--json", "--seeds", "3")
    assert run.exit_code == 0, run.stdout
    doc = run.json()
    assert doc["valid"] is True and len(doc["files"]) >= 24
    assert {Path(f["file"]).name for f in doc["files"]} == {
        p.name for p in (REPO / "exercises").glob("*.toml")
    }


def test_validate_reports_every_bad_file_and_exits_3(cli, tmp_path):
    source = (REPO / "exercises" / "mse-mean-gradient.toml").read_text()
    directory = teacher_set(tmp_path, source.replace("expected = 1.75", "expected = 1.8"))
    (directory / "broken.toml").write_text("title = ")
    (directory / "fine.toml").write_text(source)
    run = cli("exercise", "validate", str(directory), "--json")
    assert run.exit_code == 3
    files = {Path(f["file"]).name: f for f in run.json()["files"]}
    assert files["fine.toml"]["ok"] is True
    assert "is not valid TOML" in files["broken.toml"]["problems"][0]
    assert files["my-mse.toml"]["problems"] == [
        "parts.mse.expected: the core computes 1.75, not 1.8"
    ]
    assert "2 of 3 exercise files have problems" in run.stderr


def test_validate_empty_directory_is_a_usage_error(cli, tmp_path):
    assert_error(cli("exercise", "validate", str(tmp_path)), 2, "no exercise files")


# --- processes ---------------------------------------------------------------------------


def test_help_does_not_import_numpy():
    code = (
        "import sys\n"
        "from losscli.cli.app import app\n"
        "try:\n"
        "    app(['exercise', 'check', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('numpy' in sys.modules, 'polars' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip().splitlines()[-1] == "False False"


def test_two_processes_checking_at_once_lose_no_attempt():
    script = (
        "import sys\n"
        "from losscli.cli.app import app\n"
        "for _ in range(5):\n"
        "    try:\n"
        "        app(['exercise', 'check', 'ce-3class', '-a', '0.3', '-f', 'json'])\n"
        "    except SystemExit:\n"
        "        pass\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(3)
    ]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    entry = saved()["exercises"]["ce-3class"]
    assert entry["attempts"] == 15
    assert entry["variants"]["default"]["parts"]["loss"]["attempts"] == 15


def test_real_process_exit_codes():
    right = run_subprocess("exercise", "check", "ce-3class", "-a", "-ln(0.7)")
    assert right.returncode == 0
    wrong = run_subprocess("exercise", "check", "ce-3class", "-a", "0.155")
    assert wrong.returncode == 1 and b"base-10" in wrong.stdout
    bad = run_subprocess("exercise", "check", "ce-3class", "-a", "__import__('os')")
    assert bad.returncode == 2 and bad.stdout == b""


# --- issue 18: hostile and careless input, as the user typed it ------------------------


@pytest.mark.parametrize(
    ("answer", "feedback"),
    [
        ("exp(709)", "too high: about 2e+308 times too large"),
        ("1e-310", "too low: about 4e+309 times too small"),
        ("5e-324", "too low: about 7e+322 times too small"),
        ("-exp(709)", "wrong sign"),
    ],
)
def test_huge_and_tiny_wrong_answers_are_graded(cli, answer, feedback):
    run = cli("exercise", "check", "ce-3class", "-a", answer, "--json")
    assert run.exit_code == 1, run.stderr
    [part] = run.json()["parts"]
    assert part["right"] is False and part["feedback"] == feedback


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (
            '{"version": 1, "exercises": {"a": {"attempts": ' + "9" * 5000 + "}}}",
            "holds a number too long",
        ),
        ("[" * 100_000 + "]" * 100_000, "is nested too deeply"),
    ],
)
@pytest.mark.parametrize("command", [["list"], ["next"], ["progress"], ["show", "ce-3class"]])
def test_unreadable_progress_is_set_aside_for_every_command(cli, content, why, command):
    progress_file().parent.mkdir(parents=True, exist_ok=True)
    progress_file().write_text(content)
    run = cli("exercise", *command)
    assert run.exit_code == 0, run.stderr
    assert f"progress file {progress_file()} {why}" in run.stderr and "moved to" in run.stderr
    [aside] = progress_file().parent.glob("progress.json.corrupt-*")
    assert aside.read_text() == content


def test_a_symlinked_lock_file_does_not_create_its_target(cli, tmp_path):
    progress_file().parent.mkdir(parents=True, exist_ok=True)
    target = tmp_path / "elsewhere" / "victim"
    target.parent.mkdir()
    lock = progress_file().with_name("progress.json.lock")
    lock.symlink_to(target)
    run = cli("exercise", "check", "ce-3class", "-a", "-ln(0.7)")
    assert run.exit_code == 0  # the answer is still graded
    assert "progress is not saved" in run.stderr and "symbolic link" in run.stderr
    assert not target.exists() and lock.is_symlink()


HOSTILE_FILES = {
    "wide-uniform": (
        "r1 = { default = 0.5, uniform = [0.1, 0.5], step = 0.1 }",
        "r1 = { default = 0.5, uniform = [-1e308, 1e308] }",
        "params.r1.uniform: [-1e+308, 1e+308] in steps of 0.01 is more than 1000000 values",
    ),
    "tiny-simplex": (
        "r1 = { default = 0.5, uniform = [0.1, 0.5], step = 0.1 }",
        "r1 = 0.5\np = { default = [0.5, 0.5], simplex = 5e-324 }",
        "params.p.simplex: needs a list default and a step in [1e-06, 1/length]",
    ),
    "deep-nesting": (
        'y_true = [0, 0, 0]\ny_pred = ["r1", "r2", "r3"]\nreduction = "none"\n\n[quantities.se]',
        "y_true = " + "[" * 5000 + "]" * 5000 + "\n\n[quantities.se]",
        "is nested too deeply",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_a_hostile_exercise_file_is_named_not_crashed_on(cli, tmp_path, monkeypatch, case):
    old, new, problem = HOSTILE_FILES[case]
    source = (REPO / "exercises" / "huber-vs-mse.toml").read_text()
    assert old in source
    directory = tmp_path / "teacher"
    directory.mkdir()
    bad = directory / "bad.toml"
    bad.write_text(source.replace(old, new, 1))
    monkeypatch.setenv("LOSSCLI_EXERCISES", str(directory))
    # list skips it for everyone, with a warning naming the file
    run = cli("exercise", "list")
    assert run.exit_code == 0, run.stderr
    assert f"losscli: warning: skipped {bad}: {problem}" in run.stderr
    assert "huber-vs-mse" in run.stdout
    for command in (["show", "bad@3"], ["check", "bad", "-a", "1"]):
        assert_error(cli("exercise", *command), 3, f"{bad}: {problem}")
    run = cli("exercise", "validate", str(directory), "--json")
    assert run.exit_code == 3
    [result] = run.json()["files"]
    assert problem in result["problems"][0]


def test_control_characters_in_exercise_strings_are_shown_escaped(cli, tmp_path):
    source = (REPO / "exercises" / "mse-mean-gradient.toml").read_text()
    title = 'title = "Evil \\u001b]0;pwned\\u0007 \\u001b[2J title"'
    text = "\n".join(title if line.startswith("title =") else line for line in source.splitlines())
    directory = teacher_set(tmp_path, text)
    for command in (["list"], ["show", "my-mse"], ["list", "-f", "plain"]):
        run = cli("exercise", *command, "--exercises-dir", str(directory))
        assert run.exit_code == 0, run.stderr
        assert "\x1b" not in run.stdout and "\x07" not in run.stdout
        assert "\\x1b]0;pwned\\x07" in run.stdout


# --- issue 14: grading that is fair in every variant -------------------------------------


def planted(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of a built-in exercise with one defect planted, alone in a directory."""
    source = (REPO / "exercises" / f"{name}.toml").read_text()
    assert old in source
    directory = tmp_path / "planted"
    directory.mkdir()
    (directory / f"{name}.toml").write_text(source.replace(old, new, 1))
    return directory


def validate_problems(cli, directory: Path) -> list[str]:
    run = cli("exercise", "validate", str(directory), "--seeds", "30", "--json")
    assert run.exit_code == 3, run.stdout
    [result] = run.json()["files"]
    return result["problems"]


def test_validate_fails_on_a_planted_wrong_expected_value(cli, tmp_path):
    # The value the issue found recorded: -0.340996 where the core computes -0.3409989.
    directory = planted(
        tmp_path, "softmax-ce-logits", "expected = -0.340998861114", "expected = -0.340996"
    )
    assert validate_problems(cli, directory) == [
        "parts.grad-true.expected: the core computes -0.3409988611140321, not -0.340996"
    ]


def test_validate_fails_on_a_planted_slip_that_grades_right(cli, tmp_path):
    slip = (
        '[[mistakes]]\nname = "rounded-up"\npart = "mse"\n'
        'answer = { value = "mse", scale = "1.002" }\nfeedback = "Too much."\n\n[[mistakes]]'
    )
    directory = planted(tmp_path, "mse-mean-gradient", "[[mistakes]]", slip)
    problem = validate_problems(cli, directory)[0]
    assert problem.startswith("parts.mse: the slip rounded-up (")
    assert "grades right in 31 of 31 variants: default, seed 0, seed 1, seed 2, ..." in problem


def test_validate_fails_on_a_planted_degenerate_draw(cli, tmp_path):
    # d = m/2: the similar and the dissimilar pair cost the same, (m/2)^2.
    directory = planted(
        tmp_path,
        "contrastive-pair",
        "d = { default = 0.4, uniform = [0.1, 0.4], step = 0.1 }",
        "d = { default = 0.4, choice = [0.5] }\n",
    )
    directory_file = directory / "contrastive-pair.toml"
    text = directory_file.read_text().replace(
        "margin = { default = 1, choice = [1, 2] }", "margin = 1"
    )
    directory_file.write_text(text)
    problems = validate_problems(cli, directory)
    # the similar pair's answer is the dissimilar pair's: the known slip "polarity"
    assert problems[0] == (
        "parts.similar: the slip polarity (0.25) grades right in 30 of 31 variants "
        "(a degenerate draw): seed 0, seed 1, seed 2, seed 3, ..."
    )


def test_validate_fails_on_a_part_that_never_changes_and_ugly_draws(cli, tmp_path):
    directory = planted(
        tmp_path,
        "mse-mean-gradient",
        "r1 = { default = -0.5, uniform = [-2, -0.5], step = 0.5 }",
        "r1 = { default = -0.5, choice = [-0.5] }",
    )
    path = directory / "mse-mean-gradient.toml"
    path.write_text(
        path.read_text().replace(
            "r2 = { default = 1, uniform = [0.5, 2], step = 0.5 }",
            "r2 = { default = 1, uniform = [0.5, 2], step = 0.0001234567 }",
        )
    )
    problems = validate_problems(cli, directory)
    assert any(p.startswith("params.r2: seed 0 puts ") for p in problems), problems
    assert any(
        p.startswith("parts.grad-first: the same answer -0.333333 in every") for p in problems
    )


def test_significant_figures_accept_any_correct_rounding(cli):
    # The example: 4 significant figures of 0.0199333 (seed 0 of huber-delta-limits).
    run = cli("exercise", "check", "huber-delta-limits@0", "-a", "small-delta=0.01993", "--json")
    [part] = run.json()["parts"]
    assert part["right"] is True
    run = cli("exercise", "check", "huber-delta-limits@0", "-a", "small-delta=0.0199", "--json")
    [part] = run.json()["parts"]
    assert part["right"] is False  # three figures are fewer than asked
    show = cli("exercise", "show", "huber-delta-limits", "--json").json()
    [small] = [p for p in show["parts"] if p["name"] == "small-delta"]
    assert small["accepts_text"] == "a decimal number, to 4 significant figures"


@pytest.mark.parametrize(
    ("exercise", "answer"),
    [
        ("robust-regression-shapes", "slope=1"),
        ("outlier-share@1", "share-mse=1"),
    ],
)
def test_near_a_bound_the_limit_is_not_accepted(cli, exercise, answer):
    run = cli("exercise", "check", exercise, "-a", answer, "--json")
    assert run.exit_code == 1
    [part] = run.json()["parts"]
    assert part["right"] is False
    assert part["feedback"] == "1 is the limit, not the value here: give the digits that differ"


def test_near_a_bound_the_right_digits_pass(cli):
    # tanh(3) = 0.995055: graded on 1 - tanh(3) = 0.004945 within 0.5%.
    right = cli("exercise", "check", "robust-regression-shapes", "-a", "slope=0.99505", "--json")
    assert right.json()["parts"][0]["right"] is True
    wrong = cli("exercise", "check", "robust-regression-shapes", "-a", "slope=0.995", "--json")
    [part] = wrong.json()["parts"]
    assert part["right"] is False and part["feedback"].startswith("graded on the distance from 1")


def test_log_cosh_asymptote_is_a_named_slip(cli):
    run = cli("exercise", "check", "robust-regression-shapes", "-a", "log-cosh=3-ln(2)", "--json")
    [part] = run.json()["parts"]
    assert part["right"] is False and part["mistake"] == "asymptote"


@pytest.mark.parametrize(
    ("exercise", "answer", "mistakes", "fragment"),
    [
        # generic slips, which the exercise files do not declare
        ("mse-mean-gradient", "mse=-1.75", ["sign"], "the sign is wrong"),
        ("kl-ce-entropy", "kl=0.04747", ["arguments-swapped"], "swapped"),
        ("softmax-ce-logits", "loss=0.834", ["factor-two"], "twice"),
        ("counts-and-deviances", "poisson=0.3355", ["log-base-10"], "base-10 logarithm"),
        # a framework's real convention is named as that convention, not as "wrong sign";
        # PyTorch's and Keras's give the same number, so both are named
        (
            "counts-and-deviances",
            "poisson=-0.7726",
            ["convention-torch", "convention-keras"],
            "torch.nn.PoissonNLLLoss(log_input=..., full=False, eps=1e-8): no target constant",
        ),
    ],
)
def test_generic_slips_are_named(cli, exercise, answer, mistakes, fragment):
    run = cli("exercise", "check", exercise, "-a", answer, "--json")
    [part] = run.json()["parts"]
    assert part["right"] is False
    assert part["mistake"].split("+") == mistakes, part
    assert fragment in part["feedback"]


def test_no_keep_more_digits_for_a_round_answer(cli):
    # huber-vs-mse's mse2 is 4: 4.03 is close, but more digits would not help.
    run = cli("exercise", "check", "huber-vs-mse", "-a", "mse2=4.03", "--json")
    [part] = run.json()["parts"]
    assert part["feedback"] == "close, but too high by less than 1%"


# --- issue 14: the flow a student expects ------------------------------------------------


def test_positional_answers_fill_the_unsolved_parts(cli):
    # The example: huber1 and mse1 solved, then the others in order.
    run = cli("exercise", "check", "huber-vs-mse", "-a", "huber1=0.125", "-a", "mse1=0.25")
    remaining = ["huber2", "huber3", "mse2", "mse3", "share-mse", "share-huber", "bounded"]
    said = "still to answer: " + ", ".join(remaining)
    assert run.exit_code == 1 and said in run.stderr
    shown = cli("exercise", "show", "huber-vs-mse", "--json").json()
    solved = [True, False, False, True, False, False, False, False, False]
    assert [p["solved"] for p in shown["parts"]] == solved
    assert shown["remaining"] == remaining
    table = cli("exercise", "show", "huber-vs-mse", "-f", "table").stdout
    assert said in table
    rest = ("1.5", "9.5", "4", "100", "0.9592", "0.8539", "huber")
    run = cli("exercise", "check", "huber-vs-mse", *answers(*rest), "--json")
    assert run.exit_code == 0, run.stderr
    doc = run.json()
    assert [p["name"] for p in doc["parts"]] == remaining
    assert all(p["right"] for p in doc["parts"]) and doc["solved"] is True


def test_all_positional_answers_still_fill_every_part(cli):
    cli("exercise", "check", "huber-vs-mse", "-a", "huber1=0.125")
    run = cli("exercise", "check", "huber-vs-mse", *answers(*HUBER_ANSWERS))
    assert run.exit_code == 0, run.stderr


def test_too_many_positional_answers_name_what_remains(cli):
    cli("exercise", "check", "huber-vs-mse", "-a", "huber1=0.125")
    too_many = [str(k) for k in range(1, 11)]
    run = cli("exercise", "check", "huber-vs-mse", *answers(*too_many))
    assert_error(run, 2, "but 10 answers were given; still to answer: huber2, huber3")


def test_part_hints_unlock_by_that_variants_attempts_on_the_part(cli):
    hints = cli("exercise", "hint", "huber-vs-mse", "--json").json()
    assert [h["part"] for h in hints["by_part"]] == [None]
    cli("exercise", "check", "huber-vs-mse", "-a", "huber2=2")  # one attempt on huber2
    hints = cli("exercise", "hint", "huber-vs-mse", "--json").json()
    by_part = {h["part"]: h["text"] for h in hints["by_part"]}
    assert (
        by_part["huber2"] == "|2| is past delta = 1: use the linear branch delta (|r| - delta/2)."
    )
    assert "huber1" not in by_part
    # another variant has its own attempts, and its own numbers in the hints
    other = cli("exercise", "hint", "huber-vs-mse@3", "--json").json()
    assert [h["part"] for h in other["by_part"]] == [None]
    plain = cli("exercise", "hint", "huber-vs-mse", "-f", "plain").stdout
    assert "huber2\t|2| is past delta = 1" in plain


def test_a_solved_variant_earns_the_solution_of_every_variant(cli):
    from losscli.core.exercises.model import work_variant
    from losscli.inputs.exercises import builtin_dir, find

    exercise = find([builtin_dir()], "ce-3class")
    answer = work_variant(exercise, 7).answers["loss"]
    assert_error(cli("exercise", "solution", "ce-3class"), 2, "--force shows it now")
    assert cli("exercise", "check", "ce-3class@7", "-a", repr(answer)).exit_code == 0
    assert cli("exercise", "solution", "ce-3class").exit_code == 0
    assert cli("exercise", "solution", "ce-3class@8").exit_code == 0
    listed = cli("exercise", "list", "--json").json()["exercises"]
    assert next(e for e in listed if e["id"] == "ce-3class")["status"] == "done"


def test_solution_seen_before_solving_is_flagged(cli):
    assert cli("exercise", "solution", "kl-asymmetry", "--force").exit_code == 0
    listed = {e["id"]: e for e in cli("exercise", "list", "--json").json()["exercises"]}
    assert listed["kl-asymmetry"]["solution_seen_first"] is True
    assert listed["ce-3class"]["solution_seen_first"] is False
    rows = {r["id"]: r for r in cli("exercise", "list").tsv()}
    assert rows["kl-asymmetry"]["status"] == "started (solution seen first)"
    progress = {r["id"]: r for r in cli("exercise", "progress").tsv()}
    assert progress["kl-asymmetry"]["status"] == "started (solution seen first)"


@pytest.mark.parametrize("fmt", [[], ["-f", "plain"], ["-f", "tsv"]])
def test_solution_explanation_when_piped_and_plain(cli, fmt):
    run = cli("exercise", "solution", "mse-mean-gradient", "--force", *fmt)
    assert run.exit_code == 0
    lines = run.stdout.splitlines()
    if fmt != ["-f", "plain"]:
        assert lines.pop(0) == "solution"  # the TSV header
    text = "\n".join(lines)
    # intermediate numbers, typed back they give what they claim: (-0.5)^2, not -0.5^2
    assert "MSE = ((-0.5)^2 + 1^2 + 2^2) / 3 = 1.75" in text
    assert "dMSE/dy_pred_1 = 2 (-0.5) / 3 = -0.333333" in text
    assert "  grad-first = -0.333333333333" in lines
    assert lines[-1] == "losscli show mse"


# --- issue 14: new kinds of items, as a student types them ------------------------------


@pytest.mark.parametrize(
    ("answer", "right", "mistake", "fragment"),
    [
        ("sigmoid(z) - y", True, None, "the product is sigmoid(z) - y"),
        ("1/(1 + exp(-z)) - y", True, None, ""),  # the same function, written otherwise
        ("SIGMOID(Z) - Y", True, None, ""),  # case folded, like LN(0.7)
        ("y - sigmoid(z)", False, "y-minus-p", "the negative gradient"),
        ("-(sigmoid(z) - y)", False, "y-minus-p", "the negative gradient"),
        ("3*(sigmoid(z) - y)", False, "factor", "3 times the answer everywhere"),
        ("sigmoid(z)", False, "kink", "right at some points but not at"),
        ("z", False, None, "not the same function"),
        ("ln(z)", False, None, "cannot be computed at"),
    ],
)
def test_formula_answers(cli, answer, right, mistake, fragment):
    run = cli("exercise", "check", "derive-bce-logit", "-a", answer, "--json")
    assert run.exit_code == (0 if right else 1), run.stderr
    [part] = run.json()["parts"]
    assert part["right"] is right and part["mistake"] == mistake, part
    assert fragment in part["feedback"]
    assert part["value"] is None and run.json()["warnings"] == []


def test_formula_with_an_unknown_variable_is_a_usage_error(cli):
    run = cli("exercise", "check", "derive-bce-logit", "-a", "sigmoid(x) - y")
    assert_error(run, 2, "unknown name 'x' (parameters: y, z)")
    assert not progress_file().exists()  # not an attempt


def test_formula_piped_and_plain(cli):
    run = cli("exercise", "check", "derive-huber", "-a", "clip(r, -delta, delta)")
    assert run.exit_code == 0
    [row] = run.tsv()
    assert row["part"] == "d" and row["verdict"] == "right"
    plain = cli("exercise", "show", "derive-huber", "-f", "plain").stdout
    assert "a formula in r, delta" in plain


@pytest.mark.parametrize(
    ("answer", "right"),
    [("b", True), ("B", True), ("focal", True), ("focal-loss", True), ("a", False), ("bce", False)],
)
def test_choice_by_letter_name_or_alias(cli, answer, right):
    run = cli("exercise", "check", "decision-rare-positives", "-a", f"loss={answer}", "--json")
    [part] = run.json()["parts"]
    assert part["right"] is right


def test_choice_outside_the_options_is_a_usage_error(cli):
    run = cli("exercise", "check", "decision-rare-positives", "-a", "loss=e")
    assert_error(run, 2, "'e' is none of the options: A) binary-cross-entropy, B) focal")


def test_true_false_spellings(cli):
    run = cli(
        "exercise", "check", "concept-regression-shapes", *answers("T", "no", "false", "yes", "f")
    )
    assert run.exit_code == 0, run.stdout


def test_concept_answers_agree_with_list_and_recommend(cli):
    """The bank cannot disagree with `list` and `recommend`: for every choice part, the
    option the exercise grades right is the one `losscli list --json` marks, or the first of
    `losscli recommend --json` with the same facts."""
    from losscli.core.exercises.model import work_variant
    from losscli.inputs.exercises import builtin_dir, load_all

    rows = cli("list", "--json").json()["losses"]
    table = {row["name"]: row["properties"] for row in rows}
    checked = 0
    for exercise in load_all([builtin_dir()]).values():
        worked = work_variant(exercise)
        for part in exercise.parts:
            fact = part.fact
            if fact is None:
                continue
            answer = worked.answers[part.name]
            if fact.recommend:
                flags = [f"--{k.replace('_', '-')}={v}" for k, v in fact.recommend]
                first = cli("recommend", *flags, "--json").json()["recommendations"][0]
                if fact.param is None:
                    assert part.options[int(answer)] == first["loss"], exercise.id
                else:
                    assert answer == first["params"][fact.param], exercise.id
            elif fact.loss is not None:
                assert (answer == 0) == table[fact.loss][fact.property], (exercise.id, part.name)
            else:
                marked = [o for o in part.options if table[o][fact.property]]
                assert marked == [part.options[int(answer)]], (exercise.id, part.name)
            checked += 1
    assert checked >= 19  # every fact part of the built-in set
