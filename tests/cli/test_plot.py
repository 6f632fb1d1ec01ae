"""`losscli plot`: terminal plots rendered to text at a fixed size, and figure files."""

from __future__ import annotations

import re
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("plotext")

Y_TICK = re.compile(r"(-?\d+(?:\.\d+)?)┤")


def legend(lines: list[str]) -> list[str]:
    """The labels of the legend, which sits on the lines below the x axis's label."""
    bottom = next(i for i, line in enumerate(lines) if "└┬" in line)
    entries = "   ".join(lines[bottom + 3 :]).split("   ")
    return [entry.split(" ", 1)[1] for entry in entries if entry.strip()]


def x_ticks(lines: list[str]) -> list[float]:
    """The numbers under the bottom frame of every panel, left to right."""
    bottom = next(i for i, line in enumerate(lines) if "└┬" in line)
    return [float(t) for t in lines[bottom + 1].split()]


def y_ticks(lines: list[str]) -> dict[int, list[float]]:
    """Tick labels on each panel's y axis, keyed by the column of the axis, top to bottom."""
    ticks: dict[int, list[float]] = {}
    for line in lines:
        for m in Y_TICK.finditer(line):
            ticks.setdefault(m.end(), []).append(float(m[1]))
    return dict(sorted(ticks.items()))


def test_overlay_at_a_fixed_size_has_the_requested_shape(cli):
    run = cli("plot", "mse", "mae", "huber", "--width", "100", "--height", "20")
    assert run.exit_code == 0 and run.stderr == ""
    lines = run.lines()
    assert len(lines) == 20
    assert all(len(line) <= 100 for line in lines) and max(map(len, lines)) == 100
    assert legend(lines) == ["mse", "mae", "huber (delta=1)"]
    ticks = x_ticks(lines)
    assert ticks[0] == -3 and ticks[-1] == 3
    (left,) = y_ticks(lines).values()
    # mse reaches 9 at r = +-3; every loss here is 0 at r = 0.
    assert left[0] == 9.0 and left[-1] == 0.0
    assert "\x1b[" not in run.stdout  # piped: no colour codes


def test_the_legend_sits_below_the_plot_area_and_covers_no_curve(cli):
    # Drawn inside the plot, the legend box hid the top of mse's parabola at r = -3.
    run = cli("plot", "mse", "mae", "huber", "--width", "30", "--height", "16")
    lines = run.lines()
    assert run.exit_code == 0 and len(lines) == 16
    assert all(len(line) <= 30 for line in lines)
    top, bottom = (i for i, line in enumerate(lines) if "┌" in line or "└┬" in line)
    plot_area = lines[top + 1 : bottom]
    assert not any(label in line for line in plot_area for label in ("mse", "mae", "huber"))
    # mse's curve reaches the top row at both ends (9 at r = -3 and 3): nothing hides it.
    inside = plot_area[0].split("┤", 1)[1].rstrip("│")
    assert inside[0] != " " and inside[-2:].strip()
    assert legend(lines) == ["mse", "mae", "huber (delta=1)"]
    assert lines[-2:] == ["▚ mse   • mae", "+ huber (delta=1)"]


def test_grad_puts_the_gradient_panel_beside_the_loss(cli):
    run = cli("plot", "mse", "huber", "--grad", "--width", "120", "--height", "24")
    lines = run.lines()
    assert run.exit_code == 0 and len(lines) == 24
    assert lines[0].split() == ["loss", "gradient"]
    loss_axis, grad_axis = y_ticks(lines).values()
    assert loss_axis[0] == 9.0
    # d(r^2)/dr = 2r from -6 to 6; huber's gradient is clip(r, -1, 1), inside that range.
    assert grad_axis[0] == 6.0 and grad_axis[-1] == -6.0
    ticks = x_ticks(lines)
    assert ticks.count(-3.0) == 2 and ticks.count(3.0) == 2
    assert legend(lines) == ["mse", "huber (delta=1)"]


def test_range_and_parameters(cli):
    run = cli(
        "plot", "huber", "--delta", "0.5", "--range", "-1", "2", "--width", "80", "--height", "16"
    )
    lines = run.lines()
    assert x_ticks(lines)[0] == -1.0 and x_ticks(lines)[-1] == 2.0
    assert legend(lines) == ["huber (delta=0.5)"]
    # huber(2; delta 0.5) = 0.5 * (2 - 0.25) = 0.875 is the top of the curve.
    (left,) = y_ticks(lines).values()
    assert left[0] == pytest.approx(0.875, abs=0.01)


def test_margin_losses_overlay_over_the_margin(cli):
    run = cli("plot", "hinge", "bce", "focal", "--logits", "--width", "90", "--height", "18")
    lines = run.lines()
    assert legend(lines) == ["hinge", "binary-cross-entropy", "focal (gamma=2)"]
    assert any("margin y·f" in line for line in lines)
    ticks = x_ticks(lines)
    assert ticks[0] == -4 and ticks[-1] == 4


def test_contrastive_draws_a_similar_and_a_dissimilar_pair(cli):
    run = cli("plot", "contrastive", "--width", "90", "--height", "18")
    assert legend(run.lines()) == [
        "contrastive (margin=1), similar pair",
        "contrastive (margin=1), dissimilar pair",
    ]


def test_size_follows_columns_and_lines(cli):
    run = cli("plot", "mse", env={"COLUMNS": "70", "LINES": "15"})
    lines = run.lines()
    assert len(lines) == 14  # one line is left for the prompt
    assert max(map(len, lines)) == 70


def test_color_always_writes_ansi_codes(cli):
    run = cli("plot", "mse", "--width", "60", "--height", "12", "--color", "always")
    assert "\x1b[" in run.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["mse", "bce"], "mse is drawn over residual r = ŷ - y but binary-cross-entropy over p"),
        (["mse", "mae", "--delta", "2"], "--delta is not a parameter of mse or mae"),
        (["mse", "--logits"], "--logits does not apply to mse"),
        (["mse", "--kl-p", "0.5"], "--kl-p sets P for kl"),
        (["kl", "--kl-p", "1.5"], "--kl-p (P₁) must be a probability"),
        (["bce", "--range", "-1", "1"], "leaves the p of the true class axis"),
        (["mse", "--range", "2", "1"], "needs A < B"),
        (["huber", "--delta", "0"], "--delta must be greater than 0"),
        (["mse", "--output", "curve.gif"], "--output must end in .png, .svg or .pdf"),
        (["mse", "--output", "x.png", "--size", "big"], "--size must be WIDTHxHEIGHT"),
        (["mse", "--size", "800x500"], "--size is for --output"),
        (["mse", "--width", "10"], "--width must be between 30 and 1000, not 10"),
        (["nosuchloss"], "unknown loss"),
    ],
)
def test_usage_errors_exit_2(cli, args, fragment):
    run = cli("plot", *args)
    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr.startswith("losscli: error: ")
    assert fragment in run.stderr
    assert len(run.stderr.splitlines()) == 1


def test_missing_plotext_names_the_extra(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "plotext", None)  # makes `import plotext` fail
    run = cli("plot", "mse", "--width", "60", "--height", "12")
    assert run.exit_code == 2 and run.stdout == ""
    assert run.stderr == (
        "losscli: error: plot needs plotext, which is not installed: pip install 'losscli[plot]'\n"
    )


def test_missing_matplotlib_names_the_extra(cli, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    run = cli("plot", "mse", "--output", str(tmp_path / "mse.png"))
    assert run.exit_code == 2
    assert "needs matplotlib" in run.stderr and "pip install 'losscli[plot]'" in run.stderr
    assert not (tmp_path / "mse.png").exists()


# --- figure files ---------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's signature and IHDR chunk (PNG spec, section 11.2.2)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def matplotlib_installed():
    pytest.importorskip("matplotlib")


@pytest.mark.usefixtures("matplotlib_installed")
@pytest.mark.parametrize(("size", "expected"), [(None, (1200, 500)), ("640x480", (640, 480))])
def test_png_has_the_requested_pixel_size(cli, tmp_path, size, expected):
    path = tmp_path / "huber.png"
    args = ["plot", "mse", "mae", "huber", "--grad", "--output", str(path)]
    run = cli(*args, *(["--size", size] if size else []))
    assert run.exit_code == 0 and run.stdout == ""
    assert png_size(path.read_bytes()) == expected


@pytest.mark.usefixtures("matplotlib_installed")
def test_svg_is_xml_of_the_requested_size(cli, tmp_path):
    path = tmp_path / "loss.svg"
    run = cli("plot", "bce", "focal", "--output", str(path), "--size", "800x500", "--dpi", "100")
    assert run.exit_code == 0
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    # 800x500 pixels at 100 dpi is 8 x 5 inches: 576 x 360 points.
    assert (root.get("width"), root.get("height")) == ("576pt", "360pt")
    assert root.get("viewBox") == "0 0 576 360"
    text = path.read_text()
    assert "binary-cross-entropy" in text and "focal (gamma=2)" in text


@pytest.mark.usefixtures("matplotlib_installed")
def test_pdf_has_the_requested_page_size_and_is_reproducible(cli, tmp_path):
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    for path in (first, second):
        assert cli("plot", "kl", "--output", str(path), "--size", "720x360").exit_code == 0
    data = first.read_bytes()
    assert data.startswith(b"%PDF-")
    assert re.search(rb"/MediaBox \[\s*0 0 518\.4 259\.2\s*\]", data)
    assert b"/CreationDate" not in data
    assert data == second.read_bytes()


@pytest.mark.usefixtures("matplotlib_installed")
def test_svg_is_reproducible(cli, tmp_path):
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    for path in (first, second):
        assert cli("plot", "mse", "--output", str(path)).exit_code == 0
    assert "<dc:date>" not in first.read_text()
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.usefixtures("matplotlib_installed")
def test_unwritable_output_is_a_usage_error(cli, tmp_path):
    run = cli("plot", "mse", "--output", str(tmp_path / "no" / "such" / "dir.png"))
    assert run.exit_code == 2
    assert run.stderr.startswith("losscli: error: cannot write ")


# --- --data FILE ----------------------------------------------------------------------------


def test_data_histogram_of_residuals(cli, tmp_path):
    path = tmp_path / "preds.csv"
    path.write_text("y,yhat\n0,0.5\n1,0.5\n2,2.4\n3,3.1\n0,10\n")
    run = cli(
        "plot",
        "mse",
        "--data",
        str(path),
        "-t",
        "y",
        "-p",
        "yhat",
        "--width",
        "90",
        "--height",
        "20",
    )
    assert run.exit_code == 0
    lines = run.lines()
    assert legend(lines) == ["preds.csv (count, right)", "mse"]
    # The residuals 0.5, -0.5, 0.4, 0.1 are in the 40 bins over -3..3; 10 is outside.
    right_axis = [float(m[1]) for line in lines if (m := re.search(r"├(\d+\.\d+)\s*$", line))]
    assert max(right_axis) == 1.0
    assert run.stderr == (
        "losscli: note: 1 of 5 examples lie outside -3..3 and are not in the histogram "
        "(--range widens the axis)\n"
    )


def test_data_from_stdin_places_examples_as_the_first_loss_reads_them(cli):
    run = cli(
        "plot",
        "hinge",
        "bce",
        "--logits",
        "--data",
        "-",
        "--width",
        "80",
        "--height",
        "16",
        input="y_true,y_pred\n1,0.5\n0,-2\n1,3\n",
    )
    assert run.exit_code == 0 and run.stderr == ""
    assert legend(run.lines())[0] == "data (count, right)"


def test_bad_data_exits_3_naming_row_and_column(cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("y_true,y_pred\n1,0.5\n2,0.5\n")
    run = cli("plot", "bce", "--data", str(path))
    assert run.exit_code == 3 and run.stdout == ""
    assert run.stderr == "losscli: error: row 2, column 'y_true': 2.0 must be a label in [0, 1]\n"


def test_column_options_need_data(cli):
    run = cli("plot", "mse", "-t", "y")
    assert run.exit_code == 2
    assert "--target selects columns of --data FILE" in run.stderr


@pytest.mark.usefixtures("matplotlib_installed")
def test_figure_with_data(cli, tmp_path):
    data = tmp_path / "d.tsv"
    data.write_text("y_true\ty_pred\n" + "".join(f"0\t{r / 10}\n" for r in range(-20, 21)))
    path = tmp_path / "with-data.png"
    run = cli("plot", "mse", "huber", "--grad", "--data", str(data), "--output", str(path))
    assert run.exit_code == 0
    assert png_size(path.read_bytes()) == (1200, 500)


def test_readme_terminal_plot_is_what_plot_draws(cli):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split(
        "$ losscli plot hinge bce focal --logits --range -3 3 --width 78 --height 18\n"
    )[1]
    shown = block.split("```")[0].rstrip("\n").splitlines()
    run = cli(*"plot hinge bce focal --logits --range -3 3 --width 78 --height 18".split())
    assert [line.rstrip() for line in run.lines()] == shown
