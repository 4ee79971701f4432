"""nn.StochasticGradient against sgd_reference.t7 / sgd_reference_decay.t7 (Torch7), and its
dataset handling, hooks and printed lines."""
import torch

import compat.nn as nn
from tests.conftest import load_fixture


def _model():
    return nn.Sequential().add(nn.Linear(6, 5)).add(nn.Tanh()).add(nn.Linear(5, 3)).add(nn.LogSoftMax()).double()


class LuaDataset:
    def __init__(self, inputs, targets):
        self.inputs, self.targets = inputs, targets

    def size(self):
        return self.inputs.shape[0]

    def __getitem__(self, i):            # 1-based, example = {input, target (a number)}
        return (self.inputs[i - 1], float(self.targets[i - 1]))


class TorchDataset(torch.utils.data.Dataset):
    def __init__(self, inputs, targets):
        self.inputs, self.targets = inputs, targets

    def __len__(self):
        return self.inputs.shape[0]

    def __getitem__(self, i):            # 0-based
        return self.inputs[i], self.targets[i]


def _train(ref, dataset_cls, capsys=None):
    model = _model()
    params, _ = model.getParameters()
    params.copy_(ref['initial_params'])
    trainer = nn.StochasticGradient(model, nn.ClassNLLCriterion())
    trainer.learningRate = ref['learningRate']
    trainer.learningRateDecay = ref['learningRateDecay']
    trainer.maxIteration = ref['maxIteration']
    trainer.shuffleIndices = False
    errors = []
    trainer.hookIteration = lambda self, it, err: errors.append((it, err))
    trainer.train(dataset_cls(ref['inputs'], ref['targets']))
    return params, errors


def test_sgd_reference(capsys):
    for fname in ('sgd_reference.t7', 'sgd_reference_decay.t7'):
        ref = load_fixture(fname)
        params, errors = _train(ref, LuaDataset)
        assert (params - ref['final_params']).abs().max().item() <= 1e-12
        assert [it for it, _ in errors] == [1, 2, 3]
        for (_, e), r in zip(errors, ref['errors']):
            assert abs(e - r) <= 1e-12
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == '# StochasticGradient: training'
    assert lines[1] == '# current error = 1.0869553315755'      # Lua tostring: %.14g
    assert lines[-2] == '# StochasticGradient: you have reached the maximum number of iterations'
    assert lines[-1].startswith('# training error = 1.04228687954')


def test_sgd_torch_dataset_same_result():
    ref = load_fixture('sgd_reference_decay.t7')
    params, _ = _train(ref, TorchDataset)
    assert (params - ref['final_params']).abs().max().item() <= 1e-12


def test_hook_example_and_shuffle_visits_every_sample_once_per_epoch():
    torch.manual_seed(0)
    x = torch.randn(7, 6, dtype=torch.float64)
    y = torch.tensor([1, 2, 3, 1, 2, 3, 1])
    seen = []
    trainer = nn.StochasticGradient(_model(), nn.ClassNLLCriterion())
    trainer.maxIteration, trainer.verbose = 2, False
    trainer.hookExample = lambda self, ex: seen.append(int(ex[0][0].mul(1e6).round().item()))
    trainer.train(LuaDataset(x, y))
    ids = [int(v.mul(1e6).round().item()) for v in x[:, 0]]
    assert sorted(seen[:7]) == sorted(ids) and seen[:7] == seen[7:]   # one permutation, reused
