"""A plain (one process) MLP on a synthetic MNIST-like set, written with Torch7 names.

    python examples/model_parallel/mlp_dense.py [--samples N] [--hidden H] [--epochs E]

The model-parallel version, mlp_mp.py, is this script with nn.Reshape/nn.Linear/nn.Tanh renamed
nn.MPInitialReshape/nn.MPInitialLinear/nn.MPTanh/nn.MPBaseLinear; it imports the data, the model
builder and the training loop from here.
"""
import argparse
import logging

from compat import nn, optim, torch

PIXELS, CLASSES = 28 * 28, 10
DENSE_LAYERS = dict(reshape=nn.Reshape, first=nn.Linear, tanh=nn.Tanh, linear=nn.Linear)


def make_data(samples, seed=1):
    """``samples`` 28x28 images of 10 classes: a fixed random template per class plus noise;
    labels 1..10 (Lua). Identical on every process using the same seed."""
    g = torch.Generator().manual_seed(seed)
    templates = torch.rand(CLASSES, 28, 28, generator=g)
    labels = torch.randint(0, CLASSES, (samples,), generator=g)
    images = templates[labels] + 3.0 * torch.randn(samples, 28, 28, generator=g)
    return images, labels + 1


def build(hidden, layers=DENSE_LAYERS, seed=7):
    """28x28 -> 784 -> hidden -> tanh -> 10 -> LogSoftMax (Lua names via ``layers``)."""
    torch.manualSeed(seed)
    model = nn.Sequential()
    model.add(layers["reshape"](PIXELS))
    model.add(layers["first"](PIXELS, hidden))
    model.add(layers["tanh"]())
    model.add(layers["linear"](hidden, CLASSES))
    model.add(nn.LogSoftMax())
    return model


def train(model, images, labels, epochs, batch=50, lr=0.05, log=print):
    """Mini-batch optim.sgd with momentum; returns the loss of each epoch."""
    criterion = nn.ClassNLLCriterion()
    w, gw = model.getParameters()
    state = {"learningRate": lr, "momentum": 0.9}
    losses = []
    for epoch in range(1, epochs + 1):
        total = 0.0
        for i in range(0, images.shape[0], batch):
            x, t = images[i:i + batch], labels[i:i + batch]

            def feval(_):
                gw.zero_()
                loss = criterion.forward(model.forward(x), t)
                model.backward(x, criterion.backward(model.output, t))
                return loss, gw
            total += optim.sgd(feval, w, state)[1][0] * x.shape[0]
        losses.append(total / images.shape[0])
        correct = (model.forward(images).argmax(1) + 1 == labels).sum().item()
        log(f"epoch {epoch}: loss {losses[-1]:.4f}, train accuracy {100.0 * correct / images.shape[0]:.1f}%")
    return losses


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=5)
    return parser


def main():
    opt = arguments("dense MLP on synthetic MNIST-like data").parse_args()
    logging.basicConfig(level=logging.INFO)
    torch.set_default_dtype(torch.float32)
    images, labels = make_data(opt.samples)
    train(build(opt.hidden), images, labels, opt.epochs)


if __name__ == "__main__":
    main()
