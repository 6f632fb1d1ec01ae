"""`losscli plot LOSS...`: loss (and gradient) curves in the terminal or to a figure file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from losscli.cli import options as o
from losscli.cli.candidates import loss_names

if TYPE_CHECKING:
    from losscli.cli.common import InputOptions
    from losscli.core.evaluation.curves import Axis, Histogram
    from losscli.core.evaluation.requests import Request

HELP = """Draw loss curves, and with --grad their gradients beside them.

Each loss is drawn over the axis that fits it: regression losses over the residual
r = ŷ - y; bce, cross-entropy and focal over the probability p of the true class (with
--logits, over its logit, the margin y·f); hinge over the margin y·f; kl over Q₁ for
two classes against P = (P₁, 1 - P₁) (--kl-p); contrastive over the distance d, for a
similar and a dissimilar pair. Losses drawn together must share the axis. A parameter
given a list draws one curve per value.

Drawn in the terminal (--width/--height, else the terminal's size or COLUMNS and LINES),
or with --output to a PNG, SVG or PDF file (needs the 'plot' extra: matplotlib).

Examples:

\b
  losscli plot mse mae huber --grad
  losscli plot hinge bce focal --logits --range -3 3
  losscli plot huber --delta 0.5 --output huber.svg --size 800x500
  losscli plot focal --gamma 0,0.5,1,2,5     # the focal loss paper's figure 1
  losscli plot mse huber --data preds.csv -t y -p yhat    # where the residuals sit
"""

POINTS = 801
HISTOGRAM_BINS = 40
DEFAULT_SIZE = {False: (800, 500), True: (1200, 500)}
# Below 10 dpi matplotlib cannot size its fonts; the figure's pixels are --size whatever the dpi.
MIN_DPI, MAX_DPI = 10, 2400
# A terminal plot holds one character per cell; beyond these it is memory, not a plot.
MIN_WIDTH, MAX_WIDTH = 30, 1000
MIN_HEIGHT, MAX_HEIGHT = 8, 500
PLOT = "Plot"
DATA = "Data (--data FILE)"


def register(app: typer.Typer) -> None:
    app.command("plot", help=HELP, no_args_is_help=True)(plot)


@o.loss_parameters()
def plot(
    losses: Annotated[
        list[str],
        typer.Argument(
            metavar="LOSS...",
            help="Losses to draw together (losscli list).",
            autocompletion=loss_names,
        ),
    ],
    x_range: Annotated[
        tuple[float, float] | None,
        typer.Option("--range", metavar="A B", help="The axis from A to B.", rich_help_panel=PLOT),
    ] = None,
    grad: Annotated[
        bool, typer.Option("--grad", help="Gradient curves beside the loss.", rich_help_panel=PLOT)
    ] = False,
    logits: o.Logits = False,
    params: o.LossParams = o.NO_PARAMS,
    kl_p: Annotated[
        float | None,
        typer.Option(
            "--kl-p",
            metavar="P₁",
            help="KL: the target P = (P₁, 1 - P₁) (default 0.3).",
            rich_help_panel=o.PARAMS,
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="Write a figure (.png, .svg or .pdf) instead of drawing in the terminal.",
            rich_help_panel=PLOT,
        ),
    ] = None,
    size: Annotated[
        str | None,
        typer.Option(
            "--size",
            metavar="WxH",
            help="Figure size in pixels at --dpi (default 800x500, 1200x500 with --grad).",
            rich_help_panel=PLOT,
        ),
    ] = None,
    dpi: Annotated[
        float,
        typer.Option(
            "--dpi",
            help="Pixels per inch of the figure, 10 to 2400 (default 100).",
            rich_help_panel=PLOT,
        ),
    ] = 100.0,
    width: Annotated[
        int | None,
        typer.Option(
            "--width", help="Terminal plot width in columns (30 to 1000).", rich_help_panel=PLOT
        ),
    ] = None,
    height: Annotated[
        int | None,
        typer.Option(
            "--height", help="Terminal plot height in lines (8 to 500).", rich_help_panel=PLOT
        ),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            metavar="FILE",
            help="Draw where the examples of this table sit on the axis (a histogram), "
            "read as the first loss reads them; '-' for stdin.",
            rich_help_panel=DATA,
        ),
    ] = None,
    target: o.Target = None,
    pred: o.Pred = None,
    input_format: o.InputFormatOpt = None,
    delimiter: o.Delimiter = None,
    header: o.Header = None,
    nan: o.Nan = o.NanPolicy.error,
    color: o.ColorOpt = o.Color.auto,
) -> None:
    import sys
    from pathlib import Path

    from losscli.cli.common import InputOptions
    from losscli.core.evaluation.curves import DEFAULT_KL_P, curves, grid
    from losscli.render.plotting import CurvePlot

    o.check_number("--dpi", dpi, MIN_DPI, MAX_DPI)
    o.check_number("--width", width, MIN_WIDTH, MAX_WIDTH)
    o.check_number("--height", height, MIN_HEIGHT, MAX_HEIGHT)
    requests = build_requests(losses, params.given, logits, kl_p)
    axis = shared_axis(requests)
    start, stop = x_range if x_range is not None else (None, None)
    x = grid(axis, start, stop, POINTS)
    table = InputOptions(
        file=data,
        target=target,
        pred=pred,
        input_format=input_format.value if input_format is not None else None,
        delimiter=delimiter,
        header=header,
        nan=nan.value,
        progress=False,
    )
    if data is None and table.table_options_given():
        raise _usage(f"{table.table_options_given()[0]} selects columns of --data FILE")
    p1 = DEFAULT_KL_P if kl_p is None else kl_p
    figure = CurvePlot(
        axis_label=axis.label,
        curves=[c for request in requests for c in curves(request, x, kl_p=p1)],
        x_range=(float(x[0]), float(x[-1])),
        grad=grad,
        data=data_histogram(requests[0], table, x) if data is not None else None,
        data_label=Path(data).name if data not in (None, "-") else "data",
    )
    if output is not None:
        from losscli.render.plot_file import figure_format, save_figure

        figure_format(output)
        w, h = parse_size(size) if size is not None else DEFAULT_SIZE[grad]
        save_figure(figure, output, width=w, height=h, dpi=dpi)
        return
    from losscli.render.plot_text import render_text
    from losscli.render.plotting import wants_color

    if size is not None:
        raise _usage("--size is for --output; in the terminal use --width and --height")
    w, h = terminal_size(width, height)
    text = render_text(figure, w, h, color=wants_color(color.value, sys.stdout))
    sys.stdout.write(text.rstrip("\n") + "\n")
    sys.stdout.flush()


def data_histogram(request: Request, table: InputOptions, x: Any) -> Histogram:
    """Counts of the table's examples along the axis, batch by batch in bounded memory."""
    from losscli.cli.common import note, open_source
    from losscli.core.evaluation.curves import Histogram, positions
    from losscli.inputs.source import InputError
    from losscli.run.context import located

    source = open_source(request.loss, table)
    histogram = Histogram.empty(float(x[0]), float(x[-1]), HISTOGRAM_BINS)
    total = outside = 0
    for batch in source.batches():
        with located(source, batch):
            at = positions(request, batch.y_true, batch.y_pred)
        outside += histogram.add(at)
        total += at.shape[0]
    if total == 0:
        raise InputError("no examples: the input has no data rows")
    skipped = getattr(source, "skipped", 0)
    if skipped:
        from losscli.render.notes import skipped_rows

        note(skipped_rows(skipped))
    if outside:
        note(
            f"{outside} of {total} examples lie outside {x[0]:g}..{x[-1]:g} and are not in "
            "the histogram (--range widens the axis)"
        )
    return histogram


def build_requests(
    losses: list[str], given: dict[str, Any], logits: bool, kl_p: float | None = None
) -> list[Request]:
    """One request per loss, each with the parameters it takes, and per value of a sweep
    (`--gamma 0,1,2`: one curve each); a parameter (or --logits) that none of the losses
    takes is a usage error."""
    from losscli.core.evaluation.requests import make_request
    from losscli.core.losses.registry import get

    records = [get(name) for name in losses]
    names = " or ".join(r.name for r in records)
    for name in given:
        if not any(name in {p.name for p in r.params} for r in records):
            raise _usage(f"--{name.replace('_', '-')} is not a parameter of {names}")
    if kl_p is not None and not any(r.target == "distribution" for r in records):
        raise _usage(f"--kl-p sets P for kl; it does not apply to {names}")
    if logits and not any("logit" in r.spaces for r in records):
        raise _usage(f"--logits does not apply to {names}")
    requests = []
    for record in records:
        own = {k: v for k, v in given.items() if k in {p.name for p in record.params}}
        space = "logit" if logits and "logit" in record.spaces else None
        for setting in record.sweep(own):
            requests.append(make_request(record, setting, space=space))  # type: ignore[arg-type]
    return requests


def shared_axis(requests: list[Request]) -> Axis:
    from losscli.core.evaluation.curves import axis_for

    axes = [axis_for(r) for r in requests]
    for request, axis in zip(requests, axes, strict=True):
        if axis.kind != axes[0].kind:
            raise _usage(
                f"{requests[0].loss.name} is drawn over {axes[0].label} but "
                f"{request.loss.name} over {axis.label}; plot them separately"
            )
    return axes[0]


def parse_size(text: str) -> tuple[int, int]:
    import re

    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not match:
        raise _usage(f"--size must be WIDTHxHEIGHT in pixels, like 800x500, not {text!r}")
    w, h = int(match[1]), int(match[2])
    if not (16 <= w <= 20000 and 16 <= h <= 20000):
        raise _usage(f"--size must be between 16 and 20000 pixels each way, not {text}")
    return w, h


def terminal_size(width: int | None, height: int | None) -> tuple[int, int]:
    """--width/--height, else COLUMNS and LINES, else the terminal's size (80x24 if none)."""
    import shutil

    columns, lines = shutil.get_terminal_size((80, 24))
    # A terminal wider or taller than the limits gets a plot of the largest size.
    w = width if width is not None else min(columns, MAX_WIDTH)
    # One line less than the terminal, so the prompt after the plot does not scroll it away.
    h = height if height is not None else min(max(lines - 1, 10), MAX_HEIGHT)
    if w < MIN_WIDTH or h < MIN_HEIGHT:
        raise _usage(f"a plot needs at least 30x8 cells, not {w}x{h} (--width, --height)")
    return w, h


def _usage(message: str) -> Exception:
    from losscli.core.errors import UsageError

    return UsageError(message)
