"""Every code block of README.md and docs/ is a complete program that runs, or visibly an excerpt.

A fenced block is an excerpt when its first line is a comment starting with ``# excerpt`` (``--
excerpt`` in Lua; the reader sees it) or when its language is ``text`` (file formats, printed
output). Every other ``python`` block is run as a program, alone and on 2 and 3 ranks under
``torchad-run``; every other ``lua`` block is translated by ``torchad-migrate`` and run the same
way; any other language must be marked.
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
    return lang == "text" or body.lstrip().startswith("-- excerpt" if lang == "lua" else "# excerpt")


@pytest.mark.parametrize("lang,body", BLOCKS)
def test_block_is_a_program_or_marked(lang, body):
    assert lang in ("python", "lua") or _excerpt(lang, body), (
        f"a ```{lang} block must start with a '# excerpt' comment line (or be ```text)")


PROGRAMS = [p for p in BLOCKS if p.values[0] in ("python", "lua") and not _excerpt(*p.values)]


def _run(cmd, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _write_program(lang, body, tmp_path):
    """program.py in ``tmp_path``: the block itself, or the Lua block translated by torchad-migrate."""
    if lang == "python":
        (tmp_path / "program.py").write_text(body)
        return
    (tmp_path / "program.lua").write_text(body)
    _run([sys.executable, "-m", "compat.migrate", "program.lua", "-o", "program.py"], tmp_path)


@pytest.mark.parametrize("lang,body", PROGRAMS)
def test_program_runs_alone(lang, body, tmp_path):
    _write_program(lang, body, tmp_path)
    _run([sys.executable, "program.py"], tmp_path)


@pytest.mark.mpi
@pytest.mark.parametrize("nprocs", [2, 3])
@pytest.mark.parametrize("lang,body", PROGRAMS)
def test_program_runs_on_several_ranks(lang, body, nprocs, tmp_path):
    _write_program(lang, body, tmp_path)
    _run([sys.executable, "-m", "torchad_run", "-np", str(nprocs), "--timeout", "240",
          "python", "program.py"], tmp_path)


@pytest.mark.mpi
def test_the_parallelize_walkthrough_saves_and_resumes(tmp_path):
    """docs/migration.md, "Parallelize a migrated script": the translated Lua program trains on 2
    ranks, saves on rank 0, and a second run resumes from the checkpoint at the next epoch."""
    text = (REPO / "docs" / "migration.md").read_text()
    section = text.split("## Parallelize a migrated script", 1)[1]
    lua = FENCE.search(section)
    assert lua.group(1) == "lua"
    _write_program("lua", lua.group(2), tmp_path)
    run = [sys.executable, "-m", "torchad_run", "-np", "2", "--timeout", "240", "python", "program.py"]
    first = _run(run + ["-epochs", "2"], tmp_path)
    assert [line.split(":")[0] for line in first.splitlines()] == ["epoch 1", "epoch 2"], first
    second = _run(run + ["-epochs", "4", "-resume", "checkpoint.t7"], tmp_path)
    assert [line.split(":")[0] for line in second.splitlines()] == ["epoch 3", "epoch 4"], second
    losses = [float(line.split()[-1]) for line in first.splitlines() + second.splitlines()]
    assert losses == sorted(losses, reverse=True), losses          # training goes on where it stopped
    for name in ("train.log", "train.log.rank1"):
        rows = (tmp_path / name).read_text().splitlines()
        assert rows[0] == "epoch\tloss\t" and [float(r.split()[0]) for r in rows[1:]] == [3.0, 4.0], rows
