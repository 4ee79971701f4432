-- setmetatable (the dataset idiom), a:m(...) method calls, require of Torch packages, torch.CmdLine,
-- os.time/clock/date, io.open/write/close, print of several values
require 'torch'
local nn = require 'nn'

-- the dataset idiom of torch/demos
local dataset = {data = torch.Tensor(3, 2):fill(1), labels = torch.Tensor({3, 1, 2})}
function dataset:size() return self.data:size(1) end
setmetatable(dataset, {__index = function(t, i) return {t.data[i], t.labels[i]} end})
print('size', dataset:size())
local example = dataset[2]
print('example', example[1]:size(1), example[2], type(example[2]))
print('field', dataset.labels:size(1))

-- a class made of a table and a metatable
local Account = {}
Account.__index = Account
function Account.new(balance)
   local self = setmetatable({}, Account)
   self.balance = balance
   return self
end
function Account:deposit(v) self.balance = self.balance + v; return self end
local acc = Account.new(10)
acc:deposit(5):deposit(2.5)
print('account', acc.balance)

-- CmdLine
local cmd = torch.CmdLine()
cmd:option('-lr', 0.1, 'learning rate')
cmd:option('-name', 'mlp', 'model name')
cmd:option('-cuda', false, 'use CUDA')
local opt = cmd:parse({'-lr', '0.5', '-cuda'})
print('opt', opt.lr, opt.name, opt.cuda)

-- os
local now = os.time()
print('time', type(now), now > 1.5e9, os.clock() >= 0, #os.date('%Y'), os.date('*t').year >= 2024)

-- io
local name = os.tmpname()
local f = assert(io.open(name, 'w'))
f:write('a', 1, ' ', 2.5, ' ', 1 / 4, '\n')
f:write('second line\n')
f:close()
local g = io.open(name, 'r')
print('read', g:read('*l'))
print('rest', g:read('*a'))
g:close()
os.remove(name)
print('missing file', io.open('/nonexistent/file.txt', 'r'))
io.write('io.write ', 3, ' ', 0.5, '\n')
print(1, 'two', nil, true, 4.0, {} ~= nil)
print(nn.Linear(2, 3) ~= nil)
