"""`losscli explore`, driven with Textual's test pilot: cursor, sliders, overlays, readout."""

from __future__ import annotations

import asyncio
import sys

import numpy as np
import pytest

pytest.importorskip("textual")
pytest.importorskip("plotext")

from losscli.cli.explore import make_setup
from losscli.core import all_losses, evaluate, make_request
from losscli.core.evaluation.curves import axis_for, has_axis
from losscli.render.explore import CurveView, ExploreApp, LossBox, ParamSlider
from losscli.render.explore_model import loss_keys

SIZE = (120, 40)


def drive(losses, keys, *, focus=None, logits=False, **given):
    """Start explore on `losses`, optionally focus a slider, press `keys`; return the app."""
    app = ExploreApp(make_setup(losses, given, logits, None, None))

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            if focus is not None:
                app.query_one(f"#param-{focus}", ParamSlider).focus()
            await pilot.press(*keys)
            await pilot.pause()
            # Read the screen before the app closes and its widgets are gone.
            app.final_plot = app.query_one(CurveView).content.plain
            app.final_params = app.param_values()

    asyncio.run(run())
    return app


def drawn_with(name):
    """The registry's losses that explore offers beside `name`, in registry order: each one
    whose curve has the same axis as name's, in its default space or in logits (hinge's
    margin is also the logit of the true class for bce)."""
    kind = axis_for(make_request(name)).kind
    names = []
    for loss in all_losses():
        spaces = (None, "logit") if "logit" in loss.spaces else (None,)
        if has_axis(loss) and any(
            axis_for(make_request(loss, space=space)).kind == kind for space in spaces
        ):
            names.append(loss.name)
    return names


def core_value(name, params, x, space=None):
    """The per-example value and gradient of the core at y = 0 (regression) or y = 1."""
    request = make_request(name, params, space=space)
    target = [0.0] if request.loss.target == "real" else [1.0]
    value = evaluate(request, target, [x], reduction="none").values[0]
    return value


def test_starts_on_huber_with_mse_and_mae_to_overlay():
    app = drive(["huber"], [])
    # Every loss drawn over the residual is there to overlay (smooth-l1 with its beta slider,
    # pinball with its quantile, gaussian-nll at variance 1 unless the slider sets one).
    offered = [loss.name for loss in app.setup.losses]
    assert offered == drawn_with("huber")
    assert {"mse", "mae", "pinball", "gaussian-nll"} <= set(offered)
    assert "msle" not in offered and "binary-cross-entropy" not in offered
    assert app.x == 1.5
    assert app.readout_rows == [("huber (delta=1)", 1.0, 1.0)]
    plot = app.final_plot
    assert "loss" in plot and "gradient" in plot and "huber (delta=1)" in plot
    assert "mse" not in plot


def test_cursor_moves_and_the_readout_follows_the_core():
    app = drive(["huber"], ["right", "right", "shift+left"])
    step = 6 / 200
    assert app.x == pytest.approx(1.5 - 8 * step, abs=1e-12)
    ((_label, value, grad),) = app.readout_rows
    assert value == core_value("huber", {}, app.x)
    assert grad == pytest.approx(np.clip(app.x, -1, 1), rel=1e-15)


def test_delta_slider_moves_huber_between_mse_and_mae():
    app = drive(["huber"], ["right"] * 3, focus="delta")
    assert app.final_params == {"delta": 1.15, "beta": 1.0, "quantile": 0.5, "variance": None}
    ((label, value, grad),) = app.readout_rows
    assert label == "huber (delta=1.15)"
    assert value == core_value("huber", {"delta": 1.15}, 1.5)
    assert grad == 1.15
    small = drive(["huber"], ["shift+left"] * 3, focus="delta")
    assert small.final_params == {
        "delta": 0.05,
        "beta": 1.0,
        "quantile": 0.5,
        "variance": None,
    }
    assert small.readout_rows[0][1] == core_value("huber", {"delta": 0.05}, 1.5)


def test_number_keys_toggle_overlays():
    app = drive(["huber"], ["1", "2", "3"])  # mse and mae on, huber off
    labels = [row[0] for row in app.readout_rows]
    assert labels == ["mse", "mae"]
    assert app.readout_rows[0][1:] == (2.25, 3.0)
    assert app.readout_rows[1][1:] == (1.5, 1.0)
    assert "mse" in app.final_plot and "huber" not in app.final_plot


def test_space_toggles_the_focused_checkbox():
    app = drive(["huber"], ["tab", "space"])  # Tab: from the plot to the first checkbox (mse)
    assert [row[0] for row in app.readout_rows] == ["mse", "huber (delta=1)"]


def test_focal_gamma_and_alpha_sliders():
    app = drive(["focal"], ["right", "right"], focus="alpha")  # off -> 0 -> 0.05
    assert app.final_params["alpha"] == 0.05
    offered = [loss.name for loss in app.setup.losses]
    assert offered == drawn_with("focal")
    assert {"binary-cross-entropy", "cross-entropy", "brier"} <= set(offered)
    assert "mse" not in offered
    ((label, value, _),) = app.readout_rows
    assert label == "focal (gamma=2, alpha=0.05)"
    assert value == core_value("focal", {"alpha": 0.05}, app.x)
    app = drive(["focal"], ["left"] * 20, focus="gamma")  # gamma 0: cross-entropy
    ((label, value, _),) = app.readout_rows
    assert label == "focal (gamma=0)"
    assert value == pytest.approx(-np.log(app.x), rel=1e-15)


def test_contrastive_margin_slider():
    app = drive(["contrastive"], ["right"] * 5, focus="margin")
    assert app.final_params == {"margin": 1.5, "pos_margin": 0.0, "distance": "euclidean"}
    (similar, dissimilar) = app.readout_rows
    d = app.x
    assert similar[1] == pytest.approx(d * d, rel=1e-15)
    assert dissimilar[1] == pytest.approx(max(0.0, 1.5 - d) ** 2, rel=1e-15)


def test_margin_group_with_logits():
    app = drive(["hinge"], ["1"])  # 1: binary-cross-entropy, on the logit of the true class
    names = [loss.name for loss in app.setup.losses]
    assert "hinge" in names and "focal" in names
    assert [row[0] for row in app.readout_rows] == ["binary-cross-entropy", "hinge"]
    assert app.readout_rows[0][1] == core_value("bce", {}, app.x, space="logit")


def test_reset_restores_parameters_and_cursor():
    app = drive(["huber"], ["right", "right", "shift+tab", "r"], focus="delta")
    assert app.final_params == {"delta": 1.0, "beta": 1.0, "quantile": 0.5, "variance": None}
    assert app.x == 1.5


def test_nothing_to_draw_says_what_to_do():
    app = drive(["huber"], ["3"])
    assert app.readout_rows == []
    assert "Nothing to draw" in app.final_plot


def test_q_quits():
    app = ExploreApp(make_setup(["mse"], {}, False, None, None))

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("q")
            await pilot.pause()
            assert not app.is_running

    asyncio.run(run())


def test_ctrl_c_quits():
    # Issue 19: "explore quits on Ctrl-C" (Textual's default only says "press ctrl+q").
    app = ExploreApp(make_setup(["mse", "huber"], {}, False, None, None))

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            app.query_one("#param-delta", ParamSlider).focus()  # even from a slider
            await pilot.press("ctrl+c")
            await pilot.pause()
            assert not app.is_running

    asyncio.run(run())


# --- the command ------------------------------------------------------------------------------


def test_explore_needs_a_terminal(cli):
    run = cli("explore")
    assert run.exit_code == 2 and run.stdout == ""
    assert run.stderr.startswith("losscli: error: explore is a full-screen view")


def test_explore_checks_its_arguments_first(cli):
    run = cli("explore", "mse", "bce")
    assert run.exit_code == 2
    assert "plot them separately" in run.stderr


def test_missing_textual_names_the_extra(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "textual", None)
    run = cli("explore")
    assert run.exit_code == 2
    assert run.stderr == (
        "losscli: error: explore needs textual, which is not installed: "
        "pip install 'losscli[explore]'\n"
    )


def test_every_loss_has_a_key_beyond_nine():
    # Ten losses share the residual axis; keys 1-9 left the tenth without one. It is 0.
    app = drive(["huber"], ["0"])
    assert len(app.setup.losses) == 10
    tenth = app.setup.losses[9].name
    assert [row[0].split(" (")[0] for row in app.readout_rows] == ["huber", tenth]
    # Past ten, letters follow, skipping those the explorer uses (q quit, r reset, s slider).
    assert loss_keys(14) == "1234567890abcd" and set("qrs").isdisjoint(loss_keys(33))


def test_s_then_a_number_focuses_that_slider():
    # The sliders over the residual: delta, beta, quantile, variance; s2 is beta.
    app = drive(["huber"], ["s", "2", "right"])
    assert app.final_params["beta"] > 1.0 and app.final_params["delta"] == 1.0
    assert app.x == app.setup.x[len(app.setup.x) // 2 + len(app.setup.x) // 4]


def test_sliders_are_labelled_as_options_are_typed_and_boxes_show_their_state():
    app = ExploreApp(make_setup(["kl"], {}, False, None, None))

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            sliders = [slider.render().plain for slider in app.query(ParamSlider)]
            boxes = [str(box.render()) for box in app.query(LossBox)]
            app.shown_controls = (sliders, boxes)

    asyncio.run(run())
    sliders, boxes = app.shown_controls
    assert [line.split()[:2] for line in sliders] == [
        ["s1", "--direction"],
        ["s2", "--log-base"],
        ["s3", "--kl-p"],
    ]
    # kl is drawn, the other distribution losses are not: both states are visible.
    assert boxes[:2] == ["[x] 1 kl ", "[ ] 2 js "]


def test_a_swept_parameter_is_a_curve_per_value_and_no_slider():
    # explore focal --gamma 0,2: two focal curves, the gamma slider gone, alpha still slides.
    app = drive(["focal"], [], gamma="0,2")
    assert "gamma" not in app.final_params
    assert "alpha" in app.final_params
    assert "focal (gamma=0)" in app.final_plot and "focal (gamma=2)" in app.final_plot
