"""Curves drawn as text for a terminal, with plotext: the loss panel and, with --grad or in
explore, the gradient panel beside it."""

from __future__ import annotations

from typing import Any

from losscli.render.plotting import CurvePlot, finite_points, optional

# Without colour the curves are told apart by their markers.
PLAIN_MARKERS = ("hd", "•", "+", "x", "o", "*", "#", "~")


def render_text(plot: CurvePlot, width: int, height: int, *, color: bool) -> str:
    """The plot as text of exactly `height` lines, `width` cells wide (ANSI codes if color)."""
    plt = optional("plotext", "plot")
    figure = plt.figure
    figure.clear()
    # Draw at the size asked for, not the size of whatever terminal the process has.
    plt.terminal.limit(False, False)
    figure.plot_size(width, height)
    if len(plot.panels) > 1:
        figure.subplots(1, len(plot.panels))
    for col, panel in enumerate(plot.panels, start=1):
        area = figure.subplot(1, col) if len(plot.panels) > 1 else figure
        _draw_panel(area, plot, panel, color)
    text: str = figure.build().string(colorless=not color)
    return text


def _draw_panel(area: Any, plot: CurvePlot, panel: str, color: bool) -> None:
    area.title(plot.title if panel == "loss" and plot.title else panel)
    area.label(plot.axis_label, axis="x")
    if plot.data is not None and panel == "loss":
        # The histogram as a filled step outline on the right axis, behind the curves.
        edges, counts = plot.data.edges, plot.data.counts
        xs = [float(e) for e in edges for _ in (0, 1)]
        ys = [0.0, *(float(c) for c in counts for _ in (0, 1)), 0.0]
        bars = area.signal(xs, ys, marker="░", yside="right").lines(True).fillx(True)
        bars.label(f"{plot.data_label} (count, right)")
        area.draw(bars)
    for i, curve in enumerate(plot.curves):
        x, y = finite_points(curve.x, curve.value if panel == "loss" else curve.grad)
        marker = "hd" if color else PLAIN_MARKERS[i % len(PLAIN_MARKERS)]
        signal = area.signal(x, y, marker=marker).lines(True)
        if panel == "loss":
            signal.label(curve.label)
        area.draw(signal)
    if plot.cursor is not None:
        area.line(plot.cursor, orientation=1)
    area.ruler("x").lim(*plot.x_range)
