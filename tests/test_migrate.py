"""compat.migrate, the translator itself: the CLI, projects, line marks and comments, TODO items,
syntax errors, the default tensor type, and translation without torch. Expected Python is written
by hand from the Lua semantics; outputs are also compiled and run."""
import os
import subprocess
import sys
import textwrap

import pytest

from compat.migrate import LuaSyntaxError, names, translate
from tests.mpi_harness import REPO

ENV = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")


def run_python(code, tmp_path, name="out.py"):
    path = tmp_path / name
    path.write_text(code)
    return subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=ENV, capture_output=True, text=True,
                          check=False,
                          timeout=120)


def body(code):
    """The translated lines after the header, without their '# lua N' marks."""
    lines = code.split("\n\n", 1)[1].splitlines()
    return [line.split("  # lua")[0] for line in lines if line.strip()]


def test_lines_carry_their_lua_line_and_comments():
    code = translate("-- heading\nlocal a = 1 -- one\n\nlocal b = a + 1\n", "x.lua").code
    lines = code.split("\n\n", 1)[1].splitlines()
    assert lines == ["# heading", "a = 1  # lua 2: one", "b = a + 1  # lua 4"]


def test_header_imports_and_default_tensor_type():
    code = translate("require 'nn'\nx = torch.Tensor(2)\n", "x.lua").code
    assert code.splitlines()[1:3] == ["from compat import lua, torch",
                                      "torch.setdefaulttensortype('torch.DoubleTensor')  # Lua's default tensor type"]
    assert "from compat import nn  # lua 1" in code
    # Lua starts with Double also in a script that changes the type later (code before the call sees Double)
    own = translate("x = torch.rand(1)\ntorch.setdefaulttensortype('torch.FloatTensor')\n", "x.lua").code
    assert own.index("'torch.DoubleTensor'") < own.index("torch.rand(1)") < own.index("'torch.FloatTensor'")


def test_lua_packages_get_their_python_names():
    code = translate("sys.tic()\nlocal d = paths.dirp('x')\nlocal mpi = require 'torchmpi'\n"
                     "automation = require 'torchad_nn.datamodule'\nrequire 'cunn'\n", "x.lua").code
    assert "from compat import luasys" in code and "from compat import paths" in code
    assert body(code) == ["luasys.tic()", "d = paths.dirp('x')", "from compat import torchmpi as mpi",
                          "from automatedparallelization import datamodule as automation", "from compat import cunn"]


#: where Lua's meaning differs from PyTorch's: a ByteTensor index, torch.max's two results, a sub() of torch.range
TRAPS = textwrap.dedent("""\
    local label = torch.ByteTensor({3})
    local target = torch.zeros(4)
    target[label[1]] = 1
    local v, i = torch.max(torch.Tensor({1, 5, 2}), 1)
    local part = torch.range(1, 6):sub(2, 4)
    """)


def test_the_traps_translate_to_lua_meaning():
    code = translate(TRAPS + "print(target[3], i[1], part:size(1), part[1])\n", "x.lua").code
    # proven tensors: Torch7's methods and element access called directly (T7), no run-time dispatch
    assert "T7.put(target, T7.at(label, 1), 1)" in code
    assert "v, i = lua.torch.max(torch.Tensor([1, 5, 2]), 1)" in code and "lua.torch.range(1, 6)" in code
    assert "T7.sub(lua.torch.range(1, 6), 2, 4)" in code
    assert "from compat.lua.tensors import T7" in code


def test_traps_run_as_in_lua(tmp_path):
    code = translate(TRAPS + "print(target[3], target:sum(), i[1], part:size(1), part[1], torch.Tensor(2):type())\n",
                     "x.lua").code
    proc = run_python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "1\t1\t2\t3\t2\ttorch.DoubleTensor\n"


def test_unsupported_constructs_become_todo_items_and_compile(tmp_path):
    source = "local i = 1\n::top::\ni = i + 1\nif i < 3 then goto top end\nprint(i)\n"
    result = translate(source, "loop.lua")
    assert [t.line for t in result.todos] == [2, 4]
    assert all("goto" in t.message or "label" in t.message for t in result.todos)
    lines = result.code.splitlines()
    assert sum("# TODO(migrate):" in line for line in lines) == 2
    compile(result.code, "loop.py", "exec")


def test_goto_continue_is_continue():
    result = translate("for i = 1, 3 do\n  if i == 2 then goto continue end\n  print(i)\n  ::continue::\nend\n")
    assert result.todos == []
    assert "continue" in body(result.code)[2]


def test_invalid_lua_names_file_and_line():
    with pytest.raises(LuaSyntaxError, match=r"^bad\.lua:3:\d+: syntax error"):
        translate("local a = 1\nlocal b = 2\nlocal = 3\n", "bad.lua")


def test_cli_reports_syntax_error_with_status_1(tmp_path):
    (tmp_path / "bad.lua").write_text("x = = 1\n")
    proc = subprocess.run([sys.executable, "-m", "compat.migrate", str(tmp_path / "bad.lua")], env=ENV,
                          capture_output=True, text=True,
                          check=False, timeout=60)
    assert proc.returncode == 1 and f"{tmp_path / 'bad.lua'}:1:" in proc.stderr
    assert not (tmp_path / "bad.py").exists()


def test_cli_lists_todo_items_on_stderr(tmp_path):
    (tmp_path / "g.lua").write_text("::a::\ngoto a\n")
    proc = subprocess.run([sys.executable, "-m", "compat.migrate", str(tmp_path / "g.lua"), "-o",
                           str(tmp_path / "g_out.py")], env=ENV, capture_output=True, text=True,
                          check=False, timeout=60)
    assert proc.returncode == 0
    todo_lines = [ln for ln in proc.stderr.splitlines() if "TODO(migrate)" in ln]
    assert [ln.split(": TODO")[0] for ln in todo_lines] == [f"{tmp_path / 'g.lua'}:1", f"{tmp_path / 'g.lua'}:2"]
    compile((tmp_path / "g_out.py").read_text(), "g_out.py", "exec")


def test_project_folder_with_require_and_dofile(tmp_path):
    src, out = tmp_path / "proj", tmp_path / "out"
    (src / "lib").mkdir(parents=True)
    (src / "main-script.lua").write_text(textwrap.dedent("""\
        local util = require 'lib.my-util'
        dofile('settings.lua')
        print(util.double(21), learningRate)
        """))
    (src / "lib" / "my-util.lua").write_text("local M = {}\nfunction M.double(x) return 2 * x end\nreturn M\n")
    (src / "settings.lua").write_text("learningRate = 0.5\n")
    proc = subprocess.run([sys.executable, "-m", "compat.migrate", str(src), "-o", str(out)], env=ENV,
                          capture_output=True, text=True,
                          check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.py")) == [
        "lib/my_util.py", "main_script.py", "settings.py"]
    run = subprocess.run([sys.executable, "main_script.py"], cwd=out, env=ENV, capture_output=True, text=True,
                          check=False,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "42\t0.5\n"


def test_translating_needs_no_torch():
    script = ("import sys\nfrom compat.migrate import translate\n"
              "translate(open(sys.argv[1]).read(), 'x.lua')\n"
              "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if 'torch' in m)\n")
    proc = subprocess.run([sys.executable, "-c", script, str(REPO / "tests" / "migrate" / "tensors.lua")],
                          env=ENV, capture_output=True, text=True,
                          check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_importing_compat_lua_changes_nothing_global():
    script = ("import torch\nbefore = torch.get_default_dtype()\nimport compat, compat.lua, compat.migrate\n"
              "assert torch.get_default_dtype() is before\nimport builtins\nassert builtins.print.__module__ == "
              "'builtins'\n")
    proc = subprocess.run([sys.executable, "-c", script], env=ENV, capture_output=True, text=True,
                          check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_tensor_method_names_agree_with_the_runtime():
    from compat.lua.tensors import LUA_TENSOR_METHODS, TORCH
    assert names.LUA_TENSOR_METHODS == set(LUA_TENSOR_METHODS)
    assert names.LUA_TORCH_FUNCTIONS - names.LUA_TORCH_CLASS_FUNCTIONS == set(TORCH)


def test_unknown_nn_name_is_a_todo_but_known_ones_are_not():
    result = translate("m = nn.SpatialConvolutionMM(3, 8, 5, 5)\nc = nn.NoSuchLayer()\n", "x.lua")
    assert [(t.line, t.message) for t in result.todos] == [(2, "nn.NoSuchLayer is not a torch/nn name")]


def test_keywords_and_reserved_names_are_renamed(tmp_path):
    code = translate("local lambda, class = 1, 2\nlocal t = {def = 3}\nprint(lambda + class + t.def)\n").code
    proc = run_python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "6\n"


VALID_LUA = [
    "local t = setmetatable({}, {__call = function(self, x) return x end})",
    "local a <const> = 5" if False else "local a = #arg",
    "local s = [[long\nstring]] .. [==[x]==]",
    "t = {f = function(...) return select(2, ...) end}",
    "local x = (function() return 1, 2 end)()",
    "while false do end repeat until true",
    "for k in next, {} do end",
    "local a = 2 ^ -1 % 3 // 1",
    "local f = io.stdout",
    "return",
]


@pytest.mark.parametrize("source", VALID_LUA)
def test_valid_lua_never_crashes_and_compiles(source):
    compile(translate(source + "\n", "v.lua").code, "v.py", "exec")


def test_globals_read_before_any_assignment_are_nil(tmp_path):
    code = translate(textwrap.dedent("""\
        function stop() stopped = true end
        print(stopped, undefinedGlobal)
        stop()
        print(stopped)
        """), "g.lua").code
    proc = run_python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "nil\tnil\ntrue\n"


def test_torch_class_names_are_known_to_the_file_that_makes_them():
    result = translate("local Foo, parent = torch.class('nn.Foo', 'nn.Module')\nlocal m = nn.Foo()\n", "c.lua")
    assert result.todos == [] and "lua.torch_class('nn.Foo', 'nn.Module')" in result.code


def test_product_of_two_tensors_is_torch7s(tmp_path):
    code = translate("local a = torch.Tensor({{1, 2}, {3, 4}})\nlocal v = torch.Tensor({1, -1})\n"
                     "local n = 3\nprint(v * v, (a * v)[1], (a * a)[2][2], (a * n)[1][1], n * 2)\n").code
    assert "lua.mul(v, v)" in code and "a * n" in code and "n * 2" in code
    proc = run_python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "2\t-1\t22\t3\t6\n"


def test_sizes_computed_with_division_reach_the_library_as_ints(tmp_path):
    code = translate("require 'nn'\nlocal n = 64\nlocal m = nn.Linear(n / 2, n / 4)\n"
                     "print(m.weight:size(1), m.weight:size(2), n / 3 > 21)\n").code
    proc = run_python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "16\t32\ttrue\n"


def test_require_of_an_unknown_package_is_a_todo_item(tmp_path):
    (tmp_path / "uses.lua").write_text("require 'nnx'\nlocal m = require 'mine'\n")
    (tmp_path / "mine.lua").write_text("return 1\n")
    result = translate((tmp_path / "uses.lua").read_text(), str(tmp_path / "uses.lua"))
    assert [t.line for t in result.todos] == [1] and "nnx" in result.todos[0].message


def test_a_call_in_last_place_passes_on_all_its_values(tmp_path):
    code = translate("local o = {}\nfunction o:two() return 1, 2 end\nprint(o:two())\nprint('x', o:two())\n"
                     "local v, i = torch.max(torch.Tensor({3, 9}), 1)\nprint(i[1], torch.max(torch.Tensor({3, 9})))\n",
                     "m.lua").code
    proc = run_python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "1\t2\nx\t1\t2\n2\t9\n"
