"""`losscli explore`: a full-screen view of loss and gradient curves (Textual)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from losscli.cli import options as o
from losscli.cli.candidates import loss_names

if TYPE_CHECKING:
    from losscli.render.explore_model import Setup

HELP = """Explore loss and gradient curves interactively, full screen in the terminal.

The loss and its gradient side by side; a checkbox for every loss drawn over the same axis
(overlays); a slider for each parameter (Huber's delta, focal's gamma and alpha, the
contrastive margin, KL's target P₁); the numbers under the cursor, live. A parameter
given a list draws one curve per value, without a slider.

\b
Keys: Tab / Shift+Tab  move between the plot, the checkboxes and the sliders
      Left / Right     on the plot: move the cursor; on a slider: change the value
      Shift+arrows     ten steps at a time
      Space            toggle the focused loss
      1-9, 0, a-p...   toggle the loss with that key (shown beside it)
      s then N         focus the N-th slider;  r  reset;  q or Ctrl-C  quit

Works over SSH; no mouse needed. Needs the 'explore' extra (Textual).

Examples:

\b
  losscli explore                      # huber, with mse and mae to overlay
  losscli explore focal bce            # over the probability of the true class
  losscli explore hinge                # margin losses: hinge, logistic, focal
"""

POINTS = 201


def register(app: typer.Typer) -> None:
    app.command("explore", help=HELP)(explore)


# No --eps: the curves are the exact ones.
@o.loss_parameters(leave_out=("eps",))
def explore(
    losses: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[LOSS...]",
            help="Losses drawn at the start (default huber).",
            autocompletion=loss_names,
        ),
    ] = None,
    x_range: Annotated[
        tuple[float, float] | None,
        typer.Option("--range", metavar="A B", help="The axis from A to B."),
    ] = None,
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
) -> None:
    import sys

    from losscli.core.errors import UsageError
    from losscli.render.plotting import optional

    setup = make_setup(losses or ["huber"], params.given, logits, x_range, kl_p)
    optional("textual", "explore")
    optional("plotext", "explore")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "explore is a full-screen view: run it in a terminal (plot draws to a pipe)"
        )
    from losscli.render.explore import ExploreApp

    ExploreApp(setup).run()


def make_setup(
    losses: list[str],
    given: dict[str, object],
    logits: bool,
    x_range: tuple[float, float] | None,
    kl_p: float | None,
) -> Setup:
    """Check the command line with plot's rules, then gather every loss on the same axis."""
    from losscli.cli import sweep
    from losscli.cli.plot import build_requests, shared_axis
    from losscli.core.evaluation.curves import DEFAULT_KL_P, axis_for, grid, has_axis
    from losscli.core.evaluation.requests import make_request
    from losscli.core.losses.registry import all_losses
    from losscli.render.explore_model import KL_P, NO_SLIDER, Setup

    requests = build_requests(losses, given, logits, kl_p)
    axis = shared_axis(requests)
    # Every loss that can be drawn over the same axis, in whichever space puts it there:
    # hinge's margin is also the logit of the true class for bce and focal.
    group, spaces = [], {}
    for loss in all_losses():
        if not has_axis(loss):
            continue
        for space in (None, "logit") if "logit" in loss.spaces else (None,):
            if axis_for(make_request(loss, space=space)).kind == axis.kind:
                group.append(loss)
                spaces[loss.name] = space
                break
    # A swept parameter (--gamma 0,1,2) is drawn at each of its values instead of slid.
    swept: dict[str, tuple[object, ...]] = {}
    for name in dict.fromkeys(r.loss.name for r in requests):
        own = [r for r in requests if r.loss.name == name]
        for param in sweep.swept(own):
            values = swept.setdefault(param, ())
            swept[param] = tuple(dict.fromkeys([*values, *(r.params[param] for r in own)]))
    params: dict[str, object] = {}
    for loss in group:
        for p in loss.params:
            if p.name not in NO_SLIDER and p.name not in params and p.name not in swept:
                params[p.name] = next(
                    (r.params[p.name] for r in requests if p.name in r.params), p.default
                )
    if any(loss.target == "distribution" for loss in group):
        params[KL_P] = DEFAULT_KL_P if kl_p is None else kl_p
    start, stop = x_range if x_range is not None else (None, None)
    return Setup(
        axis=axis,
        losses=tuple(group),
        drawn=frozenset(r.loss.name for r in requests),
        params=params,  # type: ignore[arg-type]
        spaces=spaces,
        x=grid(axis, start, stop, POINTS),
        kl_p=DEFAULT_KL_P if kl_p is None else kl_p,
        swept=swept,  # type: ignore[arg-type]
    )
