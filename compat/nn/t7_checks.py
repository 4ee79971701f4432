"""What a module's fields in a ``.t7`` file must be before a loader builds on them.

A file is data from anywhere: a field of the wrong type must be refused with
:class:`~compat.t7.T7FormatError` naming the class and the field, not turned into a module that
fails later (or, for a parameter, into a module without it). The checks go by torch/nn's field
names, so they cover every class a loader builds (:func:`compat.nn.t7_support._new` and the
criterion counterpart call :func:`check_fields`):

- parameters (the class's ``_param_names``) and their gradients (``gradWeight``...): a
  floating-point tensor, an empty one, or absent; a parameter must not be a view whose elements overlap (stride 0, as
  ``expand`` makes), since a module updates its parameters and gradients in place and its zero
  gradient would be allocated at the view's full size;
- the counts and sizes torch/nn modules carry (``nInputPlane``, ``kW``, ``inputSize``...): integers
  (Lua numbers with an integral value), not negative, unless the class lists the field in
  ``_t7_storages`` (the up-sampling modules keep ``inputSize`` as a LongStorage);
- other numeric settings (``p``, ``eps``, ``momentum``, ``threshold``...): numbers;
- flags (``train``, ``inplace``, ``sizeAverage``, ``ceil_mode``...): booleans;
- running statistics and weights of criterions: tensors; a container's ``modules``: a table.

A field may always be absent or nil (the loaders have defaults).
"""
import torch

from compat.t7 import T7FormatError, T7Storage

SIZE_FIELDS = frozenset((
    'nInputPlane', 'nOutputPlane', 'inputSize', 'outputSize', 'kW', 'kH', 'kT', 'dW', 'dH', 'dT',
    'nelement', 'numElements', 'dilationW', 'dilationH'))
INT_FIELDS = SIZE_FIELDS | frozenset((
    'padW', 'padH', 'padT', 'adjW', 'adjH', 'dimension', 'nInputDims', 'numInputDims', 'ignoreIndex'))
NUMBER_FIELDS = frozenset((
    'p', 'eps', 'momentum', 'threshold', 'val', 'min_val', 'max_val', 'negval', 'margin', 'alpha',
    'beta', 'scale'))
BOOL_FIELDS = frozenset((
    'train', 'inplace', 'sizeAverage', 'oldSizeAverage', 'ceil_mode', 'v2', 'affine',
    'stochastic_inference', 'batchMode'))
TENSOR_FIELDS = frozenset(('running_mean', 'running_var', 'running_std', 'weights', 'noise'))
TABLE_FIELDS = frozenset(('modules',))  # a container's children: a Lua list (or a table)


def lua_name(cls) -> str:
    return 'nn.' + cls.__name__


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of size {list(value.shape)}"
    text = repr(value)
    return f"{type(value).__name__} {text[:40] + '...' if len(text) > 40 else text}"


def field_error(cls, field, expected: str, value) -> T7FormatError:
    return T7FormatError(f"{lua_name(cls)}: field {field!r} must be {expected}, got {_describe(value)}")


def overlaps(t: torch.Tensor) -> bool:
    """Whether two elements of ``t`` share memory: with its dimensions ordered by stride, each
    stride must pass the extent of the smaller ones (``expand``'s stride 0 fails at once)."""
    if t.numel() == 0:
        return False
    extent = 0
    dims = sorted((st, n) for n, st in zip(t.shape, t.stride()) if n > 1)
    for stride, size in dims:
        if stride <= extent:
            return True
        extent += (size - 1) * stride
    return False


def grad_name(name: str) -> str:
    """torch/nn's gradient field of a parameter: ``weight`` -> ``gradWeight``."""
    return 'grad' + name[0].upper() + name[1:]


def parameter(cls, table, name):
    """The tensor of parameter ``name`` (None when absent, nil or empty); raises for anything else."""
    value = table.get(name)
    if value is None:
        return None
    if not isinstance(value, torch.Tensor):
        raise field_error(cls, name, "a tensor (a parameter)", value)
    if value.numel() == 0:
        return None
    if not value.is_floating_point():
        raise field_error(cls, name, "a floating-point tensor (a parameter)", value)
    if overlaps(value):
        raise field_error(cls, name, "a tensor whose elements do not overlap (a parameter; strides "
                          f"{list(value.stride())} repeat elements)", value)
    return value


def gradient(cls, table, name, weight):
    """The file's gradient of parameter ``name`` when it fits ``weight`` (same size and dtype), else None.

    A gradient of another size or dtype (Lua code shrinks unused ones to empty tensors) is ignored,
    as Torch7 would resize it; one of the wrong type, or overlapping, is refused."""
    field = grad_name(name)
    value = table.get(field)
    if value is None:
        return None
    if not isinstance(value, torch.Tensor):
        raise field_error(cls, field, "a tensor (the gradient of a parameter)", value)
    if value.shape != weight.shape or value.dtype != weight.dtype:
        return None
    if overlaps(value):
        raise field_error(cls, field, "a tensor whose elements do not overlap (a gradient; strides "
                          f"{list(value.stride())} repeat elements)", value)
    return value


_KINDS = (
    (INT_FIELDS, "an integer", lambda v: type(v) is int),  # bool is an int subclass: excluded
    (NUMBER_FIELDS, "a number", lambda v: type(v) in (int, float)),
    (BOOL_FIELDS, "a boolean", lambda v: type(v) is bool),
    (TENSOR_FIELDS, "a tensor", lambda v: isinstance(v, torch.Tensor)),
    (TABLE_FIELDS, "a table", lambda v: isinstance(v, (list, dict))),
)


def _numbers(value) -> bool:
    """A storage, tensor or Lua list of numbers (a class's ``_t7_storages`` field)."""
    if isinstance(value, T7Storage):
        value = value.tensor
    if isinstance(value, torch.Tensor):
        return value.dim() <= 1
    values = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    return values is not None and all(type(v) in (int, float) for v in values)


def check_fields(cls, table) -> None:
    """Refuse a field of a well-known torch/nn name whose value has the wrong type (see the module doc).
    A class whose Lua code keeps a field of such a name as a storage or a table of numbers
    (``nn.Concat.outputSize`` is a LongStorage, ``nn.ParallelCriterion.weights`` a list) names it
    in ``_t7_storages``; that field must then be one."""
    own = getattr(cls, '_t7_storages', ())
    for field, value in table.items():
        if value is None or not isinstance(field, str):
            continue
        if field in own:
            if not _numbers(value):
                raise field_error(cls, field, "a storage or a table of numbers", value)
            continue
        for names, expected, fits in _KINDS:
            if field in names and not fits(value):
                raise field_error(cls, field, expected, value)
        if field in SIZE_FIELDS and value < 0:
            raise field_error(cls, field, "an integer >= 0 (a size)", value)


def sizes(cls, table, field) -> tuple:
    """A size list (torch/nn keeps them in a LongStorage; a tensor, Lua list or number also does)
    as a tuple of ints; anything else, or a non-integer entry, is refused."""
    value = table.get(field)
    if isinstance(value, T7Storage):
        value = value.tensor
    if isinstance(value, torch.Tensor):
        values = value.reshape(-1).tolist()
    elif isinstance(value, list):
        values = value
    elif type(value) is int:
        values = [value]
    else:
        raise field_error(cls, field, "a LongStorage of sizes", value)
    if not all(type(v) is int for v in values):
        raise field_error(cls, field, "a LongStorage of sizes (integers)", value)
    return tuple(values)


def child(cls, table, field, expected):
    """The module or criterion of class ``expected`` in ``field``, None when absent; refused otherwise."""
    value = table.get(field)
    if value is not None and not isinstance(value, expected):
        raise field_error(cls, field, f"an {lua_name(expected)}", value)
    return value
