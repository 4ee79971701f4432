"""Base of the convolution, pooling, padding, up-sampling and normalization modules: one batched
forward and one batched backward, and the Lua contract built on them.

Torch7 accepts these modules' input either as a batch (rank ``_batch_dim``, e.g. ``N x C x H x W``)
or as one sample (one rank less, ``C x H x W``). A sample is computed as a batch of one and the
result squeezed back, so subclasses see batched tensors only and implement:

* ``_forward(x)``: the output, with differentiable ops (it serves ``m(x)`` under autograd too);
* ``_grads(x, g, mask)``: ``(gradInput, dLoss/dWeight, dLoss/dBias)`` by explicit ATen backward
  kernels, each computed only where ``mask`` (three booleans) asks for it, else None.

``updateGradInput``, ``accGradParameters`` (through :meth:`Module._accGrad`) and ``backward`` (one
``_grads`` call for all three, as THNN's fused kernels) follow from these two.
"""
import torch

from compat.nn._args import integral
from compat.nn.module import Module, autograd_active, check_tensor


def fuses_backward(method):
    """Mark an ``updateGradInput`` whose result ``backward``'s single ``_grads`` call reproduces (it
    computes the same kernels, perhaps by a shorter way): :meth:`BatchedModule.backward` fuses only
    over marked implementations, so a subclass that changes the gradient keeps its own."""
    method.fuses_backward = True
    return method


def lua_int(module, name, value, low=0):
    """:func:`compat.nn._args.integral` for a constructor argument of ``module`` (an instance or a
    class name): an integral float is accepted as Lua does (``3.0`` -> 3), ``low`` is the bound."""
    owner = module if isinstance(module, str) else type(module).__name__
    return integral(owner, name, value, minimum=low)


class BatchedModule(Module):
    """A module computed on batches; a single sample is a batch of one (see the module docstring)."""

    _batch_dim = 4

    def expected_input(self):
        return f"a {self._batch_dim - 1}-D sample or a {self._batch_dim}-D batch"

    def _check(self, input):
        """Raise a ValueError unless ``input`` has the rank (and sizes) this module accepts."""
        check_tensor(self, 'input', input, (self._batch_dim - 1, self._batch_dim))

    def _batch(self, t):
        return t if t.dim() == self._batch_dim else t.unsqueeze(0)

    def _unbatch(self, t, input):
        return t if input.dim() == self._batch_dim else t.squeeze(0)

    def _forward(self, x):
        raise NotImplementedError

    def _grads(self, x, g, mask):
        raise NotImplementedError

    def updateOutput(self, input):
        self._check(input)
        x = self._batch(input)
        if autograd_active():
            out = self._forward(x)
        else:
            with torch.no_grad():
                out = self._forward(x)
        self.output = self._unbatch(out, input)
        return self.output

    def _pair(self, input, gradOutput):
        """Batched (input, gradOutput) after checking that gradOutput has the output's size."""
        self._check(input)
        check_tensor(self, 'gradOutput', gradOutput, input.dim())
        x = self._batch(input)
        out = self.output
        if isinstance(out, torch.Tensor) and out.dim() == input.dim() and gradOutput.shape == out.shape:
            return x, self._batch(gradOutput)     # the output's size: what the check below accepts
        want = self._output_size(x)
        if want is not None and tuple(self._batch(gradOutput).shape) != tuple(want):
            want = want if input.dim() == self._batch_dim else want[1:]
            raise ValueError(f"{type(self).__name__}: expecting gradOutput of size {tuple(want)} (the "
                             f"output's for input {tuple(input.shape)}), got {tuple(gradOutput.shape)}")
        return x, self._batch(gradOutput)

    def _output_size(self, x):
        """The output size for batched input ``x`` (None: the last output's, unchecked)."""
        out = self.output
        if isinstance(out, torch.Tensor) and out.dim() and self._batch(out).shape[0] == x.shape[0]:
            return tuple(self._batch(out).shape)
        return None

    @fuses_backward
    def updateGradInput(self, input, gradOutput):
        if self.gradInput is None:
            return None
        x, g = self._pair(input, gradOutput)
        with torch.no_grad():
            gi = self._grads(x, g, (True, False, False))[0]
        self.gradInput = self._unbatch(gi, input)
        return self.gradInput

    def _accGrad(self, input, gradOutput, scale, gradWeight, gradBias):
        """gradWeight/gradBias += scale * dLoss/dWeight, dLoss/dBias."""
        x, g = self._pair(input, gradOutput)
        _, dw, db = self._grads(x, g, (False, gradWeight is not None, gradBias is not None))
        if gradWeight is not None:
            gradWeight.add_(dw.view(gradWeight.shape), alpha=scale)
        if gradBias is not None:
            gradBias.add_(db.view(gradBias.shape), alpha=scale)

    def backward(self, input, gradOutput, scale=1):
        """One ``_grads`` call for gradInput and the parameter gradients (the same result as
        ``updateGradInput`` + ``accGradParameters``), unless a subclass or instance wraps those."""
        cls = type(self)
        wrapped = ('updateGradInput' in self.__dict__ or 'accGradParameters' in self.__dict__
                   or not getattr(cls.updateGradInput, 'fuses_backward', False)
                   or cls.accGradParameters is not Module.accGradParameters)
        if wrapped or self.gradInput is None or not self._parameters:
            return super().backward(input, gradOutput, scale)
        x, g = self._pair(input, gradOutput)
        gw, gb = self._grad('weight'), self._grad('bias')
        with torch.no_grad():
            gi, dw, db = self._grads(x, g, (True, gw is not None, gb is not None))
            if gw is not None:
                gw.add_(dw.view(gw.shape), alpha=scale)
            if gb is not None:
                gb.add_(db.view(gb.shape), alpha=scale)
        self.gradInput = self._unbatch(gi, input)
        return self.gradInput
