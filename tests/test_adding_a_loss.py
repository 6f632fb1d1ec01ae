"""Adding a loss is one record: a throwaway loss registered in a copy of the registry reaches
`list`, `show`, `compute`, `grad`, `compare`, shell completion and the README's generated
tables, and the rule that every loss has an exercise names it (CONTRIBUTING.md, "Adding a
loss").

The fixture patches the registry's tables with copies for one test only (monkeypatch puts the
real ones back); under pytest-xdist each worker is its own process, so no other test sees it.
"""

from __future__ import annotations

import importlib.util
import json
import math
import types
from dataclasses import replace

import numpy as np
import pytest
from conftest import REPO
from test_exercise_files import without_exercise

from losscli.cli import candidates, catalog_data
from losscli.core.losses import registry
from losscli.core.losses.registry import all_losses, get
from losscli.core.losses.types import Loss, Properties

NAME = "throwaway-cauchy"
ALIAS = "throwaway-lorentzian"


def cauchy_value(y_true, y_pred, *, space="raw", delta=1.0):
    # ln(1 + (r/delta)^2), as log1p: exact for small residuals.
    return np.log1p(np.square((y_pred - y_true) / delta))


def cauchy_grad(y_true, y_pred, *, space="raw", delta=1.0):
    r = y_pred - y_true
    return 2 * r / (delta * delta + r * r)


def load_generator() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("generate", REPO / "tools" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = load_generator()


@pytest.fixture
def throwaway(monkeypatch) -> Loss:
    """A Cauchy loss with huber's --delta as its scale, registered in a copy of the registry;
    the generated completion names and the catalog that `list` reads are regenerated from
    that copy, as tools/generate.py would write them."""
    huber = get("huber")
    loss = replace(
        huber,
        name=NAME,
        aliases=(ALIAS,),
        summary="Cauchy (Lorentzian) loss: logarithmic in the residual, for gross outliers.",
        properties=Properties(
            convex=False, smooth=True, robust=True, probabilistic=False, symmetric=True
        ),
        value=cauchy_value,
        grad=cauchy_grad,
        value_and_grad=None,
        formula="L = ln(1 + (r/δ)^2),  r = ŷ - y",
        grad_formula="dL/dŷ = 2 r / (δ^2 + r^2)",
        short_formula="ln(1 + (r/delta)^2), |r| of any size",
        short_grad_formula="2r / (delta^2 + r^2)",
        typical_use="A throwaway loss of the tests.",
        confusions=(),
        references=("tests/test_adding_a_loss.py",),
        framework_names={"scipy": "(`optimize.least_squares(loss='cauchy')`)"},
    )
    # Every family module registered first: one imported into the copies would be missing
    # from the real tables once monkeypatch puts them back (the registry imports lazily).
    all_losses()
    monkeypatch.setattr(registry, "_LOSSES", {**registry._LOSSES, NAME: loss})
    monkeypatch.setattr(registry, "_NAMES", {**registry._NAMES, NAME: NAME, ALIAS: NAME})
    names = types.ModuleType("losscli.cli.names")
    exec(generate.names_module(), names.__dict__)
    monkeypatch.setattr(candidates, "names", names)
    catalog = types.ModuleType("losscli.cli.catalog_data")
    exec(generate.catalog_module(), catalog.__dict__)
    monkeypatch.setattr(catalog_data, "RECORDS", catalog.RECORDS)
    return loss


def cauchy(r: float, delta: float = 1.0) -> float:
    return math.log1p((r / delta) ** 2)


def test_list_and_show(cli, throwaway):
    rows = {r["name"]: r for r in cli("list", "-f", "tsv").tsv()}
    assert len(rows) == len(all_losses())
    assert rows[NAME]["family"] == "regression"
    assert rows[NAME]["robust"] == "yes" and rows[NAME]["convex"] == "no"
    family = [r["name"] for r in cli("list", "--family", "regression", "-f", "tsv").tsv()]
    assert NAME in family
    doc = cli("show", ALIAS, "--json").json()
    assert doc["name"] == NAME
    assert doc["formula"] == throwaway.formula and doc["gradient"] == throwaway.grad_formula
    assert [p["name"] for p in doc["params"]] == ["delta"]


def test_compute_and_grad(cli, throwaway):
    run = cli("compute", NAME, "--delta", "2", "--y-true", "0,0", "--y-pred", "1,-3", "-f", "plain")
    assert run.exit_code == 0, run.stderr
    assert float(run.stdout) == pytest.approx((cauchy(1, 2) + cauchy(-3, 2)) / 2, rel=1e-15)
    grad = cli("grad", NAME, "--y-true", "0,0", "--y-pred", "1,-3", "--check", "--json")
    assert grad.exit_code == 0, grad.stderr
    assert grad.json()["grad"] == pytest.approx([2 / 2, -6 / 10], rel=1e-15)
    # The parameter is checked as huber's is.
    bad = cli("compute", NAME, "--delta", "0", "--y-true", "0", "--y-pred", "1")
    assert bad.exit_code == 2 and "--delta" in bad.stderr


def test_compare_names_it_and_all_takes_it_on_residuals(cli, throwaway):
    doc = cli("compare", "mse", NAME, "--y-true", "0,0", "--y-pred", "1,10", "--json").json()
    rows = {r["loss"]: r for r in doc["losses"]}
    assert rows[NAME]["value"] == pytest.approx((cauchy(1) + cauchy(10)) / 2, rel=1e-15)
    assert rows[NAME]["robust"] is True
    every = cli("compare", "--all", "--y-true", "0.5,-2,3", "--y-pred", "1,10,1", "--json").json()
    assert NAME in [r["loss"] for r in every["losses"]]


def test_completion_offers_it(cli, throwaway):
    protocol = {
        "_LOSSCLI_COMPLETE": "complete_bash",
        "COMP_WORDS": "losscli compute throwaway-",
        "COMP_CWORD": "2",
    }
    run = cli(env=protocol)
    assert run.exit_code == 0, run.stderr
    assert run.stdout.split() == [NAME, ALIAS]


def test_the_generated_readme_tables_show_it(throwaway):
    readme = generate.readme_generated((REPO / "README.md").read_text(encoding="utf-8"))
    assert f"`losscli list` shows all {len(all_losses())} losses" in readme
    # The table of losses: its parameter with its default, and a | escaped inside a cell.
    row = next(line for line in readme.splitlines() if line.startswith(f"| `{NAME}` ("))
    assert row == (
        f"| `{NAME}` (`--delta` 1) | ln(1 + (r/delta)^2), \\|r\\| of any size "
        "| 2r / (delta^2 + r^2) |"
    )
    # The table of names: its alias, and a dash for each framework without it.
    row = next(line for line in readme.splitlines() if line.startswith(f"| `{NAME}` |"))
    assert row == (
        f"| `{NAME}` | {ALIAS} | — | — | — | — | (`optimize.least_squares(loss='cauchy')`) |"
    )


def test_a_framework_name_outside_the_table_is_refused(throwaway, monkeypatch):
    odd = replace(throwaway, framework_names={"jax": "`jax.nn.cauchy`"})
    monkeypatch.setattr(registry, "_LOSSES", {**registry._LOSSES, NAME: odd})
    with pytest.raises(RuntimeError, match=r"throwaway-cauchy: framework_names has \['jax'\]"):
        generate.readme_generated((REPO / "README.md").read_text(encoding="utf-8"))


def test_the_rule_that_every_loss_has_an_exercise_names_it(throwaway):
    names = [loss.name for loss in all_losses()]
    assert without_exercise(names) == [NAME]


def test_the_real_registry_is_untouched_by_the_fixture():
    # Runs in the same process as the tests above (or another worker): never sees the loss.
    assert NAME not in {loss.name for loss in all_losses()}
    assert NAME not in json.dumps(candidates.loss_names("t"))


def test_every_framework_says_it_has_no_such_loss(cli, throwaway):
    # No edit in core/conventions/: a loss without a rule is one the framework does not
    # have, and each framework says so in its one default sentence.
    doc = cli("show", NAME, "--json").json()
    why = {c["name"]: c["why"] for c in doc["conventions"]}
    # hadsell and pml define only their own losses and say nothing about this one.
    assert why == {
        "torch": "PyTorch has no such loss",
        "keras": "Keras has no such loss",
        "sklearn": "scikit-learn has no such loss",
        "optax": "Optax has no such loss",
    }
    assert not any(c["available"] for c in doc["conventions"])
    shown = dict(row.split("\t", 1) for row in cli("show", NAME, "-f", "tsv").stdout.splitlines())
    assert shown["convention torch"] == "PyTorch has no such loss"
    run = cli("compute", NAME, "--convention", "keras", "--y-true", "0", "--y-pred", "1")
    assert run.exit_code == 2
    assert f"--convention keras has no {NAME} loss: Keras has no such loss" in run.stderr
    args = ("compare", NAME, "--conventions", "--y-true", "0,0", "--y-pred", "1,-3", "--json")
    rows = {r["convention"]: r for r in cli(*args).json()["conventions"]}
    assert rows["catalog"]["available"] and not rows["optax"]["available"]
    assert rows["optax"]["why"] == "Optax has no such loss"
    assert rows["pml"]["why"].startswith("the pml convention defines only the contrastive")
