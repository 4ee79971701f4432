"""Run multi-rank test cases under a real mpiexec, grouped into one launch per (file, rank count).

A case file (tests/mpi_cases/*.py) holds plain functions named ``case_*`` that every rank runs in
definition order; ``@needs_ranks(...)`` (from tests.mpi_cases) limits a case to some rank counts.
Each rank appends one JSON line per case to its own result file, so a case that fails, and a
launch that hangs and is killed by the hard timeout, are reported with the rank and the traceback.
A pytest test asks for one case's result with :func:`check`; the launch runs once and is cached.
"""
import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "mpi_worker.py"
DEFAULT_TIMEOUT = float(os.environ.get("TORCHAD_TEST_TIMEOUT", "240"))
_launches = {}


def case_names(path):
    """Names of the ``case_*`` functions of a case file, in definition order (read without importing)."""
    tree = ast.parse(Path(path).read_text())
    return [node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("case_")]


def launch(path, nprocs, timeout=DEFAULT_TIMEOUT, extra_env=None):
    """Run every case of ``path`` on ``nprocs`` ranks; returns (results, output).

    results: {case: {rank: {"status": "pass"|"fail"|"skip", "message": str}}}
    """
    out_dir = Path(tempfile.mkdtemp(prefix="torchad-mpi-"))
    cmd = [sys.executable, "-m", "torchad_run", "-np", str(nprocs),
           "--timeout", str(timeout), "python", str(WORKER), str(path), str(out_dir)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1", **(extra_env or {}))
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout + 30)
        output, code = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        output, code = f"{exc.stdout or ''}{exc.stderr or ''}", "timeout"
    elapsed = time.monotonic() - started
    results = {}
    for rank_file in sorted(out_dir.glob("rank*.jsonl")):
        rank = int(rank_file.stem[4:])
        for line in rank_file.read_text().splitlines():
            entry = json.loads(line)
            results.setdefault(entry["case"], {})[rank] = entry
    summary = f"launch of {Path(path).name} on {nprocs} rank(s): exit {code} after {elapsed:.1f} s"
    return results, f"{summary}\n{output[-6000:]}"


def check(path, nprocs, case, timeout=DEFAULT_TIMEOUT):
    """Fail (naming the rank) unless ``case`` passed on every rank of the cached launch."""
    key = (str(path), nprocs)
    if key not in _launches:
        _launches[key] = launch(path, nprocs, timeout)
    results, output = _launches[key]
    per_rank = results.get(case, {})
    failures = [(r, e["message"]) for r, e in sorted(per_rank.items()) if e["status"] == "fail"]
    if failures:
        text = "\n".join(f"--- rank {r} of {nprocs}:\n{msg}" for r, msg in failures)
        pytest.fail(f"{case} failed on rank(s) {[r for r, _ in failures]} of {nprocs}:\n{text}\n\n{output}",
                    pytrace=False)
    missing = sorted(set(range(nprocs)) - set(per_rank))
    if missing:
        pytest.fail(f"{case} did not finish on rank(s) {missing} of {nprocs} (hang, crash or abort)\n{output}",
                    pytrace=False)
    if all(e["status"] == "skip" for e in per_rank.values()):
        pytest.skip(per_rank[0]["message"])
