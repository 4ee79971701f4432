-- A Lua Torch7 project in several files: run from this folder (th main.lua).
require 'torch'
require 'math'
require 'string'

dofile('config.lua')                   -- sets the globals config and verbose
print('config', config.lr, config.epochs, verbose)

local util = require 'lib.my-util'     -- runs lib/my-util.lua once
local same = require 'lib.my-util'
print('same module', util == same)
print('double', util.double(21))

local counter = require 'lib/counter'  -- a path with a slash
print(counter.next(), counter.next())

require 'models.dog'                   -- requires models.animal: the parent class
local rex = Dog('Rex', 3)
print(rex:describe())
print(torch.typename(rex), torch.isTypeOf(rex, 'Animal'))

for i = 1, config.epochs do
  for i = 1, 3 do end                  -- its own i: the outer one is untouched
  print('epoch = ' .. i .. ' of ' .. config.epochs)
end

local trainset = torch.load('data/set.t7', 'ascii')
setmetatable(trainset, {__index = function(t, i) return {t.data[i], t.label[i]} end})
function trainset:size() return self.data:size(1) end
print('samples', trainset:size())
local sample = trainset[2]
print(sample[1][1], sample[1][2], sample[2])
local sum = 0
for i = 1, trainset:size() do sum = sum + trainset[i][2] end
print('label sum', sum)
