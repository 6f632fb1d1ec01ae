"""The losses: the records (types.py), the registry, the family modules that define the losses,
and their numerics and input checks. The bottom of the core: nothing here imports a convention,
a request, advice or an exercise.

The family modules are listed here, in the order `losscli list` shows them: the catalog's first
losses family by family (regression, classification, divergence, metric), then the modules
that add to them. Within a family module, its losses come in the order it defines them.

Nothing here imports a family module: the registry imports the one that defines a loss when
that loss is asked for (its generated index, index.py, says which), and all of them, in this
order, when the whole catalog is asked for. A one-off `losscli compute mse` loads
regression.py alone. The catalog's order does not depend on which module is imported first
(tests/core/test_registry_order.py checks it).
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

FAMILY_MODULES: tuple[str, ...] = (
    "regression",
    "classification",
    "divergence",
    "metric",
    "likelihood",
    "multiclass",
    "nce",
)


def __getattr__(name: str) -> tuple[ModuleType, ...]:
    # FAMILIES, the family modules themselves, is made (and they are imported) on first use.
    if name == "FAMILIES":
        return tuple(import_module(f"{__name__}.{module}") for module in FAMILY_MODULES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
