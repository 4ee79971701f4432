"""Shared helpers for the compat.nn tests: locate the Torch7 fixtures."""
import os
from pathlib import Path

import pytest

_REPO = Path(__file__).resolve().parent.parent


def fixture_dir():
    for d in (_REPO.parent / 'shared' / 'fixtures' / 't7', Path('/work/shared/fixtures/t7')):
        if d.is_dir():
            return d
    return None


def load_fixture(name):
    d = fixture_dir()
    if d is None or not os.path.exists(d / name):
        pytest.skip(f"Torch7 fixture {name} not found (expected in <repo>/../shared/fixtures/t7)")
    from compat import t7
    return t7.load(str(d / name), 'ascii' if 'ascii' in name else 'binary')
