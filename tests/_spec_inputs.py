"""The input expressions of ``fixtures/torch7_refs/spec.py`` (Lua syntax) evaluated in Python for
any batch size, so that tests and benchmarks can run every case on shapes other than the
reference file's (the held-out references use another batch size)."""
import re
import sys
from pathlib import Path

import torch

from compat import nn

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "torch7_refs"))
from spec import CRITERIA, MODULES  # noqa: E402,F401


class _LuaTorch:
    """The names the expressions use: ``torch.randn``, ``torch.rand``, ``torch.LongTensor(sizes)``
    and the table literal ``torch.LongTensor{...}`` (``[...]`` once the braces are translated)."""

    randn = staticmethod(torch.randn)
    rand = staticmethod(torch.rand)

    class _Long:
        def __call__(self, *sizes):
            return torch.zeros(sizes, dtype=torch.long)

        def __getitem__(self, rows):
            return torch.tensor(list(rows) if isinstance(rows, tuple) else rows, dtype=torch.long)

    LongTensor = _Long()


def lua_input(expr, batch):
    """A spec input (or target) expression evaluated with batch size ``batch``: ``{...}`` tables
    become lists, ``:method`` calls ``.method``, ``x:random(a, b)`` draws integers in [a, b]."""
    s = expr.replace("{B}", str(batch)).replace(":", ".").replace("{", "[").replace("}", "]")
    s = re.sub(r"\.random\((\d+),\s*(\d+)\)", lambda m: f".random_({m[1]}, {int(m[2]) + 1})", s)
    return eval(s, {"torch": _LuaTorch(), "nn": nn})
