-- local/global scope, functions, closures, varargs and multiple returns
count = 0                      -- a global
local function bump(n)
   count = count + (n or 1)    -- assigns the global
   return count
end
bump()
bump(5)
print('count', count)

local x = 10
local function shadow()
   local x = 1                 -- a local of its own
   x = x + 1
   return x
end
print('shadow', shadow(), x)

-- closures keep their upvalues
local function counter()
   local n = 0
   return function()
      n = n + 1
      return n
   end
end
local c1, c2 = counter(), counter()
c1(); c1()
print('closures', c1(), c2())

-- varargs
local function sum(...)
   local total = 0
   for _, v in ipairs({...}) do total = total + v end
   return total, select('#', ...)
end
print('sum', sum(1, 2, 3.5))
local s = sum(4, 5)            -- only the first value
print('first', s)

-- multiple returns and adjustment
local function pair() return 1, 2 end
local a, b, c = pair()
print('adjust', a, b, c)
local t = {pair(), pair()}     -- only the last call expands
print('table', #t, t[1], t[2], t[3])
local function none() end
local d, e = none()
print('none', d, e)

-- functions are values; missing arguments are nil, extra ones dropped
local function show(p, q) return tostring(p) .. '/' .. tostring(q) end
print(show(1), show(1, 2, 3))
local apply = function(f, v) return f(v) end
print('apply', apply(function(v) return v * 2 end, 21))

-- a recursive local function
local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end
print('fact', fact(10))

-- a function made in a loop keeps that iteration's locals (Lua makes them afresh each time)
local fs = {}
for i = 1, 3 do
   local sq = i * i
   fs[i] = function() return i + sq end
end
local gs = {}
for _, name in ipairs({'a', 'b'}) do
   local function greet(s) return name .. s end
   gs[#gs + 1] = greet
end
print('loop closures', fs[1](), fs[3](), gs[1]('!'), gs[2]('?'))
