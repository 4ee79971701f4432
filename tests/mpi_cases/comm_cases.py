"""Cases for automatedparallelization.comm, run on 1, 2 and 3 ranks (tests/test_comm.py).

Expected values come from rank arithmetic: rank r contributes (r + 1), so a sum is P(P+1)/2.
"""
import torch

from automatedparallelization import comm

R, P = comm.rank(), comm.size()
TOTAL = P * (P + 1) // 2
NUMERIC = [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float16,
           torch.bfloat16, torch.float32, torch.float64, torch.complex64, torch.complex128]


def _expect_raises(exc_type, fn, *words):
    try:
        fn()
    except exc_type as exc:
        for word in words:
            if word not in str(exc):
                raise AssertionError(f"message {str(exc)!r} lacks {word!r}") from exc
        return
    raise AssertionError(f"expected {exc_type.__name__}")


def case_rank_and_size():
    ranks = comm.allgather(torch.tensor([R]))
    assert ranks.tolist() == list(range(P)), ranks


def case_allreduce_sum_every_dtype_in_place():
    for dtype in NUMERIC:
        for n in (0, 1, 7):
            t = torch.full((n,), R + 1, dtype=dtype)
            ptr = t.data_ptr()
            out = comm.allreduce_(t)
            assert out is t and t.data_ptr() == ptr
            assert torch.equal(t, torch.full((n,), TOTAL, dtype=dtype)), (dtype, n, t)
            assert t.dtype == dtype


def case_allreduce_several_megabytes():
    t = torch.arange(1_500_000, dtype=torch.float32) * (R + 1)     # 6 MB
    comm.allreduce_(t)
    assert torch.equal(t, torch.arange(1_500_000, dtype=torch.float32) * TOTAL)


def case_allreduce_mean_max_min_prod():
    t = torch.tensor([R + 1.0, -(R + 1.0)], dtype=torch.float64)
    comm.allreduce_(t, "mean")
    assert torch.equal(t, torch.tensor([TOTAL / P, -TOTAL / P], dtype=torch.float64))
    t = torch.tensor([R, -R], dtype=torch.int32)
    comm.allreduce_(t, "max")
    assert t.tolist() == [P - 1, 0]
    t = torch.tensor([R, -R], dtype=torch.int64)
    comm.allreduce_(t, "min")
    assert t.tolist() == [0, -(P - 1)]
    t = torch.tensor([R + 1], dtype=torch.int64)
    comm.allreduce_(t, "prod")
    assert t.item() == __import__("math").factorial(P)


def case_allreduce_bool_is_logical():
    t = torch.tensor([R == 0, False, True])
    comm.allreduce_(t)
    assert t.tolist() == [True, False, True]
    t = torch.tensor([R == 0, True])
    comm.allreduce_(t, "min")
    assert t.tolist() == [P == 1, True]


def case_allreduce_non_contiguous_and_half_precision():
    base = torch.zeros(4, 6)
    view = base[:, ::2]
    view.fill_(R + 1)
    comm.allreduce_(view)
    assert torch.equal(base[:, ::2], torch.full((4, 3), float(TOTAL)))
    assert torch.equal(base[:, 1::2], torch.zeros(4, 3))          # untouched between the strides
    for dtype in (torch.float16, torch.bfloat16):
        t = torch.full((5,), 0.5 * (R + 1), dtype=dtype)
        comm.allreduce_(t, "mean")
        assert torch.equal(t, torch.full((5,), 0.5 * TOTAL / P, dtype=dtype)), (dtype, t)


def case_allreduce_requires_grad_leaf():
    w = torch.nn.Parameter(torch.full((3,), float(R + 1)))
    comm.allreduce_(w, "mean")
    assert torch.equal(w.detach(), torch.full((3,), TOTAL / P)) and w.requires_grad


def case_allreduce_bad_arguments():
    _expect_raises(TypeError, lambda: comm.allreduce_([1.0, 2.0]), "tensor", "list")
    _expect_raises(ValueError, lambda: comm.allreduce_(torch.ones(2), op="avg"), "op", "avg")
    _expect_raises(TypeError, lambda: comm.allreduce_(torch.ones(2, dtype=torch.int32), op="mean"), "int32")
    _expect_raises(TypeError, lambda: comm.allreduce_(torch.ones(2), comm="world"), "comm", "str")


def case_iallreduce_overlaps_then_waits():
    t = torch.full((1000,), float(R + 1))
    handle = comm.iallreduce_(t, "mean")
    assert handle.wait() is t
    assert torch.equal(t, torch.full((1000,), TOTAL / P))
    _expect_raises(TypeError, lambda: comm.iallreduce_(torch.ones(4, 4).t()), "contiguous")


def case_broadcast_from_every_root():
    for root in range(P):
        for dtype in NUMERIC + [torch.bool]:
            t = torch.full((3, 2), R + 1, dtype=dtype)[:, :1] if dtype != torch.bool else torch.tensor([R == root])
            comm.broadcast_(t, root)
            want = torch.full((3, 1), root + 1, dtype=dtype) if dtype != torch.bool else torch.tensor([True])
            assert torch.equal(t, want), (root, dtype, t)
        empty = torch.empty(0)
        comm.broadcast_(empty, root)


def case_broadcast_bad_root():
    _expect_raises(ValueError, lambda: comm.broadcast_(torch.ones(2), root=P), "root", str(P))
    _expect_raises(ValueError, lambda: comm.broadcast_(torch.ones(2), root=-1), "root")
    _expect_raises(TypeError, lambda: comm.broadcast_(3.0), "tensor", "float")


def case_allgather_equal_and_uneven():
    t = torch.full((2, 3), R, dtype=torch.int64)
    out = comm.allgather(t)
    assert torch.equal(out, torch.arange(P).repeat_interleave(2)[:, None].expand(-1, 3))
    t = torch.full((3, R + 1), float(R))                           # uneven along dim 1
    out = comm.allgather(t, dim=1)
    want = torch.cat([torch.full((3, r + 1), float(r)) for r in range(P)], dim=1)
    assert torch.equal(out, want)
    out = comm.allgather(torch.empty(0, 4))
    assert out.shape == (0, 4)
    out = comm.allgather(torch.tensor(R + 0.5, dtype=torch.bfloat16))   # 0-d: one element per rank
    assert torch.equal(out, torch.arange(P, dtype=torch.bfloat16) + 0.5)


def case_allgather_mismatch_raises_on_every_rank():
    if P == 1:
        return
    _expect_raises(ValueError, lambda: comm.allgather(torch.zeros(2, R + 2), dim=0), "shape")


def case_barrier_and_objects():
    comm.barrier()
    assert comm.bcast_object({"r": R}, root=P - 1) == {"r": P - 1}
    assert comm.allgather_object(R * 10) == [10 * r for r in range(P)]


def case_shared_reducer_mean_and_sum_bit_identical_on_every_rank():
    import glob
    import os
    for dtype, tol in ((torch.float32, 1e-5), (torch.float64, 1e-12)):
        for numel in (1, 2, 3, 5, 1000, 100003):
            red = comm.shared_reducer(numel, dtype, "cpu")
            if P == 1:
                assert red is None                  # nothing to share: callers use the MPI path
                continue
            assert red is not None and red.mine.numel() == numel and red.mine.dtype == dtype
            if R == 0:                              # the file is unlinked once every rank mapped it
                assert not glob.glob(f"/dev/shm/torchad-{os.getpid()}-*")
            g = torch.Generator().manual_seed(R)
            mine = torch.randn(numel, generator=g, dtype=dtype)
            everyone = comm.allgather(mine.reshape(1, -1))
            in_rank_order = everyone[0].reshape(-1).clone()
            for q in range(1, P):
                in_rank_order += everyone[q].reshape(-1)
            for divisor in (None, 1, 2.5):
                d = P if divisor is None else divisor
                red.mine.copy_(mine)
                red.average_(divisor)
                expected = mine.clone()
                comm.allreduce_(expected, "sum")
                expected /= d
                assert torch.allclose(red.mine, expected, atol=tol, rtol=0), (numel, divisor)
                # the documented arithmetic, to the bit: the slots summed in rank order, then divided
                assert torch.equal(red.mine, in_rank_order / d), (numel, divisor)
                every = comm.allgather(red.mine.reshape(1, -1))
                assert all(torch.equal(every[0], every[q]) for q in range(P)), (numel, divisor)
                # (another rank's slot is its own again once average_ returns: not compared here)


def case_shared_reducer_private_contributions():
    """average_(divisor, private): pieces of this rank's contribution that are still in private
    tensors (whatever their offsets relative to the ranks' regions) give, to the bit, the average
    of the same contributions copied into the slots first; the private tensors are only read.
    A tiny chunk size makes every region many chunks."""
    import automatedparallelization.comm.shared_memory as comm_module
    saved = comm_module.CHUNK_BYTES
    try:
        for chunk_bytes in (saved, 24):
            comm_module.CHUNK_BYTES = chunk_bytes
            for dtype in (torch.float32, torch.float64):
                for numel in (1, 4, 7, 100, 1001):
                    red = comm.shared_reducer(numel, dtype, "cpu")
                    if P == 1:
                        assert red is None
                        continue
                    g = torch.Generator().manual_seed(10 * numel + R)
                    mine = torch.randn(numel, generator=g, dtype=dtype)
                    everyone = comm.allgather(mine.reshape(1, -1))
                    in_rank_order = everyone[0].reshape(-1).clone()
                    for q in range(1, P):
                        in_rank_order += everyone[q].reshape(-1)
                    # cut points differ per rank and ignore the regions; every other piece is private
                    cuts = sorted({0, numel, *torch.randint(0, numel + 1, (3,), generator=g).tolist()})
                    for divisor in (None, 1, 2, 3):
                        d = P if divisor is None else divisor
                        red.mine.fill_(float("nan"))  # private pieces must not be read from the slot
                        private = []
                        for k, (a, b) in enumerate(zip(cuts, cuts[1:])):
                            if k % 2 == 0:
                                private.append((a, mine[a:b].clone()))
                            else:
                                red.mine[a:b].copy_(mine[a:b])
                        kept = [t.clone() for _, t in private]
                        red.average_(divisor, private)
                        assert torch.equal(red.mine, in_rank_order / d), (chunk_bytes, numel, divisor)
                        assert all(torch.equal(t, k) for (_, t), k in zip(private, kept))
                        every = comm.allgather(red.mine.reshape(1, -1))
                        assert all(torch.equal(every[0], every[q]) for q in range(P)), (numel, divisor)
    finally:
        comm_module.CHUNK_BYTES = saved


def case_shared_reducer_refusals():
    assert comm.shared_reducer(10, torch.int64, "cpu") is None          # not float32/float64
    assert comm.shared_reducer(10, torch.float16, "cpu") is None
    assert comm.shared_reducer(0, torch.float32, "cpu") is None
    comm.configure(shared_memory=False)
    try:
        assert comm.shared_reducer(10, torch.float32, "cpu") is None
    finally:
        comm.configure(shared_memory=True)
    assert (comm.shared_reducer(10, torch.float32, "cpu") is None) == (P == 1)


# ------------------------------------------------------------------ every collective under the watch
# Each public function of the collectives module (and of the shared-memory module) is either called
# below or named as one that never waits for another rank; a function added without being listed
# here fails the case, so none can go unwatched unnoticed.
def _watch_calls():
    from automatedparallelization.comm import collectives as C
    return {
        "allreduce_": lambda c: C.allreduce_(torch.ones(3), "sum", c),
        "iallreduce_": lambda c: C.iallreduce_(torch.ones(3), "sum", c).wait(),
        "broadcast_": lambda c: C.broadcast_(torch.ones(3), 0, c),
        "allgather": lambda c: C.allgather(torch.ones(2), c),
        "barrier": lambda c: C.barrier(c),
        "bcast_object": lambda c: C.bcast_object("x", 0, c),
        "gather_object": lambda c: C.gather_object(R, 0, c),
        "allgather_object": lambda c: C.allgather_object(R, c),
        "split": lambda c: C.split(0, 0, c).Free(),
    }


_NEVER_WAITS = {"resolve", "rank", "size", "divide_", "watched", "abort"}   # abort ends the job


def _spy_class(log):
    """An mpi4py communicator that logs, for each MPI call that waits for other ranks, whether the
    watch had an operation pending at that moment (non-blocking starts log their request's Wait)."""
    from mpi4py import MPI

    from automatedparallelization.comm import collectives as C

    def logged(name):
        def method(self, *args, **kwargs):
            log.append((name, C._watchdog.pending is not None))
            return getattr(MPI.Intracomm, name)(self, *args, **kwargs)
        return method

    class Request:
        def __init__(self, request):
            self.request = request

        def Wait(self):
            log.append(("Wait", C._watchdog.pending is not None))
            return self.request.Wait()

    waiting = ("Allreduce", "Bcast", "Allgather", "Allgatherv", "Barrier", "bcast", "gather", "allgather",
               "Split", "Split_type")
    body = {name: logged(name) for name in waiting}
    body["Iallreduce"] = lambda self, *a, **k: Request(MPI.Intracomm.Iallreduce(self, *a, **k))
    return type("Spy", (MPI.Intracomm,), body)


def case_every_collective_runs_under_the_watch():
    import inspect

    from automatedparallelization.comm import collectives, shared_memory
    public = {n for module in (collectives, shared_memory) for n, f in vars(module).items()
              if inspect.isfunction(f) and f.__module__ == module.__name__ and not n.startswith("_")}
    calls = _watch_calls()
    calls["shared_reducer"] = lambda c: (shared_memory.shared_reducer(10, torch.float32, "cpu", c)
                                         or _NoReducer()).average_()
    assert public == set(calls) | _NEVER_WAITS, sorted(public ^ (set(calls) | _NEVER_WAITS))
    log = []
    spy = _spy_class(log)(comm.resolve(None))
    for check in (False, True):                    # check mode adds its own collective before each one
        comm.configure(check=check)
        try:
            for name, call in calls.items():
                log.clear()
                call(spy)
                assert log or (name == "shared_reducer" and P == 1), f"{name}: made no MPI call through the communicator it was given"
                assert all(watched for _, watched in log), f"{name}: unwatched MPI calls {log}"
        finally:
            comm.configure(check=False)


class _NoReducer:
    """One rank: shared_reducer returns None without communicating; nothing to average."""

    def average_(self):
        pass
