"""Torch7's ``nn`` package over PyTorch (Lua: ``require 'nn'``).

Every class is a ``torch.nn.Module`` that also follows the Lua module contract; see
:mod:`compat.nn.module` for how the two APIs are reconciled. Importing this package registers
the classes with :mod:`compat.t7` so that ``.t7`` files load and save them.
"""
from compat.nn.module import Module  # noqa: F401
from compat.nn.containers import Container, Sequential  # noqa: F401
from compat.nn.linear import Linear  # noqa: F401
from compat.nn.conv import SpatialConvolution, SpatialConvolutionMM  # noqa: F401
from compat.nn.pooling import SpatialMaxPooling  # noqa: F401
from compat.nn.activations import LogSoftMax, ReLU, Sigmoid, SoftMax, Tanh  # noqa: F401
from compat.nn.shape import Dropout, Identity, Reshape, View  # noqa: F401
from compat.nn.criterions import (  # noqa: F401
    ClassNLLCriterion,
    Criterion,
    CrossEntropyCriterion,
    MSECriterion,
)
from compat.nn.stochastic_gradient import StochasticGradient  # noqa: F401

from compat.nn.normalization import (  # noqa: F401
    SpatialContrastiveNormalization,
    SpatialDivisiveNormalization,
    SpatialSubtractiveNormalization,
)

# containers and table modules (torch/nn "containers" and "table layers")
from compat.nn.containers import (  # noqa: F401
    Bottle, Concat, Decorator, DepthConcat, Parallel,
)
from compat.nn.table_containers import ConcatTable, MapTable, ParallelTable  # noqa: F401
from compat.nn.table_modules import (  # noqa: F401
    CAddTable, CDivTable, CMaxTable, CMinTable, CMulTable, CosineDistance, CSubTable, DotProduct,
    FlattenTable, JoinTable, MixtureTable, NarrowTable, PairwiseDistance, SelectTable, SplitTable,
)
from compat.nn.criterions import MultiCriterion, ParallelCriterion, SpatialClassNLLCriterion  # noqa: F401
from compat.nn.criterions_pointwise import (  # noqa: F401
    AbsCriterion, BCECriterion, DistKLDivCriterion, HingeEmbeddingCriterion, MarginCriterion,
    MultiLabelSoftMarginCriterion, SmoothL1Criterion, SoftMarginCriterion, WeightedMSECriterion,
)
from compat.nn.criterions_margin import (  # noqa: F401
    CosineEmbeddingCriterion, L1HingeEmbeddingCriterion, MarginRankingCriterion, MultiLabelMarginCriterion,
    MultiMarginCriterion,
)

from compat.nn import t7_support as _t7_support  # noqa: E402

_t7_support.register()
