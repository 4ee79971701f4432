-- A multi-layer perceptron trained on mini-batches by optim.adam with a feval closure over the
-- flattened parameters, in the shape of the torch/optim tutorials.
require 'torch'
require 'nn'
require 'optim'

torch.manualSeed(5)
local n = tonumber(arg[1]) or 2048
local epochs = tonumber(arg[2]) or 10
local batchSize = 32

local inputs = torch.randn(n, 20)
local targets = torch.LongTensor(n)
for i = 1, n do
   local s = inputs[i]:sum()
   targets[i] = s > 0 and 1 or 2
end

local model = nn.Sequential()
model:add(nn.Linear(20, 64))
model:add(nn.Tanh())
model:add(nn.Linear(64, 64))
model:add(nn.Tanh())
model:add(nn.Linear(64, 2))
model:add(nn.LogSoftMax())
local criterion = nn.ClassNLLCriterion()
local params, gradParams = model:getParameters()
local config = {learningRate = 1e-3}
local state = {}

for epoch = 1, epochs do
   local shuffle = torch.randperm(n)
   local total = 0
   for t = 1, n, batchSize do
      local last = math.min(t + batchSize - 1, n)
      local size = last - t + 1
      local batchInputs = torch.Tensor(size, 20)
      local batchTargets = torch.LongTensor(size)
      for k = 1, size do
         local i = shuffle[t + k - 1]
         batchInputs[k]:copy(inputs[i])
         batchTargets[k] = targets[i]
      end
      local feval = function(p)
         if p ~= params then params:copy(p) end
         gradParams:zero()
         local outputs = model:forward(batchInputs)
         local loss = criterion:forward(outputs, batchTargets)
         model:backward(batchInputs, criterion:backward(outputs, batchTargets))
         return loss, gradParams
      end
      local _, fs = optim.adam(feval, params, config, state)
      total = total + fs[1] * size
   end
   print(string.format('epoch %d loss %.4f', epoch, total / n))
end
