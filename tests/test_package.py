"""The package as a whole: its public names load on first use, and importing it is cheap."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import backorder_analytics as ba

INIT = Path(ba.__file__)


def test_every_public_name_resolves_to_where_the_map_says():
    for name in ba.__all__:
        obj = getattr(ba, name)
        module = ba._MODULE_OF[name]
        assert obj is getattr(sys.modules["backorder_analytics" + module], name)
    assert set(dir(ba)) >= set(ba.__all__)


def test_static_imports_list_the_same_names_as_the_lazy_map():
    """What type checkers and IDEs see (the TYPE_CHECKING imports) is what the module's
    __getattr__ serves, name for name and module for module."""
    tree = ast.parse(INIT.read_text())
    block = next(node for node in tree.body if isinstance(node, ast.If)
                 and getattr(node.test, "id", "") == "TYPE_CHECKING")
    static = {alias.name: "." + node.module for node in block.body
              for alias in node.names}
    assert static == ba._MODULE_OF


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        ba.no_such_thing  # noqa: B018


def test_import_loads_none_of_the_heavy_libraries():
    """`import backorder_analytics` costs almost nothing beyond Python itself (issue 15:
    under a second more than pandas); SciPy, scikit-learn, numba and matplotlib load
    when a name that needs them is first used."""
    code = ("import sys, json; import backorder_analytics as ba; "
            "before = sorted(m for m in ('pandas', 'scipy', 'sklearn', 'numba', "
            "'matplotlib') if m in sys.modules); ba.forecast; "
            "after = sorted(m for m in ('scipy', 'numba') if m in sys.modules); "
            "print(json.dumps([before, after]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=INIT.parent.parent)
    before, after = json.loads(out.stdout.strip().splitlines()[-1])
    assert before == []
    assert after == ["numba", "scipy"]
