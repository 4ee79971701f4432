"""Torch7's ``nn`` package over PyTorch (Lua: ``require 'nn'``).

Every class is a ``torch.nn.Module`` that also follows the Lua module contract; see
:mod:`compat.nn.module` for how the two APIs are reconciled. Importing this package registers
the classes with :mod:`compat.t7` so that ``.t7`` files load and save them.
"""
from compat.nn import t7_support as _t7_support  # noqa: E402

# convolutions, temporal/volumetric, pooling, padding, up-sampling, normalization (nn-conv)
from compat.nn import tables  # noqa: F401
from compat.nn.activations import LogSoftMax, ReLU, Sigmoid, SoftMax, Tanh  # noqa: F401
from compat.nn.arithmetic import (  # noqa: F401
    MM,
    MV,
    Abs,
    AddConstant,
    Exp,
    GradientReversal,
    L1Penalty,
    Log,
    Max,
    Mean,
    Min,
    MulConstant,
    Normalize,
    Power,
    Sqrt,
    Square,
    Sum,
)
from compat.nn.batchnorm import (  # noqa: F401
    BatchNormalization,
    SpatialBatchNormalization,
    VolumetricBatchNormalization,
)
from compat.nn.composites import LayerNormalization, SpatialLPPooling  # noqa: F401

# containers and table modules (torch/nn "containers" and "table layers")
from compat.nn.containers import (  # noqa: F401  # noqa: F401
    Bottle,
    Concat,
    Container,
    Decorator,
    DepthConcat,
    Parallel,
    Sequential,
)
from compat.nn.conv import (  # noqa: F401
    SpatialConvolution,
    SpatialConvolutionMM,
    SpatialDilatedConvolution,  # noqa: F401
)
from compat.nn.conv_variants import (  # noqa: F401
    SpatialConvolutionLocal,
    SpatialConvolutionMap,
    SpatialFullConvolution,
    SpatialSubSampling,
)
from compat.nn.criterions import (  # noqa: F401  # noqa: F401
    ClassNLLCriterion,
    Criterion,
    CrossEntropyCriterion,
    MSECriterion,
    MultiCriterion,
    ParallelCriterion,
    SpatialClassNLLCriterion,
)
from compat.nn.criterions_margin import (  # noqa: F401
    CosineEmbeddingCriterion,
    L1HingeEmbeddingCriterion,
    MarginRankingCriterion,
    MultiLabelMarginCriterion,
    MultiMarginCriterion,
)
from compat.nn.criterions_pointwise import (  # noqa: F401
    AbsCriterion,
    BCECriterion,
    DistKLDivCriterion,
    HingeEmbeddingCriterion,
    MarginCriterion,
    MultiLabelSoftMarginCriterion,
    SmoothL1Criterion,
    SoftMarginCriterion,
    WeightedMSECriterion,
)
from compat.nn.distance import Cosine, Euclidean, WeightedEuclidean  # noqa: F401
from compat.nn.graph import gModule  # noqa: F401
from compat.nn.linear import Linear  # noqa: F401
from compat.nn.lrn import SpatialCrossMapLRN  # noqa: F401
from compat.nn.module import Module  # noqa: F401
from compat.nn.normalization import (  # noqa: F401
    SpatialContrastiveNormalization,
    SpatialDivisiveNormalization,
    SpatialSubtractiveNormalization,
)
from compat.nn.padding import (  # noqa: F401
    SpatialReflectionPadding,
    SpatialReplicationPadding,
    SpatialZeroPadding,
)
from compat.nn.pooling import (  # noqa: F401
    SpatialAdaptiveAveragePooling,
    SpatialAdaptiveMaxPooling,
    SpatialAveragePooling,
    SpatialDilatedMaxPooling,
    SpatialMaxPooling,  # noqa: F401
)
from compat.nn.shape import (  # noqa: F401  # noqa: F401
    Contiguous,
    Copy,
    Dropout,
    Identity,
    Index,
    Narrow,
    Padding,
    Replicate,
    Reshape,
    Select,
    Squeeze,
    Transpose,
    Unsqueeze,
    View,
)

# simple layers, arithmetic, shape and transfer modules
from compat.nn.simple import Add, Bilinear, CAdd, CMul, LookupTable, Maxout, Mul, PReLU  # noqa: F401
from compat.nn.stochastic_gradient import StochasticGradient  # noqa: F401
from compat.nn.table_containers import ConcatTable, MapTable, ParallelTable  # noqa: F401
from compat.nn.table_modules import (  # noqa: F401
    CAddTable,
    CDivTable,
    CMaxTable,
    CMinTable,
    CMulTable,
    CosineDistance,
    CSubTable,
    DotProduct,
    FlattenTable,
    JoinTable,
    MixtureTable,
    NarrowTable,
    PairwiseDistance,
    SelectTable,
    SplitTable,
)
from compat.nn.temporal import TemporalConvolution, TemporalMaxPooling, TemporalSubSampling  # noqa: F401
from compat.nn.transfer import (  # noqa: F401
    ELU,
    Clamp,
    CReLU,
    GatedLinearUnit,
    HardShrink,
    HardTanh,
    LeakyReLU,
    LogSigmoid,
    ReLU6,
    RReLU,
    SoftMin,
    SoftPlus,
    SoftShrink,
    SoftSign,
    SpatialLogSoftMax,
    SpatialSoftMax,
    TanhShrink,
    Threshold,
)
from compat.nn.upsampling import SpatialUpSamplingBilinear, SpatialUpSamplingNearest  # noqa: F401
from compat.nn.volumetric import (  # noqa: F401
    VolumetricAveragePooling,
    VolumetricConvolution,
    VolumetricMaxPooling,
)

_t7_support.register(globals())
