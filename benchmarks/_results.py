"""Recording a benchmark's output in benchmarks/RESULTS.md (run as ``python benchmarks/bench_*.py``,
so this folder is on the import path).

Every benchmark takes ``--write-results``: what it prints is then also written into its own section
of RESULTS.md, between the markers ``<!-- results: NAME -->`` and ``<!-- /results: NAME -->``,
replacing the previous run's (or appended, the first time), under a line naming the command, the
date and the machine. Text outside the markers (notes written by hand) is left as it is. Nothing is
written when the benchmark fails.
"""
import contextlib
import datetime
import io
import os
import platform
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def add_option(parser):
    """Add ``--write-results`` to a benchmark's argparse parser."""
    parser.add_argument("--write-results", action="store_true",
                        help=f"also write the output into this benchmark's section of {RESULTS.name}")


def _markers(name):
    return f"<!-- results: {name} -->", f"<!-- /results: {name} -->"


def machine():
    """One line on where the figures come from."""
    try:
        import torch
        versions = f"torch {torch.__version__}, "
    except ImportError:
        versions = ""
    load = ", load average {:.1f}".format(os.getloadavg()[0]) if hasattr(os, "getloadavg") else ""
    return (f"{platform.machine()}, {os.cpu_count()} cores{load}; Python {platform.python_version()}, "
            f"{versions}{platform.system()} {platform.release()}")


def section(name, output, command, when=None):
    """The text of section ``name``: the command, date and machine, then ``output`` verbatim."""
    when = when or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    start, end = _markers(name)
    return (f"{start}\n`{command}`, {when}, {machine()}:\n\n```text\n{output.rstrip()}\n```\n{end}\n")


def replace_section(text, name, new_section):
    """``text`` with section ``name`` replaced by ``new_section`` (appended when absent)."""
    start, end = _markers(name)
    i = text.find(start)
    if i < 0:
        return text.rstrip("\n") + "\n\n" + new_section if text.strip() else new_section
    j = text.find(end, i)
    if j < 0:
        raise ValueError(f"{RESULTS.name}: {start} has no matching {end}")
    j += len(end)
    if text[j:j + 1] == "\n":
        j += 1
    return text[:i] + new_section + text[j:]


def write(name, output, command, path=RESULTS):
    path = Path(path)
    text = path.read_text() if path.exists() else ""
    path.write_text(replace_section(text, name, section(name, output, command)))


class _Tee(io.TextIOBase):
    def __init__(self, stream):
        self.stream, self.copy = stream, io.StringIO()

    def write(self, s):
        self.copy.write(s)
        return self.stream.write(s)

    def flush(self):
        self.stream.flush()


@contextlib.contextmanager
def recorded(name, enabled, path=RESULTS, argv=None):
    """Print as usual; with ``enabled``, also write what was printed into section ``name`` once the
    block has finished without an exception."""
    if not enabled:
        yield
        return
    tee = _Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        yield
    argv = sys.argv if argv is None else argv
    command = " ".join(["python", f"benchmarks/{Path(argv[0]).name}"] + [a for a in argv[1:] if a != "--write-results"])
    write(name, tee.copy.getvalue(), command, path)
    print(f"written into {Path(path).name}, section {name}")
