"""A .t7 round trip for the compat.nn unit tests: a model saved in both Torch7 formats and loaded
again prints the same and computes the same forward."""
import torch

from compat import torch as ctorch


def assert_t7_round_trip(tmp_path, model, x):
    """Save ``model`` as binary and as ascii .t7 under ``tmp_path`` and load each back: the same
    printout and the same ``forward(x)``. Returns the loaded models, for further checks."""
    y = model.forward(x).clone()
    loaded = []
    for fmt in ("binary", "ascii"):
        path = str(tmp_path / f"m.{fmt}")
        ctorch.save(path, model, fmt)
        again = ctorch.load(path, fmt)
        assert str(again) == str(model)
        assert torch.equal(again.forward(x), y)
        loaded.append(again)
    return loaded
