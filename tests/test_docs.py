"""Every code block of README.md and docs/ is a complete program that runs, or visibly an excerpt.

A fenced block is an excerpt when its first line is a comment starting with ``# excerpt`` (the
reader sees it) or when its language is ``text`` (file formats, printed output). Every other
``python`` block is run as a program, alone and on 2 and 3 ranks under ``torchad-run``; any other
language must be marked.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "examples").glob("*/README.md")),
        REPO / "benchmarks" / "RESULTS.md"]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)


def _blocks():
    for path in DOCS:
        text = path.read_text()
        for m in FENCE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            yield pytest.param(m.group(1), m.group(2), id=f"{path.relative_to(REPO)}:{line}")


BLOCKS = list(_blocks())


def _excerpt(lang, body):
    return lang == "text" or body.lstrip().startswith("# excerpt")


@pytest.mark.parametrize("lang,body", BLOCKS)
def test_block_is_a_program_or_marked(lang, body):
    assert lang == "python" or _excerpt(lang, body), (
        f"a ```{lang} block must start with a '# excerpt' comment line (or be ```text)")


PROGRAMS = [p for p in BLOCKS if p.values[0] == "python" and not _excerpt(*p.values)]


def _run(cmd, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.mark.parametrize("lang,body", PROGRAMS)
def test_program_runs_alone(lang, body, tmp_path):
    (tmp_path / "program.py").write_text(body)
    _run([sys.executable, "program.py"], tmp_path)


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
@pytest.mark.parametrize("lang,body", PROGRAMS)
def test_program_runs_on_several_ranks(lang, body, nprocs, tmp_path):
    (tmp_path / "program.py").write_text(body)
    _run([sys.executable, "-m", "torchad_run", "-np", str(nprocs), "--timeout", "240",
          "python", "program.py"], tmp_path)
