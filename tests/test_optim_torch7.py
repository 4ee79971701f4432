"""compat.optim against Torch7, case by case: the 17 optim cases of ``fixtures/torch7_refs/optim_spec.py``,
whose trajectories real Torch7 wrote into ``fixtures/t7/wave2/nn_optim_reference.t7`` (read with torchfile,
independent of the project). The procedure is ``check_references.py --part optim``: one config and one state
for all calls of ``x, fx = optim.<algo>(f, x, config, state)``; after every call x and the returned f
values must equal Torch7's to 1e-9 (|a - b| <= 1e-9 (1 + |b|)).
"""
import math
import re
import sys
from pathlib import Path

import pytest
import torch
import torchfile

from compat import optim

REFS_DIR = Path(__file__).parent / "fixtures" / "torch7_refs"
sys.path.insert(0, str(REFS_DIR))
from optim_spec import OPTIM, py_problems  # noqa: E402 - the reference case list, on sys.path above

_REFS = torchfile.load(str(Path(__file__).parent / "fixtures" / "t7" / "wave2" / "nn_optim_reference.t7"),
                       utf8_decode_strings=True, use_list_heuristic=False)["optim"]
_SPEC = {name: (algo, problem, config, calls) for name, algo, problem, config, calls in OPTIM}
_PROBLEMS = py_problems()
# cg on the quadratic: from its second call on, Torch7's trajectory is decided by rounding noise (below).
_NOISE_DECIDED = {"cg": 1}


def _config(lua_table):
    """A Lua table constructor of the spec (``{learningRate = 1e-3, nesterov = true}``) as a dict."""
    py = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", lua_table))
    return eval("dict(" + py.strip()[1:-1] + ")", {"optim": optim})


def _run(name, calls=None, x0=None, problem=None):
    algo, prob, config, n = _SPEC[name]
    f = problem or _PROBLEMS[prob]
    x = (torch.from_numpy(_REFS[name]["x0"]) if x0 is None else x0).double().clone()
    config, state, out = _config(config), {}, []
    for _ in range(calls or n):
        x, fx = getattr(optim, algo)(f, x, config, state)
        out.append((x.clone(), [float(v) for v in fx]))
    return out


def _expected(name, i):
    r = _REFS[name]
    return torch.from_numpy(r["xs"][i + 1]), [float(r["fxs"][i + 1][j]) for j in range(1, len(r["fxs"][i + 1]) + 1)]


def test_every_reference_case_is_covered():
    assert sorted(_REFS) == sorted(_SPEC) and len(_SPEC) == 17


@pytest.mark.parametrize("name", sorted(_SPEC))
def test_trajectory_equals_torch7(name):
    calls = _NOISE_DECIDED.get(name)
    for i, (x, fx) in enumerate(_run(name, calls)):
        x_ref, fx_ref = _expected(name, i)
        torch.testing.assert_close(x, x_ref, rtol=1e-9, atol=1e-9, msg=f"{name}: x after call {i + 1}")
        assert len(fx) == len(fx_ref), f"{name}: call {i + 1} returned {len(fx)} values, Torch7 {len(fx_ref)}"
        torch.testing.assert_close(torch.tensor(fx), torch.tensor(fx_ref), rtol=1e-9, atol=1e-9,
                                   msg=f"{name}: f values of call {i + 1}")


def test_cg_quadratic_second_call_is_decided_by_rounding():
    """Why the cg case is compared on its first call only: on a quadratic the cubic fit of cg.lua's
    line search has a cubic coefficient A = 6 (f2 - f3) / z3 + 3 (d2 + d3) that is 0 in exact
    arithmetic, so the interpolated step (sqrt(B^2 - A d2 z3^2) - B) / A is a ratio of two rounding
    errors. Torch7's f (OpenBLAS) and the checker's f (PyTorch) already differ in the last bit at x0;
    a change of one ulp in f moves the second call's point by far more than 1e-9, so no faithful
    implementation can meet Torch7's numbers there (it meets them on the first call, above)."""
    quadratic = _PROBLEMS["quadratic"]
    evaluations = []

    def nudged(x):                              # every second value one ulp up
        fx, g = quadratic(x)
        evaluations.append(fx)
        return (math.nextafter(fx, math.inf) if len(evaluations) % 2 else fx), g

    plain, moved = _run("cg", calls=2), _run("cg", calls=2, problem=nudged)
    torch.testing.assert_close(plain[0][0], moved[0][0], rtol=1e-9, atol=1e-9)
    assert float((plain[1][0] - moved[1][0]).abs().max()) > 1e-6
    assert plain[1][1][-1] < plain[0][1][-1]    # still a descent
