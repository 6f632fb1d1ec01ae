"""`losscli explore`: a full-screen terminal view (Textual) of loss and gradient curves.

The loss panel and the gradient panel sit side by side (drawn by plot_text). Below them: a
checkbox for every loss that shares the axis (overlays), a slider for every parameter of
those losses, and the numbers under the cursor. Everything drawn or shown comes from
`losscli.core.evaluation.curves`, which evaluates the core; nothing is computed here.

Keys: Tab and Shift+Tab move between the plot, the checkboxes and the sliders; on the plot,
Left/Right move the cursor; on a slider, Left/Right change the value; Space toggles a
checkbox; each loss has its own key (1-9, 0, then letters, shown beside it) that toggles it
from anywhere; s then N focuses the N-th slider; r resets; q quits. No mouse needed.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Checkbox, Footer, Static

from losscli.core.evaluation.curves import Curve, curves
from losscli.core.evaluation.requests import Request, make_request
from losscli.core.losses.types import Loss, ParamValue
from losscli.render.explore_model import (
    KL_P,
    STOPS,
    Setup,
    loss_keys,
    option_name,
    shown,
    slider_stops,
)
from losscli.render.plot_text import render_text
from losscli.render.plotting import CurvePlot


class ParamSlider(Widget, can_focus=True):
    """A parameter as a row of stops; Left/Right (Shift for 10) move between them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "lower", show=True),
        Binding("right", "move(1)", "higher", show=True),
        Binding("shift+left", "move(-10)", "lower x10", show=False),
        Binding("shift+right", "move(10)", "higher x10", show=False),
    ]
    DEFAULT_CSS = """
    ParamSlider { height: 1; width: 1fr; }
    ParamSlider:focus { background: $accent 30%; }
    """

    index: reactive[int] = reactive(0)

    class Changed(Message):
        def __init__(self, slider: ParamSlider) -> None:
            super().__init__()
            self.slider = slider

    def __init__(
        self,
        name: str,
        number: int,
        stops: Sequence[ParamValue | None],
        value: ParamValue | None,
        **kw: Any,
    ) -> None:
        super().__init__(id=f"param-{name}", **kw)
        self.param = name
        self.number = number
        self.stops = tuple(stops)
        self.set_reactive(ParamSlider.index, self._nearest(value))

    def _nearest(self, value: ParamValue | None) -> int:
        if value in self.stops:
            return self.stops.index(value)
        numbers = [(i, s) for i, s in enumerate(self.stops) if isinstance(s, float)]
        if isinstance(value, (int, float)) and numbers:
            return min(numbers, key=lambda pair: abs(pair[1] - float(value)))[0]
        return 0

    @property
    def value(self) -> ParamValue | None:
        return self.stops[self.index]

    def set_value(self, value: ParamValue | None) -> None:
        self.index = self._nearest(value)

    def action_move(self, steps: int) -> None:
        self.index = min(max(self.index + steps, 0), len(self.stops) - 1)

    def watch_index(self) -> None:
        self.post_message(self.Changed(self))

    def render(self) -> Text:
        # The slider's key (s, then its number) and the option as it is typed.
        label = f"s{self.number} {option_name(self.param)}"
        track = max(self.size.width - 34, 5)
        at = round(self.index / max(len(self.stops) - 1, 1) * (track - 1))
        bar = "─" * at + "●" + "─" * (track - 1 - at)
        return Text(f"{label:>18} {bar} {shown(self.value):>8}")


class LossBox(Checkbox):
    """A checkbox drawn as [x] or [ ]: Textual's own box shows an unticked state only by a
    colour that some terminals render invisibly."""

    @property
    def _button(self) -> Content:
        return Content("[x]" if self.value else "[ ]")


class ExploreApp(App[None]):
    """Loss and gradient curves with overlays, parameter sliders and a live readout."""

    TITLE = "losscli explore"
    CSS = """
    Screen { layout: vertical; }
    #plot { height: 1fr; min-height: 10; }
    #controls { height: auto; max-height: 14; border-top: solid $primary; }
    #losses { width: 38; height: auto; }
    #losses Checkbox { border: none; padding: 0; height: 1; }
    #right { width: 1fr; height: auto; }
    #readout { height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "quit"),
        # Ctrl-C quits, as in every command-line tool (Textual's own binding only tells
        # you to press Ctrl-Q); no widget here copies text.
        Binding("ctrl+c", "quit", show=False, priority=True),
        Binding("r", "reset", "reset"),
        Binding("s", "pick_slider", "s+N: slider N"),
    ]

    def __init__(self, setup: Setup) -> None:
        super().__init__()
        self.setup = setup
        self.cursor = len(setup.x) // 2 + len(setup.x) // 4
        self.readout_rows: list[tuple[str, float, float]] = []
        self.keys = loss_keys(len(setup.losses))
        # After `s`, the next digit picks a slider instead of toggling a loss.
        self.picking_slider = False

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield CurveView(id="plot")
        with Horizontal(id="controls"):
            with Vertical(id="losses"):
                for key, loss in zip(self.keys, self.setup.losses, strict=True):
                    yield LossBox(
                        f"{key} {loss.name}", loss.name in self.setup.drawn, id=f"loss-{loss.name}"
                    )
            with Vertical(id="right"):
                for number, (name, value) in enumerate(self.setup.params.items(), start=1):
                    yield ParamSlider(name, number, self._stops(name), value)
                yield Static(id="readout")
        yield Footer()

    def _stops(self, name: str) -> tuple[ParamValue | None, ...]:
        if name == KL_P:
            return STOPS[KL_P]
        param = next(p for loss in self.setup.losses for p in loss.params if p.name == name)
        return slider_stops(param)

    def on_mount(self) -> None:
        self.query_one(CurveView).focus()
        self.redraw()

    # --- state ------------------------------------------------------------------------------

    @property
    def x(self) -> float:
        return float(self.setup.x[self.cursor])

    def drawn(self) -> list[Loss]:
        return [
            loss
            for loss in self.setup.losses
            if self.query_one(f"#loss-{loss.name}", Checkbox).value
        ]

    def param_values(self) -> dict[str, ParamValue | None]:
        return {s.param: s.value for s in self.query(ParamSlider)}

    def requests(self) -> list[Request]:
        values = self.param_values()
        out = []
        for loss in self.drawn():
            own = {
                p.name: values[p.name]
                for p in loss.params
                if p.name in values and values[p.name] is not None
            }
            space = self.setup.spaces[loss.name]
            # One curve per value of a swept parameter the loss takes.
            swept = [p.name for p in loss.params if p.name in self.setup.swept]
            for chosen in itertools.product(*(self.setup.swept[name] for name in swept)):
                setting = {**own, **dict(zip(swept, chosen, strict=True))}
                out.append(make_request(loss, setting, space=space))  # type: ignore[arg-type]
        return out

    def kl_p(self) -> float:
        value = self.param_values().get(KL_P, self.setup.kl_p)
        return float(value) if isinstance(value, (int, float)) else self.setup.kl_p

    def curves_at(self, x: np.ndarray) -> list[Curve]:
        return [c for r in self.requests() for c in curves(r, x, kl_p=self.kl_p())]

    # --- events -------------------------------------------------------------------------------

    def move_cursor(self, steps: int) -> None:
        self.cursor = min(max(self.cursor + steps, 0), len(self.setup.x) - 1)
        self.redraw()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.redraw()

    def on_param_slider_changed(self, event: ParamSlider.Changed) -> None:
        self.redraw()

    def on_key(self, event: Any) -> None:
        """A loss's key toggles it from anywhere; after `s`, a digit focuses that slider."""
        picking, self.picking_slider = self.picking_slider, False
        if picking and event.character and event.character.isdigit():
            sliders = list(self.query(ParamSlider))
            number = int(event.character)
            if 1 <= number <= len(sliders):
                sliders[number - 1].focus()
            event.stop()
        elif event.character and event.character in self.keys:
            self.toggle_loss(self.keys.index(event.character))
            event.stop()

    def action_pick_slider(self) -> None:
        self.picking_slider = True

    def toggle_loss(self, k: int) -> None:
        box = self.query_one(f"#loss-{self.setup.losses[k].name}", Checkbox)
        box.value = not box.value

    def action_reset(self) -> None:
        for slider in self.query(ParamSlider):
            slider.set_value(self.setup.params[slider.param])
        self.cursor = len(self.setup.x) // 2 + len(self.setup.x) // 4
        self.redraw()

    # --- drawing ----------------------------------------------------------------------------

    def redraw(self) -> None:
        shown = self.curves_at(self.setup.x)
        view = self.query_one(CurveView)
        width, height = view.size.width, view.size.height
        if not shown:
            view.update(Text("Nothing to draw: tick a loss below (its key, or Tab, then Space)."))
        elif width >= 30 and height >= 8:
            plot = CurvePlot(
                axis_label=self.setup.axis.label,
                curves=shown,
                x_range=(float(self.setup.x[0]), float(self.setup.x[-1])),
                grad=True,
                cursor=self.x,
            )
            view.update(Text.from_ansi(render_text(plot, width, height, color=True)))
        self.readout_rows = [
            (c.label, float(c.value[0]), float(c.grad[0]))
            for c in self.curves_at(np.array([self.x]))
        ]
        self.query_one("#readout", Static).update(self._readout_table())

    def _readout_table(self) -> Table:
        table = Table(
            title=f"at {self.setup.axis.symbol} = {self.x:.6g}",
            title_justify="left",
            expand=False,
            box=None,
            padding=(0, 2),
        )
        table.add_column("loss")
        table.add_column("value", justify="right")
        table.add_column("gradient", justify="right")
        for label, value, grad in self.readout_rows:
            table.add_row(Text(label), f"{value:.6g}", f"{grad:.6g}")
        return table


class CurveView(Static, can_focus=True):
    """The two panels; Left/Right move the cursor along the axis (Shift: ten times as far)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "cursor(-1)", "cursor left"),
        Binding("right", "cursor(1)", "cursor right"),
        Binding("shift+left", "cursor(-10)", show=False),
        Binding("shift+right", "cursor(10)", show=False),
    ]

    def action_cursor(self, steps: int) -> None:
        self._explorer().move_cursor(steps)

    def on_resize(self) -> None:
        self._explorer().redraw()

    def _explorer(self) -> ExploreApp:
        app = self.app
        assert isinstance(app, ExploreApp)
        return app
