"""The loss registry: one record per loss, everything the catalog and the commands need.

A family module (regression.py, classification.py, ...) defines its losses as `Loss` records
(types.py) and passes each to `register`. A family module is imported when one of its losses
is first asked for (`get`: the generated index.py names the module of every spelling), and
every family module, in the order losses/__init__.py lists them, when the whole catalog is
(`all_losses`, `names_and_aliases`). `list`, `show`, `compare`, completion and the property
tests all read from here, so adding a loss is one record plus its reference data.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from importlib import import_module

from losscli.core.errors import UsageError
from losscli.core.losses import FAMILY_MODULES
from losscli.core.losses.index import MODULE_OF
from losscli.core.losses.types import Loss, Space

_LOSSES: dict[str, Loss] = {}
_NAMES: dict[str, str] = {}
_ALL_LOADED = False
# A family module's place in the catalog's order.
_RANK = {f"{__package__}.{module}": position for position, module in enumerate(FAMILY_MODULES)}


def register(loss: Loss) -> Loss:
    for key in (loss.name, *loss.aliases):
        if key in _NAMES:
            raise ValueError(f"loss name {key!r} registered twice")
        _NAMES[key] = loss.name
    _LOSSES[loss.name] = loss
    return loss


def _load(module: str) -> None:
    import_module(f"{__package__}.{module}")  # its records register themselves


def _load_all() -> None:
    global _ALL_LOADED
    if not _ALL_LOADED:
        for module in FAMILY_MODULES:
            _load(module)
        _ALL_LOADED = True


def family_module(loss: Loss) -> str | None:
    """The family module (in FAMILY_MODULES) that defines the loss, or None: a family module
    defines its losses' value functions, so they name the module."""
    package, _, module = loss.value.__module__.rpartition(".")
    return module if package == __package__ and module in FAMILY_MODULES else None


def _rank(loss: Loss) -> int:
    # A loss registered from outside the family modules comes after all of theirs.
    return _RANK.get(loss.value.__module__, len(_RANK))


def all_losses() -> tuple[Loss, ...]:
    """Every loss, in the catalog's order: family module by family module as
    losses/__init__.py lists them, each module's losses in the order it registers them,
    whichever module was imported first."""
    _load_all()
    return tuple(sorted(_LOSSES.values(), key=_rank))


def names_and_aliases() -> dict[str, str]:
    """Every accepted spelling mapped to its canonical name."""
    _load_all()
    return dict(sorted(_NAMES.items(), key=lambda item: _rank(_LOSSES[item[1]])))


def get(name: str) -> Loss:
    """The loss named `name` or one of its aliases (case and _/- insensitive)."""
    key = name.strip().lower().replace("_", "-")
    if key not in _NAMES and key in MODULE_OF:
        _load(MODULE_OF[key])
    if key not in _NAMES:
        _load_all()  # a loss registered outside the index, or none at all
    if key in _NAMES:
        return _LOSSES[_NAMES[key]]
    close = difflib.get_close_matches(key, list(names_and_aliases()), n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    raise UsageError(f"unknown loss {name!r}{hint} (losscli list shows them all)")


@dataclass(frozen=True)
class AliasMeaning:
    """What an alias that names one framework's function reads and computes, where that is
    not the catalog's default: the space of its predictions and the convention."""

    function: str
    space: Space | None = None
    convention: str | None = None

    def describe(self, alias: str) -> str:
        reads = {None: "", "logit": "reads logits", "logprob": "reads log-probabilities",
                 "log": "reads natural logs (log-rates)", "prob": "reads probabilities",
                 "raw": "reads raw scores"}[self.space]  # fmt: skip
        how = [part for part in (reads, self.convention and f"computes as --convention "
               f"{self.convention}") if part]  # fmt: skip
        return f"{alias} is {self.function}: it {' and '.join(how)}"


# An alias that names one framework's function computes what that function computes: the
# space it reads (BCEWithLogitsLoss takes logits) and the framework's convention. A generic
# name, or one that several frameworks share with different meanings (huber-loss,
# mean-absolute-percentage-error, sigmoid-focal), is the catalog's loss. `--logits` and the
# like, or `--convention`, given explicitly, win. tests/cli/test_aliases.py checks every alias
# against the formula of the function it names.
ALIAS_MEANINGS: dict[str, AliasMeaning] = {
    "bce-with-logits": AliasMeaning("torch.nn.BCEWithLogitsLoss", "logit", "torch"),
    "multilabel-soft-margin": AliasMeaning("torch.nn.MultiLabelSoftMarginLoss", "logit", "torch"),
    "sigmoid-cross-entropy": AliasMeaning(
        "tf.nn.sigmoid_cross_entropy_with_logits (optax.losses.sigmoid_binary_cross_entropy)",
        "logit",
    ),
    "sigmoid-focal": AliasMeaning(
        "sigmoid_focal_loss (Optax's, alpha=None; torchvision's alpha=0.25 is --convention torch)",
        "logit",
    ),
    "nll": AliasMeaning("torch.nn.NLLLoss", "logprob", "torch"),
    "kl-div": AliasMeaning("torch.nn.functional.kl_div(log Q, P)", "logprob", "torch"),
    "kld": AliasMeaning("keras.losses.kld", None, "keras"),
    "poisson-nll": AliasMeaning("torch.nn.PoissonNLLLoss(log_input=True)", "log", "torch"),
    "gaussian-nll-loss": AliasMeaning("torch.nn.GaussianNLLLoss", None, "torch"),
    "smooth-l1-loss": AliasMeaning("torch.nn.SmoothL1Loss", None, "torch"),
    "multi-margin-loss": AliasMeaning("torch.nn.MultiMarginLoss", None, "torch"),
    "triplet-margin-loss": AliasMeaning("torch.nn.TripletMarginLoss", None, "torch"),
    "cosine-embedding-loss": AliasMeaning("torch.nn.CosineEmbeddingLoss", None, "torch"),
    "margin-ranking-loss": AliasMeaning("torch.nn.MarginRankingLoss", None, "torch"),
    "binary-crossentropy": AliasMeaning("keras.losses.binary_crossentropy", None, "keras"),
    "categorical-hinge": AliasMeaning("keras.losses.CategoricalHinge", None, "keras"),
    "categorical-focal": AliasMeaning("keras.losses.CategoricalFocalCrossentropy", None, "keras"),
    "log-loss": AliasMeaning("sklearn.metrics.log_loss", None, "sklearn"),
    "logloss": AliasMeaning("sklearn.metrics.log_loss", None, "sklearn"),
    "poisson-deviance": AliasMeaning("sklearn.metrics.mean_poisson_deviance", None, "sklearn"),
    "mean-tweedie-deviance": AliasMeaning("sklearn.metrics.mean_tweedie_deviance", None, "sklearn"),
    "mean-gamma-deviance": AliasMeaning("sklearn.metrics.mean_gamma_deviance", None, "sklearn"),
    "mean-squared-log-error": AliasMeaning(
        "sklearn.metrics.mean_squared_log_error", None, "sklearn"
    ),
    "root-mean-squared-error": AliasMeaning(
        "sklearn.metrics.root_mean_squared_error", None, "sklearn"
    ),
    "pinball-loss": AliasMeaning("sklearn.metrics.mean_pinball_loss", None, "sklearn"),
    "brier-score-loss": AliasMeaning("sklearn.metrics.brier_score_loss", None, "sklearn"),
    "perceptron-loss": AliasMeaning("optax.losses.perceptron_loss", None, "optax"),
    "poly1-cross-entropy": AliasMeaning("optax.losses.poly_loss_cross_entropy", "logit", "optax"),
}


def alias_meaning(name: str) -> AliasMeaning | None:
    """What `name` reads and computes when it is an alias naming one framework's function."""
    return ALIAS_MEANINGS.get(name.strip().lower().replace("_", "-"))
