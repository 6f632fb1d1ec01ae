"""Curves drawn as text for a terminal, with plotext: the loss panel and, with --grad or in
explore, the gradient panel beside it.

The legend is written below the plot area, never inside it: plotext puts its legend box in a
corner of the plot, where it hides whatever curve passes there.
"""

from __future__ import annotations

import textwrap
from typing import Any

from losscli.render.plotting import CurvePlot, finite_points, optional

# Without colour the curves are told apart by their markers.
PLAIN_MARKERS = ("hd", "•", "+", "x", "o", "*", "#", "~")
# With colour, every curve is drawn in its own colour, the same in the legend.
PALETTE = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (23, 190, 207),
)
HISTOGRAM_MARKER = "░"
LEGEND_GAP = "   "


def render_text(plot: CurvePlot, width: int, height: int, *, color: bool) -> str:
    """The plot as text of exactly `height` lines, `width` cells wide (ANSI codes if color),
    its legend on the last lines."""
    legend = legend_lines(plot, width, color=color)
    plt = optional("plotext", "plot")
    figure = plt.figure
    figure.clear()
    # Draw at the size asked for, not the size of whatever terminal the process has.
    plt.terminal.limit(False, False)
    figure.plot_size(width, max(height - len(legend), 1))
    if len(plot.panels) > 1:
        figure.subplots(1, len(plot.panels))
    for col, panel in enumerate(plot.panels, start=1):
        area = figure.subplot(1, col) if len(plot.panels) > 1 else figure
        _draw_panel(plt, area, plot, panel, color)
    text: str = figure.build().string(colorless=not color)
    return "\n".join([text.rstrip("\n"), *legend]) + "\n" if legend else text


def legend_entries(plot: CurvePlot, *, color: bool) -> list[tuple[str, str]]:
    """(marker as drawn, label) for the histogram and every curve, in drawing order."""
    entries = []
    if plot.data is not None:
        entries.append((HISTOGRAM_MARKER, f"{plot.data_label} (count, right)"))
    for i, curve in enumerate(plot.curves):
        if color:
            r, g, b = PALETTE[i % len(PALETTE)]
            entries.append((f"\x1b[38;2;{r};{g};{b}m━━\x1b[0m", curve.label))
        else:
            entries.append((PLAIN_MARKERS[i % len(PLAIN_MARKERS)].replace("hd", "▚"), curve.label))
    return entries


def legend_lines(plot: CurvePlot, width: int, *, color: bool) -> list[str]:
    """The legend as lines of at most `width` cells: entries side by side, wrapped between
    entries (an entry longer than the width is wrapped inside its label)."""
    lines: list[str] = []
    current, used = "", 0
    for marker, label in legend_entries(plot, color=color):
        size = (2 if color else 1) + 1 + len(label)
        text = f"{marker} {label}"
        if size > width:
            lines.extend(([current] if current else []) + textwrap.wrap(text, width))
            current, used = "", 0
        elif current and used + len(LEGEND_GAP) + size > width:
            lines.append(current)
            current, used = text, size
        else:
            current = f"{current}{LEGEND_GAP}{text}" if current else text
            used = used + len(LEGEND_GAP) + size if used else size
    return [*lines, current] if current else lines


def _draw_panel(plt: Any, area: Any, plot: CurvePlot, panel: str, color: bool) -> None:
    area.title(plot.title if panel == "loss" and plot.title else panel)
    area.label(plot.axis_label, axis="x")
    if plot.data is not None and panel == "loss":
        # The histogram as a filled step outline on the right axis, behind the curves.
        edges, counts = plot.data.edges, plot.data.counts
        xs = [float(e) for e in edges for _ in (0, 1)]
        ys = [0.0, *(float(c) for c in counts for _ in (0, 1)), 0.0]
        bars = area.signal(xs, ys, marker=HISTOGRAM_MARKER, yside="right").lines(True).fillx(True)
        area.draw(bars)
    for i, curve in enumerate(plot.curves):
        x, y = finite_points(curve.x, curve.value if panel == "loss" else curve.grad)
        if color:
            marker = plt.marker("hd", plt.pixel(foreground=PALETTE[i % len(PALETTE)]))
        else:
            marker = PLAIN_MARKERS[i % len(PLAIN_MARKERS)]
        area.draw(area.signal(x, y, marker=marker).lines(True))
    if plot.cursor is not None:
        area.line(plot.cursor, orientation=1)
    area.ruler("x").lim(*plot.x_range)
