"""``optim.ConfusionMatrix`` of torch/optim (``ConfusionMatrix.lua``).

``mat[t][p]`` counts the samples of target class ``t`` predicted as ``p`` (rows = targets). Classes
are **1-based** as in Lua: a target or a class-number prediction ``c`` lands in row/column ``c``
(``mat[c - 1]`` in PyTorch indexing); a target ``<= 0`` marks a missing label and is ignored.
A prediction given as a score vector counts as its argmax (first maximum, after a float32 copy as
Lua does). ``updateValids()`` (called by ``str()``) refreshes, in Lua's precision:

* ``valids[t] = mat[t][t] / sum(row t)`` (float32 tensor), ``unionvalids[t] = mat[t][t] /
  (sum(row t) + sum(column t) - mat[t][t])`` (float32), NaN for an empty row;
* ``totalValid = trace / total``; ``averageValid`` / ``averageUnionValid`` = mean of the non-NaN
  float32 valids / unionvalids, summed as doubles.

``str(cm)`` is Lua's ``tostring(cm)`` byte for byte (``print(cm)`` prints it).
"""
import math

import torch

from compat.torch_extras import lua_tostring

__all__ = ["ConfusionMatrix"]


_LUA_NAN = -math.nan  # Lua's 0/0 on x86: a NaN with the sign bit set (C printf: "-nan")


def _c_format(fmt, value):
    # C printf of a NaN on x86 glibc (as Torch7 printed 0/0 of an empty row): "-nan".
    if isinstance(value, float) and math.isnan(value):
        return "-nan" if math.copysign(1.0, value) < 0 else "nan"
    return fmt % value


class ConfusionMatrix:
    """``ConfusionMatrix(nclasses)`` or ``ConfusionMatrix(classes)`` (a list of class names), or
    ``ConfusionMatrix(nclasses, classes)``."""

    def __init__(self, nclasses, classes=None):
        if isinstance(nclasses, (list, tuple)):
            classes, nclasses = list(nclasses), len(nclasses)
        if isinstance(nclasses, bool) or not isinstance(nclasses, int) or nclasses < 1:
            raise ValueError(f"ConfusionMatrix: nclasses must be a positive integer or a list of class "
                             f"names, got {nclasses!r}")
        self.nclasses = nclasses
        self.classes = list(classes) if classes is not None else []
        self.mat = torch.zeros(nclasses, nclasses, dtype=torch.int64)
        self.valids = torch.zeros(nclasses, dtype=torch.float32)
        self.unionvalids = torch.zeros(nclasses, dtype=torch.float32)
        self.totalValid = 0
        self.averageValid = 0
        self.averageUnionValid = 0

    # -------------------------------------------------------------- accumulation
    def _class_index(self, name, value):
        if isinstance(value, torch.Tensor) and value.numel() == 1 and value.dim() <= 1:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise TypeError(f"ConfusionMatrix: {name} must be a class number (1-based), got {value!r}")
        value = int(value)
        if value > self.nclasses or (name == "prediction" and value < 1):
            raise ValueError(f"ConfusionMatrix: {name} must be in 1..{self.nclasses} (1-based), got {value}")
        return value

    def _argmax(self, name, scores):
        if scores.dim() != 1 or scores.numel() != self.nclasses:
            raise ValueError(f"ConfusionMatrix: a {name} vector must be 1-D of size {self.nclasses}, got "
                             f"size {tuple(scores.shape)}")
        return int(torch.argmax(scores.detach().to("cpu", torch.float32))) + 1  # 0-based -> 1-based

    def _add(self, prediction, target):
        if target > 0:  # non-positive targets are missing labels (Lua: ignored)
            self.mat[target - 1, prediction - 1] += 1  # 1-based class -> 0-based index

    def add(self, prediction, target):
        """Count one sample: ``prediction`` a class number or a score vector (argmax), ``target`` a
        class number (1-based) or a one-hot/score vector (argmax)."""
        if isinstance(prediction, torch.Tensor) and prediction.dim() >= 1:
            prediction = self._argmax("prediction", prediction)
        prediction = self._class_index("prediction", prediction)
        if isinstance(target, torch.Tensor) and target.dim() >= 1 and target.numel() > 1:
            target = self._argmax("target", target)
        self._add(prediction, self._class_index("target", target))

    def _batch_classes(self, name, values):
        if not isinstance(values, torch.Tensor):
            raise TypeError(f"ConfusionMatrix.batchAdd: {name} must be a torch.Tensor, got {type(values).__name__}")
        values = values.detach().to("cpu", torch.float32)  # Lua copies into a FloatTensor
        if values.dim() == 2 and values.shape[1] == 1:
            values = values[:, 0]
        elif values.dim() == 2:
            if values.shape[1] != self.nclasses:
                raise ValueError(f"ConfusionMatrix.batchAdd: {name} must be N x {self.nclasses}, got "
                                 f"{tuple(values.shape)}")
            return torch.argmax(values, dim=1) + 1  # 0-based -> 1-based
        elif values.dim() != 1:
            raise ValueError(f"ConfusionMatrix.batchAdd: {name} has invalid number of dimensions "
                             f"({values.dim()}; expecting 1 or 2)")
        if not torch.equal(values, values.round()):
            raise ValueError(f"ConfusionMatrix.batchAdd: {name} given as class numbers must be integers")
        return values.to(torch.int64)

    def batchAdd(self, predictions, targets):
        """Count a batch: each argument is ``N`` class numbers (1-based), ``N x 1``, or ``N x nclasses``
        scores (argmax along dim 2)."""
        preds = self._batch_classes("predictions", predictions)
        targs = self._batch_classes("targets", targets)
        if preds.shape[0] != targs.shape[0]:
            raise ValueError(f"ConfusionMatrix.batchAdd: {preds.shape[0]} predictions for {targs.shape[0]} targets")
        keep = targs >= 1  # non-positive targets are missing labels
        preds, targs = preds[keep], targs[keep]
        if targs.numel() and (targs.max() > self.nclasses or preds.min() < 1 or preds.max() > self.nclasses):
            raise ValueError(f"ConfusionMatrix.batchAdd: classes must be in 1..{self.nclasses} (1-based), got "
                             f"targets {targs.min().item()}..{targs.max().item()}, predictions "
                             f"{preds.min().item()}..{preds.max().item()}")
        flat = (targs - 1) * self.nclasses + (preds - 1)  # 1-based -> 0-based, row-major
        self.mat.view(-1).index_add_(0, flat, torch.ones_like(flat))

    def zero(self):
        self.mat.zero_()
        self.valids.zero_()
        self.unionvalids.zero_()
        self.totalValid = 0
        self.averageValid = 0

    # -------------------------------------------------------------- statistics
    def updateValids(self):
        mat = self.mat.tolist()
        rows = [sum(r) for r in mat]
        cols = [sum(c) for c in zip(*mat)]
        total = 0
        for t in range(self.nclasses):
            diag = mat[t][t]
            self.valids[t] = diag / rows[t] if rows[t] else _LUA_NAN
            union = rows[t] + cols[t] - diag
            self.unionvalids[t] = diag / union if union else _LUA_NAN
            total += diag
        grand = sum(rows)
        self.totalValid = total / grand if grand else _LUA_NAN
        valids, unions = self.valids.tolist(), self.unionvalids.tolist()  # float32 values as doubles
        ok = [t for t in range(self.nclasses) if not math.isnan(valids[t])]
        ok_union = [t for t in ok if not math.isnan(unions[t])]
        self.averageValid = _mean([valids[t] for t in ok])
        self.averageUnionValid = _mean([unions[t] for t in ok_union])

    def __str__(self):
        """Lua ``tostring(cm)`` (calls ``updateValids``)."""
        self.updateValids()
        out = ["ConfusionMatrix:\n", "["]
        max_count = int(self.mat.max())
        width = max(8, 1 + math.ceil(math.log10(max_count))) if max_count > 0 else 8
        valids = self.valids.tolist()
        for t in range(self.nclasses):
            last = t == self.nclasses - 1
            out.append("[" if t == 0 else " [")
            out.extend("%*d" % (width, v) for v in self.mat[t].tolist())
            pclass = _c_format("%2.3f", valids[t] * 100)
            out.append(("]]  " if last else "]   ") + pclass + "% ")
            if self.classes:
                name = self.classes[t] if t < len(self.classes) else ""
                out.append("\t[class: " + str(name) + "]")
            out.append("\n")
        out.append(" + average row correct: " + lua_tostring(self.averageValid * 100) + "% \n")
        out.append(" + average rowUcol correct (VOC measure): " + lua_tostring(self.averageUnionValid * 100) + "% \n")
        out.append(" + global correct: " + lua_tostring(self.totalValid * 100) + "%")
        return "".join(out)

    __repr__ = __str__


def _mean(values):
    # Lua sums the doubles in class order, then divides; 0/0 (no valid class) is NaN.
    acc = 0.0
    for v in values:
        acc += v
    return acc / len(values) if values else _LUA_NAN
