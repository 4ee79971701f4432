-- A small convnet trained one sample at a time by nn.StochasticGradient, in the shape of the
-- torch/demos digit classifier: 1x16x16 images, two convolution stages, a linear classifier.
require 'torch'
require 'nn'

torch.manualSeed(3)
local samples = tonumber(arg[1]) or 200
local epochs = tonumber(arg[2]) or 3

local dataset = {}
function dataset:size() return samples end
for i = 1, samples do
   local label = (i % 4) + 1
   local image = torch.randn(1, 16, 16):mul(0.2)
   image[1][label * 3][label * 3] = 2       -- one bright pixel that names the class
   dataset[i] = {image, label}
end

local model = nn.Sequential()
model:add(nn.SpatialConvolution(1, 8, 3, 3))
model:add(nn.ReLU())
model:add(nn.SpatialMaxPooling(2, 2, 2, 2))
model:add(nn.SpatialConvolution(8, 16, 3, 3))
model:add(nn.ReLU())
model:add(nn.SpatialMaxPooling(2, 2, 2, 2))
model:add(nn.View(16 * 2 * 2))
model:add(nn.Linear(16 * 2 * 2, 4))
model:add(nn.LogSoftMax())

local criterion = nn.ClassNLLCriterion()
local trainer = nn.StochasticGradient(model, criterion)
trainer.learningRate = 0.01
trainer.maxIteration = epochs
trainer.verbose = false
trainer:train(dataset)

local correct = 0
for i = 1, samples do
   local output = model:forward(dataset[i][1])
   local _, predicted = output:max(1)
   if predicted[1] == dataset[i][2] then correct = correct + 1 end
end
print(string.format('training accuracy %.2f', correct / samples))
