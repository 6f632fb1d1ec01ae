"""The catalog's further losses through the command line: list, show, compute, grad and
compare; their options (--quantile, --pos-weight, --class-weights, --log-input, ...); losses
without targets (triplet); the batch loss (nt-xent) on streamed tables; errors and exit codes.
"""

from __future__ import annotations

import math

import pytest

from losscli.core import all_losses

NAMES = [loss.name for loss in all_losses()]


def test_list_shows_every_loss_with_its_properties(cli):
    rows = {r["name"]: r for r in cli("list", "-f", "tsv").tsv()}
    assert set(rows) == set(NAMES) and len(rows) == len(NAMES) >= 36
    for name in NAMES:
        assert {rows[name][p] for p in ("convex", "smooth", "robust", "probabilistic")} <= {
            "yes",
            "no",
        }
    assert rows["log-cosh"]["robust"] == "yes" and rows["gaussian-nll"]["convex"] == "no"
    families = {r["family"] for r in cli("list", "--family", "metric", "-f", "tsv").tsv()}
    assert families == {"metric"}


@pytest.mark.parametrize("name", NAMES)
def test_show_every_loss_with_its_conventions(cli, name):
    doc = cli("show", name, "--json").json()
    assert doc["name"] == name and doc["formula"] and doc["gradient"] and doc["references"]
    names = [c["name"] for c in doc["conventions"]]
    # hadsell and pml define only the contrastive losses: listed for those alone (issue 19).
    from losscli.core.conventions import covers

    narrow = [c for c in ("hadsell", "pml") if covers(c, name)]
    assert names == ["torch", "keras", "sklearn", "optax", *narrow]
    for c in doc["conventions"]:
        assert c["available"] or c["why"]


def test_show_table_has_the_new_parameters(cli):
    run = cli("show", "nt-xent", "-f", "tsv")
    assert "--temperature" in run.stdout and "--batch-size" in run.stdout
    assert "natural logs" in cli("show", "poisson", "-f", "tsv").stdout


def test_compute_with_the_new_options(cli):
    def value(*args):
        run = cli("compute", *args)
        assert run.exit_code == 0, run.stderr
        return float(run.stdout)

    assert value("pinball", "--quantile", "0.9", "--y-true", "1,1", "--y-pred", "0,2") == (
        pytest.approx((0.9 + 0.1) / 2)
    )
    assert value("poisson", "--log-input", "--y-true", "3", "--y-pred", str(math.log(3))) == 0.0
    assert value("tweedie", "--power", "2", "--y-true", "2", "--y-pred", "1") == pytest.approx(
        2 * (math.log(0.5) + 2 - 1)
    )
    assert value("gaussian-nll", "--variance", "1", "--y-true", "0", "--y-pred", "0") == (
        pytest.approx(0.5 * math.log(2 * math.pi))
    )
    assert value("gaussian-nll", "--y-true", "0", "--y-pred", "0,1;") == pytest.approx(
        0.5 * math.log(2 * math.pi)
    )
    assert value(
        "multilabel-bce", "--pos-weight", "2,1", "--y-true", "1,0;", "--y-pred", "0.5,0.5;"
    ) == pytest.approx((2 * math.log(2) + math.log(2)) / 2)
    assert value("poly1", "--poly-epsilon", "0", "--y-true", "2", "--y-pred", "0.1,0.2,0.7") == (
        pytest.approx(-math.log(0.7))
    )
    assert value("infonce", "--temperature", "1", "--y-true", "0", "--y-pred", "1,0") == (
        pytest.approx(math.log1p(math.exp(-1)))
    )
    assert value("triplet", "--p-norm", "1", "--y-pred", "0,0,1,1,3,0") == pytest.approx(0.0)
    assert value("js", "--log-base", "2", "--y-true", "1,0", "--y-pred", "0,1") == pytest.approx(1)


def test_class_weights_mean_catalog_and_torch(cli):
    args = ("--class-weights", "1,3", "--y-true", "0,1", "--y-pred", "0.5,0.5;0.5,0.5")
    plain = cli("compute", "ce", *args, "--json").json()
    torch = cli("compute", "ce", *args, "--convention", "torch", "--json").json()
    ln2 = math.log(2)
    assert plain["value"] == pytest.approx((ln2 + 3 * ln2) / 2)
    assert torch["value"] == pytest.approx(ln2) and torch["convention"] == "torch"
    assert plain["params"]["class_weights"] == [1.0, 3.0]
    bad = cli("compute", "ce", "--class-weights", "1,2,3", "--y-true", "0", "--y-pred", "0.5,0.5")
    assert bad.exit_code == 2 and "--class-weights has 3 values" in bad.stderr


def test_rmse_reductions_on_the_command_line(cli):
    args = ("--y-true", "0,0,0,0", "--y-pred", "1,-1,1,3")
    assert float(cli("compute", "rmse", *args).stdout) == pytest.approx(math.sqrt(3))
    assert float(cli("compute", "rmse", *args, "--reduction", "sum").stdout) == pytest.approx(
        math.sqrt(12)
    )
    none = cli("compute", "rmse", *args, "--reduction", "none", "--json").json()
    assert none["values"] == [1.0, 1.0, 1.0, 9.0]  # the squared errors under the root
    grad = cli("grad", "rmse", *args, "--reduction", "mean", "--json").json()
    assert grad["grad"] == pytest.approx([r / (4 * math.sqrt(3)) for r in (1, -1, 1, 3)])


def test_triplet_takes_no_targets_inline_or_in_a_table(cli):
    inline = cli("compute", "triplet", "--y-pred", "0,0,0.3,0.4,1.2,0", "--json").json()
    assert inline["value"] == pytest.approx(0.3)
    table = "a1,a2,p1,p2,n1,n2\n0,0,0.3,0.4,1.2,0\n1,1,1,1,1,1\n"
    run = cli("compute", "triplet", "--reduction", "none", input=table)
    assert run.exit_code == 0, run.stderr
    assert [float(r["value"]) for r in run.tsv()] == pytest.approx([0.3, 1.0])
    run = cli("grad", "triplet", "-p", "a*,p*,n*", "--check", input=table)
    assert run.exit_code == 0 and "gradient check" in run.stderr
    with_target = cli("compute", "triplet", "--y-true", "1", "--y-pred", "0,0,1")
    assert with_target.exit_code == 2 and "takes no targets" in with_target.stderr
    target_column = cli("compute", "triplet", "-t", "a1", input=table)
    assert target_column.exit_code == 2 and "no target column" in target_column.stderr


NT_XENT_TABLE = (
    "id,x,y\n"
    + "\n".join(
        f"{i},{x},{y}"
        for i, x, y in [
            (0, 1.0, 0.1),
            (1, 0.2, 1.0),
            (0, 0.9, 0.0),
            (1, 0.0, 1.1),
            (2, -1.0, 0.3),
            (2, -0.8, 0.2),
            (3, 0.5, -1.0),
            (3, 0.4, -0.9),
        ]
    )
    + "\n"
)


def test_nt_xent_reads_the_whole_table_as_one_batch(cli):
    whole = cli("compute", "nt-xent", "-t", "id", "--json", input=NT_XENT_TABLE).json()
    # Read in blocks of a few rows, the batch is still the whole input.
    small = cli(
        "compute",
        "nt-xent",
        "-t",
        "id",
        "--json",
        input=NT_XENT_TABLE,
        env={"LOSSCLI_CHUNK_BYTES": "16"},
    ).json()
    assert small["value"] == pytest.approx(whole["value"], rel=1e-15) and whole["n"] == 8
    halves = cli(
        "compute", "nt-xent", "-t", "id", "--batch-size", "4", "--json", input=NT_XENT_TABLE
    )
    assert halves.json()["value"] != pytest.approx(whole["value"])
    grad = cli("grad", "nt-xent", "-t", "id", "--check", input=NT_XENT_TABLE)
    assert grad.exit_code == 0, grad.stderr
    # Groups of any size and rows alone with their id are fine (issue 12); a batch with no
    # id in common has no positive pair (rows 1-2: ids 0 and 1).
    odd = cli("compute", "nt-xent", "-t", "id", "--batch-size", "2", input=NT_XENT_TABLE)
    assert odd.exit_code == 3 and "row 1, column 'id'" in odd.stderr
    assert "batch 1 (--batch-size 2) has no positive pair" in odd.stderr
    weighted = cli(
        "compute", "nt-xent", "--y-true", "0,0", "--y-pred", "1,0;0,1", "--weights", "1,2"
    )
    assert weighted.exit_code == 2 and "takes no sample weights" in weighted.stderr


def test_compare_new_losses_and_their_conventions(cli):
    doc = cli(
        "compare",
        "pinball",
        "log-cosh",
        "mse",
        "--quantile",
        "0.9",
        "--y-true",
        "0,0,0,0",
        "--y-pred",
        "0.1,-0.2,0.3,10",
        "--json",
    ).json()
    rows = {r["loss"]: r for r in doc["losses"]}
    assert rows["log-cosh"]["max_abs_grad"] == pytest.approx(math.tanh(10))
    assert rows["pinball"]["params"] == {"quantile": 0.9}
    conv = cli(
        "compare", "poisson", "--conventions", "--y-true", "3,0", "--y-pred", "2,1", "--json"
    ).json()
    by = {c["convention"]: c for c in conv["conventions"]}
    assert by["sklearn"]["value"] == pytest.approx(2 * by["catalog"]["value"])
    assert by["torch"]["value"] == pytest.approx((2 - 3 * math.log(2 + 1e-8) + 1) / 2)
    assert not by["optax"]["available"]
    # nt-xent named alongside others: the whole input is one batch for it.
    both = cli("compare", "nt-xent", "infonce", "--y-true", "0,0", "--y-pred", "1,0;0,1", "--json")
    assert both.exit_code == 0, both.stderr
    assert "nt-xent" not in {
        r["loss"]
        for r in cli(
            "compare", "--all", "--y-true", "0,0,1,1", "--y-pred", "1,0;1,0;0,1;0,1", "--json"
        ).json()["losses"]
    }


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("compute", "msle", "--y-true", "0,-2", "--y-pred", "1,1"), 3, "row 2"),
        (("compute", "gaussian-nll", "--y-true", "0", "--y-pred", "0,-1;"), 3, "a variance > 0"),
        (("compute", "poisson", "--y-true", "-1", "--y-pred", "1"), 3, "a count >= 0"),
        (("compute", "poisson", "--y-true", "1", "--y-pred", "-1"), 3, "pass --log-input"),
        (("compute", "cosine-embedding", "--y-true", "1", "--y-pred", "0,0,1,1"), 3, "zero vector"),
        (("compute", "multi-margin", "--y-true", "3", "--y-pred", "1,2,3"), 3, "class label"),
        (
            ("compute", "pinball", "--quantile", "0", "--y-true", "1", "--y-pred", "1"),
            2,
            "--quantile",
        ),
        (("compute", "poisson", "--logits", "--y-true", "1", "--y-pred", "1"), 2, "natural logs"),
        (("compute", "mse", "--log-input", "--y-true", "1", "--y-pred", "1"), 2, "raw"),
        (
            ("compute", "triplet", "--p-norm", "3", "--convention", "optax", "--y-pred", "0,0,1"),
            2,
            "even p",
        ),
        (
            ("compute", "nt-xent", "--batch-size", "2.5", "--y-true", "0,0", "--y-pred", "1;2"),
            2,
            "batch-size",
        ),
    ],
)
def test_errors_and_exit_codes(cli, args, code, words):
    run = cli(*args)
    assert run.exit_code == code, (run.stdout, run.stderr)
    assert run.stderr.startswith("losscli: error: ") and words in run.stderr
    assert run.stdout == ""
