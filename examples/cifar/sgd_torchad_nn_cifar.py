"""The CIFAR-10 example of TorchAD-NN, ported to Python line by line.

A convnet is trained with nn.StochasticGradient on the cifar-10-torch files (or synthetic files of
the same format), data-parallel over the MPI ranks: automation.parallelize gives each rank a share
of the training set and averages the gradients every -batchSize samples. The test set is then
scored into an optim.ConfusionMatrix and a results file is written.

Every line carries where it comes from in the Lua script (cifar_example/sgd-torchad_nn-cifar.lua
of the original project): ``# lua N`` is its line N (the order is kept), ``# added:`` marks what the
port adds and ``# fix:`` a deliberate change; examples/cifar/README.md lists both with reasons.

    torchad-run -np 2 python examples/cifar/sgd_torchad_nn_cifar.py -synthetic
"""
import io
import math
import os
import sys
import time

from compat import torch, nn, optim, image           # lua 18-20: require 'nn'; 'optim'; 'image'
# lua 21-22: require 'cutorch'; require 'cunn'        -> nothing: PyTorch includes CUDA (see -usegpu)
from automatedparallelization import datamodule as automation   # lua 23: automation = require 'torchad_nn.datamodule'
from compat import torchmpi as mpi                    # added: the rank, to print and write on rank 0 only
from compat import luasys                             # Lua's sys package (Python's sys is sys)
from compat.lua import LuaDataset, Table              # Lua tables: t.data is t['data']


class Discard(io.TextIOBase):
    """added: the standard output of ranks other than 0 (what they print is dropped)."""

    def write(self, text):
        return len(text)

# ------------------------------------------------------------------ options
dname, fname = luasys.fpath()                         # lua 28: dname,fname = sys.fpath()
cmd = torch.CmdLine()                                 # lua 29
cmd.text()
cmd.text('Data-parallel CIFAR-10 training')
cmd.text()
cmd.text('Options:')
cmd.option('-data', False, 'train on 32000 images and test on 10000 (else 4000 and 2000)')
cmd.option('-seed', 1, 'seed of the random generator')
cmd.option('-learningRate', 1e-3, 'step size of StochasticGradient')
cmd.option('-batchSize', 1, 'samples between two gradient averages across the ranks')
cmd.option('-weightDecay', 0, 'weight decay (read, not used)')
cmd.option('-iterations', 1, 'epochs (StochasticGradient.maxIteration)')
cmd.option('-threads', 1, 'torch threads per rank')
cmd.option('-usegpu', False, 'train on the GPU')
# added: where the data is, synthetic data, sizes, progress
cmd.option('-dataDir', 'cifar-10-batches-t7', 'folder of the cifar-10-torch files (used when present)')
cmd.option('-synthetic', False, 'use synthetic data (generated in -syntheticDir if missing)')
cmd.option('-syntheticDir', os.path.join('synthetic', 'cifar-10-batches-t7'), 'folder of the synthetic data')
cmd.option('-trsize', 0, 'training samples before sharding (0: 4000, or 32000 with -data)')
cmd.option('-tesize', 0, 'test samples (0: 2000, or 10000 with -data)')
cmd.option('-progress', 0, 'progress line on rank 0 every N samples of its shard (0: every 10%)')
cmd.option('-allranks', False, 'every rank prints (as in Lua), not only rank 0')
cmd.text()
opt = cmd.parse(sys.argv[1:])                         # lua 43: opt = cmd:parse(arg)

mpi.start()                                           # added: lua's parallelize started torchmpi itself
rank, nranks = mpi.rank(), mpi.size()                 # added
sys.stdout.reconfigure(line_buffering=True, write_through=False)   # added: one write per line
if rank != 0 and not opt.allranks:                    # added: only rank 0 prints (every rank would
    sys.stdout = Discard()                            # print the same lines); errors still show on stderr

luasys.tic()                                          # lua 45: sys.tic()

torch.manualSeed(opt.seed)                            # lua 48

torch.setnumthreads(opt.threads)                      # lua 51

# ------------------------------------------------------------------ the network
classes = ['airplane', 'automobile', 'bird', 'cat',
           'deer', 'dog', 'frog', 'horse', 'ship', 'truck']   # lua 57-58

noutputs = len(classes)                               # lua 61: noutputs = #classes

# an image is 3 channels of 32 x 32 pixels
nfeats = 3
width = 32
height = 32
ninputs = nfeats*width*height

# feature maps of the two convolutions, then the hidden units
nstates = [64, 64, 100]                               # lua 70: {64,64,100}; nstates[1] -> nstates[0]

# both convolutions use 5 x 5 kernels
filtsize1 = 5
filtsize2 = 5

# spatial sizes along the way (32 -> 28 after the first kernel); only convOutputs2 is used below
filterPositions1 = width - filtsize1 + 1              # lua 78
convOutputs1 = filterPositions1/2
filterPositions2 = convOutputs1 - filtsize2 + 1
convOutputs2 = 1

# max pooling over 3 x 3 windows with stride 3: 28 -> 9, then 5 -> 1
poolsize = 3                                          # lua 84

# convolution, ReLU and pooling twice, then a classifier with one hidden layer
model = nn.Sequential()                               # lua 88

# 3 x 32 x 32 -> 64 x 28 x 28 -> 64 x 9 x 9
model.add(nn.SpatialConvolutionMM(nfeats, nstates[0], filtsize1, filtsize1))   # lua 91: model:add(...)
model.add(nn.ReLU())
model.add(nn.SpatialMaxPooling(poolsize, poolsize, poolsize, poolsize))

# 64 x 9 x 9 -> 64 x 5 x 5 -> 64 x 1 x 1
model.add(nn.SpatialConvolutionMM(nstates[0], nstates[1], filtsize2, filtsize2))   # lua 96
model.add(nn.ReLU())
model.add(nn.SpatialMaxPooling(poolsize, poolsize, poolsize, poolsize))

# 64 features -> 100 hidden units -> 10 class scores (Dropout acts during training only)
model.add(nn.View(nstates[1]*convOutputs2*convOutputs2))                      # lua 102
model.add(nn.Dropout(0.5))
model.add(nn.Linear(nstates[1]*convOutputs2*convOutputs2, nstates[2]))
model.add(nn.ReLU())
model.add(nn.Linear(nstates[2], noutputs))                                    # lua 106

# flat views of all weights and of all gradients (the script does not use them further)
parameters, gradParameters = model.getParameters()    # lua 109

print('<cifar> using model:')                         # lua 112
print(model)

# log-probabilities out of the network
model.add(nn.LogSoftMax())                            # lua 118 (CrossEntropyCriterion adds another: harmless)


# ------------------------------------------------------------------ the data
if opt.data:                                          # lua 124-130
    trsize = 32000
    tesize = 10000
else:
    trsize = 4000
    tesize = 2000
trsize = opt.trsize or trsize                         # added: -trsize / -tesize
tesize = opt.tesize or tesize

# lua 133-137 fetch and unpack cifar-10-torch.tar.gz when the folder is missing. added: the port does not
# download; it reads -dataDir when the files are there and synthetic files of the same format otherwise.
datadir = opt.dataDir
if opt.synthetic or not os.path.isfile(os.path.join(datadir, 'test_batch.t7')):
    sys.path.insert(0, dname)
    import make_synthetic_cifar
    datadir = opt.syntheticDir
    if rank == 0:                                     # one rank writes the files, the others wait
        make_synthetic_cifar.ensure(datadir, max(math.ceil(trsize / 5), tesize))
    mpi.barrier()
    print('<cifar> using SYNTHETIC data from ' + datadir + ' (the real cifar-10-torch files were not used)')

# five training files (one image per column) stacked into rows, then the test file
trainData = Table(                           # lua 140-144: a Lua table
    data=torch.Tensor(50000, 3072),
    labels=torch.Tensor(50000),
    size=lambda: trsize,                              # follows the global trsize, as in Lua
)
ntrain = 0                                            # added: files may hold fewer than 10000 samples
for i in range(0, 5):                                 # lua 145: for i = 0,4 do
    subset = torch.load(os.path.join(datadir, 'data_batch_' + str(i+1) + '.t7'), 'ascii')
    n = subset.data.size(1)                           # 10000 in the real files
    trainData.data[ntrain:ntrain+n] = subset.data.t()            # lua 147: data[{ {i*10000+1, (i+1)*10000} }]
    trainData.labels[ntrain:ntrain+n] = subset.labels.view(-1)   # lua 148
    ntrain = ntrain + n
trainData.labels = trainData.labels + 1               # lua 150: 0-based classes -> 1-based

subset = torch.load(os.path.join(datadir, 'test_batch.t7'), 'ascii')   # lua 152
testData = Table(
    data=subset.data.t().float(),                     # lua 154: :double() (Lua's default type; ours is float32)
    labels=subset.labels[0].float(),                  # lua 155: subset.labels[1]:double()
    size=lambda: tesize,
)
testData.labels = testData.labels + 1                 # lua 158

if trsize > ntrain or tesize > testData.data.size(0):   # added: never train on uninitialised rows
    raise ValueError(f'-trsize {trsize} / -tesize {tesize}: the files in {datadir} hold only '
                     f'{ntrain} training and {testData.data.size(0)} test samples')

# keep the first trsize / tesize images
trainData.data = trainData.data[:trsize]              # lua 161: trainData.data[{ {1,trsize} }]
trainData.labels = trainData.labels[:trsize]

testData.data = testData.data[:tesize]                # lua 164
testData.labels = testData.labels[:tesize]

# rows of 3072 bytes -> 3 x 32 x 32 images
trainData.data = trainData.data.reshape(trsize, 3, 32, 32)   # lua 168
testData.data = testData.data.reshape(tesize, 3, 32, 32)

# each rank keeps its share of the training set from here on; model.backward() averages the gradients
trainData.data, trainData.labels, trsize = automation.parallelize(trainData.data, trainData.labels, model, trsize, None, None, opt.batchSize)   # lua 172

# ------------------------------------------------------------------ preprocessing

print('<trainer> preprocessing data (color space + normalization)')   # lua 178
# lua 179: collectgarbage() -> nothing (Python frees memory itself)

# YUV colours; the luma channel gets a local contrast normalization, U and V a global one
normalization = nn.SpatialContrastiveNormalization(1, image.gaussian1D(7))   # lua 182
for i in range(trainData.size()):                     # lua 183: for i = 1,trainData:size() do
    rgb = trainData.data[i]
    yuv = image.rgb2yuv(rgb)
    yuv[0] = normalization(yuv[0:1])[0]               # lua 188: yuv[1] = normalization(yuv[{{1}}])
    trainData.data[i] = yuv
# U: the shard's mean and standard deviation
mean_u = trainData.data[:, 1, :, :].mean()            # lua 192: trainData.data[{ {},2,{},{} }]:mean()
std_u = trainData.data[:, 1, :, :].std()
trainData.data[:, 1, :, :].add_(-mean_u)
trainData.data[:, 1, :, :].div_(-std_u)               # lua 195: divides by -std (kept: harmless sign flip)
# V: the same
mean_v = trainData.data[:, 2, :, :].mean()            # lua 197
std_v = trainData.data[:, 2, :, :].std()
trainData.data[:, 2, :, :].add_(-mean_v)
trainData.data[:, 2, :, :].div_(-std_v)

# the test set gets the same transform, with the training shard's statistics
for i in range(testData.size()):                      # lua 203
    rgb = testData.data[i]
    yuv = image.rgb2yuv(rgb)
    yuv[0] = normalization(yuv[0:1])[0]               # lua 208
    testData.data[i] = yuv
testData.data[:, 1, :, :].add_(-mean_u)               # lua 212
testData.data[:, 1, :, :].div_(-std_u)
testData.data[:, 2, :, :].add_(-mean_v)
testData.data[:, 2, :, :].div_(-std_v)                # lua 216


trainData = LuaDataset(trainData)                     # lua 218: setmetatable(trainData, {__index = ... {t.data[i], t.labels[i]}})
testData = LuaDataset(testData)                       # lua 226: setmetatable(testData, ...)

# ------------------------------------------------------------------ training and test
criterion = nn.CrossEntropyCriterion()                # lua 237

if opt.usegpu:                                        # lua 239
    print('<msg> setting model and dataset to GPU')
    model.cuda()
    trainData.data = trainData.data.cuda()
    testData.data = testData.data.cuda()
    criterion = criterion.cuda()

trainer = nn.StochasticGradient(model, criterion)     # lua 247
trainer.learningRate = opt.learningRate
trainer.maxIteration = opt.iterations


class Progress:
    """added: a progress line on rank 0 every -progress samples of its shard (a trainer.hookExample)."""

    def __init__(self, every):
        self.every, self.seen, self.loss, self.count = every, 0, 0.0, 0
        self.start = time.perf_counter()

    def __call__(self, trainer, example):
        self.seen, self.count = self.seen + 1, self.count + 1
        self.loss += float(trainer.criterion.output)
        epoch, done = divmod(self.seen, trainData.size())
        if done % self.every == 0 or done == 0:
            elapsed = time.perf_counter() - self.start
            print(f'<trainer> epoch {epoch + (done > 0)}/{trainer.maxIteration} '
                f'[{done or trainData.size():>6}/{trainData.size()}] loss {self.loss / self.count:.4f} '
                f'{elapsed:7.1f} s {self.seen * nranks / elapsed:8.1f} samples/s on {nranks} rank(s)')
            self.loss, self.count = 0.0, 0


trainer.hookExample = Progress(opt.progress or max(1, trainData.size() // 10))   # added

# seconds spent since the start, then on training
t1 = luasys.toc()                                     # lua 252: t1 = sys.toc()

luasys.tic()                                          # lua 259: sys.tic()
trainer.train(trainData)                              # lua 260

t2 = luasys.toc()                                     # lua 263: t2 = sys.toc()

# counts of (true class, predicted class) over the test set
confusion = optim.ConfusionMatrix(classes)            # lua 266

automation.synchronizeModel(model, mpi)               # added: every rank tests the same (averaged) model
model.evaluate()                                      # fix: the Lua tested with Dropout still active

for t in range(1 + rank, testData.size() + 1, nranks):   # lua 269: for t = 1,testData:size() do  (each rank a part)
    preds = model.forward(testData[t][0])             # lua 270: model:forward(testData[t][1])
    confusion.add(preds, testData[t][1])              # lua 271: confusion:add(preds, testData[t][2])
mpi.allreduceTensor(confusion.mat)                    # added: sum the ranks' counts (the whole test set)

print(confusion)                                      # lua 275

if rank == 0:                                         # added: one results file, written by rank 0
    f = open('SgdAuto--Size:' + str(trainData.size()) + '--Batch:' + str(opt.batchSize) + '.txt', 'w')   # lua 277

    f.write('----------------------------------------\n')        # lua 279
    f.write('----------------DataSet-----------------\n')
    f.write('Train set Size:     %.14g' % trainData.size())      # lua 281: f:write(a, b) writes a then b
    f.write('\n')
    f.write('Test set Size:      %.14g' % testData.size())
    f.write('\n')
    f.write('batchSize:          %.14g' % opt.batchSize)
    f.write('\n')
    f.write('----------------Network-----------------\n')
    f.write('Accuracy:           %.14g' % (confusion.totalValid * 100))   # lua 288
    f.write('\n')
    f.write('Learning rate:      %.14g' % opt.learningRate)
    f.write('\n')
    f.write('----------------System------------------\n')
    f.write('Threads:            %.14g' % opt.threads)
    f.write('\n')
    f.write('Pre-process Time:   %.14g' % t1)
    f.write('\n')
    f.write('Training Time:      %.14g' % t2)
    f.write('\n')
    f.write('MPI ranks:          %d' % nranks)                   # added: Train set Size is per rank
    f.write('\n')
    f.write('----------------------------------------\n')        # lua 299

    f.close()                                                     # lua 301
    print('<cifar> results written to ' + f.name)
