"""Run multi-rank test cases under a real mpiexec, grouped into one launch per (file, rank count).

A case file (tests/mpi_cases/*.py) holds plain functions named ``case_*`` that every rank runs in
definition order; ``@needs_ranks(...)`` (from tests.mpi_cases) limits a case to some rank counts.
Each rank appends one JSON line per case to its own result file, so a case that fails, and a
launch that hangs and is killed by the hard timeout, are reported with the rank and the traceback.
A case that fails on one rank ends its launch at once (the worker aborts the job, so no rank waits
for it until the timeout); the cases after it run in a new launch (:func:`run_all`).
A pytest test asks for one case's result with :func:`check`; the launches run once and are cached.
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


def _rank_counts(node):
    """The rank counts of a ``@needs_ranks(...)`` decorator on ``node``, or None."""
    for deco in node.decorator_list:
        if isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "needs_ranks":
            return {ast.literal_eval(arg) for arg in deco.args}
    return None


def case_runs(path, counts=(1, 2, 3)):
    """``(case, nprocs)`` pairs for ``pytest.mark.parametrize("case,nprocs", ...)``: every case of
    ``path`` at every count in ``counts`` that its ``@needs_ranks`` allows (so nothing is skipped)."""
    tree = ast.parse(Path(path).read_text())
    runs = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("case_"):
            allowed = _rank_counts(node)
            runs += [pytest.param(node.name, n, id=f"{node.name}-{n}") for n in counts
                     if allowed is None or n in allowed]
    return runs


def launch(path, nprocs, timeout=DEFAULT_TIMEOUT, extra_env=None, cases=None):
    """Run the cases of ``path`` (all, or the names in ``cases``) on ``nprocs`` ranks in ONE launch;
    returns (results, output).

    results: {case: {rank: {"status": "pass"|"fail"|"skip", "message": str}}}
    """
    out_dir = Path(tempfile.mkdtemp(prefix="torchad-mpi-"))
    cmd = [sys.executable, "-m", "torchad_run", "-np", str(nprocs),
           "--timeout", str(timeout), "python", str(WORKER), str(path), str(out_dir)]
    if cases is not None:
        cmd.append(",".join(cases))
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


def run_all(path, nprocs, timeout=DEFAULT_TIMEOUT):
    """Every case of ``path`` on ``nprocs`` ranks, in as few launches as the failures allow: when a
    launch ends before all its cases ran (a case failed and aborted it, or it crashed or hung), the
    first case without a result on every rank is the culprit, and the cases after it are launched
    again. Returns (results, {case: output of the launch that ran it})."""
    results, outputs, remaining = {}, {}, case_names(path)
    while remaining:
        found, output = launch(path, nprocs, timeout, cases=remaining)
        results.update(found)
        if not found:                   # nothing ran at all (start-up failed): relaunching won't help
            outputs.update(dict.fromkeys(remaining, output))
            break
        complete = [len(found.get(name, {})) == nprocs for name in remaining]
        culprit = complete.index(False) if False in complete else len(remaining)
        for name in remaining[:culprit + 1]:
            outputs[name] = output
        remaining = remaining[culprit + 1:]
    return results, outputs


def check(path, nprocs, case, timeout=DEFAULT_TIMEOUT):
    """Fail (naming the rank) unless ``case`` passed on every rank (launches cached per file)."""
    key = (str(path), nprocs)
    if key not in _launches:
        _launches[key] = run_all(path, nprocs, timeout)
    results, outputs = _launches[key]
    output = outputs.get(case, "")
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
