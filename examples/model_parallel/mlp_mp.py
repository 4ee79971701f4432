"""The MLP of mlp_dense.py, model-parallel: each fully-connected layer split over the MPI ranks.

    torchad-run -np 2 python examples/model_parallel/mlp_mp.py [--samples N] [--hidden H]
                [--epochs E] [--check] [--save model.t7]

Every rank runs this script on the same data; each nn.MP*Linear holds 1/P of its weights (a slice
of the input features) and the ranks sum their partial products (see
automatedparallelization.nodemodule). 784 and --hidden must divide by the number of ranks.
--check also trains the dense model on each rank and compares it with the gathered MP model;
--save writes the gathered (dense) model as a .t7 file on rank 0.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mlp_dense import arguments, build, make_data, train  # noqa: E402

from automatedparallelization import comm  # noqa: E402
from automatedparallelization.mp_convert import gather_model  # noqa: E402
from compat import (
    nn,  # noqa: E402
    torch,  # noqa: E402
)

MP_LAYERS = dict(reshape=nn.MPInitialReshape, first=nn.MPInitialLinear, tanh=nn.MPTanh,
                 linear=nn.MPBaseLinear)


def main():
    parser = arguments("model-parallel MLP on synthetic MNIST-like data")
    parser.add_argument("--check", action="store_true", help="compare with the dense model")
    parser.add_argument("--save", default="", help="write the gathered model to this .t7 file (rank 0)")
    opt = parser.parse_args()
    rank, size = comm.rank(), comm.size()
    say = print if rank == 0 else (lambda *a: None)     # print: the Lua examples print on rank 0
    torch.set_default_dtype(torch.float64 if opt.check else torch.float32)
    images, labels = make_data(opt.samples)
    model = build(opt.hidden, MP_LAYERS)
    say(f"{size} rank(s); layer 2 holds {tuple(model.get(2).weight.shape)} of (hidden x 784) weights per rank")
    train(model, images, labels, opt.epochs, log=say)
    dense_view = gather_model(model, root=0)
    if opt.check:
        reference = build(opt.hidden)
        train(reference, images, labels, opt.epochs, log=lambda *a: None)
        if rank == 0:
            diff = max((a - b).abs().max().item()
                       for a, b in zip(dense_view.parameters()[0], reference.parameters()[0]))
            if diff > 1e-9:
                raise SystemExit(f"the gathered model differs from the dense model by {diff:g}")
            say(f"gathered model matches the dense model (max |diff| = {diff:.2e})")
    if opt.save and rank == 0:
        torch.save(opt.save, dense_view)
        say(f"saved the gathered model to {opt.save}")


if __name__ == "__main__":
    main()
