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


def test_readme_compare_table_is_what_compare_prints(cli):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("$ losscli compare mse mae huber examples/residuals_outliers.csv -f table")
    block = readme[start : readme.index("```", start)]
    rows = [line for line in block.splitlines() if line.startswith("│")]
    assert len(rows) == 3
    run = cli(
        "compare",
        "mse",
        "mae",
        "huber",
        str(REPO / "examples" / "residuals_outliers.csv"),
        "-f",
        "table",
        "--color",
        "never",
        env={"COLUMNS": "100"},
    )
    printed = [line.rstrip() for line in run.lines()]
    for row in rows:
        assert row.rstrip() in printed
