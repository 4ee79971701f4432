-- Linear regression with optim.sgd, one sample per step, in the shape of torch/demos
-- linear-regression: a table of (corn, fertilizer, insecticide) rows, a model nn.Linear(2, 1),
-- an feval closure over one row at a time, and an optim.Logger that plots after every epoch.
require 'torch'
require 'nn'
require 'optim'

torch.manualSeed(7)
local epochs = tonumber(arg[1]) or 300

-- corn yield as a linear function of fertilizer and insecticide, with a little noise
local rows = 20
local data = torch.Tensor(rows, 3)
local noise = torch.randn(rows)
for i = 1, rows do
   local fertilizer = 2 + (i % 5)
   local insecticide = 1 + (i % 7)
   data[i][2] = fertilizer
   data[i][3] = insecticide
   data[i][1] = 10 + 3 * fertilizer + 1.5 * insecticide + 0.1 * noise[i]
end

local model = nn.Sequential()
model:add(nn.Linear(2, 1))
local criterion = nn.MSECriterion()
local x, dl_dx = model:getParameters()

local sgd_params = {learningRate = 1e-3, learningRateDecay = 1e-4, weightDecay = 0, momentum = 0}
local logger = optim.Logger(os.getenv('BENCH_LOGFILE') or 'linear_regression.log')
logger:setNames{'training error'}

local current = 1
local function feval(x_new)
   if x ~= x_new then x:copy(x_new) end
   local sample = data[current]
   local target = sample:narrow(1, 1, 1)
   local inputs = sample:narrow(1, 2, 2)
   dl_dx:zero()
   local loss = criterion:forward(model:forward(inputs), target)
   model:backward(inputs, criterion:backward(model.output, target))
   return loss, dl_dx
end

for epoch = 1, epochs do
   local total = 0
   for i = 1, rows do
      current = i
      local _, fs = optim.sgd(feval, x, sgd_params)
      total = total + fs[1]
   end
   logger:add{total / rows}
   logger:plot()
end

local probe = torch.Tensor(2)
probe[1] = 4
probe[2] = 3
print(string.format('prediction for (4, 3): %.2f', model:forward(probe)[1]))
