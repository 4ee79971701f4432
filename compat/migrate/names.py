"""What the translator knows about Lua Torch7 names: requires, libraries, the torch/nn/optim names,
which calls give tensors, and which tensor methods mean something else in PyTorch.

Kept free of torch imports: translating needs no torch. The tensor-method names mirror the keys of
``compat.lua.tensors.LUA_TENSOR_METHODS`` (a test checks they agree).
"""
import keyword

# require 'x' -> (Python import line, name bound). None: nothing to import (CUDA is built in).
REQUIRES = {
    "torch": ("from compat import torch", "torch"),
    "nn": ("from compat import nn", "nn"),
    "optim": ("from compat import optim", "optim"),
    "image": ("from compat import image", "image"),
    "xlua": ("from compat import xlua", "xlua"),
    "paths": ("from compat import paths", "paths"),
    "sys": ("from compat import luasys", "luasys"),
    "lfs": ("from compat import lfs", "lfs"),
    "csvigo": ("from compat import csvigo", "csvigo"),
    "gnuplot": ("from compat import gnuplot", "gnuplot"),
    "nngraph": ("from compat import nngraph", "nngraph"),
    "torchmpi": ("from compat import torchmpi", "torchmpi"),
    "torchmpi.nn": ("from compat.torchmpi import nn as mpinn", "mpinn"),
    "automatedparallelization": ("import automatedparallelization", "automatedparallelization"),
    "automatedparallelization.datamodule": ("from automatedparallelization import datamodule", "datamodule"),
    "torchad_nn": ("import automatedparallelization", "automatedparallelization"),
    "torchad_nn.datamodule": ("from automatedparallelization import datamodule", "datamodule"),
    "cutorch": ("from compat import cutorch", "cutorch"),
    "cunn": ("from compat import cunn", "cunn"),
    "cudnn": ("from compat import cudnn", "cudnn"),
    "trepl": None, "env": None,
}

# Imports of the compat.lua modules that translated code may use besides compat.lua itself.
MODULES_IMPORT = "from compat.lua import modules as lua_modules"
T7_IMPORT = "from compat.lua.tensors import T7"
SCOPE_IMPORT = "from compat.lua import scope as lua_scope"
# Lua's standard modules: require gives the library compat.lua has (nothing to import).
LUA_STANDARD_MODULES = frozenset({"math", "io", "os", "string", "table"})
# Lua globals that are libraries of compat.lua, and globals standing for Python packages.
LUA_LIBRARIES = {"string", "table", "math", "os", "io"}
PACKAGE_GLOBALS = {"sys": "luasys", "paths": "paths", "xlua": "xlua", "image": "image",
                   "nn": "nn", "optim": "optim", "torch": "torch", "lfs": "lfs", "csvigo": "csvigo",
                   "gnuplot": "gnuplot", "cutorch": "cutorch", "cudnn": "cudnn",
                   "nngraph": "nngraph"}
# Lua base functions -> compat.lua helpers.
BASE_FUNCTIONS = {
    "print": "lua.print", "tostring": "lua.tostring", "tonumber": "lua.tonumber", "type": "lua.type",
    "pairs": "lua.pairs", "ipairs": "lua.ipairs", "unpack": "lua.unpack", "select": "lua.select",
    "pcall": "lua.pcall", "error": "lua.error", "assert": "lua.assert_", "setmetatable": "lua.setmetatable",
    "getmetatable": "lua.getmetatable", "collectgarbage": "lua.collectgarbage", "next": "lua.next",
    "rawget": "lua.rawget", "rawset": "lua.rawset", "rawequal": "lua.rawequal", "rawlen": "lua.length",
}
# Functions of the Lua libraries that return several values (a single-value use keeps the first).
MULTI_RETURN = {
    "lua.torch_class", "lua.torch.max", "lua.torch.min", "lua.torch.sort", "lua.torch.topk", "lua.string.find",
    "lua.string.match", "lua.string.gsub", "lua.string.byte", "lua.pcall", "lua.unpack", "lua.select",
    "lua.io.open", "lua.math.modf", "lua.os.remove", "lua.os.rename",
    "lfs.mkdir", "lfs.rmdir", "lfs.chdir", "lfs.attributes", "lfs.symlinkattributes", "lfs.touch",
}
MULTI_RETURN |= {"lua.torch." + name for name in (
    "kthvalue", "median", "mode", "gesv", "gels", "symeig", "eig", "svd", "qr", "trtrs")}

# String methods that give several values (s:find(p) gives the start, the end and the captures).
STRING_MULTI_METHODS = ("find", "match", "gsub", "byte")
# Torch7 tensor methods whose PyTorch namesake differs (1-based, numbers, in place).
LUA_TENSOR_METHODS = frozenset("""
size nElement nDimension stride narrow select sub index indexFill indexCopy indexAdd gather scatter max min
sort topk sum mean prod std var norm cumsum cumprod dot resize resizeAs apply map add csub mul div cmul
cdiv pow fmod remainder fill zero copy uniform normal bernoulli clamp transpose permute squeeze unsqueeze
split chunk cat repeatTensor expandAs viewAs maskedFill maskedSelect maskedCopy nonzero type isContiguous
isSameSizeAs addmm addmv addr addcmul addcdiv abs exp log sqrt tanh sigmoid neg floor ceil round cos sin
log1p sign trunc frac cuda random exponential geometric cauchy logNormal multinomial""".split())
# torch.<name> functions given Torch7's meaning by compat.lua.torch.
LUA_TORCH_FUNCTIONS = frozenset("""
max min sort topk sum mean prod std var norm cumsum cumprod dot narrow select sub index gather transpose
permute squeeze split chunk nonzero type maskedSelect cmul cdiv clamp abs exp log sqrt tanh sigmoid floor
ceil round sign pow cat range typename isTensor numel LongStorage add mul div
isTypeOf getmetatable""".split())
# Those of them that are Torch7's class functions (compat.lua.classes), not tensor functions.
LUA_TORCH_CLASS_FUNCTIONS = frozenset({"isTypeOf", "getmetatable"})
# Torch7's TensorMath names (compat.lua.tensor_math): arithmetic, comparisons, reductions, linear algebra.
LUA_TENSOR_METHODS |= frozenset("""
acos addbmm all any asin atan atan2 baddbmm bitand bitor bitxor bmm cbitand cbitor cbitxor cfmod cinv clshift
cmax cmin cmod conv2 cosh cpow cremainder cross crshift dist eig eq equal ge gels ger gesv gt histc inverse
kthvalue le lerp lshift lt map2 median mm mod mode mv ne potrf potri potrs qr renorm rshift rsqrt sinh svd
symeig tan trace trtrs xcorr2 match bhistc""".split())
LUA_TORCH_FUNCTIONS |= frozenset("""
acos addbmm addcdiv addcmul addmm addmv addr all any asin atan atan2 baddbmm bitand bitor bitxor bmm cbitand
cbitor cbitxor cfmod cinv clshift cmax cmin cmod conv2 cos cosh cpow cremainder cross crshift csub dist eig eq
equal fmod frac ge gels ger gesv gt histc inverse kthvalue le lerp log1p lshift lt median mm mod mode mv ne neg
potrf potri potrs qr remainder renorm rshift rsqrt sin sinh svd symeig tan trace trtrs trunc xcorr2 match
bhistc""".split())
# torch.<name> calls that give a tensor.
TENSOR_CONSTRUCTORS = frozenset("""
Tensor FloatTensor DoubleTensor LongTensor ByteTensor IntTensor CharTensor ShortTensor HalfTensor
CudaTensor zeros ones rand randn randperm range linspace logspace eye diag cat mm mv bmm""".split())
# Tensor methods that give a tensor.
TENSOR_RESULTS = frozenset("""
t double float long byte int clone contiguous view reshape transpose narrow sub select index resize
resizeAs zero fill copy add mul div cmul cdiv typeAs viewAs expand expandAs squeeze permute
repeatTensor""".split())
# Calls of a Torch object's methods whose several results are tensors.
TENSOR_PAIR_METHODS = frozenset({"getParameters"})

# Torch7's construction, geometry and type names (compat.lua.tensor_shape).
LUA_TENSOR_METHODS |= frozenset("storage storageOffset set isSetTo isSize reshape unfold totable elementSize "
                                "typeAs".split())
LUA_TORCH_FUNCTIONS |= frozenset("view viewAs expand expandAs repeatTensor reshape unfold totable".split())

# Every class of torch/nn and every function of torch/optim (torch/nn and torch/optim on GitHub).
NN_NAMES = frozenset("""
Abs AbsCriterion gModule Add AddConstant BCECriterion BatchNormalization Bilinear Bottle CAdd CAddTable
CAddTensorTable CDivTable CMaxTable CMinTable CMul CMulTable CReLU CSubTable Clamp ClassNLLCriterion
ClassSimplexCriterion Collapse Concat ConcatTable Constant Container Contiguous Convert Copy Cosine
CosineDistance CosineEmbeddingCriterion Criterion CriterionTable CrossEntropyCriterion Decorator DepthConcat
DistKLDivCriterion DistanceRatioCriterion DontCast DotProduct Dropout ELU Euclidean Exp FeatureLPPooling
FlattenTable GPU GatedLinearUnit GradientReversal HardShrink HardTanh HingeEmbeddingCriterion Identity Index
IndexLinear JoinTable Kmeans L1Cost L1HingeEmbeddingCriterion L1Penalty LayerNormalization LeakyReLU Linear
LinearWeightNorm Log LogSigmoid LogSoftMax LookupTable MM MSECriterion MV MapTable MarginCriterion
MarginRankingCriterion MaskedSelect Max Maxout Mean Min MixtureTable Module ModuleCriterion Mul MulConstant
MultiCriterion MultiLabelMarginCriterion MultiLabelSoftMarginCriterion MultiMarginCriterion NaN Narrow
NarrowTable Normalize OneHot PReLU Padding PairwiseDistance Parallel ParallelCriterion ParallelTable
PartialLinear PixelShuffle Power PrintSize Profile RReLU ReLU ReLU6 Replicate Reshape Select SelectTable
Sequential Sigmoid SmoothL1Criterion SoftMarginCriterion SoftMax SoftMin SoftPlus SoftShrink SoftSign
SparseJacobian SparseLinear SpatialAdaptiveAveragePooling SpatialAdaptiveMaxPooling
SpatialAutoCropMSECriterion SpatialAveragePooling SpatialBatchNormalization SpatialClassNLLCriterion
SpatialContrastiveNormalization SpatialConvolution SpatialConvolutionLocal SpatialConvolutionMM
SpatialConvolutionMap SpatialCrossMapLRN SpatialDepthWiseConvolution SpatialDilatedConvolution
SpatialDilatedMaxPooling SpatialDivisiveNormalization SpatialDropout SpatialFractionalMaxPooling
SpatialFullConvolution SpatialFullConvolutionMap SpatialLPPooling SpatialLogSoftMax SpatialMaxPooling
SpatialMaxUnpooling SpatialReflectionPadding SpatialReplicationPadding SpatialSoftMax SpatialSubSampling
SpatialSubtractiveNormalization SpatialUpSamplingBilinear SpatialUpSamplingNearest SpatialZeroPadding
SplitTable Sqrt Square Squeeze StochasticGradient Sum Tanh TanhShrink TemporalConvolution
TemporalDynamicKMaxPooling TemporalMaxPooling TemporalRowConvolution TemporalSubSampling Threshold
Transpose Unsqueeze UpSampling View VolumetricAveragePooling VolumetricBatchNormalization
VolumetricConvolution VolumetricDilatedConvolution VolumetricDilatedMaxPooling VolumetricDropout
VolumetricFractionalMaxPooling VolumetricFullConvolution VolumetricMaxPooling VolumetricMaxUnpooling
VolumetricReplicationPadding WeightNorm WeightedEuclidean WeightedMSECriterion WhiteNoise ZeroGrad ZipTable
ZipTableOneToMany tables
MPInitialLinear MPLinear MPFinalLinear
""".split())
OPTIM_NAMES = frozenset("""
ConfusionMatrix Logger adadelta adagrad adam adamax asgd cg checkgrad cmaes de fista lbfgs lswolfe nag
polyinterp rmsprop rprop sgd""".split())

# Lua names that are Python keywords or names the output itself uses.
RESERVED = (set(keyword.kwlist) | set(keyword.softkwlist) - {"_"}) | {
    "lua", "lua_scope", "lua_modules", "range", "varargs", "luasys", "print"}


def python_name(name):
    """A Lua identifier as a Python identifier (``class`` -> ``class_``, ``lua`` -> ``lua_``)."""
    return name + "_" if name in RESERVED else name

# What Torch7's tensor methods give, for the kinds the translator proves (``x:sum()`` is a number,
# ``x:sum(1)`` a tensor, ``x:max(1)`` two tensors).
TENSOR_RESULTS |= frozenset("""
eq ne gt lt ge le abs exp log log1p sqrt rsqrt tanh sigmoid sin cos tan floor ceil round trunc frac neg sign
pow clamp cumsum cumprod index gather scatter indexFill indexCopy indexAdd maskedFill maskedCopy cmax cmin
mm mv bmm addmm addmv addr ger csub fmod remainder cinv cpow cremainder cfmod uniform normal bernoulli
random apply map map2 lerp atan2 unsqueeze unfold""".split())
# Reductions: a number without arguments, a tensor along a dimension.
TENSOR_REDUCTIONS = frozenset("sum mean std var prod max min".split())
# Methods giving a number whatever their arguments (size with a dimension).
TENSOR_NUMBER_METHODS = frozenset("nElement nDimension dim numel trace dot dist".split())
# Methods giving two tensors (max and min only along a dimension).
TENSOR_TWO_RESULTS = frozenset("max min sort topk kthvalue median mode".split())

# Kinds of the values of library calls that give several (the spread names get them).
LIBRARY_RESULTS = {"automation.parallelize": ("tensor", "tensor", "number"), "sys.clock": ("number",),
                   "os.clock": ("number",), "os.time": ("number",), "torch.random": ("number",)}
# Library calls that always give the same number of values (torch.class: the class and its parent).
LIBRARY_COUNTS = {"lua.torch_class": 2, "lua.string.gsub": 2}
# The tensors every nn module with parameters holds (nn.Linear, nn.SpatialConvolution, ...).
MODULE_TENSOR_FIELDS = frozenset("weight bias gradWeight gradBias output gradInput".split())
