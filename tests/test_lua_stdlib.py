"""Lua's io, os and math libraries in compat.lua; expected values from Lua 5.1's manual (§5.6-5.8) and C's
libm, worked by hand."""
import math

import pytest

from compat import lua


def test_file_write_and_read_formats(tmp_path):
    path = str(tmp_path / "f.txt")
    f = lua.io.open(path, "w")
    assert f.write("x ", 1 / 3, " ", 26, "\n", "  42.5 rest\nlast line\nno newline") is f
    f.close()
    f = lua.io.open(path, "r")
    assert f.read("*l") == "x 0.33333333333333 26"
    assert f.read("*n") == 42.5 and f.read(5) == " rest" and f.read("*L") == "\n"
    assert f.read("*l", "*l") == ("last line", "no newline")
    assert f.read("*l") is None and f.read("*a") == "" and f.read(0) is None
    f.close()
    assert list(lua.io.open(path).lines("*l"))[1] == "  42.5 rest"
    assert list(lua.io.lines(path))[-1] == "no newline"
    missing = lua.io.open(str(tmp_path / "none.txt"))
    assert missing[0] is None and "none.txt" in missing[1]
    with pytest.raises(lua.LuaError, match="invalid mode"):
        lua.io.open(path, "q")


def test_io_write_formats_numbers(capsys):
    lua.io.write(1 / 3, " ", 2 ** 53, " ", -0.0, " ", 77 / 2, "\n")
    assert capsys.readouterr().out == "0.33333333333333 9.007199254741e+15 -0 38.5\n"


def test_os_functions(tmp_path):
    assert isinstance(lua.os.time(), int) and isinstance(lua.os.clock(), float)
    assert lua.os.time(lua.Table(year=2000, month=1, day=1, hour=0)) == lua.os.time(
        lua.Table(year=1999, month=12, day=31, hour=24))
    when = lua.os.date("*t", 0)
    assert when.year in (1969, 1970) and lua.os.date("!%Y-%m-%d", 86400) == "1970-01-02"
    assert lua.os.getenv("SURELY_NOT_SET_41") is None
    name = lua.os.tmpname()
    assert lua.os.rename(name, name + ".2") is True and lua.os.remove(name + ".2") is True
    gone = lua.os.remove(name)
    assert gone[0] is None and name in gone[1]
    assert lua.os.difftime(10, 4) == 6


def test_math_library():
    m = lua.math
    assert m.floor(1.125) == 1 and m.ceil(1.125) == 2 and m.floor(-1.125) == -2 and m.ceil(-1.125) == -1
    assert m.floor(math.inf) == math.inf and m.floor("2.5") == 2
    assert lua.tostring(m.ceil(-0.5)) == "-0" and lua.tostring(m.floor(-0.0)) == "-0" and m.ceil(0.5) == 1
    assert lua.tostring(m.fmod(-6, 3)) == "-0" and lua.tostring(m.fmod(6, 3)) == "0"
    assert m.max(-7, -2, 3) == 3 and m.min(-7, -2, 3) == -7 and m.max("3", 2) == 3
    assert m.fmod(-7, 3) == -1 and m.fmod(7, -3) == 1 and m.fmod(1.125, 1) == 0.125 and math.isnan(m.fmod(1, 0))
    assert m.modf(1.125) == (1, 0.125) and m.modf(-1.125) == (-1, -0.125) and m.modf(math.inf) == (math.inf, 0.0)
    assert m.frexp(8) == (0.5, 4) and m.ldexp(0.5, 4) == 8.0
    assert m.log(8, 2) == 3.0 and m.log10(1000) == 3.0 and m.log(0) == -math.inf and math.isnan(m.log(-1))
    assert math.isnan(m.sqrt(-1)) and m.sqrt(16) == 4.0 and m.pow(2, 7) == 128 and m.exp(1000) == math.inf
    assert m.huge == math.inf and m.pi == math.pi and m.abs("-3") == 3
    with pytest.raises(lua.LuaError, match="bad argument #1 to 'floor'"):
        m.floor(None)
