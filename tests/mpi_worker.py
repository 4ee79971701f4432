"""Runs on every rank: import a case file, run its ``case_*`` functions in order, record each result.

usage: mpi_worker.py CASE_FILE OUT_DIR [CASE,CASE,...]   (started by tests.mpi_harness through torchad-run)

A case that fails on this rank ends the whole job at once (MPI abort) once its result is written:
the other ranks may be waiting for this one in a collective, and would otherwise wait out the
harness's hard timeout. The harness starts a new launch for the cases that follow.
"""
import importlib.util
import json
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from automatedparallelization import comm  # noqa: E402  (starts MPI, installs the abort hook)
from tests.mpi_cases import SkipCase  # noqa: E402


def main(case_file, out_dir, only=None):
    spec = importlib.util.spec_from_file_location(Path(case_file).stem, case_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    me, n = comm.rank(), comm.size()
    cases = [(name, fn) for name, fn in vars(module).items() if name.startswith("case_") and callable(fn)
             and (only is None or name in only)]
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
            if entry["status"] == "fail":
                sys.stderr.write(f"rank {me}: {name} failed; ending the launch\n{entry['message']}")
                sys.stderr.flush()
                comm.abort(1)
            comm.barrier()  # keep the ranks in step: a case never overlaps the next one


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3].split(",") if len(sys.argv) > 3 else None)
