require 'models.animal'
local Dog, parent = torch.class('Dog', 'Animal')

function Dog:__init(name, age)
  parent.__init(self, name, 4)
  self.age = age
end

function Dog:describe()
  return parent.describe(self) .. ', a dog aged ' .. self.age
end
