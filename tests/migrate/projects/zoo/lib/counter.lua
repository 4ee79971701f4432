local count = 0
local C = {}
function C.next()
  count = count + 1
  return count
end
return C
