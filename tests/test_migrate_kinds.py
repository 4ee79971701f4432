"""compat.migrate.kinds: where the translator proves a value's kind it emits plain PyTorch with
Torch7's meaning, and keeps the runtime helper where it proves nothing. Expected lines are written
by hand from Lua's and Torch7's rules (1-based indices, a 1-D tensor's element is a number); the
program mixing every rule is run and its output compared with what Torch7 prints."""
from compat.migrate import translate
from tests.test_migrate import body, run_python


def lines(lua):
    return body(translate(lua, "x.lua").code)


def test_tensor_elements_with_a_positive_loop_variable_are_plain_indexing():
    out = lines("local x = torch.Tensor(3, 2)\nfor i = 1, 3 do\n  x[i][2] = i * 10\n  local r = x[i]\n"
                "  print(x[i][2], r[1])\nend\n")
    assert "    x[i - 1][1] = i * 10" in out
    assert "    r = x[i - 1]" in out                                   # a row: a tensor
    assert "    lua.print(x[i - 1][1].item(), r[0].item())" in out     # an element: a number


def test_an_index_not_proven_positive_keeps_torch7_element_access():
    out = lines("local v = torch.Tensor(4)\nlocal k = -1\nprint(v[k])\nfor i = 0, 2 do print(v[i + 1]) end\n")
    assert "lua.print(T7.at(v, k))" in out             # Torch7 counts -1 from the end
    assert "    lua.print(T7.at(v, i + 1))" in out     # the loop starts at 0: not proven >= 1


def test_a_file_that_resizes_a_tensor_proves_no_dimensions():
    out = lines("local x = torch.Tensor(2, 2)\nx:resize(4)\nfor i = 1, 4 do x[i] = i end\n")
    assert "    T7.put(x, i, i)" in out                 # a tensor, of dimensions known at run time only


def test_kinds_are_solved_over_all_assignments():
    out = lines("local total = 0\nfor i = 1, 3 do total = total + i * 1.5 end\nprint(total - 1)\n")
    assert "    total = total + i * 1.5" in out
    assert "lua.print(total - 1)" in out


def test_optim_results_and_state():
    out = lines("require 'optim'\nlocal state = {}\nlocal total = 0\nlocal _, fs = optim.sgd(f, x, {}, state)\n"
                "total = total + fs[1]\n")
    assert "state = lua.Table()" in out
    assert "total = total + fs[0]" in out


def test_tensor_methods_with_literal_dimensions_and_tensor_identity():
    out = lines("local x = torch.zeros(4, 3)\nlocal y = x:narrow(1, 2, 2)\nlocal s = x:size(2)\n"
                "local z = x:select(2, 1)\nif x == y then print(1) end\nz:fill(2)\n")
    assert "y = x.narrow(0, 1, 2)" in out
    assert "s = x.size(1)" in out
    assert "z = x.select(1, 0)" in out
    assert "if x is y:" in out
    assert "z.fill_(2)" in out


def test_translated_program_prints_what_torch7_prints(tmp_path):
    lua = """require 'torch'
local x = torch.Tensor(3, 2):zero()
for i = 1, 3 do
  x[i][2] = i * 10
  x[i][1] = -i
end
local total = 0
for i = 1, 3 do total = total + x[i][2] end
print(total, x[2][2], x:narrow(1, 2, 2):sum(), x:select(2, 1):sum(), x:size(1))
local k = 3
print(x[k][1], x[-1][2])
"""
    result = run_python(translate(lua, "x.lua").code, tmp_path)
    assert result.returncode == 0, result.stderr
    # total 10+20+30; x[2][2] = 20; rows 2..3 sum (-2+20-3+30); column 1 sum -6; 3 rows; x[3][1] = -3, x[-1] is row 3
    assert result.stdout.splitlines() == ["60\t20\t45\t-6\t3", "-3\t30"]


def test_proven_tensors_call_torch7_methods_directly():
    out = lines("local x = torch.range(1, 6):resize(2, 3)\nprint(x:sum(), x[2][3], #x)\nx[1] = 0\n"
                "local m, i = x:max(2)\nprint(m[1][1], i:size(1))\n")
    assert out[0] == "x = T7.resize(lua.torch.range(1, 6), 2, 3)"
    # a row of a tensor indexed again is a tensor (a number there would stop Lua too); #x is x:size()
    assert out[1] == "lua.print(T7.sum(x), T7.at(T7.at(x, 2), 3), T7.size(x))"
    assert out[2] == "T7.put(x, 1, 0)"
    assert out[3] == "m, i = T7.max(x, 2)"                  # two tensors: no lua.values
    assert out[4] == "lua.print(T7.at(T7.at(m, 1), 1), i.size(0))"


def test_lua_truth_of_values_that_are_never_false():
    out = lines("local n, s, t = 0, '', {}\nif n then print(1) end\nif not s then print(2) end\n"
                "print(t and 'yes' or 'no', n and -1 or 1)\nlocal v = f()\nif v then print(3) end\n")
    assert "if n is not None:" in out                  # 0 is true in Lua
    assert "if s is None:" in out                      # '' too: only nil and false are false
    assert "lua.print('yes' if t is not None else 'no', -1 if n is not None else 1)" in out
    assert "if lua.truth(v):" in out                   # any value: the helper decides


def test_loops_over_integers_and_lists():
    out = lines("local t = {}\nfor i = 1, 5 do t[#t + 1] = i * i end\nlocal n = tonumber(arg[1]) or 3\n"
                "for i = 1, n do print(i) end\nfor i = 1, #t do print(t[i]) end\n"
                "for i, v in ipairs(t) do print(t[i], v) end\nfor i = 2, #t do print(t[i - 1]) end\n"
                "for i = 1, #t do table.remove(t) print(t[i]) end\n")
    assert "    t.append(i * i)" in out                 # t[#t + 1] = v with v never nil
    assert "for i in range(1, int(n) + 1):" in out      # counting up from 1: int() is floor there
    assert "for i in range(1, len(t) + 1):" in out
    assert "    lua.print(t[i - 1])" in out             # i in 1..#t and the loop leaves t alone
    assert "    lua.print(t[i - 1], v)" in out          # ipairs: the same
    assert "    lua.print(lua.index(t, i - 1))" in out  # i - 1 may be 0: nil in Lua
    assert "    lua.print(lua.index(t, i))" in out      # the loop shrinks t


def test_kinds_of_parameters_options_functions_and_fields():
    out = lines("local cmd = torch.CmdLine()\ncmd:option('-epochs', 4, 'epochs')\nlocal opt = cmd:parse(arg)\n"
                "for ep = 1, opt.epochs do print(ep) end\n"
                "local e = torch.zeros(3)\nlocal function sq(e) return e * e end\nprint(e[1], sq(2))\n"
                "local function load() return torch.zeros(2), torch.ones(2) end\nlocal a, b = load()\n"
                "print(a:sum(), load())\n"
                "local Cls, parent = torch.class('nn.Cls', 'nn.Module')\n"
                "function Cls:updateOutput(x) self.output:resizeAs(x):copy(x) return self.output end\n")
    assert "for ep in range(1, int(opt.epochs) + 1):" in out     # a number option: its default's kind
    assert "lua.print(T7.at(e, 1), sq(2))" in out               # sq's parameter e is not the tensor e
    assert "a, b = load()" in out and "lua.print(T7.sum(a), *load())" in out
    # nn.Module's output may be a parameter-like leaf: Torch7's methods through T7, never PyTorch's in place
    assert "    T7.copy(T7.resizeAs(self.output, x), x)" in out


def test_proven_programs_print_what_torch7_prints(tmp_path):
    lua = """require 'nn'
local t = {}
for i = 1, 4 do t[#t + 1] = i * 1.5 end
local n = 2.5
for i = 1, n do io.write(i, ' ') end
for i = 1, #t do io.write(t[i], ' ') end
print()
local zero = 0
print(zero and 'yes' or 'no', not zero, #t)
local x = torch.range(1, 6):resize(2, 3)
local m, k = x:max(2)
print(x:sum(), x[2][3], m[2][1], k[1][1], x:size(2))
local lin = nn.Linear(2, 2)
lin.weight:fill(0.5)
lin.bias:zero()
print(lin:forward(torch.ones(2))[1], lin.weight:sum())
"""
    result = run_python(translate(lua, "x.lua").code, tmp_path)
    assert result.returncode == 0, result.stderr
    # 1..2.5 counts 1 2; 0 is true in Lua; sum 21, x[2][3] = 6, row maxima 3 and 6 at column 3;
    # weights of 0.5 on two ones: 1; a parameter filled in place as plain data (no autograd error)
    assert result.stdout.splitlines() == ["1 2 1.5 3 4.5 6 ", "yes\tfalse\t4", "21\t6\t6\t3\t3", "1\t2"]


def test_module_results():
    out = lines("require 'nn'\nlocal model = nn.Linear(3, 2)\nlocal crit = nn.MSECriterion()\nlocal loss = 0\n"
                "local y = model:forward(torch.ones(3))\nloss = loss + crit:forward(y, torch.zeros(2))\n"
                "local _, k = y:max(1)\nprint(y[1], k[1], loss)\n")
    assert "loss = loss + crit.forward(y, torch.zeros(2))" in out     # a criterion gives a number
    assert "_, k = T7.max(y, 1)" in out       # a module's output: Torch7's tensor methods through T7
    assert "lua.print(lua.index(y, 1), T7.at(k, 1), loss)" in out     # y may be a table: y[1] decided then


def test_parameters_take_what_every_call_passes():
    out = lines("local data = {x = torch.zeros(3), size = function() return 3 end}\n"
                "local function train(d, k)\n  print(d.x:sum(), d:size(), k)\nend\n"
                "train(data, 1)\ntrain(data)\nlocal e = torch.ones(2)\n"
                "local function twice(e) return e * 2 end\nprint(twice(3), e[1])\n"
                "local function free(t) return t:sum() end\nlocal f = free\n")
    # d is always the record data: its tensor field, its one size function (one value: no expand)
    assert "    lua.print(T7.sum(d.x), d.size(d), k)" in out     # k is nil in one call: unknown
    assert "    return e * 2" in out                             # twice's e is the number 3, not the tensor
    assert "    return lua.invoke(t, 'sum')" in out              # free is passed as a value: any caller


def test_the_and_or_idiom_has_the_kind_of_both_branches():
    out = lines("local t = torch.LongTensor(3)\nfor i = 1, 3 do t[i] = i > 1 and 1 or 2 end\n"
                "local s = (t[1] > 1) and 'big' or 'small'\nprint(s .. '!')\n")
    assert "    t[i - 1] = 1 if i > 1 else 2" in out         # a number either way: a plain element store
    assert "print(s + '!')" in out                          # a string either way: Python's + and print
