-- A GPU training step as Lua Torch7 scripts write it (cutorch, cunn, cudnn, :cuda(), torch.CudaTensor).
require 'torch'
require 'nn'
require 'cutorch'
require 'cunn'
require 'cudnn'
cutorch.setDevice(1)
local model = nn.Sequential():add(nn.Linear(4, 3)):add(nn.ReLU()):add(nn.Linear(3, 2))
model = cudnn.convert(model, cudnn)
model:cuda()
local criterion = nn.MSECriterion():cuda()
local x = torch.randn(5, 4):cuda()
local y = torch.CudaTensor(5, 2):fill(0.5)
local out = model:forward(x)
local loss = criterion:forward(out, y)
model:backward(x, criterion:backward(out, y))
cutorch.synchronize()
print(model:type(), out:size(1), out:size(2), loss > 0)
