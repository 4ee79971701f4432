"""Single-process unit tests of the sharding rule, the schedule and the flat-buffer mechanism."""
import pytest
import torch

from automatedparallelization import datamodule as automation
from automatedparallelization import sync


@pytest.mark.parametrize("parts", [1, 2, 3, 4])
def test_shard_range_partitions_every_size(parts):
    for n in range(1, 51):
        ranges = [automation.shard_range(n, parts, r) for r in range(parts)]
        covered = [i for a, b in ranges for i in range(a, b)]
        assert covered == list(range(n))                       # contiguous, in order, nothing dropped
        sizes = [b - a for a, b in ranges]
        assert max(sizes) - min(sizes) <= 1
        assert sizes == sorted(sizes, reverse=True)             # the first n % parts ranks get one more
        assert sizes == automation.shard_sizes(n, parts)
        assert sum(1 for s in sizes if s == n // parts + 1) == (n % parts if n % parts else 0)


def test_default_batch_size_is_the_lua_heuristic():
    table = {0: 1, 999: 1, 1000: 10, 2499: 10, 2500: 50, 4999: 50, 5000: 100, 10 ** 6: 100}
    for size, expected in table.items():
        assert automation.default_batch_size(size) == expected


@pytest.mark.parametrize("lengths", [[3, 2, 2], [4, 3], [5, 5], [2, 1, 1, 1], [7, 7, 6]])
@pytest.mark.parametrize("every", [1, 2, 3, 10])
def test_schedule_same_collectives_on_every_rank(lengths, every):
    longest = max(lengths)
    expected = [c for c in range(1, longest + 1) if c % every == 0 or c == longest]
    for rank, own in enumerate(lengths):
        schedule = automation.Schedule(every, lengths, rank)
        log = []
        for _ in range(2 * own):                               # two epochs
            log += [(c, schedule.contributors(c), pending) for c, pending in schedule.step()]
        assert [c for c, _, _ in log] == expected * 2          # same sequence on every rank
        for c, n, pending in log:
            assert n == sum(1 for length in lengths if length >= c)
            assert pending == (c > own)


def test_schedule_due_next_and_position():
    schedule = automation.Schedule(3, [5, 4], 1)               # steps 3 and 5 synchronize
    seen = []
    for _ in range(4):
        seen.append((schedule.position, schedule.due_next()))
        schedule.step()
    assert seen == [(0, False), (1, False), (2, True), (3, False)]
    assert schedule.position == 0                              # the epoch wrapped after call 4


def test_schedule_state_round_trip_continues_the_same_sequence():
    a = automation.Schedule(4, [10, 9, 9], 2)
    for _ in range(6):
        a.step()
    b = automation.Schedule(4, [10, 9, 9], 2)
    b.load_state_dict(a.state_dict())
    assert [a.step() for _ in range(12)] == [b.step() for _ in range(12)]


def test_schedule_refuses_a_state_of_another_schedule():
    state = automation.Schedule(4, [10, 9], 0).state_dict()
    with pytest.raises(ValueError, match="does not match"):
        automation.Schedule(5, [10, 9], 0).load_state_dict(state)
    with pytest.raises(ValueError, match="does not match"):
        automation.Schedule(4, [10, 9], 1).load_state_dict(state)
    with pytest.raises(ValueError, match="position 10 is outside"):
        automation.Schedule(4, [10, 9], 0).load_state_dict(dict(state, position=10))


def test_schedule_bad_arguments_are_named():
    with pytest.raises(ValueError, match="every: expected an int >= 1, got 0"):
        automation.Schedule(0, [3], 0)
    with pytest.raises(ValueError, match="lengths: expected one int >= 1 per rank"):
        automation.Schedule(1, [3, 0], 0)
    with pytest.raises(ValueError, match=r"rank: expected an int in range\(2\), got 2"):
        automation.Schedule(1, [3, 3], 2)


def test_flat_alias_detects_back_to_back_views():
    flat = torch.arange(10.0)
    a, b = flat[:4].view(2, 2), flat[4:10].view(3, 2)
    alias = sync.flat_alias([a, b])
    assert alias is not None and alias.data_ptr() == flat.data_ptr() and alias.numel() == 10
    assert sync.flat_alias([b, a]) is None                    # out of order
    assert sync.flat_alias([a, torch.zeros(6)]) is None       # another storage
    assert sync.flat_alias([flat[:4], flat[5:]]) is None      # a gap
    assert sync.flat_alias([]) is None


def test_buckets_cover_the_buffer():
    flat = torch.zeros(1000)
    f = sync.Flat(flat, bucket_bytes=4 * 300)
    assert [b.numel() for b in f.buckets] == [300, 300, 300, 100]
    assert all(b.data_ptr() == flat.data_ptr() + 4 * 300 * i for i, b in enumerate(f.buckets))
    with pytest.raises(ValueError, match="flat"):
        sync.Flat(torch.zeros(2, 2))


def test_adopt_data_and_grad_flat_claim():
    lin = torch.nn.Linear(3, 2)
    w0, b0 = lin.weight.detach().clone(), lin.bias.detach().clone()
    params = list(lin.parameters())
    f = sync.Flat.adopt_data(params)
    assert torch.equal(f.flat, torch.cat([w0.reshape(-1), b0]))
    f.flat.mul_(2)                                            # the parameters are views of the buffer
    assert torch.equal(lin.weight, 2 * w0) and torch.equal(lin.bias, 2 * b0)
    g = sync.GradFlat(params, bucket_bytes=8)
    assert all(p.grad is v for p, v in zip(params, g.views)) and float(g.flat.abs().sum()) == 0
    assert g.bucket_sizes == [sum(b in bs for bs in g.buckets_of) for b in range(len(g.buckets))]
    lin.zero_grad()                                           # set_to_none: autograd installs new tensors
    lin(torch.ones(4, 3)).sum().backward()
    assert lin.weight.grad is not g.views[0]
    g.claim_all()
    assert lin.weight.grad is g.views[0] and torch.equal(g.views[1], torch.full((2,), 4.0))
    assert torch.equal(g.views[0], torch.full((2, 3), 4.0))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="size"):
        automation.data_parallel(torch.zeros(3), 4)
    with pytest.raises(TypeError, match="data"):
        automation.data_parallel(5, 1)
    with pytest.raises(TypeError, match="model"):
        automation.synchronizeModel("net")
    with pytest.raises(TypeError, match="mpi"):
        automation.data_parallel(torch.zeros(3), 3, mpi=object())
