-- torch.class: a custom nn module defined method by method (torch/tutorials' DropoutEx), a subclass
-- of nn.Linear calling its parent's constructor, and a plain class
require 'nn'
local DropoutEx, Parent = torch.class('nn.DropoutEx', 'nn.Module')
function DropoutEx:__init(p)
   Parent.__init(self)
   self.p = p or 0.5
   self.noise = torch.Tensor()
end
function DropoutEx:updateOutput(input)
   self.noise:resizeAs(input)
   self.noise:fill(1)
   self.output:resizeAs(input):copy(input)
   self.output:cmul(self.noise)
   self.output:div(1-self.p)
   return self.output
end
local Scale, parent = torch.class('nn.Scale2', 'nn.Linear')
function Scale:__init(n) parent.__init(self, n, n) self.weight:fill(0) self.bias:fill(1) end
local m = nn.Sequential():add(nn.DropoutEx(0.5)):add(nn.Scale2(3))
print(nn.DropoutEx(0.75):forward(torch.ones(2))[1], m:forward(torch.ones(3))[2])
local Point = torch.class('Point')
function Point:__init(x) self.x = x end
function Point:double() return self.x * 2 end
print(Point(21):double())
