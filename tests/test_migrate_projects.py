"""Multi-file Lua projects translated by ``torchad-migrate DIR -o OUT``: the layout is kept (names that
are not Python identifiers mapped), and ``require``/``dofile``/``paths.dofile``/``package.path`` find
the translated modules from the folder Lua would run in. The project under ``migrate/projects/zoo``
and the output each entry script prints (``*.expected``) were written by hand from Lua's rules."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from compat.luanames import python_module_name, python_path
from tests.mpi_harness import REPO

ZOO = Path(__file__).parent / "migrate" / "projects" / "zoo"
ENV = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")


def migrate(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "compat.migrate", *map(str, args)], env=ENV, cwd=cwd,
                          capture_output=True, text=True, check=False, timeout=120)


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    out = tmp_path_factory.mktemp("zoo") / "out"
    proc = migrate(ZOO, "-o", out, "--strict")
    assert proc.returncode == 0, proc.stderr
    shutil.copytree(ZOO / "data", out / "data")       # the .t7 dataset the script loads
    return out, proc.stderr


def run(script, cwd):
    return subprocess.run([sys.executable, script], cwd=cwd, env=ENV, capture_output=True, text=True,
                          check=False, timeout=300)


def test_layout_is_kept_and_mapped_names_are_printed(zoo):
    out, stderr = zoo
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.py")) == [
        "config.py", "lib/counter.py", "lib/my_util.py", "main.py", "models/animal.py", "models/dog.py",
        "shared/helpers.py", "tools/extra.py", "tools/report.py"]
    assert "name mapped: lib/my-util.lua -> lib/my_util.py" in stderr
    assert "0 TODO item(s)" in stderr            # every require is found, the package.path one too


def test_main_prints_what_lua_prints(zoo):
    out, _ = zoo
    proc = run("main.py", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (ZOO / "main.expected").read_text()


def test_package_path_edit_and_paths_dofile_from_a_subfolder(zoo):
    out, _ = zoo
    proc = run("report.py", out / "tools")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (ZOO / "tools" / "report.expected").read_text()


def test_a_missing_module_names_what_was_tried(tmp_path):
    (tmp_path / "m.lua").write_text("local x = require 'nowhere.mod'\n")
    proc = migrate(tmp_path / "m.lua")
    assert proc.returncode == 0 and "[require]" in proc.stderr
    ran = run("m.py", tmp_path)
    assert ran.returncode == 1
    assert "module 'nowhere.mod' not found" in ran.stderr and "nowhere/mod.py" in ran.stderr


def test_dofile_runs_every_time_and_require_once(tmp_path):
    (tmp_path / "count.lua").write_text("n = (n or 0) + 1\nreturn n\n")
    (tmp_path / "main.lua").write_text("print(dofile('count.lua'), dofile('count.lua'))\n"
                                       "print(require('count'), require('count'), n)\n")
    proc = migrate(tmp_path, "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    ran = run("main.py", tmp_path / "out")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "1\t2\n3\t3\t3\n"        # Lua: require runs the file once more, then caches 3


@pytest.mark.parametrize("lua, python", [
    ("a.lua", "a.py"), ("lib/my-util.lua", "lib/my_util.py"), ("../shared/x.lua", "../shared/x.py"),
    ("./2d/conv-net.lua", "_2d/conv_net.py"), ("data/class.lua", "data/class_.py")])
def test_python_path_maps_every_part(lua, python):
    assert python_path(lua) == python


def test_python_module_name():
    assert [python_module_name(n) for n in ("sgd-cifar", "3layers", "ok_name", "a.b", "def")] == [
        "sgd_cifar", "_3layers", "ok_name", "a_b", "def_"]
