"""What ``torchad-run`` and the ranks it starts share: the job directory's files and the environment.

Standard library only, and free of side effects, so that both the launcher (which must not load
torch or start MPI) and the library (``automatedparallelization``, on every rank) import it.

The job directory (``$TORCHAD_JOB_DIR``, made fresh by the launcher for each job) holds, per rank R:

- ``rankR.exit``: the rank left its program; the text is its exit status, or ``?`` when unknown;
- ``rankR.error``: the rank is failing on an unhandled exception; a JSON object with ``rank``,
  ``size``, ``time`` (seconds since the epoch, to tell which rank failed first), ``type``,
  ``message``, ``short`` (the traceback without the frames of the launcher, ``runpy`` and the
  libraries) and ``full`` (Python's whole traceback);
- ``rankR.wait``: written by the stall watchdog while the rank waits in a collective.

Each file is written whole under a temporary name and renamed, so a reader never sees half of one.
"""
import json
import os
import time
import traceback
from pathlib import Path

JOB_DIR_ENV = "TORCHAD_JOB_DIR"
TAG_OUTPUT_ENV = "TORCHAD_TAG_OUTPUT"
VERBOSE_ENV = "TORCHAD_VERBOSE"
MMAP_THRESHOLD = 16 << 20
TRIM_THRESHOLD = 64 << 20


def job_dir():
    """The job directory of this rank, or None outside ``torchad-run`` (read when used)."""
    return os.environ.get(JOB_DIR_ENV) or None


def _write_whole(path, text):
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def record_path(folder, rank):
    return os.path.join(folder, f"rank{int(rank)}.exit")


def write_record(folder, rank, status):
    """Rank ``rank`` has left its program with ``status`` (an int, or None when unknown)."""
    _write_whole(record_path(folder, rank), "?" if status is None else str(int(status)))


def _rank_files(folder, suffix):
    """{rank: path} of the files ``rankR<suffix>`` in ``folder``."""
    try:
        names = os.listdir(folder)
    except OSError:
        return {}
    found = {}
    for name in names:
        digits = name[4:-len(suffix)]
        if name.startswith("rank") and name.endswith(suffix) and digits.isdigit():
            found[int(digits)] = os.path.join(folder, name)
    return found


def read_records(folder):
    """{rank: status} of the ranks that have left their program (status None when unknown)."""
    records = {}
    for rank, path in _rank_files(folder, ".exit").items():
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        records[rank] = int(text) if text.lstrip("-").isdigit() else None
    return records


def unfinished(folder, nprocs):
    """The ranks of ``range(nprocs)`` that recorded no clean finish (status 0), with their record."""
    records = read_records(folder)
    return [(r, records.get(r, "none")) for r in range(nprocs) if records.get(r, "none") != 0]


def write_failure(folder, failure):
    """Record a rank's unhandled exception (a dict with the keys listed in the module docstring)."""
    _write_whole(os.path.join(folder, f"rank{int(failure['rank'])}.error"), json.dumps(failure))


def read_failures(folder):
    """The recorded failures, earliest first."""
    failures = []
    for path in _rank_files(folder, ".error").values():
        try:
            failures.append(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return sorted(failures, key=lambda f: (f.get("time", 0), f.get("rank", 0)))


def malloc_env(environ=None, mmap_threshold=MMAP_THRESHOLD, trim_threshold=TRIM_THRESHOLD):
    """The glibc variables to add to a rank's environment: those of the two not already set in
    ``environ`` (default: ``os.environ``), so that a user's own choice wins."""
    environ = os.environ if environ is None else environ
    wanted = {"MALLOC_MMAP_THRESHOLD_": str(int(mmap_threshold)),
              "MALLOC_TRIM_THRESHOLD_": str(int(trim_threshold))}
    return {k: v for k, v in wanted.items() if k not in environ}


def _is_library(filename, library_dirs):
    return filename.startswith("<") or any(filename.startswith(d) for d in library_dirs)


def describe_failure(exc_type, exc, tb, rank, size, library_dirs=()):
    """The ``rankR.error`` record of an unhandled exception: the short traceback keeps the program's
    own frames (those outside ``library_dirs`` and Python's frozen modules) and the frame that raised."""
    frames = traceback.extract_tb(tb)
    kept = [i for i, frame in enumerate(frames) if not _is_library(frame.filename, library_dirs)]
    if frames and (not kept or kept[-1] != len(frames) - 1):
        kept.append(len(frames) - 1)
    short = "Traceback (most recent call last; library frames left out):\n" + "".join(
        traceback.format_list([frames[i] for i in kept]))
    return {
        "rank": int(rank), "size": int(size), "time": time.time(), "type": exc_type.__name__,
        "message": str(exc), "short": short + "".join(traceback.format_exception_only(exc_type, exc)),
        "full": "".join(traceback.format_exception(exc_type, exc, tb)),
    }
