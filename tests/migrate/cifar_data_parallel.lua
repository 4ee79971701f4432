-- Data-parallel CIFAR-10 training written for the torchad-migrate tests.
--
-- Every MPI rank reads the same images, automation.parallelize keeps a share of the training
-- images on each rank and averages the gradients every -batchSize samples, nn.StochasticGradient
-- trains the local replica, and each rank then scores the whole test set. Rank 0 writes a
-- summary file. Expects the cifar-10-torch files (ascii .t7) in -dataDir.
--
--   mpirun -np 2 th cifar_data_parallel.lua -learningRate 0.01

require 'torch'
require 'nn'
require 'optim'
require 'paths'
local mpi = require 'torchmpi'
local automation = require 'automatedparallelization.datamodule'

local cmd = torch.CmdLine()
cmd:text()
cmd:text('A small convnet on CIFAR-10, trained over MPI ranks')
cmd:text()
cmd:text('Options:')
cmd:option('-dataDir', 'cifar-10-batches-t7', 'folder with data_batch_1..5.t7 and test_batch.t7 (ascii)')
cmd:option('-trainSize', 4000, 'training images read (all ranks together)')
cmd:option('-testSize', 2000, 'test images scored by every rank')
cmd:option('-learningRate', 0.005, 'step of nn.StochasticGradient')
cmd:option('-batchSize', 1, 'samples between two gradient averages across the ranks')
cmd:option('-epochs', 1, 'passes over each rank\'s share')
cmd:option('-seed', 1, 'random seed (the same on every rank)')
cmd:option('-threads', 1, 'torch threads per rank')
cmd:text()
local opt = cmd:parse(arg)

torch.manualSeed(opt.seed)
torch.setnumthreads(opt.threads)
local timer = torch.Timer()

local classes = {'airplane', 'automobile', 'bird', 'cat', 'deer',
                 'dog', 'frog', 'horse', 'ship', 'truck'}
local trainFiles = {'data_batch_1.t7', 'data_batch_2.t7', 'data_batch_3.t7',
                    'data_batch_4.t7', 'data_batch_5.t7'}

-- Reads `count` images from the files in order. A file holds a 3072 x N ByteTensor (one image
-- per column: 1024 red, 1024 green, 1024 blue bytes) and a 1 x N ByteTensor of classes 0..9.
local function readImages(files, count)
   local images = torch.Tensor(count, 3, 32, 32)
   local labels = torch.Tensor(count)
   local filled = 0
   for _, name in ipairs(files) do
      if filled == count then break end
      local batch = torch.load(paths.concat(opt.dataDir, name), 'ascii')
      local n = math.min(count - filled, batch.data:size(2))
      local columns = batch.data:narrow(2, 1, n)
      images:narrow(1, filled + 1, n):copy(columns:t():reshape(n, 3, 32, 32))
      labels:narrow(1, filled + 1, n):copy(batch.labels:select(1, 1):narrow(1, 1, n))
      filled = filled + n
   end
   assert(filled == count, string.format('%s holds %d images, %d were asked for', opt.dataDir, filled, count))
   labels:add(1)   -- nn's class indices start at 1
   return images, labels
end

local trainImages, trainLabels = readImages(trainFiles, opt.trainSize)
local testImages, testLabels = readImages({'test_batch.t7'}, opt.testSize)

-- Every channel is shifted and scaled by the statistics of the whole training set, so that all
-- ranks apply the same transform whatever their share.
for c = 1, 3 do
   local mean = trainImages:select(2, c):mean()
   local std = trainImages:select(2, c):std()
   trainImages:select(2, c):add(-mean):div(std)
   testImages:select(2, c):add(-mean):div(std)
end

-- two convolution stages, then a hidden layer of 64 units; sizes per image in the comments
local model = nn.Sequential()
model:add(nn.SpatialConvolutionMM(3, 16, 5, 5))    -- 16 x 28 x 28
model:add(nn.ReLU())
model:add(nn.SpatialMaxPooling(2, 2, 2, 2))        -- 16 x 14 x 14
model:add(nn.SpatialConvolutionMM(16, 32, 5, 5))   -- 32 x 10 x 10
model:add(nn.ReLU())
model:add(nn.SpatialMaxPooling(2, 2, 2, 2))        -- 32 x 5 x 5
model:add(nn.View(32 * 5 * 5))
model:add(nn.Linear(32 * 5 * 5, 64))
model:add(nn.ReLU())
model:add(nn.Linear(64, #classes))
model:add(nn.LogSoftMax())
local criterion = nn.ClassNLLCriterion()
print(model)

-- From here on each rank holds only its share; model:backward() averages the gradients.
local localSize
trainImages, trainLabels, localSize = automation.parallelize(trainImages, trainLabels, model,
                                                             opt.trainSize, nil, nil, opt.batchSize)

-- nn.StochasticGradient reads example i as dataset[i] = {input, target} and asks dataset:size()
local function dataset(images, labels, n)
   local set = {images = images, labels = labels}
   function set:size() return n end
   setmetatable(set, {__index = function(t, i) return {t.images[i], t.labels[i]} end})
   return set
end
local trainSet = dataset(trainImages, trainLabels, localSize)
local testSet = dataset(testImages, testLabels, opt.testSize)
local prepareSeconds = timer:time().real

timer:reset()
local trainer = nn.StochasticGradient(model, criterion)
trainer.learningRate = opt.learningRate
trainer.maxIteration = opt.epochs
trainer:train(trainSet)
local trainSeconds = timer:time().real

model:evaluate()
local confusion = optim.ConfusionMatrix(classes)
for i = 1, testSet:size() do
   local example = testSet[i]
   confusion:add(model:forward(example[1]), example[2])
end
confusion:updateValids()
print(string.format('rank %d of %d', mpi.rank() + 1, mpi.size()))
print(confusion)

if mpi.rank() == 0 then
   local name = string.format('cifar-ranks%d-batch%d.txt', mpi.size(), opt.batchSize)
   local f = assert(io.open(name, 'w'))
   f:write(string.format('ranks %d\n', mpi.size()))
   f:write(string.format('training images per rank %d\n', trainSet:size()))
   f:write(string.format('test images %d\n', testSet:size()))
   f:write(string.format('batch size %d\n', opt.batchSize))
   f:write(string.format('learning rate %g\n', opt.learningRate))
   f:write(string.format('epochs %d\n', opt.epochs))
   f:write(string.format('test accuracy %.2f\n', confusion.totalValid * 100))
   f:write(string.format('preparation seconds %.3f\n', prepareSeconds))
   f:write(string.format('training seconds %.3f\n', trainSeconds))
   f:close()
   print('results in ' .. name)
end
