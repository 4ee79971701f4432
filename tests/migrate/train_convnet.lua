-- A convolutional network trained with optim.sgd and a closure, in the style of torch/demos
-- (train-on-cifar): CmdLine options, getParameters, a ConfusionMatrix.
require 'torch'
require 'nn'
require 'optim'

local cmd = torch.CmdLine()
cmd:text()
cmd:text('Options:')
cmd:option('-seed', 1, 'random seed')
cmd:option('-learningRate', 0.05, 'learning rate')
cmd:option('-momentum', 0.9, 'momentum')
cmd:option('-batchSize', 10, 'mini-batch size')
cmd:option('-epochs', 4, 'number of epochs')
cmd:text()
local opt = cmd:parse(arg)
torch.manualSeed(opt.seed)

-- two classes of 1x8x8 images: a bright upper half (class 1) or a bright lower half (class 2)
local classes = {'up', 'down'}
local nsamples = 60
local data = torch.randn(nsamples, 1, 8, 8):mul(0.3)
local labels = torch.Tensor(nsamples)
for i = 1, nsamples do
   labels[i] = (i % 2 == 0) and 2 or 1
   if labels[i] == 1 then
      data[{ i, 1, {1, 4}, {} }]:add(1)
   else
      data[{ i, 1, {5, 8}, {} }]:add(1)
   end
end

local model = nn.Sequential()
model:add(nn.SpatialConvolution(1, 4, 3, 3))     -- 4 x 6 x 6
model:add(nn.ReLU())
model:add(nn.SpatialMaxPooling(2, 2, 2, 2))       -- 4 x 3 x 3
model:add(nn.View(4 * 3 * 3))
model:add(nn.Linear(4 * 3 * 3, #classes))
model:add(nn.LogSoftMax())
local criterion = nn.ClassNLLCriterion()

local parameters, gradParameters = model:getParameters()
print('parameters', parameters:nElement())
local confusion = optim.ConfusionMatrix(classes)
local sgdState = {learningRate = opt.learningRate, momentum = opt.momentum}

for epoch = 1, opt.epochs do
   local shuffle = torch.randperm(nsamples)
   local epochLoss = 0
   for t = 1, nsamples, opt.batchSize do
      local inputs, targets = {}, {}
      for i = t, math.min(t + opt.batchSize - 1, nsamples) do
         table.insert(inputs, data[shuffle[i]])
         table.insert(targets, labels[shuffle[i]])
      end
      local feval = function(x)
         if x ~= parameters then parameters:copy(x) end
         gradParameters:zero()
         local f = 0
         for i = 1, #inputs do
            local output = model:forward(inputs[i])
            f = f + criterion:forward(output, targets[i])
            model:backward(inputs[i], criterion:backward(output, targets[i]))
            confusion:add(output, targets[i])
         end
         gradParameters:div(#inputs)
         return f / #inputs, gradParameters
      end
      local _, fs = optim.sgd(feval, parameters, sgdState)
      epochLoss = epochLoss + fs[1]
   end
   confusion:updateValids()
   print(string.format('epoch %d: loss %.4f, %d samples', epoch, epochLoss, confusion.mat:sum()))
   if epoch < opt.epochs then confusion:zero() end
end
print(confusion)
print('learned', confusion.totalValid > 0.9)
