local H = {}
function H.greet(who) return 'hello, ' .. who end
return H
