"""compat.migrate on the corpus under tests/migrate: each Lua script translates, runs, and prints what
the Lua script prints (expected outputs written by hand from Lua's semantics, see its README)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from compat.migrate import translate
from tests.mpi_harness import REPO

CORPUS = Path(__file__).parent / "migrate"
SCRIPTS = sorted(p.stem for p in CORPUS.glob("*.lua") if (CORPUS / (p.stem + ".expected")).exists())
NUMBER = r"(-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|-?nan|-?inf)"


def matches(expected_line, actual_line):
    """Token by token; ``{num}`` inside an expected token matches any number."""
    expected, actual = expected_line.split(), actual_line.split()
    if len(expected) != len(actual):
        return False
    for e, a in zip(expected, actual):
        pattern = "".join(NUMBER if part == "{num}" else re.escape(part) for part in re.split(r"(\{num\})", e))
        if not re.fullmatch(pattern, a):
            return False
    return True


def run_translated(tmp_path, name, *args):
    source = (CORPUS / f"{name}.lua").read_text()
    result = translate(source, f"{name}.lua")
    out = tmp_path / f"{name}.py"
    out.write_text(result.code)
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(out), *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, check=False, timeout=300)
    return result, proc


def test_corpus_is_complete():
    assert set(SCRIPTS) >= {"scope_functions", "loops", "tables", "strings_logic", "objects_io", "tensors",
                            "train_mlp", "train_convnet"}


@pytest.mark.parametrize("name", SCRIPTS)
def test_translated_script_prints_what_lua_prints(tmp_path, name):
    result, proc = run_translated(tmp_path, name)
    assert result.todos == []
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = (CORPUS / f"{name}.expected").read_text().splitlines()
    actual = proc.stdout.splitlines()
    assert len(actual) == len(expected), proc.stdout
    for n, (e, a) in enumerate(zip(expected, actual), 1):
        assert matches(e, a), f"{name} line {n}: expected {e!r}, got {a!r}"


def test_the_matcher_fails_on_a_different_line():
    assert matches("loss {num}, 60 samples", "loss 4.0987, 60 samples")
    assert not matches("loss {num}, 60 samples", "loss 4.0987, 61 samples")
    assert not matches("a\tb", "a")
    assert not matches("{num}%", "x%")
