"""`losscli list` and `losscli show`: every loss, every alias, every format."""

from __future__ import annotations

import pytest

from losscli.core import all_losses, get

LOSSES = all_losses()
SPELLINGS = [(loss.name, spelling) for loss in LOSSES for spelling in (loss.name, *loss.aliases)]


def test_list_json_has_every_loss_with_its_properties(cli):
    doc = cli("list", "--json").json()
    by_name = {entry["name"]: entry for entry in doc["losses"]}
    assert set(by_name) == {loss.name for loss in LOSSES}
    for loss in LOSSES:
        props = by_name[loss.name]["properties"]
        assert props == {
            "convex": loss.properties.convex,
            "smooth": loss.properties.smooth,
            "robust": loss.properties.robust,
            "probabilistic": loss.properties.probabilistic,
        }


def test_list_catalog_properties_of_the_nine(cli):
    # The catalog's comparison table (docs/design.md section 4 and the issue): robust losses are
    # exactly MAE and Huber among the nine; focal and contrastive are not convex.
    rows = {r["name"]: r for r in cli("list", "-f", "tsv").tsv()}
    assert rows["huber"]["robust"] == rows["mae"]["robust"] == "yes"
    assert rows["mse"]["robust"] == "no"
    assert rows["focal"]["convex"] == "no" and rows["mae"]["smooth"] == "no"
    assert rows["cross-entropy"]["probabilistic"] == "yes"


def test_list_family_filter(cli):
    doc = cli("list", "--family", "regression", "--json").json()
    assert {e["name"] for e in doc["losses"]} >= {"mse", "mae", "huber"}
    assert all(e["family"] == "regression" for e in doc["losses"])
    bad = cli("list", "--family", "astrology")
    assert bad.exit_code == 2 and "--family must be one of" in bad.stderr


def test_list_table_on_a_terminal_width(cli):
    run = cli("list", "-f", "table", env={"COLUMNS": "100"})
    assert run.exit_code == 0
    assert all(len(line) <= 100 for line in run.lines())
    assert "huber" in run.stdout


@pytest.mark.parametrize(("name", "spelling"), SPELLINGS)
def test_show_every_loss_and_alias(cli, name, spelling):
    doc = cli("show", spelling, "--json").json()
    assert doc["name"] == name
    for key in ("formula", "gradient", "typical_use", "references", "properties"):
        assert doc[key], key
    assert [p["name"] for p in doc["params"]] == [p.name for p in get(name).params]
    table = cli("show", spelling, "-f", "table", env={"COLUMNS": "120"})
    assert table.exit_code == 0 and name in table.stdout


def test_show_keeps_math_intact_in_every_format(cli):
    # Rich markup would eat "[y]"; the formula must come out as written.
    doc = cli("show", "ce", "--json").json()
    assert "-log(p[y])" in doc["formula"]
    assert "-log(p[y])" in cli("show", "ce", "-f", "table", env={"COLUMNS": "200"}).stdout
    assert "-log(p[y])" in cli("show", "ce", "-f", "tsv").stdout


def test_show_parameters_and_defaults(cli):
    doc = cli("show", "huber", "--json").json()
    assert doc["params"] == [
        {
            "name": "delta",
            "option": "--delta",
            "default": 1.0,
            "doc": "where the loss turns from quadratic to linear",
        }
    ]
    rows = cli("show", "focal", "-f", "tsv").tsv()
    assert {
        "field": "parameter --gamma",
        "value": "focusing exponent: 0 gives cross-entropy (default 2.0)",
    } in rows


def test_show_unknown_loss_suggests(cli):
    run = cli("show", "hueber")
    assert run.exit_code == 2 and "did you mean huber" in run.stderr and run.stdout == ""
