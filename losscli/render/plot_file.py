"""Curves drawn as a figure file (PNG, SVG or PDF) with matplotlib, for papers and slides."""

from __future__ import annotations

import errno
from pathlib import Path

from losscli.core.errors import UsageError
from losscli.render.plotting import CurvePlot, optional

FORMATS = ("png", "svg", "pdf")


def figure_format(path: str) -> str:
    """The file format from the extension; UsageError for one matplotlib is not asked for."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise UsageError(f"--output must end in .png, .svg or .pdf, not {Path(path).name!r}")
    return suffix


def save_figure(plot: CurvePlot, path: str, *, width: int, height: int, dpi: float) -> None:
    """Write the plot to `path`: width x height pixels at `dpi` (PNG), the same size in
    inches (width/dpi by height/dpi) for SVG and PDF."""
    fmt = figure_format(path)
    optional("matplotlib", "plot --output")
    import matplotlib
    import numpy as np
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="constrained")
    axes = figure.subplots(1, len(plot.panels), squeeze=False)[0]
    for ax, panel in zip(axes, plot.panels, strict=True):
        if plot.data is not None and panel == "loss":
            counts = ax.twinx()
            counts.stairs(plot.data.counts, plot.data.edges, fill=True, color="0.85")
            counts.set_ylabel(f"{plot.data_label} (count)")
            counts.set_ylim(bottom=0)
            # The histogram sits behind the curves, which stay on the main axis.
            ax.set_zorder(counts.get_zorder() + 1)
            ax.patch.set_visible(False)
        for curve in plot.curves:
            y = curve.value if panel == "loss" else curve.grad
            ax.plot(curve.x, np.where(np.isfinite(y), y, np.nan), label=curve.label, lw=1.6)
        if plot.cursor is not None:
            ax.axvline(plot.cursor, color="0.4", lw=0.8, ls="--")
        ax.axhline(0.0, color="0.6", lw=0.6)
        ax.set_xlim(*plot.x_range)
        ax.set_xlabel(plot.axis_label)
        ax.set_ylabel("loss" if panel == "loss" else "gradient along the axis")
        ax.set_title(plot.title if panel == "loss" and plot.title else panel)
        ax.grid(True, alpha=0.3)
    # Below the axes, outside them, so the legend never hides a curve.
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 3))
    # No creation date in SVG and PDF, and SVG ids from a fixed salt rather than at random,
    # so the same command writes the same file.
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt, {})
    try:
        with matplotlib.rc_context({"svg.hashsalt": "losscli"}):
            figure.savefig(path, format=fmt, dpi=dpi, metadata=metadata)
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise  # a full disk: exit 74, as for stdout
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
