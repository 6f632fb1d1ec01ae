"""--convention on compute and grad, and `show` listing how each convention differs."""

from __future__ import annotations

import math

import pytest


@pytest.mark.parametrize(
    ("convention", "expected"),
    [("torch", 100.0), ("keras", -math.log(1e-7)), ("sklearn", 36.04365338911715)],
)
def test_compute_bce_p0_under_each_convention(cli, convention, expected):
    run = cli("compute", "bce", "--y-true", "1", "--y-pred", "0", "--convention", convention)
    assert run.exit_code == 0
    assert float(run.stdout) == pytest.approx(expected, rel=1e-15)
    doc = cli(
        "compute", "bce", "--y-true", "1", "--y-pred", "0", "--convention", convention, "--json"
    ).json()
    assert doc["convention"] == convention and doc["warnings"] == []


def test_json_names_the_catalog_convention_by_default(cli):
    doc = cli("compute", "mse", "--y-true", "1", "--y-pred", "2", "--json").json()
    assert doc["convention"] == "catalog"
    doc = cli("grad", "mse", "--y-true", "1", "--y-pred", "2", "--json").json()
    assert doc["convention"] == "catalog"


def test_compute_smooth_l1_and_huber(cli):
    common = ["--y-true", "0,0,0", "--y-pred", "0.5,2,3", "--reduction", "none", "-f", "plain"]
    assert cli("compute", "huber", "--delta", "2", *common).lines() == ["0.125", "2.0", "4.0"]
    run = cli("compute", "smooth-l1", "--beta", "2", "--convention", "torch", *common)
    assert run.lines() == ["0.0625", "1.0", "2.0"]


def test_grad_under_torch_and_optax(cli):
    doc = cli(
        "grad", "bce", "--y-true", "1,0", "--y-pred", "0,0.5", "--convention", "torch", "--json"
    ).json()
    assert doc["convention"] == "torch"
    assert doc["grad"] == pytest.approx([-1 / float(__import__("numpy").float32(1e-12)), 2.0])
    doc = cli("grad", "mse", "--y-true", "0", "--y-pred", "3", "--convention", "optax", "--json")
    assert doc.json()["grad"] == [3.0]  # l2_loss: gradient r, not 2r


def test_grad_check_passes_under_conventions(cli):
    run = cli(
        "grad",
        "kl",
        "--y-true",
        "0.2,0.5,0.3",
        "--y-pred",
        "0.3,-1,2",
        "--logits",
        "--convention",
        "keras",
        "--check",
    )
    assert run.exit_code == 0, run.stderr
    run = cli(
        "grad",
        "contrastive",
        "--y-true",
        "1,0",
        "--y-pred",
        "1,0.5,-0.2,0.7;0.3,-1,0.9,0.4",
        "--convention",
        "pml",
        "--check",
    )
    assert run.exit_code == 0, run.stderr


def test_torch_kl_mean_over_elements(cli):
    args = ["--y-true", "0.5,0.5;0.2,0.8", "--y-pred", "0.9,0.1;0.4,0.6"]
    catalog = float(cli("compute", "kl", *args).stdout)
    torch = float(cli("compute", "kl", *args, "--convention", "torch").stdout)
    assert torch == pytest.approx(catalog / 2, rel=1e-15)


def test_label_smoothing_option(cli):
    run = cli(
        "compute", "ce", "--y-true", "2", "--y-pred", "0.2,0.3,0.5", "--label-smoothing", "0.3"
    )
    expected = -(0.1 * math.log(0.2) + 0.1 * math.log(0.3) + 0.8 * math.log(0.5))
    assert float(run.stdout) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["hinge", "--convention", "torch"], "--convention torch has no hinge loss"),
        (["mse", "--convention", "hadsell"], "defines only the contrastive loss"),
        (["bce", "--convention", "torch", "--label-smoothing", "0.1"], "BCELoss has no label"),
        (
            ["bce", "--convention", "keras", "--label-smoothing", "1.5"],
            "--label-smoothing must be at most 1",
        ),
        (["smooth-l1", "--beta", "-1"], "--beta must be at least 0"),
        (["mse", "--convention", "nope"], "'nope' is not one of"),
    ],
)
def test_convention_errors_exit_2(cli, args, fragment):
    run = cli("compute", *args, "--y-true", "1", "--y-pred", "0.5")
    assert run.exit_code == 2, run.stderr
    assert run.stdout == "" and run.stderr.startswith("losscli: error: ")
    assert fragment in run.stderr


def test_show_lists_each_convention(cli):
    doc = cli("show", "bce", "--json").json()
    conventions = {c["name"]: c for c in doc["conventions"]}
    # hadsell and pml, which define only the contrastive losses, are left out (issue 19).
    assert list(conventions) == ["torch", "keras", "sklearn", "optax"]
    assert "clamped at -100" in conventions["torch"]["differences"][0]
    assert conventions["torch"]["reference"].startswith("https://docs.pytorch.org/")
    assert conventions["optax"]["same_as_catalog"] is True


def test_show_kl_states_torch_reduction(cli):
    rows = {r["field"]: r["value"] for r in cli("show", "kl", "-f", "tsv").tsv()}
    assert "'batchmean'" in rows["convention torch"]
    assert rows["convention sklearn"].startswith("no such loss")


def test_show_table_has_a_conventions_section(cli):
    run = cli("show", "smooth-l1", "-f", "table")
    assert run.exit_code == 0
    assert "conventions" in run.stdout and "torch.nn.SmoothL1Loss" in run.stdout


def test_grad_mean_follows_the_conventions_mean(cli):
    # PyTorch kl_div 'mean' wrt log Q: -P / (n C), here n = 2 rows of C = 2.
    p = "0.5,0.5;0.2,0.8"
    logq = "-0.1053605156578263,-2.3025850929940455;-0.916290731874155,-0.5108256237659907"
    doc = cli(
        "grad",
        "kl",
        "--log-probs",
        "--convention",
        "torch",
        "--reduction",
        "mean",
        "--y-true",
        p,
        "--y-pred",
        logq,
        "--json",
    ).json()
    flat = [g for row in doc["grad"] for g in row]
    assert flat == pytest.approx([-0.125, -0.125, -0.05, -0.2], rel=1e-15)
    # pml: each pair divided by the number of non-zero pairs of its kind (2 similar, 1 not).
    doc = cli(
        "grad",
        "contrastive",
        "--convention",
        "pml",
        "--reduction",
        "mean",
        "--y-true",
        "1,1,0",
        "--y-pred",
        "0.5,0.7,0.2",
        "--json",
    ).json()
    assert doc["grad"] == pytest.approx([0.5, 0.5, -1.0], rel=1e-15)


# --- issue 19: show prints each convention's documentation link in the terminal too --------


def test_show_prints_each_conventions_docs_link_in_every_format(cli):
    doc = cli("show", "bce", "--json").json()
    links = {c["name"]: c["reference"] for c in doc["conventions"] if c["available"]}
    assert set(links) == {"torch", "keras", "sklearn", "optax"}
    table = cli("show", "bce", "-f", "table", "--color", "never", env={"COLUMNS": "200"})
    assert table.exit_code == 0
    for link in links.values():
        assert f"docs: {link}" in table.stdout  # whole, on one line at 200 columns
    rows = {r["field"]: r["value"] for r in cli("show", "bce", "-f", "tsv").tsv()}
    for name, link in links.items():
        assert rows[f"convention {name}"].endswith(f"Docs: {link}")


def test_show_leaves_out_conventions_that_define_only_other_losses(cli):
    for fmt in ("table", "tsv"):
        text = cli("show", "huber", "-f", fmt, "--color", "never", env={"COLUMNS": "200"}).stdout
        assert "hadsell" not in text and "pml" not in text and "torch" in text
    # ... but a framework without the loss says why, and the contrastive loss has both.
    rows = {r["field"]: r["value"] for r in cli("show", "kl", "-f", "tsv").tsv()}
    assert rows["convention sklearn"].startswith("no such loss: scikit-learn has no KL")
    contrastive = cli("show", "contrastive", "--json").json()["conventions"]
    assert [c["name"] for c in contrastive if c["available"]] == ["hadsell", "pml"]


def test_a_long_docs_link_folds_but_is_never_cut(cli):
    run = cli("show", "bce", "-f", "table", "--color", "never", env={"COLUMNS": "80"})
    assert "…" not in run.stdout.split("conventions  (--convention NAME)")[1]
    joined = "".join(line.strip() for line in run.stdout.splitlines())
    assert "optax.losses.sigmoid_binary_cross_entropy" in joined
