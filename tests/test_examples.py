"""The bundled examples are what their generator scripts write."""

from __future__ import annotations

import runpy

from conftest import REPO


def test_residuals_outliers_csv_is_reproducible(tmp_path):
    script = REPO / "examples" / "make_residuals_outliers.py"
    generator = runpy.run_path(str(script))
    generator["main"](str(tmp_path / "out.csv"))
    committed = (REPO / "examples" / "residuals_outliers.csv").read_text(encoding="utf-8")
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == committed
    lines = committed.splitlines()
    assert lines[0] == "y_true,y_pred" and len(lines) == 501
