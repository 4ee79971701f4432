"""Cases for compat.torchmpi (TorchMPI's mpi handle) and compat.torchmpi.nn."""
import torch

from compat import torchmpi as mpi

mpi.start(withCuda=False)
R, P = mpi.rank(), mpi.size()
TOTAL = P * (P + 1) // 2


def case_handle_rank_size_barrier():
    assert 0 <= R < P
    mpi.barrier()


def case_allreduce_broadcast_allgather_tensor():
    t = torch.full((4,), float(R + 1))
    mpi.allreduceTensor(t)
    assert torch.equal(t, torch.full((4,), float(TOTAL)))
    out = torch.zeros(4)
    mpi.allreduceTensor(torch.ones(4), out)
    assert torch.equal(out, torch.full((4,), float(P)))
    t = torch.full((2,), float(R))
    mpi.broadcastTensor(P - 1, t)
    assert torch.equal(t, torch.full((2,), float(P - 1)))
    g = mpi.allgatherTensor(torch.full((1, 2), float(R)))
    assert torch.equal(g, torch.arange(P, dtype=torch.float32)[:, None].expand(P, 2))
    out = torch.empty(0)
    mpi.allgatherTensor(torch.full((1, 2), float(R)), out)
    assert torch.equal(out, g)


def _net(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))


def case_synchronize_parameters_broadcasts_rank0():
    net, ref = _net(100 + R), _net(100)
    mpi.nn.synchronizeParameters(net)
    for a, b in zip(net.parameters(), ref.parameters()):
        assert torch.equal(a, b)


def case_synchronize_parameters_with_allreduce_averages():
    net = _net(200 + R)
    mpi.nn.synchronizeParameters(net, withAllreduce=True)
    refs = [_net(200 + r) for r in range(P)]
    for i, p in enumerate(net.parameters()):
        mean = sum(list(ref.parameters())[i].detach().double() for ref in refs) / P
        assert torch.allclose(p.detach().double(), mean, atol=1e-6)


def case_synchronize_gradients_sums():
    net = _net(1)
    for p in net.parameters():
        p.grad = torch.full_like(p, float(R + 1))
    mpi.nn.synchronizeGradients(net)
    for p in net.parameters():
        assert torch.equal(p.grad, torch.full_like(p, float(TOTAL)))


def case_start_with_a_communicator_restricts_the_handle_and_mpinn():
    world = mpi.comm
    assert world is not None and world.Get_size() == P
    sub = world.Split(R % 2, R)                       # even ranks and odd ranks
    members = [r for r in range(P) if r % 2 == R % 2]
    try:
        mpi.start(communicator=sub)
        assert mpi.comm is sub and mpi.size() == len(members) and mpi.rank() == members.index(R)
        net = _net(1)
        for p in net.parameters():
            p.grad = torch.full_like(p, float(R + 1))
        mpi.nn.synchronizeGradients(net)              # no comm given: the handle's
        for p in net.parameters():
            assert torch.equal(p.grad, torch.full_like(p, float(sum(r + 1 for r in members))))
        mpi.stop()
        assert mpi.comm is None
    finally:
        mpi.start()
        sub.Free()
    assert mpi.comm.Get_size() == P
