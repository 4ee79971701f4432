"""Runs on every rank: import a case file, run its ``case_*`` functions in order, record each result.

usage: mpi_worker.py CASE_FILE OUT_DIR   (started by tests.mpi_harness through torchad-run)
"""
import importlib.util
import json
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from automatedparallelization import comm  # noqa: E402  (starts MPI, installs the abort hook)
from tests.mpi_cases import SkipCase  # noqa: E402


def main(case_file, out_dir):
    spec = importlib.util.spec_from_file_location(Path(case_file).stem, case_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    me, n = comm.rank(), comm.size()
    cases = [(name, fn) for name, fn in vars(module).items() if name.startswith("case_") and callable(fn)]
    with open(Path(out_dir) / f"rank{me}.jsonl", "a") as out:
        for name, fn in cases:
            allowed = getattr(fn, "needs_ranks", None)
            if allowed is not None and n not in allowed:
                entry = {"status": "skip", "message": f"{name} runs on {sorted(allowed)} ranks only"}
            else:
                try:
                    fn()
                    entry = {"status": "pass", "message": ""}
                except SkipCase as exc:
                    entry = {"status": "skip", "message": str(exc)}
                except Exception:
                    entry = {"status": "fail", "message": traceback.format_exc()}
            out.write(json.dumps(dict(entry, case=name, rank=me)) + "\n")
            out.flush()
            comm.barrier()  # keep the ranks in step: a case never overlaps the next one


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
