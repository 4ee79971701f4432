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
