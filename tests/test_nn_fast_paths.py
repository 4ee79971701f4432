"""The fast paths of compat.nn give exactly what the plain kernels give.

- SpatialConvolution gradInput for few input planes goes through matmul + strided col2im adds,
  in chunks of the batch: equal to ATen's convolution_backward for every stride/pad/size tried;
  one sample (3-D input) goes through ATen's slow_conv2d (THNN's unfold + matrix product): equal to
  the same sample as a batch of 1;
- a one-sample convolution's updateGradInput keeps THNN's parameter gradients for the
  accGradParameters/accUpdateGradParameters of the same (input, gradOutput) pair, and computes
  afresh for another pair or after either tensor changed in place;
- SpatialMaxPooling pools a channels-last copy when the input has many planes (a batch, or one
  large sample): same values and the same argmax indices as the NCHW kernel, ties (ReLU zeros) and
  NaNs included;
- ClassNLLCriterion converts a batch of class targets once for forward and backward, and again
  after the target tensor changed in place;
- the Lua call path reuses ``output``/``gradInput`` tensors as Torch7 does (never under autograd,
  never a tensor that shares storage with the input); ``clearState`` empties them.
"""
import copy
import itertools
import pickle

import pytest
import torch

import compat.nn as nn
import compat.nn.conv as conv_mod

_conv_backward = torch.ops.aten.convolution_backward.default
_pool = torch.ops.aten.max_pool2d_with_indices.default


def _reference_grad_input(m, x, go):
    stride, pad = [m.dH, m.dW], [m.padH, m.padW]
    batched = x.dim() == 4
    xb, gb = (x, go) if batched else (x.unsqueeze(0), go.unsqueeze(0))
    gi = _conv_backward(gb, xb, m._w4(m.weight), [m.nOutputPlane], stride, pad, [1, 1], False, [0, 0], 1,
                        [True, False, False])[0]
    return gi if batched else gi.squeeze(0)


@pytest.mark.parametrize("chunk_bytes", [conv_mod._FOLD_CHUNK_BYTES, 3000])
def test_conv_grad_input_by_fold_matches_aten(monkeypatch, chunk_bytes):
    monkeypatch.setattr(conv_mod, "_FOLD_CHUNK_BYTES", chunk_bytes)   # 3000: several chunks + a remainder
    torch.manual_seed(0)
    checked = 0
    for cin, (kw, kh), d, p, (h, w) in itertools.product((1, 3), ((1, 1), (3, 2), (5, 5)), (1, 2, 3), (0, 1, 2),
                                                         ((7, 8), (10, 11))):
        if h + 2 * p < kh or w + 2 * p < kw or p > max(kw, kh):
            continue
        m = nn.SpatialConvolutionMM(cin, 4, kw, kh, d, d, p, p).double()
        for x in (torch.randn(5, cin, h, w, dtype=torch.float64), torch.randn(cin, h, w, dtype=torch.float64)):
            for _ in range(2):                       # the second call writes into the reused gradInput
                out = m.forward(x)
                go = torch.randn_like(out)
                gi = m.updateGradInput(x, go)
                torch.testing.assert_close(gi, _reference_grad_input(m, x, go), rtol=0, atol=1e-12)
                checked += 1
    assert checked > 200


def test_conv_backward_fast_path_equals_separate_calls():
    torch.manual_seed(1)
    a = nn.SpatialConvolutionMM(3, 8, 5, 5, 1, 1, 2, 2).double()
    b = a.clone()
    x = torch.randn(4, 3, 12, 12, dtype=torch.float64)
    go = torch.randn_like(a.forward(x))
    b.forward(x)
    gi_a = a.backward(x, go, 0.5).clone()
    gi_b = b.updateGradInput(x, go).clone()
    b.accGradParameters(x, go, 0.5)
    torch.testing.assert_close(gi_a, gi_b, rtol=0, atol=1e-12)
    torch.testing.assert_close(a.gradWeight, b.gradWeight, rtol=0, atol=1e-12)
    torch.testing.assert_close(a.gradBias, b.gradBias, rtol=0, atol=1e-12)


@pytest.mark.parametrize("cls", [nn.SpatialConvolutionMM, nn.SpatialConvolution])
def test_conv_one_sample_path_equals_a_batch_of_one(cls):
    """A 3-D input goes through ATen's unfold + matrix product (THNN's algorithm): output, gradInput
    and the parameter gradients equal those of the same sample as a batch of 1 (oneDNN path)."""
    torch.manual_seed(3)
    for cin, k, d, p in itertools.product((3, 16), (1, 3, 5), (1, 2), (0, 2)):
        a = cls(cin, 6, k, max(1, k - 2), d, 3 - d, p, p // 2).double()     # width and height differ
        b = a.clone()
        x = torch.randn(cin, 11, 10, dtype=torch.float64)
        out = a.forward(x)
        torch.testing.assert_close(out, b.forward(x.unsqueeze(0))[0], rtol=0, atol=1e-12)
        go = torch.randn_like(out)
        torch.testing.assert_close(a.backward(x, go, 0.5), b.backward(x.unsqueeze(0), go.unsqueeze(0), 0.5)[0],
                                   rtol=0, atol=1e-12)
        torch.testing.assert_close(a.gradWeight, b.gradWeight, rtol=0, atol=1e-12)
        torch.testing.assert_close(a.gradBias, b.gradBias, rtol=0, atol=1e-12)
        a.accUpdateGradParameters(x, go, 0.1)
        b.accUpdateGradParameters(x.unsqueeze(0), go.unsqueeze(0), 0.1)
        torch.testing.assert_close(a.weight, b.weight, rtol=0, atol=1e-12)
        torch.testing.assert_close(a.bias, b.bias, rtol=0, atol=1e-12)


def _pool_inputs():
    torch.manual_seed(2)
    relu = torch.randn(6, 16, 14, 13).clamp_min(0)          # about half zeros: many tied windows
    nan = torch.randn(6, 16, 14, 13)
    nan[torch.rand_like(nan) < 0.05] = float("nan")
    ints = torch.randint(0, 3, (6, 16, 14, 13)).double()     # heavy ties, float64
    return [relu, nan, ints]


@pytest.mark.parametrize("kw,kh,dw,dh,padw,padh,ceil", [
    (3, 3, 3, 3, 0, 0, False), (2, 2, 2, 2, 0, 0, False), (3, 3, 2, 2, 1, 1, True),
    (3, 2, 1, 2, 1, 0, False), (2, 3, 3, 1, 0, 1, True)])
def test_maxpool_channels_last_path_same_values_and_indices(kw, kh, dw, dh, padw, padh, ceil):
    for x in _pool_inputs():
        assert x.shape[1] >= 8                                 # takes the channels-last path
        m = nn.SpatialMaxPooling(kw, kh, dw, dh, padw, padh)
        if ceil:
            m.ceil()
        ref_out, ref_idx = _pool(x, [kh, kw], [dh, dw], [padh, padw], [1, 1], ceil)
        out = m.forward(x)
        assert out.is_contiguous() and m.indices.is_contiguous()
        torch.testing.assert_close(out, ref_out, rtol=0, atol=0, equal_nan=True)
        assert torch.equal(m.indices, ref_idx)
        go = torch.randn_like(out)
        ref_gi = torch.ops.aten.max_pool2d_with_indices_backward(go, x, [kh, kw], [dh, dw], [padh, padw],
                                                                 [1, 1], ceil, ref_idx)
        assert torch.equal(m.backward(x, go), ref_gi)
        assert torch.equal(m.backward(x, go), ref_gi)           # again, into the reused gradInput


@pytest.mark.parametrize("size", [(14, 13), (32, 30)])
def test_maxpool_channels_last_path_one_sample(size):
    """A 3-D input with many planes is pooled in NCHW when small and as a channels-last batch of 1
    when large (16 x 32 x 30 elements): the same values and indices as the NCHW kernel."""
    torch.manual_seed(5)
    for x in _pool_inputs():
        x = x[1] if x.shape[-2:] == size else torch.cat([x[1], x[2]], 1)[:, :size[0], :1].expand(-1, -1, size[1])
        x = x.contiguous()
        m = nn.SpatialMaxPooling(3, 2, 2, 2, 1, 1)
        ref_out, ref_idx = _pool(x, [2, 3], [2, 2], [1, 1], [1, 1], False)
        out = m.forward(x)
        assert out.shape == ref_out.shape and out.is_contiguous() and m.indices.is_contiguous()
        torch.testing.assert_close(out, ref_out, rtol=0, atol=0, equal_nan=True)
        assert torch.equal(m.indices, ref_idx)
        go = torch.randn_like(out)
        ref_gi = torch.ops.aten.max_pool2d_with_indices_backward(go, x, [2, 3], [2, 2], [1, 1], [1, 1], False,
                                                                 ref_idx)
        assert torch.equal(m.backward(x, go), ref_gi)


def test_lua_path_reuses_output_and_gradInput_like_torch7():
    m = nn.ReLU()
    x1, x2 = torch.randn(4, 5), torch.randn(4, 5)
    out1 = m.forward(x1)
    out2 = m.forward(x2)
    assert out2 is out1                                        # Lua: self.output is refilled in place
    assert torch.equal(out2, x2.clamp_min(0))
    g1 = m.backward(x2, torch.ones(4, 5))
    g2 = m.backward(x2, torch.full((4, 5), 2.0))
    assert g2 is g1 and torch.equal(g2, 2.0 * (x2 > 0))
    kept = m.forward(x1).clone()                               # the Lua idiom to keep an output
    m.forward(x2)
    assert torch.equal(kept, x1.clamp_min(0))


def test_reuse_never_writes_into_the_input_or_a_view():
    m = nn.Tanh()
    x = torch.randn(3, 4)
    out = m.forward(x)
    again = m.forward(out)                                     # input is the current output
    torch.testing.assert_close(again, torch.tanh(torch.tanh(x)))
    assert again is not out
    m.output = torch.zeros(6, 4)[:3]                           # a view of someone else's tensor
    owner = m.output._base
    m.forward(x)
    assert torch.equal(owner, torch.zeros(6, 4))
    relu = nn.ReLU()
    y = torch.randn(2, 3)
    relu.gradInput = torch.randn(2, 3)
    shared = relu.gradInput                                   # gradOutput sharing the gradInput's storage
    g = relu.updateGradInput(y, shared)
    assert g is not shared and torch.equal(g, torch.where(y > 0, shared, torch.zeros(())))


def test_autograd_path_outputs_are_fresh_and_differentiable():
    m = nn.Sequential().add(nn.Linear(4, 3)).add(nn.ReLU()).add(nn.Sigmoid())
    x = torch.randn(2, 4)
    y1 = m(x)
    y2 = m(x * 2)
    assert y1 is not y2 and y1.requires_grad
    y1.sum().backward()                                        # y1 still holds its own values and graph
    assert m.get(1).weight.grad is not None


def test_clearState_empties_buffers_and_model_still_runs():
    torch.manual_seed(3)
    model = (nn.Sequential().add(nn.SpatialConvolutionMM(3, 8, 3, 3)).add(nn.ReLU())
             .add(nn.SpatialMaxPooling(2, 2)).add(nn.View(8 * 3 * 3)).add(nn.Linear(72, 4)))
    x = torch.randn(2, 3, 8, 8)
    out = model.forward(x).clone()
    model.backward(x, torch.ones(2, 4))
    assert model.clearState() is model
    for m in model.modules:
        assert m.output.numel() == 0 and m.gradInput.numel() == 0
    assert torch.equal(model.forward(x), out)
    c = copy.deepcopy(model)
    assert torch.equal(c.forward(x), out)
    assert torch.equal(pickle.loads(pickle.dumps(model)).forward(x), out)


def test_lua_path_leaves_grad_mode_as_it_was():
    """The Lua path computes without autograd and restores the caller's grad mode, also when a
    module raises; StochasticGradient's hooks run in the caller's mode."""
    model = nn.Sequential().add(nn.Linear(4, 3)).add(nn.Tanh())
    assert torch.is_grad_enabled()
    out = model.forward(torch.randn(2, 4))
    assert out.grad_fn is None and not out.requires_grad and torch.is_grad_enabled()
    with pytest.raises(ValueError, match="In 1 module of nn.Sequential"):
        model.forward(torch.randn(2, 5))
    assert torch.is_grad_enabled()
    seen = []
    trainer = nn.StochasticGradient(nn.Sequential().add(nn.Linear(2, 2)).add(nn.LogSoftMax()),
                                    nn.ClassNLLCriterion())
    trainer.maxIteration, trainer.verbose = 1, False
    trainer.hookExample = lambda self, example: seen.append(torch.is_grad_enabled())
    trainer.train([(torch.randn(2), 1), (torch.randn(2), 2)])
    with torch.no_grad():
        trainer.train([(torch.randn(2), 1)])
    assert seen == [True, True, False] and torch.is_grad_enabled()


def test_single_class_target_number_or_one_element_tensor():
    """A number, a 0-D and a 1-element target give the same loss and gradInput as the dense
    PyTorch loss; out-of-range single targets are refused without reaching a kernel."""
    x = torch.randn(5, dtype=torch.float64).log_softmax(0).requires_grad_()
    ref = torch.nn.functional.nll_loss(x.unsqueeze(0), torch.tensor([2]))
    ref.backward()
    for target in (3, 3.0, torch.tensor(3), torch.tensor([3]), torch.tensor([3.0])):
        crit = nn.ClassNLLCriterion()
        assert crit.forward(x.detach(), target) == pytest.approx(ref.item(), abs=1e-15)
        assert torch.equal(crit.backward(x.detach(), target), x.grad)
    for bad in (0, 6, torch.tensor(6), torch.tensor([0])):
        with pytest.raises(ValueError, match=r"target .* out of range; expecting 1-based class indices in \[1, 5\]"):
            nn.ClassNLLCriterion().forward(x.detach(), bad)
    with pytest.raises(ValueError, match="expecting 2 target"):
        nn.ClassNLLCriterion().forward(torch.zeros(2, 5), 1)


@pytest.mark.parametrize("weights,ignore,sizeAverage", [
    (None, -100, True), (None, 2, True), (torch.tensor([1.0, 2.0, 0.5, 3.0]), -100, True), (None, -100, False)])
def test_class_nll_gradient_normaliser(weights, ignore, sizeAverage):
    """gradInput's normaliser (the number of targets, or sum_i w[t_i] without the ignored ones)
    equals the dense PyTorch loss's, single targets and batches alike."""
    torch.manual_seed(4)
    w = None if weights is None else weights.double()
    for x, target in ((torch.randn(4, dtype=torch.float64), 2), (torch.randn(4, dtype=torch.float64), 3),
                      (torch.randn(6, 4, dtype=torch.float64), torch.tensor([2, 3, 1, 2, 4, 3]))):
        xr = x.detach().clone().requires_grad_()
        t = torch.tensor([target]) if isinstance(target, int) else target
        ref = torch.nn.functional.nll_loss(xr.view(-1, 4), t - 1, w, ignore_index=ignore - 1,
                                           reduction='mean' if sizeAverage else 'sum')
        ref.backward()
        crit = nn.ClassNLLCriterion(w, sizeAverage, ignore)
        out = crit.forward(x, target)
        if not torch.isnan(ref):
            assert out == pytest.approx(ref.item(), abs=1e-12)
            torch.testing.assert_close(crit.backward(x, target), xr.grad, rtol=0, atol=1e-12)


@pytest.mark.parametrize("cls", [nn.SpatialConvolutionMM, nn.SpatialConvolution])
def test_conv_one_sample_keeps_parameter_gradients_for_the_same_pair(cls):
    """Torch7's per-sample step (updateGradInput, then accUpdateGradParameters of the same pair)
    updates the weights by exactly THNN's kernel's gradients; another pair, or a gradOutput changed
    in place in between, gives the gradients of what is passed."""
    torch.manual_seed(6)
    slow_backward = torch.ops.aten._slow_conv2d_backward.output_mask
    m = cls(3, 5, 3, 2, 1, 2, 1, 0).double()
    x = torch.randn(3, 9, 8, dtype=torch.float64)

    def expected_step(module, x, go, lr):
        _, dw, db = slow_backward(go.unsqueeze(0), x.unsqueeze(0), module.weight, (module.kH, module.kW),
                                  (module.dH, module.dW), (module.padH, module.padW), [False, True, True])
        return (module.weight.detach().clone().add_(dw, alpha=-lr),      # Torch7's update: p += -lr * dp
                module.bias.detach().clone().add_(db, alpha=-lr))

    for change in (None, "in place", "another pair"):
        go = torch.randn_like(m.forward(x))
        gi = m.updateGradInput(x, go)
        assert gi.shape == x.shape
        if change == "in place":
            go.mul_(-3)
        elif change == "another pair":
            go = go.clone() * 2
        w, b = expected_step(m, x, go, 0.1)
        m.accUpdateGradParameters(x, go, 0.1)
        assert torch.equal(m.weight.detach(), w) and torch.equal(m.bias.detach(), b), change
    go = torch.randn_like(m.forward(x))
    m.zeroGradParameters()
    m.updateGradInput(x, go)
    m.accGradParameters(x, go, 0.5)                  # scale applies to the kept gradients
    _, dw, db = slow_backward(go.unsqueeze(0), x.unsqueeze(0), m.weight, (m.kH, m.kW), (m.dH, m.dW),
                              (m.padH, m.padW), [False, True, True])
    assert torch.equal(m.gradWeight, torch.zeros_like(dw).add_(dw, alpha=0.5))
    assert torch.equal(m.gradBias, torch.zeros_like(db).add_(db, alpha=0.5))


def test_class_target_batch_converted_once_and_again_after_a_change():
    torch.manual_seed(7)
    x = torch.randn(4, 3, dtype=torch.float64).log_softmax(1)
    target = torch.tensor([1, 3, 2, 3])
    crit = nn.ClassNLLCriterion()
    crit.forward(x, target)
    target[1] = 1                                    # changed in place between forward and backward
    xr = x.clone().requires_grad_()
    torch.nn.functional.nll_loss(xr, target - 1).backward()
    assert torch.equal(crit.backward(x, target), xr.grad)
    crit.forward(x, target)
    target[2] = 4
    with pytest.raises(ValueError, match=r"target 4 out of range; expecting 1-based class indices in \[1, 3\]"):
        crit.backward(x, target)
    assert '_kept_targets' not in copy.deepcopy(crit).__dict__


def test_lua_path_backward_in_grad_mode_builds_no_graph():
    model = nn.Sequential().add(nn.SpatialConvolution(2, 3, 3, 3)).add(nn.ReLU()).add(nn.View(12)) \
        .add(nn.Linear(12, 2)).add(nn.LogSoftMax())
    x = torch.randn(2, 4, 4)
    out = model.forward(x)
    gi = model.backward(x, torch.ones_like(out))
    model.accUpdateGradParameters(x, torch.ones_like(out), 0.1)
    assert gi.grad_fn is None and not gi.requires_grad and torch.is_grad_enabled()
    assert all(p.grad_fn is None for p in model.torch_parameters())
