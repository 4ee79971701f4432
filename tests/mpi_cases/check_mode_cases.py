"""Check mode of automatedparallelization.comm: mismatched collectives raise on every rank."""
import torch

from automatedparallelization import comm

R, P = comm.rank(), comm.size()


def _raises_everywhere(fn, *words):
    try:
        fn()
    except ValueError as exc:
        for word in words:
            if word not in str(exc):
                raise AssertionError(f"{str(exc)!r} lacks {word!r}") from exc
        return
    raise AssertionError("expected ValueError on this rank")


def case_check_mode_passes_matching_calls():
    comm.configure(check=True)
    try:
        t = torch.full((2, 3), float(R + 1))
        comm.allreduce_(t)
        assert torch.equal(t, torch.full((2, 3), P * (P + 1) / 2))
        comm.broadcast_(t, root=0)
    finally:
        comm.configure(check=False)


def case_check_mode_refuses_shape_dtype_root_and_op_mismatch():
    if P == 1:
        return
    comm.configure(check=True)
    try:
        _raises_everywhere(lambda: comm.allreduce_(torch.ones(2 + (R == 1))), "mismatched", "shape", "rank 1")
        dtype = torch.float64 if R == P - 1 else torch.float32
        _raises_everywhere(lambda: comm.allreduce_(torch.ones(4, dtype=dtype)), "dtype")
        _raises_everywhere(lambda: comm.broadcast_(torch.ones(3), root=R % 2), "root")
        op = "max" if R == 0 else "sum"
        _raises_everywhere(lambda: comm.allreduce_(torch.ones(3), op=op), "another collective")
        t = torch.full((3,), float(R))        # the job goes on correctly after the refusals
        comm.allreduce_(t)
        assert torch.equal(t, torch.full((3,), float(sum(range(P)))))
    finally:
        comm.configure(check=False)


def case_configure_rejects_bad_values():
    for kw in ({"stall_warning": -1}, {"stall_abort": "soon"}):
        try:
            comm.configure(**kw)
        except ValueError as exc:
            assert list(kw)[0] in str(exc)
        else:
            raise AssertionError(f"configure({kw}) accepted")
