"""`losscli exercise ...`: problems whose answers the core computes (docs/design.md section 6).

Each command loads the exercise files (inputs.exercises), draws the variant, lets the core
work out the answers, reads or updates the progress file (inputs.progress) and hands a
Report to emit. Building the reports lives in losscli/render/exercises.py.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from losscli.cli import options as o
from losscli.cli.candidates import exercise_ids

if TYPE_CHECKING:
    from losscli.core.exercises.expressions import Expression
    from losscli.core.exercises.model import Exercise, Part, Worked

HELP = """Exercises: the catalog's problems and more, checked by the same core as compute.

\b
  losscli exercise list
  losscli exercise show ce-3class
  losscli exercise check ce-3class -a "-ln(0.7)"
  losscli exercise hint ce-3class
  losscli exercise show ce-3class@7        # a variant with new numbers (same as --seed 7)
"""

exercise_app = typer.Typer(name="exercise", help=HELP, no_args_is_help=True, rich_markup_mode=None)


def register(app: typer.Typer) -> None:
    app.add_typer(exercise_app, name="exercise")


class Status(enum.StrEnum):
    todo = "todo"
    done = "done"


ExercisesDir = Annotated[
    list[str] | None,
    typer.Option(
        "--exercises-dir",
        metavar="DIR",
        help="Also load the exercise files (*.toml) in DIR; repeatable. LOSSCLI_EXERCISES "
        "adds directories too.",
    ),
]
ExerciseId = Annotated[
    str,
    typer.Argument(
        metavar="ID",
        help="Exercise id; ID@N is the variant of --seed N.",
        autocompletion=exercise_ids,
    ),
]
Seed = Annotated[
    int | None,
    typer.Option("--seed", min=0, help="A variant with new numbers, the same for the same N."),
]


def _load(extra: list[str] | None, warnings: list[str]) -> dict[str, Exercise]:
    """Every exercise; a file that cannot be used is skipped with a warning naming it."""
    from losscli.inputs.exercises import exercise_dirs, load_all

    return load_all(exercise_dirs(extra or ()), warnings)


def _pick(extra: list[str] | None, wanted: str, seed: int | None) -> Worked:
    """The exercise named by ID or ID@N, its variant, and the core's answers for it."""
    from losscli.core.errors import UsageError
    from losscli.core.exercises.model import work_variant
    from losscli.inputs.exercises import exercise_dirs, find

    name, at, suffix = wanted.partition("@")
    if at:
        if not suffix.isdigit():
            raise UsageError(f"{wanted!r}: after @ comes a seed, a whole number (ID@7)")
        if seed is not None and seed != int(suffix):
            raise UsageError(f"{wanted!r} and --seed {seed} name different variants")
        seed = int(suffix)
    exercise = find(exercise_dirs(extra or ()), name)
    return work_variant(exercise, seed)


def _emit(report: object, out: o.Output) -> None:
    from losscli.render.emit import emit

    emit(report, out.format, out.color)  # type: ignore[arg-type]


@exercise_app.command("list", help="Every exercise: id, title, topics, parts and your status.")
@o.output_options
def list_exercises(
    topic: Annotated[
        str | None, typer.Option("--topic", help="Only exercises on this topic or loss.")
    ] = None,
    status: Annotated[
        Status | None, typer.Option("--status", help="todo (not solved yet) or done.")
    ] = None,
    exercises_dir: ExercisesDir = None,
    out: o.Output = o.NO_OUTPUT,
) -> None:
    from losscli.inputs.progress import ProgressStore
    from losscli.render import exercises as views

    skipped: list[str] = []
    exercises = sorted(_load(exercises_dir, skipped).values(), key=lambda e: e.sort_key)
    if topic is not None:
        exercises = _on_topic(exercises, topic)
    store = ProgressStore()
    store.warnings[:0] = skipped
    data = store.read()
    if status is not None:
        exercises = [
            e for e in exercises if (views.status(data, e.id) == "done") == (status == "done")
        ]
    _emit(views.listing(exercises, data, store.warnings), out)


@exercise_app.command(
    "show", help="The problem: prompt, parts, what each accepts. Never the answer."
)
@o.output_options
def show(
    exercise_id: ExerciseId,
    seed: Seed = None,
    exercises_dir: ExercisesDir = None,
    out: o.Output = o.NO_OUTPUT,
) -> None:
    from losscli.inputs.progress import ProgressStore
    from losscli.render import exercises as views

    worked = _pick(exercises_dir, exercise_id, seed)
    store = ProgressStore()
    report = views.problem(worked, store.read())
    report.warnings.extend(store.warnings)
    _emit(report, out)


ANSWER_HELP = (
    "An answer: a number or an expression like -ln(0.7), 1/3, 2^-3. Repeat for several parts "
    "(in order), or name the part: -a huber1=0.125."
)


@exercise_app.command("check", help="Check answers; exit 0 when every part is right, 1 if not.")
@o.output_options
def check(
    exercise_id: ExerciseId,
    answers: Annotated[
        list[str] | None, typer.Option("-a", "--answer", metavar="VALUE", help=ANSWER_HELP)
    ] = None,
    seed: Seed = None,
    exercises_dir: ExercisesDir = None,
    out: o.Output = o.NO_OUTPUT,
) -> None:
    from losscli.cli.errors import CheckFailed
    from losscli.core.exercises.model import check as grade
    from losscli.inputs import progress as p
    from losscli.render import exercises as views

    worked = _pick(exercises_dir, exercise_id, seed)
    exercise = worked.exercise
    store = p.ProgressStore()
    before = store.read()["exercises"].get(exercise.id, {})
    solved_before = {
        name
        for name, rec in before.get("variants", {})
        .get(worked.variant.key, {})
        .get("parts", {})
        .items()
        if rec.get("solved_at")
    }
    given = _read_answers(exercise, answers or [], solved_before)  # exit 2 before anything counts
    verdicts = grade(worked, {name: value for name, (_, value) in given.items()})
    with store.update() as data:
        entry = p.exercise_entry(data, exercise.id)
        entry["attempts"] += 1
        variant = p.variant_entry(entry, worked.variant.key)
        variant["attempts"] += 1
        stamp = p.now()
        for verdict in verdicts:
            part = p.part_entry(variant, verdict.part)
            part["attempts"] += 1
            if verdict.right and not part["solved_at"]:
                part["solved_at"] = stamp
        solved = {name for name, rec in variant["parts"].items() if rec.get("solved_at")}
        remaining = [q.name for q in exercise.parts if q.name not in solved]
        if not remaining and not variant["solved_at"]:
            variant["solved_at"] = stamp
        if not remaining and not entry["solved_at"]:
            entry["solved_at"] = stamp
        record = {k: entry[k] for k in ("attempts", "hints_seen", "solved_at")}
        record["variant_attempts"] = variant["attempts"]
        record["part_attempts"] = {n: r["attempts"] for n, r in variant["parts"].items()}
    report = views.verdicts(worked, given, verdicts, remaining, record)
    report.warnings.extend(store.warnings)
    _emit(report, out)
    wrong = [v.part for v in verdicts if not v.right]
    if wrong:
        total = len(verdicts)
        raise CheckFailed(
            f"{exercise.id}: {len(wrong)} of {total} answer{'s' if total > 1 else ''} wrong "
            f"({', '.join(wrong)})"
        )
    if remaining:
        raise CheckFailed(f"{exercise.id}: not solved yet; still to answer: {', '.join(remaining)}")


_NAMED = re.compile(r"\s*([A-Za-z][A-Za-z0-9_-]*)\s*=(.*)", re.DOTALL)


def _read_answers(
    exercise: Exercise, raw: list[str], solved: set[str] | frozenset[str] = frozenset()
) -> dict[str, tuple[str, float | Expression]]:
    """Part name -> (answer as typed, its value): `-a VALUE` in order, or `-a part=VALUE`.

    Positional answers fill the parts not solved yet, in order (after solving two parts of
    six, four answers are the other four); as many as there are parts fill them all.
    """
    import difflib

    from losscli.core.errors import UsageError

    names = [p.name for p in exercise.parts]
    if not raw:
        raise UsageError(
            f"no answer: give -a VALUE for {exercise.id} (parts, in order: {', '.join(names)})"
        )
    texts: dict[str, str] = {}
    positional = []
    for item in raw:
        match = _NAMED.fullmatch(item)
        if match is None:
            positional.append(item)
            continue
        name, text = match[1], match[2]
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"did you mean {close[0]}?" if close else f"parts: {', '.join(names)}"
            raise UsageError(f"{exercise.id} has no part {name!r}; {hint}")
        if name in texts:
            raise UsageError(f"part {name} is answered twice")
        texts[name] = text
    free = [n for n in names if n not in texts]
    unsolved = [n for n in free if n not in solved]
    if len(positional) <= len(unsolved) and len(positional) != len(free):
        free = unsolved
    if len(positional) > len(free):
        left = f"; still to answer: {', '.join(unsolved)}" if solved else ""
        raise UsageError(
            f"{exercise.id} has {len(names)} part{'s' if len(names) > 1 else ''} "
            f"({', '.join(names)}) but {len(raw)} answers were given{left}"
        )
    texts.update(zip(free, positional, strict=False))
    given: dict[str, tuple[str, float | Expression]] = {}
    for part in exercise.parts:
        if part.name in texts:
            text = texts[part.name]
            try:
                value = _answer(part, text)
            except UsageError as error:
                raise UsageError(f"part {part.name}: {error}") from None
            given[part.name] = (text.strip(), value)
    return given


def _loss_name(text: str) -> str | None:
    from losscli.core.errors import UsageError
    from losscli.core.losses.registry import get

    try:
        return get(text).name
    except UsageError:
        return None


def _answer(part: Part, text: str) -> float | Expression:
    """A number; for a formula part the parsed formula; for a choice the option's index."""
    from losscli.core.errors import UsageError
    from losscli.core.exercises.expressions import answer_value, parse

    if part.accepts == "formula":
        return parse(text, names=frozenset(part.domain), fold_case=True)
    if part.accepts == "choice":
        wanted = text.strip().lower()
        aliases = {
            "t": "true",
            "yes": "true",
            "y": "true",
            "f": "false",
            "no": "false",
            "n": "false",
        }
        wanted = aliases.get(wanted, wanted) if part.options == ("true", "false") else wanted
        for i, option in enumerate(part.options):
            letter = chr(97 + i)
            if wanted in (option.lower(), letter, f"{letter})"):
                return float(i)
        named = _loss_name(wanted)  # a loss option may be answered by any alias: bce
        if named is not None:
            for i, option in enumerate(part.options):
                if _loss_name(option) == named:
                    return float(i)
        letters = ", ".join(f"{chr(65 + i)}) {o}" for i, o in enumerate(part.options))
        raise UsageError(f"{text.strip()!r} is none of the options: {letters}")
    return answer_value(text, plain_number=part.accepts == "number")


@exercise_app.command("hint", help="The hints your attempts have unlocked so far.")
@o.output_options
def hint(
    exercise_id: ExerciseId,
    seed: Seed = None,
    exercises_dir: ExercisesDir = None,
    out: o.Output = o.NO_OUTPUT,
) -> None:
    from losscli.core.exercises.model import unlocked_hints
    from losscli.inputs import progress as p
    from losscli.render import exercises as views

    worked = _pick(exercises_dir, exercise_id, seed)
    store = p.ProgressStore()
    with store.update() as data:
        entry = p.exercise_entry(data, worked.exercise.id)
        variant = p.variant_entry(entry, worked.variant.key)
        part_attempts = {n: r.get("attempts", 0) for n, r in variant["parts"].items()}
        unlocked = unlocked_hints(worked.exercise, variant["attempts"], part_attempts)
        entry["hints_seen"] = max(entry["hints_seen"], len(unlocked))
    report = views.hints(worked, variant["attempts"], part_attempts)
    report.warnings.extend(store.warnings)
    _emit(report, out)


@exercise_app.command(
    "solution", help="The worked solution, once the exercise is solved (or with --force)."
)
@o.output_options
def solution(
    exercise_id: ExerciseId,
    force: Annotated[bool, typer.Option("--force", help="Show it before solving.")] = False,
    seed: Seed = None,
    exercises_dir: ExercisesDir = None,
    out: o.Output = o.NO_OUTPUT,
) -> None:
    from losscli.core.errors import UsageError
    from losscli.inputs import progress as p
    from losscli.render import exercises as views

    worked = _pick(exercises_dir, exercise_id, seed)
    exercise, variant = worked.exercise, worked.variant
    store = p.ProgressStore()
    with store.update(save=False) as data:
        # ce-3class@7 and ce-3class are one exercise: solving any variant earns the solutions.
        solved = bool(data["exercises"].get(exercise.id, {}).get("solved_at"))
    if not solved and not force:
        which = exercise.id if variant.seed is None else f"{exercise.id}@{variant.seed}"
        raise UsageError(f"the solution of {which} shows once it is solved; --force shows it now")
    if not solved:
        with store.update() as data:
            entry = p.exercise_entry(data, exercise.id)
            entry["solution_seen"] = True  # before solving: progress and list say so
            entry.setdefault("solution_seen_at", p.now())
    report = views.solution(worked)
    report.warnings.extend(store.warnings)
    _emit(report, out)


Yes = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask before forgetting all progress.")
]


def _confirm_full_reset(yes: bool) -> None:
    """Forgetting everything asks first (a backup is kept either way); --yes skips it."""
    import sys

    from losscli.core.errors import UsageError

    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError("resetting all progress asks for confirmation: add --yes")
    if not typer.confirm("Forget all exercise progress? (a backup is kept)", err=True):
        raise typer.Exit(1)


@exercise_app.command("progress", help="Attempts, hints seen and solved times; --reset forgets.")
@o.output_options
def progress(
    reset: Annotated[
        bool, typer.Option("--reset", help="Forget all progress (asks first; a backup is kept).")
    ] = False,
    yes: Yes = False,
    exercises_dir: ExercisesDir = None,
    out: o.Output = o.NO_OUTPUT,
) -> None:
    from losscli.inputs.progress import ProgressStore
    from losscli.render import exercises as views

    store = ProgressStore()
    if reset:
        _confirm_full_reset(yes)
        report = views.reset(store.path, store.reset(), None)
    else:
        exercises = sorted(_load(exercises_dir, store.warnings).values(), key=lambda e: e.sort_key)
        report = views.progress(exercises, store.read(), store.path)
    report.warnings.extend(store.warnings)
    _emit(report, out)


@exercise_app.command(
    "reset", help="Forget the progress of one exercise (or of all, asking first); keeps a backup."
)
@o.output_options
def reset(
    exercise_id: Annotated[
        str | None,
        typer.Argument(
            metavar="[ID]",
            help="The exercise to forget (every variant); without it, all progress.",
            autocompletion=exercise_ids,
        ),
    ] = None,
    yes: Yes = False,
    exercises_dir: ExercisesDir = None,
    out: o.Output = o.NO_OUTPUT,
) -> None:
    from losscli.inputs.exercises import exercise_dirs, find
    from losscli.inputs.progress import ProgressStore
    from losscli.render import exercises as views

    store = ProgressStore()
    if exercise_id is None:
        _confirm_full_reset(yes)
        report = views.reset(store.path, store.reset(), None)
    else:
        name = exercise_id.partition("@")[0]
        find(exercise_dirs(exercises_dir or ()), name)  # a usage error names the closest id
        report = views.reset(store.path, store.forget(name), name)
    report.warnings.extend(store.warnings)
    _emit(report, out)


@exercise_app.command(
    "next", help="The exercise to do next: one you started, else the next new one."
)
@o.output_options
def next_exercise(
    exercises_dir: ExercisesDir = None,
    out: o.Output = o.NO_OUTPUT,
) -> None:
    from losscli.core.exercises.model import work_variant
    from losscli.inputs.progress import ProgressStore
    from losscli.render import exercises as views

    store = ProgressStore()
    exercises = sorted(_load(exercises_dir, store.warnings).values(), key=lambda e: e.sort_key)
    data = store.read()
    chosen, reason = _choose_next(exercises, data)
    if chosen is None:
        report = views.all_done(len(exercises))
    else:
        report = views.problem(work_variant(chosen), data, reason=reason)
    report.warnings.extend(store.warnings)
    _emit(report, out)


@exercise_app.command("validate", help="Check exercise files (for authors); exit 3 if any is bad.")
@o.output_options
def validate(
    directory: Annotated[
        Path | None,
        typer.Argument(
            metavar="[DIR]", help="A directory of *.toml files (default: every loaded set)."
        ),
    ] = None,
    seeds: Annotated[
        int,
        typer.Option(
            "--seeds", min=0, max=10_000, help="Also compute the variants of seeds 0..N-1."
        ),
    ] = 300,
    exercises_dir: ExercisesDir = None,
    out: o.Output = o.NO_OUTPUT,
) -> None:
    from losscli.core.errors import DataError, UsageError
    from losscli.inputs.exercises import exercise_dirs, exercise_files
    from losscli.render import exercises as views

    if directory is not None:
        if not directory.is_dir():
            raise UsageError(f"{str(directory)!r} is not a directory")
        dirs = [directory]
    else:
        dirs = exercise_dirs(exercises_dir or ())
    files = [f for d in dirs for f in exercise_files(d)]
    if not files:
        raise UsageError(f"no exercise files (*.toml) in {', '.join(map(str, dirs))}")
    results = _checked(files, range(seeds))
    bad = sum(1 for r in results if not r["ok"])
    _emit(views.validation(results), out)
    if bad:
        raise DataError(f"{bad} of {len(files)} exercise files have problems (listed above)")


def _on_topic(exercises: Sequence[Exercise], topic: str) -> list[Exercise]:
    """Exercises with this topic, or on this loss (any alias); a usage error if none has it."""
    import difflib

    from losscli.core.errors import UsageError
    from losscli.core.losses.registry import names_and_aliases
    from losscli.render import exercises as views

    wanted = topic.strip().lower()
    wanted = names_and_aliases().get(wanted.replace("_", "-"), wanted)
    chosen = [e for e in exercises if wanted in views.topics(e)]
    if not chosen:
        known = sorted({t for e in exercises for t in views.topics(e)})
        close = difflib.get_close_matches(wanted, known, n=1)
        hint = f"did you mean {close[0]}?" if close else f"topics: {', '.join(known)}"
        raise UsageError(f"no exercise on {topic!r}; {hint}")
    return chosen


def _choose_next(
    exercises: Sequence[Exercise], data: dict[str, Any]
) -> tuple[Exercise | None, str]:
    """An exercise started but not solved (the one with most attempts), else the first new one."""
    from losscli.render.exercises import status

    started = [e for e in exercises if status(data, e.id) == "started"]
    if started:
        best = max(started, key=lambda e: data["exercises"][e.id].get("attempts", 0))
        return best, f"next: {best.id}, which you have started"
    todo = [e for e in exercises if status(data, e.id) == "todo"]
    if todo:
        return todo[0], f"next: {todo[0].id}, the first one you have not tried"
    return None, ""


def _checked(files: Sequence[Path], seeds: range) -> list[dict[str, Any]]:
    """Validate each file alone; the same id in two files is a problem of the second."""
    from losscli.core.errors import LossError
    from losscli.core.exercises.model import problems
    from losscli.inputs.exercises import load_file

    results = []
    seen: dict[str, Path] = {}
    for path in files:
        try:
            exercise = load_file(path)
            found = problems(exercise, seeds)
            exercise_id = exercise.id
        except LossError as error:
            found, exercise_id = [str(error)], path.stem
        if exercise_id in seen:
            found.append(f"{path}: the id {exercise_id!r} is also used by {seen[exercise_id]}")
        seen.setdefault(exercise_id, path)
        prefix = f"{path}: "
        found = [f.removeprefix(prefix) for f in found]
        results.append({"file": str(path), "id": exercise_id, "ok": not found, "problems": found})
    return results
