"""The losses: the records (types.py), the registry, the family modules that define the losses,
and their numerics and input checks. The bottom of the core: nothing here imports a convention,
a request, advice or an exercise.

The families are listed here, in the order `losscli list` shows them: the catalog's first
losses family by family (regression, classification, divergence, metric), then the modules
that add to them. Within a family module, its losses come in the order it defines them.
Importing any module of this package imports this list first, so the order does not depend on
which module is imported first (tests/core/test_registry_order.py checks it).
"""

# isort: off
from losscli.core.losses import regression
from losscli.core.losses import classification
from losscli.core.losses import divergence
from losscli.core.losses import metric
from losscli.core.losses import likelihood
from losscli.core.losses import multiclass
from losscli.core.losses import nce
# isort: on

FAMILIES = (regression, classification, divergence, metric, likelihood, multiclass, nce)
