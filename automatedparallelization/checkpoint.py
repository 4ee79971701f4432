"""Checkpoints that survive crashes and resume bit-for-bit on the same number of ranks.

``save_checkpoint`` is collective: every rank hands its random-number-generator states to rank 0,
which writes one file holding

    {"format": "torchad-checkpoint", "version": 1, "id": <random hex>, "world_size": P,
     "iteration": int, "model": model.state_dict(), "optimizer": optimizer.state_dict() or None,
     "extra": extra, "rng": [rank 0's states, ..., rank P-1's states]}

with ``torch.save``. The write is atomic: the bytes go to a temporary file in the destination's
directory, are flushed and ``fsync``-ed, then ``os.replace`` renames the file over ``path`` (atomic
on POSIX within one filesystem) and the directory is ``fsync``-ed so the rename itself is durable.
A process killed at any moment therefore leaves either the previous checkpoint or the new one at
``path``, never a torn file (at worst a stale ``.<name>.tmp-*`` file beside it).

RNG states are stored as tensors, ints, floats and strings only, so the file loads with
``torch.load(..., weights_only=True)`` (no arbitrary pickle): torch's CPU generator
(``torch.get_rng_state``), every CUDA device's generator when CUDA is initialised, numpy's legacy
global ``RandomState`` (MT19937 keys as an int64 tensor) and Python's ``random`` (its 625-word
state as an int64 tensor).

``load_checkpoint`` is collective too. **Every rank reads the file itself**: ``path`` must name the
same file on every rank (a shared filesystem, as for the training data; the file's random ``id`` is
compared across ranks and a mismatch is refused). Each rank restores the model, the optimizer and
*its own* rank's RNG states. A checkpoint written by a different number of ranks is refused with a
ValueError on every rank (the RNG streams, and so the data order, belong to the original ranks).
Any failure on one rank (missing file, bad state_dict) is raised on every rank, so no rank is left
waiting in the next collective.

Resuming reproduces the uninterrupted run exactly when the computation itself is deterministic
(CPU ops, deterministic reductions, the same rank count), since parameters, optimizer moments and
every random stream continue from the same state.
"""
import logging
import os
import random
import secrets

import numpy as np
import torch

from automatedparallelization import comm as _comm
from compat._atomic import atomic_write

logger = logging.getLogger(__name__)

FORMAT, VERSION = "torchad-checkpoint", 1


# --- RNG states as weights_only-safe values ----------------------------------------------------

def rng_state():
    """This process's RNG states (torch CPU, CUDA if initialised, numpy global, Python random)."""
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    version, words, gauss_next = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"name": name, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "python": {"version": int(version), "state": torch.tensor(words, dtype=torch.int64),
                   "gauss_next": gauss_next},
        "cuda": None,
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state):
    """Restore states made by :func:`rng_state`."""
    torch.set_rng_state(state["torch"])
    npst = state["numpy"]
    np.random.set_state((npst["name"], npst["keys"].numpy().astype(np.uint32), npst["pos"],
                         npst["has_gauss"], npst["cached_gaussian"]))
    py = state["python"]
    random.setstate((py["version"], tuple(int(w) for w in py["state"].tolist()), py["gauss_next"]))
    if state.get("cuda") is not None:
        if torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda"])
        else:
            logger.warning("the checkpoint holds CUDA RNG states but CUDA is not available here; "
                           "they are not restored")


# --- argument checks ---------------------------------------------------------------------------

def _check_path(path):
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"path: expected a file name (str or os.PathLike), got {type(path).__name__}")
    return os.fsdecode(os.fspath(path))


def _check_stateful(obj, name, optional):
    if obj is None and optional:
        return
    if not (callable(getattr(obj, "state_dict", None)) and callable(getattr(obj, "load_state_dict", None))):
        raise TypeError(f"{name}: expected a torch.nn.Module / torch.optim.Optimizer (anything with "
                        f"state_dict() and load_state_dict()){' or None' if optional else ''}, "
                        f"got {type(obj).__name__}")


# --- atomic write ------------------------------------------------------------------------------

def atomic_save(obj, path):
    """``torch.save(obj)`` to ``path`` so that ``path`` holds the old or the new file, never a torn one."""
    atomic_write(path, lambda f: torch.save(obj, f))


# --- collective save / load --------------------------------------------------------------------

def _agree(error, comm, what):
    """Raise on every rank if ``error`` (an exception or None) is set on any rank."""
    errors = _comm.allgather_object(None if error is None else f"{type(error).__name__}: {error}", comm)
    failed = [(r, e) for r, e in enumerate(errors) if e is not None]
    if not failed:
        return
    if error is not None:
        raise error
    text = "; ".join(f"rank {r}: {e}" for r, e in failed)
    raise RuntimeError(f"{what} failed on rank(s) {[r for r, _ in failed]}: {text}")


def save_checkpoint(path, model, optimizer=None, iteration=0, extra=None, comm=None):
    """Collective: write model/optimizer state, ``iteration``, ``extra`` and every rank's RNG states
    to ``path`` (rank 0 writes, atomically). ``extra`` should hold plain values (tensors, numbers,
    strings, lists, dicts) so that the file stays loadable with ``weights_only=True``.
    A failure on rank 0 (e.g. a full disk) raises on every rank."""
    path = _check_path(path)
    _check_stateful(model, "model", optional=False)
    _check_stateful(optimizer, "optimizer", optional=True)
    if isinstance(iteration, bool) or not isinstance(iteration, int):
        raise TypeError(f"iteration: expected an int, got {type(iteration).__name__} ({iteration!r})")
    comm = _comm.resolve(comm)
    states = _comm.allgather_object(rng_state(), comm)
    error = None
    if _comm.rank(comm) == 0:
        try:
            atomic_save({
                "format": FORMAT, "version": VERSION, "id": secrets.token_hex(16),
                "world_size": _comm.size(comm), "iteration": iteration,
                "model": model.state_dict(),
                "optimizer": None if optimizer is None else optimizer.state_dict(),
                "extra": extra, "rng": states,
            }, path)
            logger.info("checkpoint of iteration %d written to %s", iteration, path)
        except Exception as exc:
            error = exc
    _agree(error, comm, f"save_checkpoint({path!r})")


def _read(path, world):
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise ValueError(f"{path}: not a checkpoint written by save_checkpoint (expected a dict with "
                         f"format {FORMAT!r}, got {type(ckpt).__name__})")
    if ckpt.get("version") != VERSION:
        raise ValueError(f"{path}: checkpoint version {ckpt.get('version')!r} is not supported "
                         f"(expected {VERSION})")
    saved = ckpt["world_size"]
    if saved != world or len(ckpt["rng"]) != saved:
        raise ValueError(f"{path} was written by {saved} rank(s) but is being loaded on {world} "
                         f"rank(s): resume with the same number of ranks (each rank's random "
                         f"streams and data order belong to its original rank)")
    return ckpt


def load_checkpoint(path, model, optimizer=None, comm=None):
    """Collective: restore ``model``, ``optimizer`` and this rank's RNG states from ``path``.

    Returns ``(iteration, extra)``. Every rank reads ``path`` itself (shared filesystem). Raises
    ValueError on every rank for a checkpoint written by a different number of ranks."""
    path = _check_path(path)
    _check_stateful(model, "model", optional=False)
    _check_stateful(optimizer, "optimizer", optional=True)
    comm = _comm.resolve(comm)
    me, world = _comm.rank(comm), _comm.size(comm)
    ckpt, error = None, None
    try:
        ckpt = _read(path, world)
    except Exception as exc:
        error = exc
    _agree(error, comm, f"load_checkpoint({path!r})")
    ids = _comm.allgather_object(ckpt["id"], comm)
    if len(set(ids)) != 1:
        raise ValueError(f"load_checkpoint: the ranks read different files at {path!r} (checkpoint ids "
                         f"{ids} in rank order); every rank must see the same file (shared filesystem)")
    if optimizer is not None and ckpt["optimizer"] is None:
        error = ValueError(f"optimizer: {path} holds no optimizer state (saved with optimizer=None)")
    else:
        try:
            model.load_state_dict(ckpt["model"])
            if optimizer is not None:
                optimizer.load_state_dict(ckpt["optimizer"])
        except Exception as exc:
            error = exc
    _agree(error, comm, f"load_checkpoint({path!r})")
    set_rng_state(ckpt["rng"][me])
    logger.info("resumed from %s at iteration %d", path, ckpt["iteration"])
    return ckpt["iteration"], ckpt["extra"]
