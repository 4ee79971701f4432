"""``nn.StochasticGradient(module, criterion)`` (torch/nn ``StochasticGradient.lua``).

Plain per-sample SGD, exactly as Torch7: one permutation drawn once (``torch.randperm``) and used
for every epoch; for each sample ``criterion.forward(module.forward(input), target)``,
``module.updateGradInput(input, criterion.updateGradInput(module.output, target))``,
``module.accUpdateGradParameters(input, criterion.gradInput, lr)``. Epoch 1 uses ``learningRate``;
after epoch k the rate becomes ``learningRate / (1 + (k+1) * learningRateDecay)``.
All calls go through the instances, so per-instance wrappers (data-parallel sync) are honoured.
"""
import logging

import torch

from compat.nn.module import no_grad
from compat.torch_extras import lua_tostring
from compat.torch_random import randperm

logger = logging.getLogger(__name__)


def _error_text(error):
    """The printed error: a number (a criterion run under autograd returns a 0-d tensor)."""
    return lua_tostring(error.item() if isinstance(error, torch.Tensor) else error)


class _Dataset:
    """Uniform access: Lua-style (``size()`` and 1-based ``dataset[i]``) or a PyTorch dataset
    (``len`` and 0-based indexing). Examples are ``(input, target)`` pairs or Lua tables {1=, 2=}."""

    def __init__(self, dataset):
        size = getattr(dataset, 'size', None)
        if callable(size) and not isinstance(dataset, torch.Tensor):
            self.n, self.base = int(size()), 1          # Lua: dataset[1] .. dataset[size()]
        elif hasattr(dataset, '__len__') and hasattr(dataset, '__getitem__'):
            self.n, self.base = len(dataset), 0         # PyTorch: dataset[0] .. dataset[len-1]
        else:
            raise TypeError("StochasticGradient.train: expecting a dataset with size() and 1-based "
                            "dataset[i] (Lua style) or a torch.utils.data.Dataset (len and 0-based "
                            f"indexing), got {type(dataset).__name__}")
        self.dataset = dataset

    def example(self, i):
        """The ``i``-th example, ``i`` 1-based."""
        ex = self.dataset[i - 1 + self.base]
        if isinstance(ex, dict):
            return ex, ex[1], ex[2]
        return ex, ex[0], ex[1]


class StochasticGradient:
    """Lua fields: ``learningRate`` (0.01), ``learningRateDecay`` (0), ``maxIteration`` (25, 0 =
    forever), ``shuffleIndices`` (True), ``verbose`` (True), ``hookExample(self, example)``,
    ``hookIteration(self, iteration, currentError)``."""

    def __init__(self, module, criterion):
        self.learningRate = 0.01
        self.learningRateDecay = 0
        self.maxIteration = 25
        self.shuffleIndices = True
        self.module = module
        self.criterion = criterion
        self.verbose = True
        self.hookExample = None
        self.hookIteration = None

    def train(self, dataset):
        data = _Dataset(dataset)
        n = data.n
        if n < 1:
            raise ValueError(f"StochasticGradient.train: the dataset is empty (size {n})")
        iteration = 1
        lr = self.learningRate
        module, criterion = self.module, self.criterion
        grad_mode = torch.is_grad_enabled()
        shuffled = randperm(n, 'torch.LongTensor')      # drawn once from Torch7's stream, as Lua (1-based)
        order = shuffled.tolist() if self.shuffleIndices else list(range(1, n + 1))
        # printing IS the Lua behaviour mirrored here (StochasticGradient.lua uses print)
        print("# StochasticGradient: training")
        while True:
            current_error = 0.0
            with no_grad():     # once per epoch: the modules' own no_grad() then costs nothing
                for t in order:
                    example, input, target = data.example(t)
                    current_error = current_error + criterion.forward(module.forward(input), target)
                    module.updateGradInput(input, criterion.updateGradInput(module.output, target))
                    module.accUpdateGradParameters(input, criterion.gradInput, lr)
                    if self.hookExample:
                        with torch.set_grad_enabled(grad_mode):     # the user's code, the user's mode
                            self.hookExample(self, example)
            current_error = current_error / n
            if self.hookIteration:
                self.hookIteration(self, iteration, current_error)
            if self.verbose:
                print("# current error = " + _error_text(current_error))
            iteration += 1
            lr = self.learningRate / (1 + iteration * self.learningRateDecay)
            if self.maxIteration > 0 and iteration > self.maxIteration:
                print("# StochasticGradient: you have reached the maximum number of iterations")
                print("# training error = " + _error_text(current_error))
                break
        return current_error
