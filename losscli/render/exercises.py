"""The exercise commands' views: JSON payloads, table rows, and the terminal view.

Nothing here shows an answer before it is earned: `problem` and `hints` fill their texts
from the parameters only; values appear in `verdicts` for parts answered right, and in
`solution`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from losscli.render.report import Report

if TYPE_CHECKING:
    from losscli.core.exercises.grading import Verdict
    from losscli.core.exercises.model import Exercise, Worked


def _grid(columns: int) -> Any:
    """Columns side by side; the last one wraps within its width, aligned."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    for _ in range(columns - 1):
        grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


def status(data: dict[str, Any], exercise_id: str) -> str:
    entry = data["exercises"].get(exercise_id, {})
    if entry.get("solved_at"):
        return "done"
    return "started" if entry.get("attempts") or entry.get("solution_seen") else "todo"


def solution_seen_first(data: dict[str, Any], exercise_id: str) -> bool:
    """True when the solution was shown (--force) before the exercise was solved."""
    return bool(data["exercises"].get(exercise_id, {}).get("solution_seen"))


def _shown_status(data: dict[str, Any], exercise_id: str) -> str:
    mark = " (solution seen first)" if solution_seen_first(data, exercise_id) else ""
    return status(data, exercise_id) + mark


def _variant_record(data: dict[str, Any], worked: Worked) -> dict[str, Any]:
    entry = data["exercises"].get(worked.exercise.id, {})
    return entry.get("variants", {}).get(worked.variant.key, {})


def topics(exercise: Exercise) -> list[str]:
    return list(dict.fromkeys([*exercise.losses, *exercise.topics]))


def _variant_name(worked: Worked) -> str:
    seed = worked.variant.seed
    return worked.exercise.id if seed is None else f"{worked.exercise.id}@{seed}"


def listing(exercises: Sequence[Exercise], data: dict[str, Any], warnings: list[str]) -> Report:
    records = []
    for e in exercises:
        entry = data["exercises"].get(e.id, {})
        records.append(
            {
                "id": e.id,
                "title": e.title,
                "level": e.level,
                "topics": topics(e),
                "parts": [p.name for p in e.parts],
                "status": status(data, e.id),
                "solution_seen_first": solution_seen_first(data, e.id),
                "attempts": entry.get("attempts", 0),
                "solved_at": entry.get("solved_at"),
            }
        )
    rows = [
        (
            r["id"],
            r["title"],
            r["level"],
            ", ".join(r["topics"]),
            len(r["parts"]),
            _shown_status(data, r["id"]),
        )
        for r in records
    ]

    def human(console: Any) -> None:
        # Topics make the table too wide for a terminal; they are in the TSV and JSON.
        from rich.table import Table
        from rich.text import Text

        table = Table(title=Text("losscli exercises"), title_justify="left")
        for column in ("id", "title", "level", "parts", "status"):
            table.add_column(column, no_wrap=column != "title")
        for r in records:
            done = {"done": "green", "started": "yellow"}.get(r["status"], "")
            table.add_row(
                Text(r["id"]),
                Text(r["title"]),
                Text(str(r["level"])),
                Text(str(len(r["parts"]))),
                Text(_shown_status(data, r["id"]), style=done),
            )
        console.print(table)

    return Report(
        payload={"exercises": records},
        columns=("id", "title", "level", "topics", "parts", "status"),
        rows=rows,
        title="losscli exercises",
        warnings=list(warnings),
        human=human,
        records="exercises",
    )


def _check_command(worked: Worked) -> str:
    parts = worked.exercise.parts
    name = _variant_name(worked)
    if len(parts) == 1:
        return f"losscli exercise check {name} -a VALUE"
    return (
        f"losscli exercise check {name} -a VALUE ... "
        f"({len(parts)} answers in order, or -a PART=VALUE)"
    )


def problem(worked: Worked, data: dict[str, Any], reason: str | None = None) -> Report:
    """The problem as the student sees it before answering."""
    from losscli.core.exercises.model import fill, format_value, unlocked_hints

    e, variant = worked.exercise, worked.variant
    entry = data["exercises"].get(e.id, {})
    attempts = entry.get("attempts", 0)
    record = _variant_record(data, worked)
    part_records = record.get("parts", {})
    part_attempts = {n: r.get("attempts", 0) for n, r in part_records.items()}
    unlocked = len(unlocked_hints(e, record.get("attempts", 0), part_attempts))
    prompt = fill(e.prompt, e, variant)
    parts: list[dict[str, Any]] = [
        {
            "name": p.name,
            "prompt": fill(p.prompt, e, variant),
            "accepts": p.accepts,
            "accepts_text": p.accepts_text(),
            "tolerance": {"rel": p.tolerance.rel, "abs": p.tolerance.abs},
            "solved": bool(part_records.get(p.name, {}).get("solved_at")),
            "options": list(p.options),
        }
        for p in e.parts
    ]
    for shown, p in zip(parts, e.parts, strict=True):
        if p.options and p.options != ("true", "false"):
            # The options belong to the question: in every format, not only on a terminal.
            letters = "  ".join(f"{chr(65 + i)}) {o}" for i, o in enumerate(p.options))
            shown["prompt"] = f"{shown['prompt']}  {letters}"
    remaining = [p["name"] for p in parts if not p["solved"]]
    payload: dict[str, Any] = {
        "id": e.id,
        "title": e.title,
        "level": e.level,
        "topics": topics(e),
        "variant": variant.key,
        "seed": variant.seed,
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in variant.values.items()},
        "prompt": prompt,
        "parts": parts,
        "hints": {"total": len(e.hints), "unlocked": unlocked},
        "status": status(data, e.id),
        "solution_seen_first": solution_seen_first(data, e.id),
        "attempts": attempts,
        "remaining": remaining,
        "check": _check_command(worked),
    }
    if reason is not None:
        payload["reason"] = reason
    rows = [
        ("id", _variant_name(worked)),
        ("title", e.title),
        ("prompt", prompt),
        *(
            (
                f"part {p['name']}",
                ("(solved) " if p["solved"] else "") + f"{p['prompt']} ({p['accepts_text']})",
            )
            for p in parts
        ),
        *((f"param {k}", format_value(v)) for k, v in variant.values.items()),
        ("hints", f"{len(e.hints)} ({unlocked} unlocked)"),
        ("status", payload["status"]),
        ("check", payload["check"]),
    ]

    def human(console: Any) -> None:
        from rich.text import Text

        if reason:
            console.print(Text(reason, style="dim"))
        console.print(
            Text(_variant_name(worked), style="bold")
            + Text(f"  {e.title}")
            + Text(f"  (level {e.level}; {', '.join(topics(e))})", style="dim")
        )
        if variant.seed is not None:
            console.print(Text(f"variant with seed {variant.seed}", style="dim"))
        console.print()
        console.print(Text(prompt))
        console.print()
        grid = _grid(2)
        for p in parts:
            solved = Text("solved  ", style="green") if p["solved"] else Text("")
            grid.add_row(
                Text(p["name"], style="bold"),
                solved + Text(p["prompt"]) + Text("\n" + p["accepts_text"], style="dim"),
            )
        console.print(grid)
        console.print()
        if remaining and len(remaining) < len(parts):
            console.print(Text(f"still to answer: {', '.join(remaining)}", style="dim"))
        console.print(Text(payload["check"]))
        if e.hints:
            more = (
                f"; {unlocked} unlocked: losscli exercise hint {_variant_name(worked)}"
                if unlocked
                else ""
            )
            console.print(
                Text(f"{len(e.hints)} hint{'s' if len(e.hints) > 1 else ''}{more}", style="dim")
            )

    return Report(payload=payload, columns=("field", "value"), rows=rows, title=e.id, human=human)


def verdicts(
    worked: Worked,
    given: dict[str, tuple[str, Any]],
    results: Sequence[Verdict],
    remaining: list[str],
    record: dict[str, Any],
) -> Report:
    from losscli.core.exercises.model import unlocked_hints

    e = worked.exercise
    attempts = record["attempts"]
    unlocked = len(
        unlocked_hints(e, record.get("variant_attempts", 0), record.get("part_attempts", {}))
    )
    new_hints = unlocked > record["hints_seen"]
    solved = not remaining and all(v.right for v in results)
    parts: list[dict[str, Any]] = [
        {
            "name": v.part,
            "answer": given[v.part][0],
            "value": v.given if math.isfinite(v.given) else None,
            "right": v.right,
            "feedback": v.message,
            "mistake": v.mistake,
            "exact": v.value,
        }
        for v in results
    ]
    payload = {
        "id": e.id,
        "variant": worked.variant.key,
        "seed": worked.variant.seed,
        "parts": parts,
        "unanswered": [r for r in remaining if r not in given],
        "solved": solved,
        "attempts": attempts,
        "hints": {"total": len(e.hints), "unlocked": unlocked},
    }
    rows = [
        (p["name"], p["answer"], "right" if p["right"] else "wrong", p["feedback"]) for p in parts
    ]

    def human(console: Any) -> None:
        from rich.text import Text

        from losscli.core.exercises.model import format_value

        grid = _grid(3)
        for p in parts:
            shown = p["answer"]
            if p["right"] and p["exact"] is not None and shown != format_value(p["exact"], 6):
                shown = f"{shown} = {format_value(p['exact'], 6)}"
            mark = Text("right", "bold green") if p["right"] else Text("wrong", "bold red")
            grid.add_row(Text(p["name"], style="bold"), mark, Text(f"{shown}\n{p['feedback']}"))
        console.print(grid)
        name = _variant_name(worked)
        if solved:
            console.print(
                Text(f"Solved {name}. ", style="bold")
                + Text(f"losscli exercise solution {name} shows the worked solution.")
            )
        elif payload["unanswered"]:
            console.print(Text(f"still to answer: {', '.join(payload['unanswered'])}", style="dim"))
        if not solved and new_hints:
            console.print(Text(f"a hint is waiting: losscli exercise hint {name}", style="dim"))

    return Report(
        payload=payload,
        columns=("part", "answer", "verdict", "feedback"),
        rows=rows,
        title=e.id,
        human=human,
    )


def hints(worked: Worked, attempts: int, part_attempts: dict[str, int]) -> Report:
    """The hints this variant's attempts have unlocked: the exercise's, then each part's."""
    from losscli.core.exercises.model import fill, unlocked_hints

    e = worked.exercise
    unlocked = unlocked_hints(e, attempts, part_attempts)
    shown: list[dict[str, Any]] = [
        {"part": h.part, "text": fill(h.text, e, worked.variant)} for h in unlocked
    ]
    locked = [h for h in e.hints if h not in unlocked]
    if not e.hints:
        note = f"{e.id} has no hints"
    elif locked:
        h = locked[0]
        done = attempts if h.part is None else part_attempts.get(h.part, 0)
        more = h.after - done
        on = "" if h.part is None else f" on part {h.part}"
        note = f"the next hint unlocks after {more} more attempt{'s' if more > 1 else ''}{on}"
    else:
        note = "all hints are unlocked"
    payload = {
        "id": e.id,
        "variant": worked.variant.key,
        "hints": [h["text"] for h in shown],
        "by_part": shown,
        "total": len(e.hints),
        "attempts": attempts,
        "next_after": locked[0].after if locked else None,
    }

    def label(i: int, h: dict[str, Any]) -> str:
        return f"hint {i}" + (f" ({h['part']})" if h["part"] else "")

    def human(console: Any) -> None:
        from rich.text import Text

        for i, h in enumerate(shown, 1):
            console.print(Text(f"{label(i, h)}: ", style="bold") + Text(h["text"]))
        console.print(Text(note, style="dim"))

    rows = [(i, h["part"] or "", h["text"]) for i, h in enumerate(shown, 1)]
    return Report(
        payload=payload, columns=("hint", "part", "text"), rows=rows, title=e.id, human=human
    )


def solution(worked: Worked) -> Report:
    """The worked solution with its numbers, then every part's answer, then the `losscli
    show` commands that explain the losses: the same text on a terminal, piped, in plain."""
    from losscli.core.exercises.model import fill, format_value

    e = worked.exercise
    text = fill(e.solution, e, worked.variant, worked)
    see_also = [f"losscli show {loss}" for loss in e.losses]
    answers = [f"{name} = {format_value(value, 12)}" for name, value in worked.answers.items()]
    payload = {
        "id": e.id,
        "variant": worked.variant.key,
        "seed": worked.variant.seed,
        "solution": text,
        "answers": dict(worked.answers),
        "see_also": see_also,
    }
    lines = [f"{_variant_name(worked)}  {e.title}", "", *text.splitlines(), ""]
    lines += [f"  {a}" for a in answers]
    lines += ["", *see_also]
    rows = [(line,) for line in lines]

    def human(console: Any) -> None:
        from rich.text import Text

        console.print(Text(_variant_name(worked), style="bold") + Text(f"  {e.title}"))
        console.print()
        console.print(Text(text))
        console.print()
        for name, value in worked.answers.items():
            console.print(Text(f"  {name} = ", style="bold") + Text(format_value(value, 12)))
        console.print()
        for command in see_also:
            console.print(Text(command, style="dim"))

    return Report(payload=payload, columns=("solution",), rows=rows, title=e.id, human=human)


def progress(exercises: Sequence[Exercise], data: dict[str, Any], path: Path) -> Report:
    records = []
    for e in exercises:
        entry = data["exercises"].get(e.id, {})
        records.append(
            {
                "id": e.id,
                "status": status(data, e.id),
                "solution_seen_first": solution_seen_first(data, e.id),
                "attempts": entry.get("attempts", 0),
                "hints_seen": entry.get("hints_seen", 0),
                "solved_at": entry.get("solved_at"),
                "variants": entry.get("variants", {}),
            }
        )
    solved = sum(1 for r in records if r["status"] == "done")
    payload = {"path": str(path), "solved": solved, "total": len(records), "exercises": records}
    rows = [
        (
            r["id"],
            _shown_status(data, r["id"]),
            r["attempts"],
            r["hints_seen"],
            r["solved_at"] or "",
        )
        for r in records
    ]

    def human(console: Any) -> None:
        from rich.table import Table
        from rich.text import Text

        # The exercises not started yet are in `losscli exercise list`; here only activity.
        active = [row for row, r in zip(rows, records, strict=True) if r["status"] != "todo"]
        console.print(Text(f"{solved} of {len(records)} exercises solved", style="bold"))
        if active:
            table = Table()
            for column in ("id", "status", "attempts", "hints seen", "solved at"):
                table.add_column(column)
            for row in active:
                table.add_row(*(Text(str(v)) for v in row))
            console.print(table)
        if solved < len(records):
            console.print(Text("what next? losscli exercise next", style="dim"))
        console.print(Text(f"progress file: {path}", style="dim"))

    return Report(
        payload=payload,
        columns=("id", "status", "attempts", "hints_seen", "solved_at"),
        rows=rows,
        title="progress",
        human=human,
        records="exercises",
    )


def reset(path: Path, backup: Path | None, exercise_id: str | None) -> Report:
    what = f"progress of {exercise_id}" if exercise_id else "all progress"
    if backup is None:
        message = f"there was no {what} to reset"
    else:
        message = f"{what} reset; the previous file is kept as {backup}"
    return Report(
        payload={
            "reset": True,
            "id": exercise_id,
            "path": str(path),
            "had_progress": backup is not None,
            "backup": None if backup is None else str(backup),
        },
        columns=("reset", "id", "backup"),
        rows=[(backup is not None, exercise_id or "", "" if backup is None else str(backup))],
        human=lambda console: console.print(message, markup=False, highlight=False),
    )


def all_done(total: int) -> Report:
    message = (
        f"all {total} exercises are solved; variants have new numbers: "
        "losscli exercise show ce-3class --seed 1"
    )
    return Report(
        payload={"id": None, "reason": message},
        columns=("id", "reason"),
        rows=[("", message)],
        human=lambda console: console.print(message, markup=False, highlight=False),
    )


def validation(results: Sequence[dict[str, Any]]) -> Report:
    """The exercise files checked: one row per file, its problems, and a title that counts
    the valid ones."""
    bad = sum(1 for r in results if not r["ok"])
    rows = [
        (r["file"], r["id"], "ok" if r["ok"] else "bad", "; ".join(r["problems"])) for r in results
    ]
    return Report(
        payload={"valid": bad == 0, "files": list(results)},
        columns=("file", "id", "status", "problems"),
        rows=rows,
        title=f"{len(results) - bad} of {len(results)} exercise files valid",
    )
