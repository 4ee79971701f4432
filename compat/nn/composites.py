"""torch/nn classes that are a ``Sequential`` of other modules: ``SpatialLPPooling`` and
``LayerNormalization``. As in Lua they subclass ``nn.Sequential``, build their children in the
constructor and print as the Sequential they are; ``.t7`` files store those children.
"""
import math

from compat.nn.arithmetic import Mean, MulConstant, Normalize, Power, Sqrt, Square
from compat.nn.batched import lua_int
from compat.nn.containers import Sequential
from compat.nn.pooling import SpatialAveragePooling
from compat.nn.shape import Identity, Replicate
from compat.nn.simple import Add, CMul
from compat.nn.table_containers import ConcatTable
from compat.nn.table_modules import CSubTable


class SpatialLPPooling(Sequential):
    """``nn.SpatialLPPooling(nInputPlane, pnorm, kW, kH, dW=kW, dH=kH)``: the p-norm of each window,
    ``(sum x^p)^(1/p)``: Power(p) (Square for p = 2), SpatialAveragePooling(kW, kH, dW, dH),
    MulConstant(kW*kH), Power(1/p) (Sqrt for p = 2). No parameters (Lua makes the parameter
    methods no-ops)."""
    _t7_fields = ('kW', 'kH', 'dW', 'dH')

    def __init__(self, nInputPlane, pnorm, kW, kH, dW=None, dH=None):
        super().__init__()
        self.kW, self.kH = lua_int(self, 'kW', kW, 1), lua_int(self, 'kH', kH, 1)
        self.dW = self.kW if dW is None else lua_int(self, 'dW', dW, 1)
        self.dH = self.kH if dH is None else lua_int(self, 'dH', dH, 1)
        self.add(Square() if pnorm == 2 else Power(pnorm))
        self.add(SpatialAveragePooling(self.kW, self.kH, self.dW, self.dH))
        self.add(MulConstant(self.kW * self.kH))
        self.add(Sqrt() if pnorm == 2 else Power(1 / pnorm))

    def reset(self, stdv=None):
        return self

    def accGradParameters(self, input, gradOutput, scale=1):
        pass

    def accUpdateGradParameters(self, input, gradOutput, lr):
        pass

    def zeroGradParameters(self):
        pass

    def updateParameters(self, learningRate):
        pass


class LayerNormalization(Sequential):
    """``nn.LayerNormalization(nOutput, bias=0, eps=1e-10, affine=true)`` over ``N x nOutput``:
    ``y = gain * sqrt(nOutput) * (x - mean) / (||x - mean||_2 + eps) + bias`` per row, built as
    ConcatTable(Identity, Mean + Replicate), CSubTable, Normalize(2, eps), MulConstant(sqrt(nOutput)),
    then (affine) CMul(nOutput) filled with 1 and Add(nOutput) filled with ``bias``."""
    _t7_fields = ()

    def __init__(self, nOutput, bias=0, eps=1e-10, affine=True):
        super().__init__()
        nOutput = lua_int(self, 'nOutput', nOutput, 1)
        eps = 1e-10 if eps is None else eps
        bias = 0 if bias is None else bias
        mean = Sequential().add(Mean(1, 1)).add(Replicate(nOutput, 1, 1))
        self.add(ConcatTable().add(Identity()).add(mean))
        self.add(CSubTable())
        self.add(Normalize(2, eps))
        self.add(MulConstant(math.sqrt(nOutput)))
        if affine is None or affine:
            gain = CMul(nOutput)
            gain.weight.data.fill_(1.0)
            shift = Add(nOutput, False)
            shift.bias.data.fill_(bias)
            self.add(gain)
            self.add(shift)
