"""Checkpoints: exact resume on 1-3 ranks (real mpiexec), atomic writes that survive SIGKILL, refusals."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from automatedparallelization.checkpoint import CheckpointError, atomic_save, load_checkpoint, save_checkpoint
from compat import torch as ctorch
from tests.mpi_harness import case_runs, check

REPO = Path(__file__).resolve().parent.parent
CASES = Path(__file__).parent / "mpi_cases" / "checkpoint_cases.py"


@pytest.mark.mpi
@pytest.mark.parametrize("case,nprocs", case_runs(CASES))
def test_checkpoint(case, nprocs):
    check(CASES, nprocs, case)


def _small(seed):
    torch.manual_seed(seed)
    return torch.nn.Linear(8, 4)


def test_file_loads_with_weights_only_and_holds_what_was_given(tmp_path):
    model = _small(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.ones(2, 8)).sum().backward()
    opt.step()
    save_checkpoint(tmp_path / "c.pt", model, opt, iteration=12, extra={"epoch": 3})
    raw = torch.load(tmp_path / "c.pt", weights_only=True)  # no arbitrary pickle needed
    assert raw["world_size"] == 1 and raw["iteration"] == 12 and raw["extra"] == {"epoch": 3}
    assert torch.equal(raw["model"]["weight"], model.weight)
    assert torch.equal(raw["optimizer"]["state"][0]["momentum_buffer"],
                       opt.state[model.weight]["momentum_buffer"])
    assert torch.equal(raw["ranks"][0]["rng"]["torch"], torch.get_rng_state())
    assert raw["ranks"][0]["schedule"] is None                      # not a parallelized model
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]  # no temporary file left behind


def test_torch7_stream_resumes_where_it_was_saved(tmp_path):
    model = _small(0)
    ctorch.manualSeed(3)
    ctorch.normal()                                    # leaves Box-Muller's sine pending
    save_checkpoint(tmp_path / "c.pt", model)
    expected = (ctorch.normal(), ctorch.rand(5).tolist())
    ctorch.manualSeed(99)
    load_checkpoint(tmp_path / "c.pt", model)
    assert (ctorch.normal(), ctorch.rand(5).tolist()) == expected


def test_bad_arguments_are_named(tmp_path):
    model = _small(0)
    with pytest.raises(TypeError, match="model: expected"):
        save_checkpoint(tmp_path / "c.pt", object())
    with pytest.raises(TypeError, match="optimizer: expected"):
        save_checkpoint(tmp_path / "c.pt", model, optimizer=42)
    with pytest.raises(TypeError, match=r"iteration: expected an int, got float"):
        save_checkpoint(tmp_path / "c.pt", model, iteration=1.5)
    with pytest.raises(TypeError, match="path: expected"):
        load_checkpoint(3, model)
    torch.save({"weight": torch.zeros(1)}, tmp_path / "plain.pt")
    with pytest.raises(CheckpointError, match="not a checkpoint written by save_checkpoint"):
        load_checkpoint(tmp_path / "plain.pt", model)
    save_checkpoint(tmp_path / "no_opt.pt", model)
    with pytest.raises(ValueError, match="holds no optimizer state"):
        load_checkpoint(tmp_path / "no_opt.pt", model, torch.optim.SGD(model.parameters(), lr=1))


def test_failed_write_keeps_old_file_and_removes_temporary(tmp_path):
    path = tmp_path / "c.pt"
    atomic_save({"v": torch.arange(3)}, path)

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("cannot pickle this")

    with pytest.raises(RuntimeError, match="cannot pickle this"):
        atomic_save({"v": Unpicklable()}, path)
    assert torch.equal(torch.load(path, weights_only=True)["v"], torch.arange(3))
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


WRITER = textwrap.dedent("""
    import sys, torch
    sys.path.insert(0, {repo!r})
    from automatedparallelization.checkpoint import save_checkpoint
    torch.manual_seed(0)
    small = torch.nn.Linear(8, 4)
    save_checkpoint({path!r}, small, iteration=1)
    print("first checkpoint written", flush=True)
    big = torch.nn.Linear(8, 4)
    big.register_buffer("ballast", torch.ones({numel}))  # makes the second write long
    save_checkpoint({path!r}, big, iteration=2)
    print("second checkpoint written", flush=True)
""")


@pytest.mark.slow
def test_sigkill_while_writing_leaves_previous_checkpoint_loadable(tmp_path):
    path = tmp_path / "ckpt.pt"
    numel = 50_000_000  # 200 MB of float32
    script = WRITER.format(repo=str(REPO), path=str(path), numel=numel)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    try:
        assert proc.stdout.readline().strip() == "first checkpoint written", proc.stderr.read()
        # wait until the second checkpoint's temporary file is being written, then kill the writer
        deadline = time.monotonic() + 60
        partial = []
        while time.monotonic() < deadline and not partial:
            partial = [p for p in tmp_path.iterdir() if p.name.startswith(".ckpt.pt.") and p.name.endswith(".tmp") and p.stat().st_size > 0]
        assert partial, "the writer never started the second checkpoint"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    written = partial[0].stat().st_size
    assert written < numel * 4, f"the kill came after the write had finished ({written} bytes)"
    # the previous checkpoint is intact: same parameters as an independently rebuilt model
    fresh = torch.nn.Linear(8, 4)
    iteration, _ = load_checkpoint(path, fresh)
    expected = _small(0)
    assert iteration == 1
    assert torch.equal(fresh.weight, expected.weight) and torch.equal(fresh.bias, expected.bias)
    # the stale temporary of the killed write goes with the next save to the same path
    save_checkpoint(path, fresh, iteration=2)
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]


def _damaged_copies(good):
    """(label, bytes) of damaged versions of a checkpoint file: truncations, flipped bytes, junk."""
    yield "empty", b""
    yield "text", b"not a checkpoint at all\n"
    for cut in (1, 10, 100, len(good) // 2, len(good) - 22, len(good) - 1):
        yield f"truncated to {cut} bytes", good[:cut]
    for at in (0, 40, len(good) // 3, len(good) // 2, len(good) - 30):
        flipped = bytearray(good)
        flipped[at] ^= 0xFF
        yield f"byte {at} flipped", bytes(flipped)


def test_damaged_file_raises_checkpoint_error_naming_file_and_rank(tmp_path):
    model = _small(0)
    opt = torch.optim.Adam(model.parameters())
    model(torch.ones(2, 8)).sum().backward()
    opt.step()
    good_path = tmp_path / "good.pt"
    save_checkpoint(good_path, model, opt, iteration=3)
    good = good_path.read_bytes()
    raised = 0
    for label, data in _damaged_copies(good):
        path = tmp_path / "damaged.pt"
        path.write_bytes(data)
        try:
            load_checkpoint(path, _small(1), torch.optim.Adam(_small(1).parameters()))
        except CheckpointError as exc:
            assert str(path) in str(exc) and "rank 0" in str(exc), (label, str(exc))
            raised += 1
        except Exception as exc:                               # any other type is the bug
            raise AssertionError(f"{label}: {type(exc).__name__}: {exc}") from exc
    # a flipped byte inside a tensor's data may leave a loadable file: every other damage is refused
    assert raised >= 10


def test_version_and_field_damage_raise_checkpoint_error(tmp_path):
    model = _small(0)
    path = tmp_path / "c.pt"
    save_checkpoint(path, model)
    raw = torch.load(path, weights_only=True)
    for change in ({"version": 99}, {"ranks": "x"}, {"world_size": "1"}, {"model": None}):
        torch.save(dict(raw, **change), path)
        with pytest.raises(CheckpointError, match=rf"{path}.*rank 0"):
            load_checkpoint(path, model)
    torch.save(dict(raw, ranks=[{"rng": {}}]), path)              # an entry that unpickles but is empty
    with pytest.raises(CheckpointError, match="damaged entry"):
        load_checkpoint(path, model)


def test_next_save_removes_temporaries_of_a_killed_save(tmp_path):
    path = tmp_path / "c.pt"
    stale = tmp_path / ".c.pt.k1ll3d_x.tmp"                     # the name mkstemp gives atomic_write
    stale.write_bytes(b"partial")
    other = tmp_path / ".c.pt.other.tmp"                        # not one of ours (not 8 characters)
    other.write_bytes(b"keep")
    save_checkpoint(path, _small(0))
    assert sorted(p.name for p in tmp_path.iterdir()) == [".c.pt.other.tmp", "c.pt"]
