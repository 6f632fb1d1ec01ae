"""Class labels written as text (`cat`, `dog`) for the losses whose targets are class labels.

They are mapped to class indices as scikit-learn maps them (log_loss, LabelBinarizer: the
classes are np.unique of the labels, in sorted order, so for two labels the second sorted
one is the positive class 1), or in the order `--labels` gives. Sign targets (hinge) take
-1 and +1 for two labels, as scikit-learn's hinge_loss binarizes them.
"""

from __future__ import annotations

from collections.abc import Iterable

from losscli.core.errors import UsageError
from losscli.inputs.source import InputError, parse_number, shown_value


def parse_labels(text: str) -> list[str]:
    """--labels LIST: distinct, non-empty labels in class order."""
    labels = [part.strip() for part in text.split(",")]
    if len(labels) < 2 or any(not label for label in labels):
        raise UsageError(f"--labels {text!r}: give two or more comma-separated labels (cat,dog)")
    seen: set[str] = set()
    for label in labels:
        if label in seen:
            raise UsageError(f"--labels {text!r}: the label {label!r} is given twice")
        seen.add(label)
    return labels


def label_codes(labels: list[str], target: str) -> dict[str, float]:
    """Each label's class: its index in `labels`, or -1/+1 for a sign target."""
    if target == "sign" and len(labels) == 2:
        return {labels[0]: -1.0, labels[1]: 1.0}
    return {label: float(k) for k, label in enumerate(labels)}


def sorted_labels(found: Iterable[str]) -> list[str]:
    """The distinct labels in sorted order (np.unique's order for text: by code point)."""
    return sorted(set(found))


def sorted_note(codes: dict[str, float]) -> str:
    mapped = ", ".join(f"{label}={int(code)}" for label, code in codes.items())
    return f"labels mapped in sorted order: {mapped} (--labels fixes the order)"


def is_text(cell: str) -> bool:
    """A cell that holds a label rather than a number (an empty cell is neither)."""
    cell = cell.strip()
    return bool(cell) and parse_number(cell) is None


def unknown_label(where: str, value: str, codes: dict[str, float]) -> InputError:
    return InputError(
        f"{where}: {shown_value(value)} is not one of the labels ({', '.join(codes)})",
        "--labels lists every class label, in class order",
    )


def map_inline(text: str, target: str, labels: list[str] | None) -> tuple[str, str | None]:
    """`--y-true cat,dog,cat` as class numbers (`0,1,0`) and the note to say, or the text
    unchanged when it holds numbers and --labels is not given."""
    rows = text.split(";")
    cells = [cell.strip() for row in rows for cell in row.split(",")]
    if labels is None and not any(is_text(cell) for cell in cells):
        return text, None
    note = None
    if labels is None:
        codes = label_codes(sorted_labels(cell for cell in cells if cell), target)
        note = sorted_note(codes)
    else:
        codes = label_codes(labels, target)
    explicit = ";" in text
    mapped_rows = []
    for r, row in enumerate(rows, start=1):
        mapped: list[str] = []
        for c, cell in enumerate(row.split(","), start=1):
            cell = cell.strip()
            if not cell:
                mapped.append(cell)  # parse_list names the empty value
                continue
            if cell not in codes:
                where = f"--y-true row {r}, value {c}" if explicit else f"--y-true value {c}"
                raise unknown_label(where, cell, codes)
            mapped.append(repr(codes[cell]))
        mapped_rows.append(",".join(mapped))
    return ";".join(mapped_rows), note
