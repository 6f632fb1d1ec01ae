"""Reading exercise files: a good one, and bad ones named by file and key (exit 3)."""

from __future__ import annotations

import pytest

from losscli.core.errors import DataError, UsageError
from losscli.core.exercises.model import ExerciseError, draw_variant, problems, work
from losscli.inputs.exercises import builtin_dir, exercise_dirs, find, load_all, load_file

GOOD = """
title = "Squared error of one residual"
prompt = "A prediction misses by {r}."

[params]
r = { default = 2, uniform = [1, 3], step = 0.5 }

[quantities.se]
loss = "mse"
y_true = [0]
y_pred = ["r"]

[[parts]]
name = "se"
prompt = "the squared error"
answer = "se"
expected = 4
why = "r^2 = {se}"

[[mistakes]]
name = "half"
part = "se"
answer = { value = "se", scale = "1/2" }
feedback = "no 1/2 here"

[[hints]]
after = 1
text = "square {r}"

[solution]
text = "r^2 = {se}"
"""


def write(tmp_path, text, name="sq-error.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_file(tmp_path):
    exercise = load_file(write(tmp_path, GOOD))
    assert exercise.id == "sq-error" and exercise.losses == ()
    assert problems(exercise) == []
    assert work(exercise, draw_variant(exercise)).answers == {"se": 4.0}


@pytest.mark.parametrize(
    ("old", "new", "key", "fragment"),
    [
        ('title = "Squared error of one residual"', "", "title", "is missing"),
        ('title = "Squared error of one residual"', "title = 3", "title", "must be a string"),
        ('prompt = "A', 'tittle = 1\nprompt = "A', "tittle", "did you mean title"),
        ('loss = "mse"', 'loss = "msee"', "quantities.se.loss", "did you mean mse"),
        ('y_pred = ["r"]', 'y_pred = ["q"]', "quantities.se.y_pred[0]", "unknown name 'q'"),
        ('y_pred = ["r"]', 'y_pred = ["__import__(1)"]', "quantities.se.y_pred[0]", "unknown"),
        ('y_pred = ["r"]', 'y_pred = ["r.real"]', "quantities.se.y_pred[0]", "attribute"),
        ('answer = "se"', 'answer = "sq"', "parts[0].answer", "not a quantity"),
        ('answer = "se"', 'answer = { ratio = ["se"] }', "parts[0].answer.ratio", "takes 2"),
        ('answer = "se"', "answer = { exp = 'se' }", "parts[0].answer.exp", "not a known key"),
        ("step = 0.5", "step = -1", "params.r.step", "must be positive"),
        ("uniform = [1, 3]", "uniform = [3, 1]", "params.r.uniform", "low < high"),
        ("r = {", "e = {", "params.e", "function or constant"),
        ('name = "se"', 'name = "s e"', "parts[0].name", "letters, digits"),
        ('part = "se"', 'part = "xx"', "mistakes[0].part", "not a part"),
        ("after = 1", "after = -1", "hints[0].after", "0 or more"),
        (
            "[quantities.se]",
            "[quantities.se]\ntolerance = 1",
            "quantities.se.tolerance",
            "known key",
        ),
        (
            "y_true = [0]\n",
            "y_true = [0]\nparams = { delta = 1 }\n",
            "quantities.se.params.delta",
            "mse has no such parameter",
        ),
        (
            "expected = 4",
            "expected = 4\ntolerance = { rel = 0, abs = 0 }",
            "parts[0].tolerance",
            "not both 0",
        ),
        (
            "expected = 4",
            "expected = 4\naccepts = 'words'",
            "parts[0].accepts",
            "expression, number, formula or choice",
        ),
    ],
)
def test_bad_file_names_file_and_key(tmp_path, old, new, key, fragment):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ExerciseError) as caught:
        load_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert fragment in message
    assert isinstance(caught.value, DataError)  # exit 3


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("expected = 4", "expected = 5", "parts.se.expected: the core computes 4.0, not 5.0"),
        ('scale = "1/2"', 'scale = "1"', "parts.se: the slip half (4) grades right in 4 of 4"),
        ('why = "r^2 = {se}"', 'why = "r^2 = {sq}"', "parts.se.why: {sq} names none"),
        ('text = "square {r}"', 'text = "square {se}"', "hints[0]: {se} names none"),
        ('y_pred = ["r"]', 'y_pred = ["r - 5"]', "parts.se.expected: the core computes 9.0"),
        ('y_pred = ["r"]', 'y_pred = ["-r"]', ""),
        ("y_true = [0]", "y_true = [0, 1]", "parts.se: 2 targets but 1 prediction;"),
    ],
)
def test_validation_problems(tmp_path, old, new, fragment):
    exercise = load_file(write(tmp_path, GOOD.replace(old, new, 1)))
    found = problems(exercise, range(3))
    if not fragment:
        assert found == []
    else:
        assert any(fragment in f for f in found), found


def test_not_toml_and_bad_names(tmp_path):
    with pytest.raises(ExerciseError, match="is not valid TOML"):
        load_file(write(tmp_path, "title = "))
    with pytest.raises(ExerciseError, match="exercise id"):
        load_file(write(tmp_path, GOOD, name="Bad_Name.toml"))


def test_teacher_directories_and_duplicates(tmp_path, monkeypatch):
    extra = tmp_path / "teacher"
    extra.mkdir()
    write(extra, GOOD)
    monkeypatch.setenv("LOSSCLI_EXERCISES", str(extra))
    dirs = exercise_dirs()
    assert dirs == [builtin_dir(), extra]
    found = load_all(dirs)
    assert "sq-error" in found and "ce-3class" in found
    write(extra, GOOD, name="ce-3class.toml")
    with pytest.raises(ExerciseError, match="also in"):
        load_all(dirs)
    with pytest.raises(UsageError, match="is not a directory"):
        exercise_dirs([str(tmp_path / "missing")])


def test_find_reads_only_the_file_it_needs(tmp_path):
    assert find([builtin_dir()], "ce-3class").id == "ce-3class"
    with pytest.raises(UsageError, match="did you mean ce-3class"):
        find([builtin_dir()], "ce-3clas")
    write(tmp_path, "title = ", name="broken.toml")
    assert find([builtin_dir(), tmp_path], "ce-3class").id == "ce-3class"
    write(tmp_path, GOOD, name="ce-3class.toml")
    with pytest.raises(ExerciseError, match="also in"):
        find([builtin_dir(), tmp_path], "ce-3class")


def test_a_mistake_that_cannot_be_computed_says_why(tmp_path):
    text = GOOD.replace(
        'answer = { value = "se", scale = "1/2" }', 'answer = { value = "se", scale = "1/(r-2)" }'
    )
    found = problems(load_file(write(tmp_path, text)), range(0))
    assert found == [
        f"{tmp_path / 'sq-error.toml'}: mistakes.half: cannot be computed: cannot compute '1/(r-2)': division by zero"
    ]


def test_a_part_without_any_hint_fails_validation(tmp_path):
    start = GOOD.index("[[hints]]")
    end = GOOD.index("[solution]")
    exercise = load_file(write(tmp_path, GOOD[:start] + GOOD[end:]))
    assert any("parts.se: has no hint" in f for f in problems(exercise, range(3)))
