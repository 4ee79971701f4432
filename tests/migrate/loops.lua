-- numeric for (inclusive end, negative and float steps), pairs/ipairs, while/repeat, break
local out = {}
for i = 1, 3 do out[#out + 1] = i end
print('up', table.concat(out, ' '))
out = {}
for i = 10, 1, -3 do out[#out + 1] = i end
print('down', table.concat(out, ' '))
out = {}
for v = 0, 1, 0.25 do out[#out + 1] = v end
print('float', table.concat(out, ' '))
local n = 2.5
out = {}
for i = 1, n do out[#out + 1] = i end
print('fractional end', table.concat(out, ' '))
for i = 1, 0 do print('never') end

local seq = {'a', 'b', 'c'}
for i, v in ipairs(seq) do io.write(i, '=', v, ' ') end
print()
local rec = {x = 1}
local keys = 0
for k, v in pairs(rec) do keys = keys + 1; print('pair', k, v) end
local holes = {1, 2, nil, 4}
local m = 0
for _ in ipairs(holes) do m = m + 1 end
print('ipairs stops at nil', m)

local i = 0
while true do
   i = i + 1
   if i > 4 then break end
end
print('while', i)
local j = 0
repeat
   local k = j * 2
   j = j + 1
until k >= 6           -- the body's locals are visible here
print('repeat', j)
for a = 1, 3 do
   for b = 1, 3 do
      if b == 2 then break end
      io.write(a, b, ' ')
   end
end
print()
