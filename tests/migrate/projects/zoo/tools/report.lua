-- Run from tools/ (th report.lua): the shared modules are one folder up.
package.path = package.path .. ';../shared/?.lua'
local helpers = require 'helpers'
print(helpers.greet('tools'))
local extra = paths.dofile('extra.lua')   -- next to this file, wherever it runs from
print('extra', extra)
print('cached', package.loaded['helpers'] == helpers)
