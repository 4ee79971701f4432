"""nngraph's gModule against the same network written directly in PyTorch, forward + backward.

    python benchmarks/bench_nngraph.py [--rounds 7] [--batch 32] [--width 256]

The graph: four Linear layers with Tanh between them and a skip connection (the input's first
layer added to the third), built with the node syntax and run as a gModule on the Lua path
(``forward``, ``zeroGradParameters``, ``backward``). The PyTorch side is the same layers as
``torch.nn.Linear`` modules, one autograd ``backward``, gradients zeroed with ``set_to_none``.
Same weights, same batch; the ratio is gModule time / PyTorch time (the target: 1.5 or less).
"""
import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _timing import median_seconds  # noqa: E402

from compat import nn  # noqa: E402


def build_graph(width):
    x = nn.Identity()()
    h1 = nn.Tanh()(nn.Linear(width, width)(x))
    h2 = nn.Tanh()(nn.Linear(width, width)(h1))
    h3 = nn.Tanh()(nn.CAddTable()([nn.Linear(width, width)(h2), h1]))
    y = nn.Linear(width, 10)(h3)
    return nn.gModule([x], [y])


class Direct(torch.nn.Module):
    def __init__(self, width):
        super().__init__()
        self.l1, self.l2 = torch.nn.Linear(width, width), torch.nn.Linear(width, width)
        self.l3, self.l4 = torch.nn.Linear(width, width), torch.nn.Linear(width, 10)

    def forward(self, x):
        h1 = torch.tanh(self.l1(x))
        h2 = torch.tanh(self.l2(h1))
        return self.l4(torch.tanh(self.l3(h2) + h1))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--steps", type=int, default=200, help="forward+backward steps per round")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    graph, direct = build_graph(args.width), Direct(args.width)
    linears = [m for m in graph.modules if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for mine, theirs in zip(linears, (direct.l1, direct.l2, direct.l3, direct.l4)):
            mine.weight.copy_(theirs.weight)
            mine.bias.copy_(theirs.bias)
    x = torch.randn(args.batch, args.width)
    go = torch.randn(args.batch, 10)
    assert torch.allclose(graph.forward(x), direct(x), atol=1e-5)

    def lua_steps():
        for _ in range(args.steps):
            graph.forward(x)
            graph.zeroGradParameters()
            graph.backward(x, go)

    def torch_steps():
        for _ in range(args.steps):
            direct.zero_grad(set_to_none=True)
            direct(x).backward(go)

    lua_steps(), torch_steps()
    t_graph = median_seconds(lua_steps, args.rounds) / args.steps
    t_torch = median_seconds(torch_steps, args.rounds) / args.steps
    print(f"nngraph 4-layer graph, batch {args.batch}, width {args.width}, 1 thread, median of {args.rounds}")
    print("| workload | gModule (ms/step) | PyTorch (ms/step) | ratio |")
    print("|---|---|---|---|")
    print(f"| forward + backward | {t_graph * 1e3:.3f} | {t_torch * 1e3:.3f} | {t_graph / t_torch:.2f} |")


if __name__ == "__main__":
    main()
