"""Margin, ranking and embedding criterions (torch/nn ``MultiMarginCriterion``,
``MultiLabelMarginCriterion``, ``MarginRankingCriterion``, ``L1HingeEmbeddingCriterion``,
``CosineEmbeddingCriterion``; the maths of THNN's ``generic/*Criterion.c`` and the Lua files).

Class indices in targets are 1-based, as in Lua.
"""
import torch

from compat.nn.criterions import Criterion
from compat.nn.module import check_tensor, grad_mode
from compat.nn.table_modules import CosineDistance, pair_of_tensors


def _frames(crit, input):
    check_tensor(crit, 'input', input, (1, 2))
    return input.unsqueeze(0) if input.dim() == 1 else input


class MultiMarginCriterion(Criterion):
    """``nn.MultiMarginCriterion(p=1, weights=None, margin=1)``: multi-class hinge loss. For each
    frame with 1-based target t: sum over d != t of w[t] * max(0, margin - x[t] + x[d])^p, divided
    by the number of classes (and of frames with sizeAverage)."""

    _t7_fields = ('sizeAverage', 'p', 'margin', 'weights')

    def __init__(self, p=1, weights=None, margin=1.0):
        super().__init__()
        if p not in (1, 2):
            raise ValueError(f"MultiMarginCriterion: only p=1 and p=2 are supported, got p={p!r}")
        if weights is not None and (not isinstance(weights, torch.Tensor) or weights.dim() != 1):
            raise ValueError(f"MultiMarginCriterion: weights input should be a 1-D tensor, got {weights!r}")
        self.p, self.weights, self.margin = int(p), weights, margin
        self.sizeAverage = True

    def expected_input(self):
        return "nClasses scores (1-D) or nframe x nClasses (2-D)"

    def _terms(self, input, target):
        """z = margin - x[t] + x (zero at the target), the 0-based targets, per-frame weight."""
        x = _frames(self, input)
        n, dim = x.shape
        t = torch.as_tensor(target, device=x.device).reshape(-1).long() - 1    # 1-based -> 0-based
        if t.numel() != n:
            raise ValueError(f"MultiMarginCriterion: expecting {n} target(s) for input of size {tuple(input.shape)}, "
                             f"got {t.numel()}")
        if bool(((t < 0) | (t >= dim)).any()):
            raise ValueError(f"MultiMarginCriterion: target out of range; expecting 1-based class indices in "
                             f"[1, {dim}]")
        z = self.margin - x.gather(1, t[:, None]) + x
        z = z.scatter(1, t[:, None], 0.0)
        w = (self.weights.to(x.dtype).to(x.device)[t] if self.weights is not None else torch.ones(n, dtype=x.dtype))
        norm = 1.0 / (dim * n) if self.sizeAverage else 1.0 / dim
        return x, z, t, w[:, None], norm

    def updateOutput(self, input, target):
        with grad_mode():
            _, z, _, w, norm = self._terms(input, target)
            h = z.clamp(min=0)
            return self._set_output((h if self.p == 1 else h * h).mul(w).sum() * norm)

    def updateGradInput(self, input, target):
        with torch.no_grad():
            x, z, t, w, norm = self._terms(input, target)
            active = (z > 0).to(x.dtype)
            g = active * norm if self.p == 1 else 2 * norm * z * active
            g = g * w
            g.scatter_(1, t[:, None], -g.sum(1, keepdim=True))
            self.gradInput = g.view(input.shape)
        return self.gradInput


class MultiLabelMarginCriterion(Criterion):
    """``nn.MultiLabelMarginCriterion()``: multi-label hinge loss. A target row lists 1-based class
    indices, ended by the first 0; for each listed class j and each class d not listed:
    max(0, 1 - x[j] + x[d]), summed, divided by the number of classes (and of frames)."""

    _t7_fields = ('sizeAverage', 'isTarget')

    def __init__(self):
        super().__init__()
        self.sizeAverage = True
        self.isTarget = torch.empty(0, dtype=torch.get_default_dtype())

    def _terms(self, input, target):
        x = _frames(self, input)
        t = torch.as_tensor(target, device=x.device).long()
        t = t.unsqueeze(0) if t.dim() == 1 else t
        if t.shape != x.shape:
            raise ValueError(f"MultiLabelMarginCriterion: expecting a target of size {tuple(input.shape)} (as the "
                             f"input), got size {tuple(torch.as_tensor(target).shape)}")
        n, dim = x.shape
        if bool(((t < 0) | (t > dim)).any()):
            raise ValueError(f"MultiLabelMarginCriterion: target out of range; expecting 1-based class indices in "
                             f"[1, {dim}] (0 ends a row)")
        listed = (t > 0).long().cumprod(1).bool()        # entries before the first 0
        idx = (t - 1).clamp(min=0)                        # 1-based -> 0-based
        is_target = torch.zeros_like(x).scatter_add_(1, idx, listed.to(x.dtype)).clamp_(max=1)
        self.isTarget = is_target.view(input.shape)
        # z[f, j, d] = 1 - x[f, t_j] + x[f, d], counted for listed j and non-target d
        z = 1 - x.gather(1, idx)[:, :, None] + x[:, None, :]
        mask = listed[:, :, None] & (is_target == 0)[:, None, :]
        norm = 1.0 / (dim * n) if self.sizeAverage else 1.0 / dim
        return x, z, mask, idx, norm

    def updateOutput(self, input, target):
        with grad_mode():
            _, z, mask, _, norm = self._terms(input, target)
            return self._set_output((z.clamp(min=0) * mask).sum() * norm)

    def updateGradInput(self, input, target):
        with torch.no_grad():
            x, z, mask, idx, norm = self._terms(input, target)
            active = ((z > 0) & mask).to(x.dtype)
            g = active.sum(1) * norm                                   # + per non-target class d
            g.scatter_add_(1, idx, -active.sum(2) * norm)              # - per listed class j
            self.gradInput = g.view(input.shape)
        return self.gradInput


class MarginRankingCriterion(Criterion):
    """``nn.MarginRankingCriterion(margin=1)``: input {x1, x2}, y in {-1, 1} (a number for one pair):
    l = max(0, -y (x1 - x2) + margin), averaged over the batch; the gradient is taken where the
    hinge is >= 0 (Torch7's mask)."""

    _t7_fields = ('sizeAverage', 'margin')

    def __init__(self, margin=1):
        super().__init__()
        self.margin = margin
        self.sizeAverage = True

    def _dist(self, input, y):
        if not isinstance(input, (list, tuple)) or len(input) < 2:
            raise TypeError(f"MarginRankingCriterion: expecting input to be a table of two tensors, got "
                            f"{type(input).__name__}")
        a, b = input[0], input[1]
        if isinstance(y, (int, float)):
            return -y * (a.reshape(-1)[:1] - b.reshape(-1)[:1]) + self.margin, y, 1
        check_tensor(self, 'target', y)
        y = y.to(a.dtype)
        return -y * (a - b) + self.margin, y, y.shape[0]

    def updateOutput(self, input, target):
        with grad_mode():
            d, _, n = self._dist(input, target)
            loss = d.clamp(min=0).sum()
            if self.sizeAverage and not isinstance(target, (int, float)):
                loss = loss / n
            return self._set_output(loss)

    def updateGradInput(self, input, target):
        with torch.no_grad():
            d, y, n = self._dist(input, target)
            g = (d >= 0).to(d.dtype) * y
            if self.sizeAverage and not isinstance(target, (int, float)):
                g = g / n
            self.gradInput = [-g, g.clone()]
        return self.gradInput


class L1HingeEmbeddingCriterion(Criterion):
    """``nn.L1HingeEmbeddingCriterion(margin=1)``: input {x1, x2}, y = 1 or -1 (a number):
    d = ||x1 - x2||_1; l = d for y = 1, max(0, margin - d) for y = -1. gradInput[1] = sign(x1 - x2)
    (0 where equal; Lua draws a random sign there), negated for y = -1 and zero beyond the margin;
    gradInput[2] = -gradInput[1]."""

    _t7_fields = ('margin',)

    def __init__(self, margin=1):
        super().__init__()
        self.margin = margin

    def updateOutput(self, input, target):
        a, b = pair_of_tensors(self, input)
        with grad_mode():
            d = (a - b).abs().sum()
            return self._set_output((self.margin - d).clamp(min=0) if target == -1 else d)

    def updateGradInput(self, input, target):
        a, b = pair_of_tensors(self, input)
        with torch.no_grad():
            g = (a - b).sign()
            if target == -1:
                g = torch.zeros_like(g) if float((a - b).abs().sum()) > self.margin else -g
            self.gradInput = [g, -g]
        return self.gradInput


class CosineEmbeddingCriterion(Criterion):
    """``nn.CosineEmbeddingCriterion(margin=0)``: input {x1, x2}, y per row in {-1, 1}: with c the
    cosine (1e-12 added to the squared norms, as Torch7), l = 1 - c for y = 1 and max(0, c - margin)
    for y = -1, averaged over rows; rows whose loss is <= 0 get no gradient."""

    _t7_fields = ('sizeAverage', 'margin')

    def __init__(self, margin=0):
        super().__init__()
        self.margin = margin
        self.sizeAverage = True

    def _terms(self, input, y):
        a, b = pair_of_tensors(self, input)
        a2, b2 = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
        y = torch.as_tensor(y, dtype=a.dtype, device=a.device).reshape(-1)
        dot, inv1, inv2, w = CosineDistance._terms(a2, b2)
        c = (dot * w).reshape(-1)
        per_row = torch.where(y == -1, (c - self.margin).clamp(min=0), torch.where(y == 1, 1 - c, c))
        return a, b, a2, b2, y, dot, inv1, inv2, w, per_row

    def updateOutput(self, input, target):
        with grad_mode():
            *_, y, _, _, _, _, per_row = self._terms(input, target)
            loss = per_row.sum()
            return self._set_output(loss / y.shape[0] if self.sizeAverage else loss)

    def updateGradInput(self, input, target):
        with torch.no_grad():
            a, b, a2, b2, y, dot, inv1, inv2, w, per_row = self._terms(input, target)
            sign = torch.where(per_row <= 0, 0.0, torch.where(y == 1, -1.0, 1.0)).to(a.dtype)[:, None]
            if self.sizeAverage:
                sign = sign / y.shape[0]
            g1 = (b2 - dot * inv1 * a2) * w * sign
            g2 = (a2 - dot * inv2 * b2) * w * sign
            self.gradInput = [g1.view_as(a), g2.view_as(b)]
        return self.gradInput
