"""Checkpoints that survive crashes and resume bit-for-bit on the same number of ranks, in every mode.

``save_checkpoint`` is collective. What differs between ranks is saved per rank: the random-number
generators always; the model's parameters and gradients and the optimizer's state whenever they
differ from rank 0's (``sync='model'`` between two synchronizations, or any hand-made scheme); the
position of the data-parallel schedule (:class:`~automatedparallelization.datamodule.Schedule`) of a
model given to ``parallelize``. Rank 0 gathers them and writes one file holding

    {"format": "torchad-checkpoint", "version": 2, "id": <random hex>, "world_size": P,
     "iteration": int, "extra": extra,
     "model": rank 0's model.state_dict(), "optimizer": rank 0's optimizer.state_dict() or None,
     "grads": rank 0's gradients (one tensor or None per parameter, in parameters() order),
     "ranks": [{"rng": ..., "schedule": ... or None,
                "model": None or its state_dict, "optimizer": None or ..., "grads": None or ...}, ...]}

with ``torch.save``; a None model/optimizer/grads entry of rank r means "equal to rank 0's" (decided
by comparing digests of every value, so data-parallel ranks that agree store one copy).

The write is atomic: the bytes go to a temporary file in the destination's directory, are flushed
and ``fsync``-ed, then ``os.replace`` renames the file over ``path`` (atomic on POSIX within one
filesystem) and the directory is ``fsync``-ed so the rename itself is durable. A process killed at
any moment therefore leaves either the previous checkpoint or the new one at ``path``, never a torn
file; the stale ``.<name>.*.tmp`` file such a kill leaves beside it is removed by the next save to
``path``.

RNG states are stored as tensors, ints, floats and strings only, so the file loads with
``torch.load(..., weights_only=True)`` (no arbitrary pickle): torch's CPU generator
(``torch.get_rng_state``), every CUDA device's generator when CUDA is initialised, numpy's legacy
global ``RandomState`` (MT19937 keys as an int64 tensor), Python's ``random`` (its 625-word
state as an int64 tensor) and the Torch7 generator of ``compat.torch`` (``torch.getRNGState()``'s
bytes, a uint8 tensor).

``load_checkpoint`` is collective too. **Every rank reads the file itself**: ``path`` must name the
same file on every rank (a shared filesystem, as for the training data; the file's random ``id`` is
compared across ranks and a mismatch is refused). Each rank restores *its own* model, gradients,
optimizer, RNG and schedule state. Call it after ``parallelize`` (which broadcasts rank 0's
parameters and builds the schedule that the checkpoint's position is restored into).

Errors: a file that cannot be used -- corrupt, truncated, not a checkpoint, another format version,
or written by another number of ranks -- raises :class:`CheckpointError` (a ValueError) naming the
file and the rank; a file that cannot be opened raises the OSError of ``open`` (FileNotFoundError,
PermissionError). Any failure on one rank is raised on every rank (by
:func:`automatedparallelization.guard.raise_on_every_rank`), so no rank is left waiting in the
next collective.

Resuming reproduces the uninterrupted run exactly when the computation itself is deterministic
(CPU ops, deterministic reductions, the same rank count), since parameters, gradients, optimizer
moments, the schedule and every random stream continue from the same state.
"""
import hashlib
import logging
import os
import random
import secrets
from collections import OrderedDict

import numpy as np
import torch

from automatedparallelization import comm as _comm
from automatedparallelization import datamodule as _datamodule
from automatedparallelization import guard as _guard
from compat import torch_random as torch7_random
from compat._atomic import atomic_write, remove_stale_temporaries

logger = logging.getLogger(__name__)

FORMAT, VERSION = "torchad-checkpoint", 2
PER_RANK = ("model", "optimizer", "grads")      # saved once when equal on every rank


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used (corrupt, truncated, not a checkpoint, another version
    or another number of ranks); the message names the file and the rank that read it."""


# --- RNG states as weights_only-safe values ----------------------------------------------------

def rng_state():
    """This process's RNG states (torch CPU, CUDA if initialised, numpy global, Python random, and
    Torch7's stream of ``compat.torch``, as its ``getRNGState`` bytes)."""
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    version, words, gauss_next = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"name": name, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "python": {"version": int(version), "state": torch.tensor(words, dtype=torch.int64),
                   "gauss_next": gauss_next},
        "cuda": None,
        "torch7": torch7_random.getRNGState(),
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
    if state.get("torch7") is not None:         # absent from checkpoints written before it was saved
        torch7_random.setRNGState(state["torch7"])
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


# --- what a rank saves -------------------------------------------------------------------------

def _params(model):
    return list(torch.nn.Module.parameters(model))   # compat.nn overrides parameters() (Lua's)


def _local_state(model, optimizer):
    """This rank's state: what may differ from rank 0's (PER_RANK), its RNGs and its schedule.
    Gradients are copied: they may be views of a shared mapping that holds every rank's slot."""
    handle = _datamodule.handle(model)
    schedule = None
    if handle is not None and handle.schedule is not None:
        schedule = {"schedule": handle.schedule.state_dict(), "syncs": handle.syncs, "skipped": handle.skipped}
    return {"model": model.state_dict(), "optimizer": None if optimizer is None else optimizer.state_dict(),
            "grads": [None if p.grad is None else p.grad.detach().clone() for p in _params(model)],
            "rng": rng_state(), "schedule": schedule}


def _digest(obj):
    """A digest of nested dicts/lists of tensors and plain values (bit patterns, dtypes, shapes)."""
    h = hashlib.sha256()

    def feed(x):
        if isinstance(x, torch.Tensor):
            t = x.detach().cpu().contiguous().reshape(-1)
            h.update(f"T{t.dtype}{tuple(x.shape)}".encode())
            h.update(t.view(torch.uint8).numpy().tobytes())
        elif isinstance(x, dict):
            h.update(b"{")
            for k, v in x.items():
                feed(k)
                feed(v)
            h.update(b"}")
        elif isinstance(x, (list, tuple)):
            h.update(b"[")
            for v in x:
                feed(v)
            h.update(b"]")
        else:
            h.update(f"{type(x).__name__}:{x!r};".encode())
    feed(obj)
    return h.hexdigest()


def _compact(obj):
    """``obj`` with every tensor copied into its own storage (a view of a flat buffer would
    otherwise carry the whole buffer through pickling)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, dict):                   # a state_dict's OrderedDict keeps its _metadata
        out = (OrderedDict if isinstance(obj, OrderedDict) else dict)((k, _compact(v)) for k, v in obj.items())
        if hasattr(obj, "_metadata"):
            out._metadata = obj._metadata
        return out
    if isinstance(obj, (list, tuple)):
        return type(obj)(_compact(v) for v in obj)
    return obj


# --- atomic write ------------------------------------------------------------------------------

def atomic_save(obj, path):
    """``torch.save(obj)`` to ``path`` so that ``path`` holds the old or the new file, never a torn one."""
    atomic_write(path, lambda f: torch.save(obj, f))


# --- collective save / load --------------------------------------------------------------------

def save_checkpoint(path, model, optimizer=None, iteration=0, extra=None, comm=None):
    """Collective: write the model, gradient and optimizer state of every rank (once when equal),
    every rank's RNG states and data-parallel schedule position, ``iteration`` and ``extra`` to
    ``path`` (rank 0 writes, atomically). ``extra`` should hold plain values (tensors, numbers,
    strings, lists, dicts) so that the file stays loadable with ``weights_only=True``.
    A failure on rank 0 (e.g. a full disk) raises on every rank."""
    path = _check_path(path)
    _check_stateful(model, "model", optional=False)
    _check_stateful(optimizer, "optimizer", optional=True)
    if isinstance(iteration, bool) or not isinstance(iteration, int):
        raise TypeError(f"iteration: expected an int, got {type(iteration).__name__} ({iteration!r})")
    comm = _comm.resolve(comm)
    me = _comm.rank(comm)
    local = _local_state(model, optimizer)
    digests = _comm.allgather_object({key: _digest(local[key]) for key in PER_RANK}, comm)
    entry = {"rng": local["rng"], "schedule": local["schedule"]}
    for key in PER_RANK:
        entry[key] = None if me == 0 or digests[me][key] == digests[0][key] else _compact(local[key])
    entries = _comm.gather_object(entry, 0, comm)
    error = None
    if me == 0:
        try:
            remove_stale_temporaries(path)
            atomic_save(dict({"format": FORMAT, "version": VERSION, "id": secrets.token_hex(16),
                              "world_size": _comm.size(comm), "iteration": iteration, "extra": extra,
                              "ranks": entries}, **{key: local[key] for key in PER_RANK}), path)
            logger.info("checkpoint of iteration %d written to %s", iteration, path)
        except Exception as exc:
            error = exc
    _guard.raise_on_every_rank(error, comm, f"save_checkpoint({path!r})")


def _read(path, world, me):
    """The checkpoint at ``path``, checked; CheckpointError naming the file and rank if unusable."""
    def bad(why):
        return CheckpointError(f"{path} (read by rank {me}): {why}")
    with open(path, "rb") as f:                 # OSError: the file cannot be opened
        try:
            ckpt = torch.load(f, map_location="cpu", weights_only=True)
        except Exception as exc:                # torch.load fails in many ways on a damaged file
            raise bad(f"not a readable checkpoint, corrupt or truncated ({type(exc).__name__}: "
                      f"{str(exc)[:200]})") from exc
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise bad(f"not a checkpoint written by save_checkpoint (expected a dict with format "
                  f"{FORMAT!r}, got {type(ckpt).__name__})")
    if ckpt.get("version") == 1:                # one file, rank 0's model: as version 2, all equal
        ckpt = dict(ckpt, grads=None, ranks=[{"rng": state, "schedule": None} for state in ckpt.get("rng", ())])
    elif ckpt.get("version") != VERSION:
        raise bad(f"checkpoint version {ckpt.get('version')!r} is not supported (expected 1 or {VERSION})")
    for key, kinds in (("id", str), ("world_size", int), ("iteration", int), ("ranks", list),
                       ("model", dict), ("optimizer", (dict, type(None))), ("grads", (list, type(None)))):
        if not isinstance(ckpt.get(key), kinds):
            raise bad(f"field {key!r} holds {type(ckpt.get(key)).__name__}, not what save_checkpoint "
                      f"writes (damaged file)")
    saved = ckpt["world_size"]
    if saved != world or len(ckpt["ranks"]) != saved:
        raise bad(f"written by {saved} rank(s) but is being loaded on {world} rank(s): resume with the "
                  f"same number of ranks (each rank's random streams and data order belong to its "
                  f"original rank)")
    entry = ckpt["ranks"][me]
    if not isinstance(entry, dict) or not isinstance(entry.get("rng"), dict):
        raise bad(f"the entry of rank {me} is damaged")
    return ckpt


def _restore(ckpt, path, me, model, optimizer):
    """This rank's model, gradients, optimizer and schedule position from ``ckpt``."""
    entry = ckpt["ranks"][me]
    mine = {key: ckpt.get(key) if entry.get(key) is None else entry[key] for key in PER_RANK}
    if optimizer is not None and mine["optimizer"] is None:
        raise ValueError(f"optimizer: {path} holds no optimizer state (saved with optimizer=None)")
    model.load_state_dict(mine["model"])
    if mine["grads"] is not None:
        params = _params(model)
        if len(mine["grads"]) != len(params):
            raise ValueError(f"model: {path} holds gradients of {len(mine['grads'])} parameters, the "
                             f"model has {len(params)}")
        _datamodule.restore_gradients(list(zip(params, mine["grads"])))
    if optimizer is not None:
        optimizer.load_state_dict(mine["optimizer"])
    if entry.get("schedule") is not None:
        handle = _datamodule.handle(model)
        if handle is None or handle.schedule is None:
            raise ValueError(f"model: {path} holds a data-parallel schedule position; call "
                             f"parallelize(...) with the same arguments before load_checkpoint")
        handle.schedule.load_state_dict(entry["schedule"]["schedule"])
        handle.syncs, handle.skipped = entry["schedule"]["syncs"], entry["schedule"]["skipped"]


def load_checkpoint(path, model, optimizer=None, comm=None):
    """Collective: restore this rank's model, gradients, optimizer, schedule position and RNG
    states from ``path``; call it after ``parallelize`` for a data-parallel model.

    Returns ``(iteration, extra)``. Every rank reads ``path`` itself (shared filesystem). Raises
    CheckpointError on every rank for an unusable file (corrupt, truncated, other version, other
    number of ranks)."""
    path = _check_path(path)
    _check_stateful(model, "model", optional=False)
    _check_stateful(optimizer, "optimizer", optional=True)
    comm = _comm.resolve(comm)
    me, world = _comm.rank(comm), _comm.size(comm)
    ckpt, error = None, None
    try:
        ckpt = _read(path, world, me)
    except Exception as exc:
        error = exc
    _guard.raise_on_every_rank(error, comm, f"load_checkpoint({path!r})")
    ids = _comm.allgather_object(ckpt["id"], comm)
    if len(set(ids)) != 1:
        raise ValueError(f"load_checkpoint: the ranks read different files at {path!r} (checkpoint ids "
                         f"{ids} in rank order); every rank must see the same file (shared filesystem)")
    try:
        _restore(ckpt, path, me, model, optimizer)
        set_rng_state(ckpt["ranks"][me]["rng"])
    except (KeyError, IndexError) as exc:       # a damaged entry that still unpickled
        error = CheckpointError(f"{path} (read by rank {me}): damaged entry ({type(exc).__name__}: {exc})")
    except Exception as exc:
        error = exc
    _guard.raise_on_every_rank(error, comm, f"load_checkpoint({path!r})")
    logger.info("resumed from %s at iteration %d", path, ckpt["iteration"])
    return ckpt["iteration"], ckpt["extra"]
