-- A multi-layer perceptron trained by nn.StochasticGradient, in the style of torch/demos
-- (train-a-digit-classifier / the nn tutorial's XOR example).
require 'torch'
require 'nn'

torch.manualSeed(1)

-- the data set: a Lua table with size() and dataset[i] = {input, target}
local dataset = {}
function dataset:size() return 200 end
for i = 1, dataset:size() do
   local input = torch.randn(2)
   local output = torch.Tensor(1)
   if input[1] * input[2] > 0 then   -- XOR of the signs
      output[1] = -1
   else
      output[1] = 1
   end
   dataset[i] = {input, output}
end

-- the model
local mlp = nn.Sequential()
local inputs, outputs, HUs = 2, 1, 20
mlp:add(nn.Linear(inputs, HUs))
mlp:add(nn.Tanh())
mlp:add(nn.Linear(HUs, outputs))
print('parameters', mlp:get(1).weight:size(1), mlp:get(1).weight:size(2), mlp:size())

local criterion = nn.MSECriterion()
local trainer = nn.StochasticGradient(mlp, criterion)
trainer.learningRate = 0.05
trainer.maxIteration = 30
local lastError = trainer:train(dataset)

-- test the network on the four corners
local correct = 0
local corners = {{1, 1}, {1, -1}, {-1, 1}, {-1, -1}}
for _, corner in ipairs(corners) do
   local x = torch.Tensor(corner)
   local expected = (corner[1] * corner[2] > 0) and -1 or 1
   local y = mlp:forward(x)[1]
   if (y > 0) == (expected > 0) then correct = correct + 1 end
   print(string.format('corner (%2d,%2d) -> %s', corner[1], corner[2], expected))
end
print('corners right', correct >= 3)
