-- tables as sequences, records and mixed; # of a table, a string and a tensor
require 'torch'
local seq = {10, 20, 30}
print('seq', seq[1], seq[3], seq[4], #seq)
seq[#seq + 1] = 40
table.insert(seq, 50)
table.insert(seq, 1, 5)
print('grown', #seq, seq[1], seq[6])
print('removed', table.remove(seq), #seq)
local rec = {name = 'net', layers = 3}
rec.lr = 0.1
rec['momentum'] = 0.9
print('record', rec.name, rec.layers, rec.lr, rec.momentum, rec.missing)
rec.layers = nil
print('deleted', rec.layers)
local mixed = {1, 2, kind = 'mixed', [10] = 'ten'}
print('mixed', mixed[1], mixed[2], mixed.kind, mixed[10], #mixed)
local nested = {sizes = {64, 32}, names = {'a', 'b'}}
print('nested', nested.sizes[2], nested.names[1], #nested.sizes)
local grid = {}
for r = 1, 2 do
   grid[r] = {}
   for c = 1, 3 do grid[r][c] = r * c end
end
print('grid', grid[2][3], #grid, #grid[1])
print('#string', #'hello')
local t = torch.Tensor(4, 5)
local sz = #t
print('#tensor', sz[1], sz[2], #sz)
local names = {}
names.first = 'a'
local count = 0
for k, v in pairs(names) do count = count + 1 end
print('pairs count', count)
print('concat', table.concat({1, 2, 3}, ','))
local sorted = {3, 1, 2}
table.sort(sorted)
print('sorted', table.concat(sorted, ' '))
table.sort(sorted, function(a, b) return a > b end)
print('desc', table.concat(sorted, ' '))
print('unpack', unpack({7, 8, 9}))
