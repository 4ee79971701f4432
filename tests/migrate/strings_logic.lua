-- '..' (numbers as %.14g), and/or with Lua truthiness, ~=, division, the string library
print('n=' .. 3 .. ' half=' .. 3 / 2 .. ' third=' .. 1 / 3 .. ' big=' .. 2 ^ 53 .. ' e=' .. 1e-5)
print(10 / 2, 7 / 2, 2 ^ 10, 7 % 3, -7 % 3, 7.5 % 2)
local zero, empty, none = 0, '', nil
print('0 is true', zero and 'yes' or 'no', empty and 'yes' or 'no', none and 'yes' or 'no')
print('or default', none or 'default', zero or 'default', false or nil)
print('and', 1 and 2, nil and 1, false and 1)
local flag = 5 > 3
print('ternary', flag and 'big' or 'small', (not flag) and 'big' or 'small')
print('not', not zero, not none, not false)
print('~=', 1 ~= 2, 'a' ~= 'a', nil ~= false)
if zero then print('if 0 is true') end
if not empty then print('never') else print('empty string is true') end
local s = 'Hello, Torch'
print(s:len(), #s, s:upper(), s:lower())
print(s:sub(1, 5), s:sub(-5), s:sub(8), s:sub(0), s:sub(5, 2) == '')
print(string.format('%d %5.2f %s %s %x %5s|%-5s|', 42, 3.14159, 'str', 2.5, 255, 'r', 'l'))
print(string.format('%d%%', 3.0), string.format('%g', 0.1), ('%03d'):format(7))
print(s:find('Torch'), s:find('o'), s:find('xyz'), s:find('.', 1, true))
print(s:find('(%a+), (%a+)'))
print(s:match('%a+$'), s:match('(%a+), (%a+)'))
print(s:gsub('o', '0'))
print(('a-b-c'):gsub('-', '+', 1))
print(('x = 1, y = 22'):gsub('(%w+) = (%d+)', '%2=%1'))
print(string.rep('ab', 3), string.rep('ab', 3, ','))
for word in string.gmatch('one two  three', '%a+') do io.write('[', word, ']') end
print()
for k, v in string.gmatch('a=1, b=2', '(%w+)=(%w+)') do io.write(k, ':', v, ' ') end
print()
print(tostring(1e15), tostring(1e16), tostring(0.1 + 0.2), tostring(-0.0 + 0), tostring(nil), tostring(true))
print(tonumber('42'), tonumber('3.5'), tonumber('0x10'), tonumber('abc'), tonumber('12', 16))
print(type(1), type('s'), type({}), type(nil), type(print), type(true))
