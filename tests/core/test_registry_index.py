"""The registry imports a family module only when one of its losses is asked for: the
generated index (losscli/core/losses/index.py) must name, for every spelling of every loss,
the module that registers it, and asking for one loss must load that module alone."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from losscli.core.losses import FAMILY_MODULES
from losscli.core.losses.index import MODULE_OF
from losscli.core.losses.registry import all_losses, family_module, get, names_and_aliases


def test_the_index_names_the_module_of_every_spelling_and_nothing_else() -> None:
    expected = {
        spelling: family_module(loss)
        for loss in all_losses()
        for spelling in (loss.name, *loss.aliases)
    }
    assert MODULE_OF == expected
    assert set(MODULE_OF.values()) == set(FAMILY_MODULES)
    assert set(MODULE_OF) == set(names_and_aliases())


# In a fresh interpreter: ask for one loss, print the family modules then imported.
SCRIPT = (
    "import json, sys\n"
    "from losscli.core.losses.registry import get\n"
    "name = get(sys.argv[1]).name\n"
    "families = [m.rsplit('.', 1)[1] for m in sys.modules\n"
    "            if m.rsplit('.', 1)[0] == 'losscli.core.losses']\n"
    "print(json.dumps([name, sorted(families)]))\n"
)


# A family module that uses another's functions imports it (multiclass.py uses
# classification.py's, nce.py both): those come with it, and no other.
USES = {"multiclass": {"classification"}, "nce": {"classification", "multiclass"}}


def _first_loss_of(module: str) -> str:
    return next(loss.name for loss in all_losses() if family_module(loss) == module)


@pytest.mark.parametrize("module", FAMILY_MODULES)
def test_asking_for_one_loss_imports_its_family_module_alone(module: str) -> None:
    loss = _first_loss_of(module)
    # By an alias in another spelling where it has one: the index is read case-insensitively.
    spelling = (get(loss).aliases or (loss,))[0].upper().replace("-", "_")
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, spelling], capture_output=True, text=True, check=True
    ).stdout
    name, imported = json.loads(out)
    assert name == loss
    assert {m for m in imported if m in FAMILY_MODULES} == {module} | USES.get(module, set())


def test_an_unknown_name_still_gets_the_closest_spelling_of_the_whole_catalog() -> None:
    # "kl-divergenc" is closest to a divergence.py alias, though no family module is loaded.
    code = (
        "from losscli.core.losses.registry import get\n"
        "try:\n    get('kl-divergenc')\nexcept Exception as error:\n    print(error)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == (
        "unknown loss 'kl-divergenc'; did you mean kl-divergence? (losscli list shows them all)"
    )
