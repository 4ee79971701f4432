"""Where the tests find their committed reference data (one place for every test file).

- ``T7_FIXTURES``: files written by real Lua Torch7 (``tests/fixtures/t7``, see its README.md);
- ``TORCH7_REFS``: the Lua case lists and checkers that produced them (``tests/fixtures/torch7_refs``).

Also one fixture: ``double_default`` (Torch7's default tensor type, Double, for one test).

Both are part of the repository, so a fresh clone runs every test without anything beside it.
``$TORCHAD_FIXTURES`` points the Torch7 tests at another directory of the same layout (e.g. a
held-out set written with other seeds).
"""
import os
from pathlib import Path

import pytest
import torch

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
T7_FIXTURES = Path(os.environ.get("TORCHAD_FIXTURES") or TESTS / "fixtures" / "t7")
TORCH7_REFS = TESTS / "fixtures" / "torch7_refs"


def t7_fixture(name):
    """Path of the Torch7 fixture ``name`` (relative to ``T7_FIXTURES``); a missing one is an error."""
    path = T7_FIXTURES / name
    if not path.exists():
        raise FileNotFoundError(f"Torch7 fixture {name!r} not found in {T7_FIXTURES} "
                                f"(tests/fixtures/t7 is committed with the repository)")
    return path


def load_fixture(name):
    """A Torch7 fixture read by compat.t7 (ascii when its name says so, as the fixture README states)."""
    from compat import t7
    return t7.load(str(t7_fixture(name)), "ascii" if "ascii" in name else "binary")


@pytest.fixture
def double_default():
    """PyTorch's default dtype float64 (Lua Torch7's default tensor type is Double) for one test."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)
