"""How fast a fault on one rank ends the whole job: seconds from the fault to the end of ``torchad-run``.

    python benchmarks/bench_faults.py [--np 2] [--only NAME ...]

Every row starts the same small data-parallel training (``parallelize(..., sync='gradients')``, a
collective per step) on ``--np`` ranks through ``torchad-run`` and injects one fault on rank 1 in
the middle of its second epoch; the rank writes the time of the fault just before it. For a signal
to the launcher, the time is taken when the signal is sent. The table gives the seconds from the
fault to the launcher's exit, its exit status, and whether the output names the cause. The runs
use whichever MPI the running Python's mpi4py uses (run it from the Open MPI virtual environment
for Open MPI). The stall row sets ``TORCHAD_STALL_ABORT=10`` (the default is 600 s).
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import _results  # this folder is on the path when run as a script

REPO = Path(__file__).resolve().parent.parent

JOB = textwrap.dedent("""
    import os, signal, sys, time, torch
    from automatedparallelization import comm
    from automatedparallelization import datamodule as automation
    fault, stamp = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.Tanh(), torch.nn.Linear(64, 4))
    X, Y = torch.randn(1600, 32), torch.randn(1600, 4)
    x, y, n = automation.parallelize(X, Y, model, len(X), batchSize=1, sync="gradients", samples_per_backward=8)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    if comm.rank() == 0:
        print("ready", flush=True)

    def inject():
        with open(stamp, "w") as f:
            f.write(repr(time.time()))
        if fault == "exception":
            raise RuntimeError("injected fault")
        if fault == "SIGKILL":
            os.kill(os.getpid(), signal.SIGKILL)
        if fault == "sys.exit(0)":
            sys.exit(0)
        if fault == "sys.exit(3)":
            sys.exit(3)
        if fault == "os._exit(0)":
            os._exit(0)
        if fault == "skipped backward, then busy":
            time.sleep(3600)
        return fault == "return from the script"

    for epoch in range(1000 if fault == "SIGINT to the launcher" else 3):
        for i in range(0, n, 8):
            loss = (model(x[i:i + 8]) - y[i:i + 8]).pow(2).mean()
            opt.zero_grad()
            if comm.rank() == 1 and epoch == 1 and i == 80 and fault != "SIGINT to the launcher" and inject():
                break
            loss.backward()
            opt.step()
        else:
            continue
        break
""")

FAULTS = {          # name -> words the output must hold (the cause named)
    "exception": ["injected fault", "rank 1 of"],
    "SIGKILL": [],
    "sys.exit(0)": ["rank 1 exited with status 0"],
    "sys.exit(3)": ["exiting with status 3"],
    "os._exit(0)": [],
    "return from the script": ["rank 1 exited with status 0"],
    "skipped backward, then busy": ["stalled collective"],
    "SIGINT to the launcher": ["SIGINT"],
}


def run(fault, nprocs, folder):
    script, stamp = Path(folder) / "job.py", Path(folder) / f"fault-{abs(hash(fault))}"
    script.write_text(JOB)
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p))
    if fault.startswith("skipped"):
        env["TORCHAD_STALL_ABORT"] = "10"
    cmd = [sys.executable, "-m", "torchad_run", "-np", str(nprocs), "--timeout", "300", "python", str(script),
           fault, str(stamp)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    out = []
    for line in proc.stdout:
        out.append(line)
        if "ready" in line:
            break
    if fault == "SIGINT to the launcher":
        time.sleep(1.0)
        stamp.write_text(repr(time.time()))
        os.kill(proc.pid, signal.SIGINT)
    out.append(proc.stdout.read())
    code = proc.wait()
    ended = time.time()
    text = "".join(out)
    seconds = ended - float(stamp.read_text()) if stamp.exists() else float("nan")
    named = all(w in text for w in FAULTS[fault])
    return seconds, code, named, text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--np", type=int, default=2)
    parser.add_argument("--only", nargs="*", choices=sorted(FAULTS), default=None)
    parser.add_argument("--verbose", action="store_true", help="print each job's output")
    _results.add_option(parser)
    args = parser.parse_args()
    with _results.recorded("bench_faults", args.write_results):
        import mpi4py
        mpi4py.rc.initialize = False          # only the library's name: no MPI in this process
        from mpi4py import MPI
        library = MPI.Get_library_version().splitlines()[0][:40]
        print(f"{args.np} ranks, {library}")
        print("| fault on rank 1 | seconds to the end of the job | exit status | cause named |")
        print("|---|---|---|---|")
        with tempfile.TemporaryDirectory() as folder:
            for fault in args.only or FAULTS:
                seconds, code, named, text = run(fault, args.np, folder)
                print(f"| {fault} | {seconds:.1f} | {code} | {'yes' if named else 'no'} |", flush=True)
                if args.verbose:
                    print(text[-2000:])


if __name__ == "__main__":
    main()
