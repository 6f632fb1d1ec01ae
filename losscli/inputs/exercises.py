"""Exercise files: TOML, one exercise per file, read with tomllib into the core's records.

The built-in set ships inside the package (the repository's top-level `exercises/`, mapped
to `losscli/exercises_data` in the wheel); a teacher adds directories with LOSSCLI_EXERCISES
(separated like PATH) or --exercises-dir. The id of an exercise is its file name without
`.toml`. Every problem names the file and the key (`parts[1].tolerance.rel: ...`): exit 3.
exercises/README.md describes the format.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from losscli.core.errors import LossError, UsageError
from losscli.core.exercises.expressions import RESERVED, Expression, parse
from losscli.core.exercises.grading import DEFAULT_ABS, DEFAULT_REL, MISTAKE_REL, Tolerance
from losscli.core.exercises.model import (
    ARITY,
    OPS,
    Derived,
    Domain,
    Draw,
    Exercise,
    ExerciseError,
    Fact,
    Hint,
    Mistake,
    Parameter,
    Part,
    Quantity,
    Template,
    Value,
    parse_ref,
)
from losscli.core.losses import registry
from losscli.core.losses.types import Loss

ENV = "LOSSCLI_EXERCISES"
ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-"
T = TypeVar("T")


def builtin_dir() -> Path:
    """Where the exercises that ship with losscli are: in the package, or in the checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "exercises_data"
    if installed.is_dir():
        return installed
    return package.parent / "exercises"


def exercise_dirs(extra: Sequence[str] = ()) -> list[Path]:
    """The built-in set, then LOSSCLI_EXERCISES, then --exercises-dir, each checked."""
    dirs = [builtin_dir()]
    from_env = [d for d in os.environ.get(ENV, "").split(os.pathsep) if d]
    for name, where in [(d, ENV) for d in from_env] + [(d, "--exercises-dir") for d in extra]:
        path = Path(name).expanduser()
        if not path.is_dir():
            raise UsageError(f"{where}: {name!r} is not a directory")
        dirs.append(path)
    return dirs


def exercise_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.toml") if p.is_file())


def load_all(dirs: Iterable[Path], warnings: list[str] | None = None) -> dict[str, Exercise]:
    """Every exercise of the directories by id.

    With a `warnings` list, a file that cannot be used (or repeats an id) is skipped and
    named there, so one broken file in a teacher's set does not hide all the others;
    without one, the first such file is an error.
    """
    found: dict[str, Exercise] = {}
    for directory in dirs:
        for path in exercise_files(directory):
            try:
                exercise = load_file(path)
                if exercise.id in found:
                    raise ExerciseError(
                        str(path),
                        "",
                        f"exercise {exercise.id!r} is also in {found[exercise.id].source}",
                    )
            except ExerciseError as error:
                if warnings is None:
                    raise
                warnings.append(f"skipped {error} (losscli exercise validate checks a file)")
                continue
            found[exercise.id] = exercise
    return found


def find(dirs: Iterable[Path], wanted: str) -> Exercise:
    """The exercise with this id, reading only its own file; a usage error names the closest.

    Other files are not parsed, so a broken file elsewhere does not block this exercise.
    """
    paths = [path for directory in dirs for path in exercise_files(directory)]
    matches = [path for path in paths if path.stem == wanted]
    if not matches:
        close = difflib.get_close_matches(wanted, sorted({p.stem for p in paths}), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise UsageError(
            f"unknown exercise {wanted!r}{hint} (losscli exercise list shows them all)"
        )
    if len(matches) > 1:
        raise ExerciseError(str(matches[1]), "", f"exercise {wanted!r} is also in {matches[0]}")
    return load_file(matches[0])


def load_file(path: Path) -> Exercise:
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ExerciseError(source, "", f"cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ExerciseError(source, "", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ExerciseError(source, "", f"is not valid TOML: {error}") from None
    except RecursionError:
        raise ExerciseError(source, "", TOO_DEEP) from None
    exercise_id = path.stem
    if not exercise_id or any(c not in ID_CHARS for c in exercise_id):
        raise ExerciseError(
            source, "", "the file name (the exercise id) may hold only a-z, 0-9 and '-'"
        )
    try:
        return _Reader(source).exercise(exercise_id, data)
    except RecursionError:
        raise ExerciseError(source, "", TOO_DEEP) from None


TOO_DEEP = "is nested too deeply (lists or tables inside each other hundreds of times)"
# A uniform draw or a simplex picks among at most this many values: enough for any
# exercise, and no float arithmetic on 1e308-wide ranges or 5e-324 steps.
MAX_STEPS = 1_000_000


class _Reader:
    """Reads one file's tables, naming the key of the first thing that is wrong."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.params: dict[str, Value | None] = {}
        self.quantities: set[str] = set()

    def fail(self, key: str, message: str) -> ExerciseError:
        return ExerciseError(self.source, key, message)

    def keys(
        self, table: Any, key: str, required: Sequence[str], optional: Sequence[str] = ()
    ) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.fail(key, "must be a table")
        for name in required:
            if name not in table:
                raise self.fail(_join(key, name), "is missing")
        for name in table:
            if name not in required and name not in optional:
                known = [*required, *optional]
                close = difflib.get_close_matches(name, known, n=1)
                hint = f"; did you mean {close[0]}?" if close else f" (known: {', '.join(known)})"
                raise self.fail(_join(key, name), f"is not a known key{hint}")
        return table

    def typed(self, value: Any, key: str, kind: type[T], what: str) -> T:
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(key, f"must be {what}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(key, "must be a finite number")
        return value

    def number(self, value: Any, key: str) -> float:
        return self.typed(value, key, float, "a number")

    def text(self, value: Any, key: str) -> str:
        text = self.typed(value, key, str, "a string")
        if not text.strip():
            raise self.fail(key, "is empty")
        return visible(text)

    def expression(self, value: Any, key: str, names: Iterable[str]) -> Expression:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = repr(float(value))
        try:
            return parse(
                self.typed(value, key, str, "a number or a formula"), names=frozenset(names)
            )
        except LossError as error:
            raise self.fail(key, str(error)) from None

    def strings(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(key, "must be a list of strings")
        return tuple(self.text(v, f"{key}[{i}]") for i, v in enumerate(value))

    def items(self, value: Any, key: str, read: Callable[[Any, str], T]) -> tuple[T, ...]:
        if not isinstance(value, list):
            raise self.fail(key, "must be an array of tables ([[" + key + "]])")
        return tuple(read(item, f"{key}[{i}]") for i, item in enumerate(value))

    # --- the exercise ----------------------------------------------------------------

    def exercise(self, exercise_id: str, data: dict[str, Any]) -> Exercise:
        top = self.keys(
            data,
            "",
            ("title", "prompt", "parts", "solution"),
            ("level", "topics", "losses", "params", "mistakes", "hints", "order", "quantities"),
        )
        params = self.parameters(top.get("params", {}))
        # Concept items answered from the catalog (facts) need no quantities.
        table = top.get("quantities", {})
        if not isinstance(table, dict):
            raise self.fail("quantities", "must be tables [quantities.NAME]")
        quantities = tuple(self.quantity(name, spec) for name, spec in table.items())
        parts = self.items(top["parts"], "parts", self.part)
        if not parts:
            raise self.fail("parts", "needs at least one part")
        _unique([p.name for p in parts], "parts", self.fail)
        by_name = {p.name: p for p in parts}
        mistakes = self.items(
            top.get("mistakes", []), "mistakes", lambda item, key: self.mistake(item, key, by_name)
        )
        _unique([m.name for m in mistakes], "mistakes", self.fail)
        hints = self.items(top.get("hints", []), "hints", self.hint)
        for i, h in enumerate(hints):
            if h.part is not None and h.part not in by_name:
                known = ", ".join(by_name)
                raise self.fail(f"hints[{i}].part", f"{h.part!r} is not a part ({known})")
        order = top.get("order")
        if order is not None:
            order = self.typed(order, "order", int, "a whole number (the catalog's problem)")
        level = self.typed(top.get("level", 1), "level", int, "an integer 1, 2 or 3")
        if level not in (1, 2, 3):
            raise self.fail("level", "must be 1, 2 or 3")
        solution = self.keys(top["solution"], "solution", ("text",))
        return Exercise(
            id=exercise_id,
            title=self.text(top["title"], "title"),
            level=level,
            topics=self.strings(top.get("topics", []), "topics"),
            losses=self.losses(top.get("losses", [])),
            prompt=self.text(top["prompt"], "prompt"),
            params=params,
            quantities=quantities,
            parts=parts,
            mistakes=mistakes,
            hints=tuple(sorted(hints, key=lambda h: h.after)),
            solution=self.text(solution["text"], "solution.text"),
            source=self.source,
            order=order,
        )

    def losses(self, value: Any) -> tuple[str, ...]:
        names = self.strings(value, "losses")
        try:
            return tuple(registry.get(name).name for name in names)
        except UsageError as error:
            raise self.fail("losses", str(error)) from None

    def parameters(self, table: Any) -> tuple[Parameter, ...]:
        if not isinstance(table, dict):
            raise self.fail("params", "must be a table")
        params = []
        for name, spec in table.items():
            key = f"params.{name}"
            _check_name(name, key, self.fail)
            params.append(self.parameter(name, spec, key))
            self.params[name] = params[-1].default
        return tuple(params)

    def parameter(self, name: str, spec: Any, key: str) -> Parameter:
        if not isinstance(spec, dict):
            return Parameter(name, self.value(spec, key), Draw("fixed"))
        spec = self.keys(
            spec, key, (), ("default", "uniform", "integer", "choice", "simplex", "step", "formula")
        )
        kinds = [k for k in ("uniform", "integer", "choice", "simplex", "formula") if k in spec]
        if len(kinds) > 1:
            raise self.fail(key, f"give one way to draw it, not {' and '.join(kinds)}")
        kind = kinds[0] if kinds else "fixed"
        if kind == "formula":
            if "default" in spec:
                raise self.fail(key, "a formula parameter has no default: it is computed")
            scalars = [n for n, v in self.params.items() if not isinstance(v, tuple)]
            formula = self.expression(spec["formula"], f"{key}.formula", scalars)
            return Parameter(name, None, Draw("formula", formula=formula))
        if "default" not in spec:
            raise self.fail(f"{key}.default", "is missing")
        default = self.value(spec["default"], f"{key}.default")
        if "step" in spec and kind not in ("uniform",):
            raise self.fail(f"{key}.step", "goes with uniform only (simplex = STEP)")
        if kind == "choice":
            choices = spec["choice"]
            if not isinstance(choices, list) or not choices:
                raise self.fail(f"{key}.choice", "must be a non-empty list of numbers")
            values = tuple(self.number(c, f"{key}.choice[{i}]") for i, c in enumerate(choices))
            return Parameter(name, default, Draw("choice", choices=values))
        if kind in ("uniform", "integer"):
            low, high = self.bounds(spec[kind], f"{key}.{kind}")
            step = 1.0 if kind == "integer" else self.number(spec.get("step", 0.01), f"{key}.step")
            if step <= 0:
                raise self.fail(f"{key}.step", "must be positive")
            steps = (high - low) / step
            if not steps <= MAX_STEPS:  # also catches inf from a 1e308-wide range
                raise self.fail(
                    f"{key}.{kind}",
                    f"[{low:g}, {high:g}] in steps of {step:g} is more than {MAX_STEPS} values; "
                    "use a narrower range or a larger step",
                )
            return Parameter(name, default, Draw("uniform", low=low, high=high, step=step))
        if kind == "simplex":
            step = self.number(spec["simplex"], f"{key}.simplex")
            if not isinstance(default, tuple) or not 1 / MAX_STEPS <= step <= 1 / len(default):
                raise self.fail(
                    f"{key}.simplex",
                    f"needs a list default and a step in [{1 / MAX_STEPS:g}, 1/length]",
                )
            if abs(1 / step - round(1 / step)) > 1e-9:
                raise self.fail(f"{key}.simplex", "the step must divide 1 (0.05, 0.01, ...)")
            return Parameter(name, default, Draw("simplex", step=step))
        return Parameter(name, default, Draw("fixed"))

    def value(self, value: Any, key: str) -> Value:
        if isinstance(value, list):
            if not value:
                raise self.fail(key, "must not be an empty list")
            return tuple(self.number(v, f"{key}[{i}]") for i, v in enumerate(value))
        return self.number(value, key)

    def bounds(self, value: Any, key: str) -> tuple[float, float]:
        if not isinstance(value, list) or len(value) != 2:
            raise self.fail(key, "must be [low, high]")
        low, high = (self.number(v, f"{key}[{i}]") for i, v in enumerate(value))
        if not low < high:
            raise self.fail(key, "needs low < high")
        return low, high

    def quantity(self, name: str, spec: Any) -> Quantity:
        key = f"quantities.{name}"
        _check_name(name, key, self.fail)
        if name in self.params:
            raise self.fail(key, "has the name of a parameter")
        spec = self.keys(
            spec, key, ("loss", "y_pred"), ("y_true", "kind", "params", "space", "reduction")
        )
        try:
            loss = registry.get(self.text(spec["loss"], f"{key}.loss"))
        except UsageError as error:
            raise self.fail(f"{key}.loss", str(error)) from None
        # y_true is required, except for a loss without targets (triplets), which refuses it.
        if loss.takes_target and "y_true" not in spec:
            raise self.fail(f"{key}.y_true", "is missing")
        if not loss.takes_target and "y_true" in spec:
            raise self.fail(f"{key}.y_true", f"{loss.name} takes no targets: leave it out")
        kind = spec.get("kind", "value")
        if kind not in ("value", "grad"):
            raise self.fail(f"{key}.kind", "must be value or grad")
        reduction = spec.get("reduction", "mean" if kind == "value" else "none")
        if reduction not in ("mean", "sum", "none"):
            raise self.fail(f"{key}.reduction", "must be mean, sum or none")
        space = spec.get("space")
        if space is not None:
            try:
                loss.resolve_space(space)
            except (UsageError, KeyError):
                raise self.fail(
                    f"{key}.space", f"{loss.name} takes {', '.join(loss.spaces)}"
                ) from None
        params = self.loss_params(loss, spec.get("params", {}), f"{key}.params")
        self.quantities.add(name)
        return Quantity(
            name=name,
            loss=loss.name,
            kind=kind,
            y_true=self.template(spec["y_true"], f"{key}.y_true") if "y_true" in spec else (),
            y_pred=self.template(spec["y_pred"], f"{key}.y_pred"),
            params=params,
            space=space,
            reduction=reduction,
        )

    def loss_params(self, loss: Loss, table: Any, key: str) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.fail(key, "must be a table")
        known = {p.name: p for p in loss.params}
        out: dict[str, Any] = {}
        for name, value in table.items():
            if name not in known:
                options = ", ".join(known) or "none"
                raise self.fail(f"{key}.{name}", f"{loss.name} has no such parameter ({options})")
            if known[name].choices:
                if value not in known[name].choices:
                    raise self.fail(
                        f"{key}.{name}", f"must be one of {', '.join(known[name].choices)}"
                    )
                out[name] = value
            else:
                out[name] = self.expression(value, f"{key}.{name}", self._scalar_names())
        return out

    def _scalar_names(self) -> list[str]:
        return [n for n, v in self.params.items() if not isinstance(v, tuple)]

    def template(self, value: Any, key: str) -> tuple[Template, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(
                key, "must be a non-empty list (a row of several values: a nested list)"
            )
        out: list[Template] = []
        for i, item in enumerate(value):
            where = f"{key}[{i}]"
            if isinstance(item, list):
                out.append(self.template(item, where))
            elif isinstance(item, str):
                out.append(self.expression(item, where, self.params))
            else:
                out.append(self.number(item, where))
        return tuple(out)

    def derived(self, value: Any, key: str) -> Derived:
        if isinstance(value, str):
            return Derived("value", (self.ref(value, key),))
        spec = self.keys(value, key, (), (*OPS, "scale"))
        ops = [op for op in OPS if op in spec]
        if len(ops) != 1:
            raise self.fail(key, f"needs exactly one of {', '.join(OPS)}")
        op = ops[0]
        names = spec[op] if isinstance(spec[op], list) else [spec[op]]
        count = ARITY.get(op)
        if (count is not None and len(names) != count) or (count is None and len(names) < 2):
            want = f"{count} name" + ("s" if count and count > 1 else "") if count else "2 or more"
            raise self.fail(f"{key}.{op}", f"takes {want} of quantities")
        refs = tuple(self.ref(n, f"{key}.{op}") for n in names)
        scale = None
        if "scale" in spec:
            scale = self.expression(spec["scale"], f"{key}.scale", self._scalar_names())
        return Derived(op, refs, scale)

    def ref(self, value: Any, key: str) -> Any:
        ref = parse_ref(self.text(value, key))
        if ref is None or ref.name not in self.quantities:
            known = ", ".join(sorted(self.quantities))
            raise self.fail(key, f"{value!r} is not a quantity (quantities: {known})")
        return ref

    def tolerance(self, value: Any, key: str, default: Tolerance) -> Tolerance:
        if value is None:
            return default
        spec = self.keys(value, key, (), ("rel", "abs", "near", "sigfigs"))
        rel = self.number(spec.get("rel", default.rel), f"{key}.rel")
        absolute = self.number(spec.get("abs", default.abs), f"{key}.abs")
        if rel < 0 or absolute < 0 or rel == absolute == 0:
            raise self.fail(key, "rel and abs must be >= 0 and not both 0")
        near = self.number(spec.get("near", 0.0), f"{key}.near")
        sigfigs = spec.get("sigfigs")
        if sigfigs is not None:
            sigfigs = self.typed(sigfigs, f"{key}.sigfigs", int, "a whole number 1 to 15")
            if not 1 <= sigfigs <= 15:
                raise self.fail(f"{key}.sigfigs", "must be a whole number 1 to 15")
        return Tolerance(rel, absolute, near, sigfigs)

    def part(self, item: Any, key: str) -> Part:
        spec = self.keys(
            item,
            key,
            ("name", "prompt", "answer", "why"),
            (
                "tolerance",
                "accepts",
                "expected",
                "same_in_every_variant",
                "options",
                "formula",
                "domain",
            ),
        )
        name = self.text(spec["name"], f"{key}.name")
        if not name[0].isalpha() or any(c not in ID_CHARS for c in name.lower()):
            raise self.fail(f"{key}.name", "may hold only letters, digits and '-', first a letter")
        accepts = spec.get("accepts", "expression")
        if accepts not in ("expression", "number", "formula", "choice"):
            raise self.fail(f"{key}.accepts", "must be expression, number, formula or choice")
        expected = spec.get("expected")
        fact = None
        answer = Derived("value", ())
        options: tuple[str, ...] = ()
        if isinstance(spec["answer"], dict) and any(
            k in spec["answer"] for k in ("property", "recommend")
        ):
            fact = self.fact(spec["answer"], f"{key}.answer")
        else:
            answer = self.derived(spec["answer"], f"{key}.answer")
        if accepts == "choice":
            if fact is None or (fact.param is not None):
                raise self.fail(
                    f"{key}.answer",
                    "a choice's answer is { property = ... } or { recommend = ... }",
                )
            if fact.loss is not None:
                options = ("true", "false")
                if "options" in spec:
                    raise self.fail(f"{key}.options", "a true/false part has no options")
            else:
                options = self.strings(spec.get("options"), f"{key}.options")
                if not 2 <= len(options) <= 8:
                    raise self.fail(f"{key}.options", "give 2 to 8 options")
        elif "options" in spec:
            raise self.fail(f"{key}.options", 'goes with accepts = "choice" only')
        elif fact is not None and fact.param is None:
            raise self.fail(f"{key}.accepts", "a property or a recommended loss is a choice")
        formula = None
        domain: dict[str, Domain] = {}
        if accepts == "formula":
            if "formula" not in spec or "domain" not in spec:
                raise self.fail(key, "a formula part needs formula and domain")
            domain = self.domain(spec["domain"], f"{key}.domain")
            formula = self.expression(
                spec["formula"], f"{key}.formula", [*self._scalar_names(), *domain]
            )
        elif "formula" in spec or "domain" in spec:
            raise self.fail(f"{key}.formula", 'goes with accepts = "formula" only')
        return Part(
            name=name,
            prompt=self.text(spec["prompt"], f"{key}.prompt"),
            answer=answer,
            why=self.text(spec["why"], f"{key}.why"),
            tolerance=self.tolerance(
                spec.get("tolerance"), f"{key}.tolerance", Tolerance(DEFAULT_REL, DEFAULT_ABS)
            ),
            accepts=accepts,
            expected=None if expected is None else self.number(expected, f"{key}.expected"),
            constant=self.typed(
                spec.get("same_in_every_variant", False),
                f"{key}.same_in_every_variant",
                bool,
                "true or false",
            ),
            fact=fact,
            options=options,
            formula=formula,
            domain=domain,
        )

    def fact(self, value: Any, key: str) -> Fact:
        from losscli.core.losses.types import Properties

        spec = self.keys(value, key, (), ("property", "loss", "recommend", "param"))
        if "property" in spec:
            prop = self.text(spec["property"], f"{key}.property")
            known = [f for f in Properties.__dataclass_fields__]
            if prop not in known:
                raise self.fail(f"{key}.property", f"must be one of {', '.join(known)}")
            loss = None
            if "loss" in spec:
                try:
                    loss = registry.get(self.text(spec["loss"], f"{key}.loss")).name
                except UsageError as error:
                    raise self.fail(f"{key}.loss", str(error)) from None
            return Fact(property=prop, loss=loss)
        facts = spec["recommend"]
        if not isinstance(facts, dict) or not facts:
            raise self.fail(f"{key}.recommend", "must be a table of recommend's facts")
        param = self.text(spec["param"], f"{key}.param") if "param" in spec else None
        return Fact(recommend=tuple(sorted(facts.items())), param=param)

    def domain(self, value: Any, key: str) -> dict[str, Domain]:
        if not isinstance(value, dict) or not value:
            raise self.fail(key, "must be a table: variable = [low, high] or { choice = [...] }")
        out = {}
        for name, spec in value.items():
            _check_name(name, f"{key}.{name}", self.fail)
            if isinstance(spec, dict):
                spec = self.keys(spec, f"{key}.{name}", ("choice",))
                choices = spec["choice"]
                if not isinstance(choices, list) or not choices:
                    raise self.fail(f"{key}.{name}.choice", "must be a non-empty list")
                out[name] = Domain(
                    choices=tuple(
                        self.number(c, f"{key}.{name}.choice[{i}]") for i, c in enumerate(choices)
                    )
                )
            else:
                low, high = self.bounds(spec, f"{key}.{name}")
                out[name] = Domain(low, high)
        return out

    def mistake(self, item: Any, key: str, parts: Mapping[str, Part]) -> Mistake:
        spec = self.keys(
            item, key, ("part", "feedback"), ("name", "tolerance", "answer", "formula")
        )
        part = self.text(spec["part"], f"{key}.part")
        if part not in parts:
            raise self.fail(f"{key}.part", f"{part!r} is not a part ({', '.join(parts)})")
        default = Tolerance(MISTAKE_REL, parts[part].tolerance.abs)
        target = parts[part]
        formula = None
        if target.accepts == "formula":
            if "formula" not in spec:
                raise self.fail(f"{key}.formula", "a slip of a formula part is a formula")
            names = [*self._scalar_names(), *target.domain]
            formula = self.expression(spec["formula"], f"{key}.formula", names)
            answer = Derived("value", ())
        elif "answer" not in spec:
            raise self.fail(f"{key}.answer", "is missing")
        elif not target.numeric:
            raise self.fail(key, "a choice part has no mistakes: its options are the slips")
        else:
            answer = self.derived(spec["answer"], f"{key}.answer")
        return Mistake(
            name=self.text(spec.get("name", key), f"{key}.name"),
            part=part,
            answer=answer,
            feedback=self.text(spec["feedback"], f"{key}.feedback"),
            tolerance=self.tolerance(spec.get("tolerance"), f"{key}.tolerance", default),
            formula=formula,
        )

    def hint(self, item: Any, key: str) -> Hint:
        spec = self.keys(item, key, ("text",), ("after", "part"))
        after = self.typed(spec.get("after", 0), f"{key}.after", int, "a whole number")
        if after < 0:
            raise self.fail(f"{key}.after", "must be 0 or more")
        part = self.text(spec["part"], f"{key}.part") if "part" in spec else None
        return Hint(after, self.text(spec["text"], f"{key}.text"), part)


# Characters that would act on a terminal instead of showing: C0 controls but newline and
# tab, DEL, C1 controls, and the bidirectional overrides that reorder what is shown.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with every control character shown as an escape (ESC as \\x1b), so a file's
    strings cannot move the cursor, recolour or retitle the student's terminal."""
    return _CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _unique(names: list[str], key: str, fail: Callable[[str, str], ExerciseError]) -> None:
    seen = set()
    for name in names:
        if name in seen:
            raise fail(key, f"the name {name!r} is used twice")
        seen.add(name)


def _check_name(name: str, key: str, fail: Callable[[str, str], ExerciseError]) -> None:
    if not name.isidentifier() or not name.isascii():
        raise fail(key, "a name must be letters, digits and _, not starting with a digit")
    if name in RESERVED:
        raise fail(key, f"{name!r} is a function or constant of formulas; choose another name")
