local Animal = torch.class('Animal')

function Animal:__init(name, legs)
  self.name = name
  self.legs = legs
end

function Animal:describe()
  return self.name .. ' has ' .. self.legs .. ' legs'
end
