"""The torchad-migrate command: where each Lua syntax error is (file:line:col), never overwriting
the input or (without --force) an existing output, --strict, and the summary of TODO items by kind."""
import os
import subprocess
import sys

import pytest

import compat.migrate.translator as translator_module
from compat.migrate import LuaSyntaxError, TranslatorError, translate
from tests.mpi_harness import REPO

ENV = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")

# (Lua source, line, column) of the first error, counted by hand (1-based).
SYNTAX_ERRORS = {
    "missing_end": ("if x then\n  print(1)\n", 3, 1),
    "missing_then": ("if x\n  print(1)\nend\n", 2, 3),
    "missing_do": ("while true print(1) end\n", 1, 12),
    "unclosed_string": ('local s = 1\nprint("abc)\n', 2, 7),
    "unclosed_long_string": ("x = [[abc\n", 1, 5),
    "bad_assignment": ("local a\na + 1 = 2\n", 2, 3),
    "unexpected_symbol": ("local x = = 1\n", 1, 11),
    "bad_for": ("for i = 1 do end\n", 1, 11),
    "unclosed_table": ("local t = {1, 2\nprint(t)\n", 2, 1),
    "extra_parenthesis": ("print(1))\n", 1, 9),
    "name_starting_with_digit": ("local 1x = 2\n", 1, 7),
    "missing_function_end": ("function f()\n  return 1\n", 3, 1),
}


def migrate(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "compat.migrate", *map(str, args)], env=ENV, cwd=cwd,
                          capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.parametrize("name", sorted(SYNTAX_ERRORS))
def test_every_syntax_error_names_file_line_and_column(name):
    source, line, column = SYNTAX_ERRORS[name]
    with pytest.raises(LuaSyntaxError) as info:
        translate(source, f"{name}.lua")
    assert str(info.value).startswith(f"{name}.lua:{line}:{column}: syntax error: ")
    assert "None" not in str(info.value)


def test_cli_syntax_error_writes_nothing(tmp_path):
    (tmp_path / "bad.lua").write_text("if x then\n")
    proc = migrate(tmp_path / "bad.lua")
    assert proc.returncode == 1
    assert f"{tmp_path / 'bad.lua'}:2:1: syntax error" in proc.stderr
    assert not (tmp_path / "bad.py").exists()


def test_never_overwrites_the_input(tmp_path):
    script = tmp_path / "already.py"
    script.write_text("print(1)\n")                 # valid Lua and valid Python
    for args in ([script], [script, "--force"], [script, "-o", script, "--force"]):
        proc = migrate(*args)
        assert proc.returncode == 1 and "is the input" in proc.stderr
        assert script.read_text() == "print(1)\n"


def test_existing_output_needs_force(tmp_path):
    (tmp_path / "s.lua").write_text("print(1)\n")
    (tmp_path / "s.py").write_text("# edited by hand\n")
    proc = migrate(tmp_path / "s.lua")
    assert proc.returncode == 1 and "--force" in proc.stderr
    assert (tmp_path / "s.py").read_text() == "# edited by hand\n"
    proc = migrate(tmp_path / "s.lua", "--force")
    assert proc.returncode == 0, proc.stderr
    assert "lua.print(1)" in (tmp_path / "s.py").read_text() or "print(1)" in (tmp_path / "s.py").read_text()


def test_a_folder_is_refused_whole_when_one_output_exists(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.lua").write_text("print(1)\n")
    (src / "b.lua").write_text("print(2)\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "b.py").write_text("# mine\n")
    proc = migrate(src, "-o", tmp_path / "out")
    assert proc.returncode == 1 and "b.py" in proc.stderr
    assert not (tmp_path / "out" / "a.py").exists()


def test_summary_counts_todo_items_by_kind(tmp_path):
    (tmp_path / "t.lua").write_text("require 'nosuchpackage'\n::top::\nlocal m = nn.NoSuchLayer()\ngoto top\n")
    proc = migrate(tmp_path / "t.lua")
    assert proc.returncode == 0, proc.stderr
    assert "4 TODO item(s) (2 goto, 1 require, 1 unknown name)" in proc.stderr
    assert f"{tmp_path / 't.lua'}:2: TODO(migrate) [goto]:" in proc.stderr


def test_strict_makes_a_translator_failure_an_error(monkeypatch):
    def broken(self, node):
        raise KeyError("a bug")
    monkeypatch.setattr(translator_module.Translator, "stmt_Do", broken)
    source = "print(1)\ndo print(2) end\n"
    result = translate(source, "x.lua")
    assert [(t.line, t.kind) for t in result.todos] == [(2, "internal error")]
    with pytest.raises(TranslatorError, match=r"^x\.lua:2: .*KeyError"):
        translate(source, "x.lua", strict=True)


def test_strict_exit_status_is_2_on_internal_failure(tmp_path):
    (tmp_path / "s.lua").write_text("do print(2) end\n")
    script = ("import sys\nimport compat.migrate.translator as t\nfrom compat.migrate.cli import main\n"
              "def broken(self, node):\n    raise KeyError('a bug')\n"
              "t.Translator.stmt_Do = broken\nsys.exit(main(sys.argv[1:]))\n")
    proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "s.lua"), "--strict"], env=ENV,
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 2 and "internal error" in proc.stderr
    assert not (tmp_path / "s.py").exists()


def test_require_of_lua_standard_modules_is_no_todo():
    result = translate("require 'math'\nrequire 'io'\nrequire 'os'\nrequire 'string'\nrequire 'table'\n"
                       "local m = require 'math'\nprint(m.floor(2.5))\n")
    assert result.todos == []
    assert "m = lua.math" in result.code
