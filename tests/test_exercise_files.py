"""Every file in exercises/: it validates (seeds 0-299), the core's own answers pass (default
variant and seeds 0-20), each known mistake is caught with its own feedback, a slightly perturbed answer
fails, and the set covers the catalog."""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from losscli.core.exercises.model import (
    Exercise,
    check,
    draw_variant,
    fill,
    problems,
    work,
    work_variant,
)
from losscli.core.losses.registry import all_losses
from losscli.inputs.exercises import load_file

REPO = Path(__file__).resolve().parent.parent
FILES = sorted((REPO / "exercises").glob("*.toml"))
SEEDS = range(21)
VARIANTS = [None, *SEEDS]


@functools.cache
def load(path: Path) -> Exercise:
    return load_file(path)


def by_id(exercise_id: str) -> Exercise:
    return load(REPO / "exercises" / f"{exercise_id}.toml")


def telling(answer: float) -> str | None:
    """The answer to 4 figures, if it has enough digits that seeing it would give it away."""
    digits = f"{abs(answer):.4g}"
    return digits if sum(c.isdigit() for c in digits.lstrip("0.")) >= 3 else None


def test_at_least_fifteen_exercises():
    assert len(FILES) >= 15


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_file_validates(path):
    # What `losscli exercise validate` checks by default (the textbook numbers, seeds 0..299,
    # every slip in every variant), one file per test so that the files share the cores.
    assert problems(load(path)) == []


@pytest.mark.parametrize("seed", VARIANTS, ids=lambda s: "default" if s is None else f"seed{s}")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_core_answer_passes_and_a_perturbed_one_fails(path, seed):
    exercise = load(path)
    worked = work(exercise, draw_variant(exercise, seed))
    assert all(v.right for v in check(worked, worked.answers))
    for part in exercise.parts:
        if not part.numeric:
            continue  # choices and formulas: tests/cli/test_exercise_cli.py
        answer = worked.answers[part.name]
        window = part.tolerance.window(answer)
        inside = check(worked, {part.name: answer + 0.5 * window})
        assert inside[0].right, (part.name, answer)
        for outside in (answer + 2 * window, answer - 2 * window):
            [verdict] = check(worked, {part.name: outside})
            assert not verdict.right, (part.name, answer, outside)
            digits = telling(answer)
            assert digits is None or digits not in verdict.message  # never gives the answer


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_known_mistake_is_caught_with_its_feedback(path):
    exercise = load(path)
    worked = work(exercise, draw_variant(exercise))
    numeric = {m.name for m in exercise.mistakes if m.formula is None}
    assert {m.name for m, _ in worked.mistakes} == numeric
    for mistake, value in worked.mistakes:
        feedback = fill(mistake.feedback, exercise, worked.variant)
        # exactly, and as a student would round it (3 significant figures) unless the part
        # asks for more digits than that (log-cosh against its asymptote)
        answer = worked.answers[mistake.part]
        tolerance = exercise.part(mistake.part).tolerance
        rounded = float(f"{value:.3g}")
        for given in (value, *([] if tolerance.accepts(rounded, answer) else [rounded])):
            [verdict] = check(worked, {mistake.part: given})
            assert not verdict.right
            assert verdict.mistake == mistake.name, (mistake.name, given)
            assert verdict.message == feedback


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_mistakes_in_variants_are_wrong_and_explained(path):
    exercise = load(path)
    for seed in SEEDS:
        worked = work(exercise, draw_variant(exercise, seed))
        for mistake, value in worked.mistakes:
            part = exercise.part(mistake.part)
            if part.tolerance.accepts(value, worked.answers[part.name]):
                continue  # this variant makes the slip harmless: the answer is right
            [verdict] = check(worked, {part.name: value})
            assert not verdict.right and verdict.mistake is not None


def without_exercise(names: Iterable[str]) -> list[str]:
    """The loss names that no exercise in exercises/ uses."""
    covered = {loss for path in FILES for loss in load(path).losses}
    return [name for name in names if name not in covered]


@pytest.mark.parametrize("name", [loss.name for loss in all_losses()])
def test_every_loss_has_an_exercise(name):
    assert not without_exercise([name]), (
        f"no exercise uses the loss {name}: add one to exercises/ "
        "(CONTRIBUTING.md, 'Adding a loss')"
    )


def test_a_loss_without_an_exercise_is_named():
    assert without_exercise(["mse", "no-such-loss"]) == ["no-such-loss"]


def test_both_theorems_are_covered():
    exercises = [load(p) for p in FILES]
    topics = {t for e in exercises for t in e.topics}
    # focal with gamma = 0 is cross-entropy; the gradient wrt the logits is p - y
    assert {"focal-gamma-zero", "logit-gradient"} <= topics


def test_the_issue_list_of_problems_is_there():
    wanted = {
        "ce-3class",
        "huber-vs-mse",
        "focal-gamma",
        "bce-gradient",
        "hinge-margin",
        "kl-asymmetry",
        "contrastive-pair",
        "huber-influence",
        "mae-gradient",
        "ce-nll-dataset",
        "focal-weights",
    }
    assert wanted <= {p.stem for p in FILES}


def default_answers(exercise_id: str) -> dict[str, float]:
    exercise = by_id(exercise_id)
    return dict(work(exercise, draw_variant(exercise)).answers)


def test_catalog_problems_have_design_numbers():
    # docs/design.md section 6.
    assert default_answers("ce-3class")["loss"] == pytest.approx(-math.log(0.7), rel=1e-15)
    assert default_answers("ce-3class")["loss"] == pytest.approx(0.356675, abs=5e-7)
    assert default_answers("huber-vs-mse") == {
        "huber1": 0.125,
        "huber2": 1.5,
        "huber3": 9.5,
        "mse1": 0.25,
        "mse2": 4.0,
        "mse3": 100.0,
        "share-mse": pytest.approx(100 / 104.25, rel=1e-15),
        "share-huber": pytest.approx(9.5 / 11.125, rel=1e-15),
        "bounded": 0.0,  # the index of the right option: A) huber
    }
    focal = default_answers("focal-gamma")
    assert focal["ratio0"] == pytest.approx(0.0457575, abs=5e-8)
    assert focal["ratio"] == pytest.approx(0.000564907, abs=5e-10)
    assert focal["gamma0"] == pytest.approx(-math.log(0.9), rel=1e-15)


def test_issue_examples_by_hand():
    # Values worked out independently of the core.
    bce = default_answers("bce-gradient")
    assert bce == pytest.approx({"loss": -math.log(0.8), "grad-logit": -0.2, "grad-prob": -1.25})
    hinge = default_answers("hinge-margin")
    # four examples f = 0.3, 1, 2.5 (y = +1) and 0.5 (y = -1) in a batch of n = 4
    assert hinge == pytest.approx(
        {
            "inside": 0.7,
            "wrong-side": 1.5,
            "four": (0.7 + 0 + 0 + 1.5) / 4,
            "grad-inside": -1 / 4,
            "grad-at-margin": 0,
        }
    )
    kl = default_answers("kl-asymmetry")
    forward = 0.9 * math.log(0.9 / 0.5) + 0.1 * math.log(0.1 / 0.5)
    reverse = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    assert kl == pytest.approx({"forward": forward, "reverse": reverse, "gap": reverse - forward})
    assert default_answers("contrastive-pair") == pytest.approx(
        {"similar": 0.16, "dissimilar": 0.36, "far": 0, "embedded": 0.25}
    )
    assert default_answers("huber-influence") == pytest.approx(
        {"small": 0.5, "big": 1.5, "mse-big": 60, "ratio": 40}
    )
    # sign(r)/n for r = 0.1, -50 and 0 in a batch of n = 4
    assert default_answers("mae-gradient") == {"small": 0.25, "big": -0.25, "zero": 0}
    nll = -sum(map(math.log, (0.7, 0.6, 0.5, 0.5)))
    assert default_answers("ce-nll-dataset") == pytest.approx({"total": nll, "mean": nll / 4})
    assert default_answers("focal-weights") == pytest.approx(
        {"easy": 0.05**2, "hard": 0.7**2, "negative": 0.9**2}
    )


def test_seeded_variants_are_reproducible_and_differ():
    exercise = by_id("ce-3class")
    assert draw_variant(exercise, 5) == draw_variant(exercise, 5)
    drawn = {json.dumps(draw_variant(exercise, s).values, sort_keys=True) for s in SEEDS}
    assert len(drawn) > 10
    for seed in SEEDS:
        p = draw_variant(exercise, seed).values["p"]
        assert math.isclose(sum(p), 1.0, abs_tol=1e-12) and min(p) >= 0.05


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_texts_before_answering_do_not_show_the_answers(path):
    exercise = load(path)
    worked = work(exercise, draw_variant(exercise))
    texts = [
        exercise.prompt,
        *(p.prompt for p in exercise.parts),
        *(h.text for h in exercise.hints),
    ]
    shown = " ".join(fill(t, exercise, worked.variant) for t in texts)
    params = {f"{v:.4g}" for v in worked.variant.values.values() if isinstance(v, float)}
    for name, answer in worked.answers.items():
        digits = telling(answer)
        if digits is not None and digits not in params:
            assert digits not in shown, (name, digits)


def test_the_authoring_guide_example_validates(tmp_path):
    guide = (REPO / "exercises" / "README.md").read_text()
    start = guide.index("```toml") + len("```toml")
    example = tmp_path / "sq-error.toml"
    example.write_text(guide[start : guide.index("```", start)])
    assert problems(load_file(example), SEEDS) == []


_ARITHMETIC = re.compile(r"[\d.\s+\-*/^()]*\d[\d.\s]*[+\-*/^][\d.\s+\-*/^()]*")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_solution_arithmetic_types_back_to_its_number(path):
    """Every `arithmetic = number` printed in a solution or a why, typed back as an answer,
    gives that number (issue 14: mse-mean-gradient printed -0.5^2, which reads as -0.25)."""
    from losscli.core.exercises.expressions import answer_value

    exercise = load(path)
    checked = 0
    for seed in (None, 0, 1, 2):
        worked = work_variant(exercise, seed)
        texts = [fill(exercise.solution, exercise, worked.variant, worked)]
        texts += [fill(p.why, exercise, worked.variant, worked) for p in exercise.parts]
        for text in texts:
            for line in text.splitlines():
                pieces = [piece.strip() for piece in re.split(r" = |: |, ", line)]
                for left, right in itertools.pairwise(pieces):
                    number = re.match(r"-?\d+(\.\d+)?(e[-+]?\d+)?", right)
                    balanced = left.count("(") == left.count(")")
                    if not _ARITHMETIC.fullmatch(left) or not balanced or number is None:
                        continue
                    claimed = float(number[0])
                    assert answer_value(left) == pytest.approx(claimed, rel=2e-5, abs=1e-9), (
                        seed,
                        line,
                    )
                    checked += 1
    if path.stem == "mse-mean-gradient":
        assert checked >= 4


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_formula_slip_is_caught_with_its_feedback(path):
    """A formula part: the reference typed back is right, each known slip typed as a formula
    gets its own feedback, in the textbook variant and in seeded ones."""
    from losscli.core.exercises.expressions import parse

    exercise = load(path)
    for seed in (None, 0, 1):
        worked = work_variant(exercise, seed)
        for part in exercise.parts:
            if part.accepts != "formula":
                continue
            names = frozenset(part.domain)
            [right] = check(worked, {part.name: parse(part.formula.text, names=names)})
            assert right.right, (part.name, right.message)
            for m in exercise.mistakes:
                if m.part == part.name:
                    [verdict] = check(worked, {part.name: parse(m.formula.text, names=names)})
                    assert not verdict.right and verdict.mistake == m.name, (m.name, verdict)
                    assert verdict.message == fill(m.feedback, exercise, worked.variant)
