"""Lua values in compat.lua and compat.numformat: LuaJIT's number formatting, tonumber, arithmetic with
string coercion, comparison, concatenation. Expected values follow Lua 5.1/LuaJIT's rules, worked by hand
(a tie such as 0.5 -> '%.0f' is decided on the exact binary value of the double, away from zero)."""
import math
import runpy

import pytest

from compat import lua
from compat.numformat import format_g14, format_number


def test_tostring_is_g14_with_ties_away_from_zero():
    assert format_g14(0.1 + 0.2) == "0.3" and format_g14(1 / 3) == "0.33333333333333"
    assert format_g14(100 * 1.1) == "110" and format_g14(2 ** 53) == "9.007199254741e+15"
    assert format_g14(123456789012345) == "1.2345678901235e+14"      # ...345 is an exact tie
    assert format_g14(1e15) == "1e+15" and format_g14(1e-5) == "1e-05" and format_g14(1e20) == "1e+20"
    assert format_g14(-0.0) == "-0" and format_g14(math.inf) == "inf" and format_g14(-math.inf) == "-inf"
    assert format_g14(math.copysign(math.nan, -1)) == "nan" and format_g14(math.nan) == "nan"   # no sign shown
    assert format_g14(5e-324) == "4.9406564584125e-324"
    assert format_g14(10 ** 400) == "inf"                            # beyond a double


def test_fixed_and_exponent_conversions():
    assert [format_number(x, "f", precision=0) for x in (0.5, 1.5, 2.5, -0.5)] == ["1", "2", "3", "-1"]
    assert format_number(2.675, "f", precision=2) == "2.67"          # 2.675 is 2.67499999... in binary
    assert format_number(0.25, "f", precision=1) == "0.3"
    assert format_number(3.14159, "f", width=5, precision=2) == " 3.14"
    assert format_number(-3.14159, "f", width=8, precision=4) == " -3.1416"
    assert format_number(-82.5, "f", "-", 8, 2) == "-82.50  "
    assert format_number(22, "f", "+", precision=1) == "+22.0"
    assert format_number(1.0, "f", "#", precision=0) == "1."
    assert format_number(0.000123, "e") == "1.230000e-04" and format_number(0.000123, "E", precision=2) == "1.23E-04"
    assert format_number(12345.6789, "e", width=10, precision=3) == " 1.235e+04"
    assert format_number(-0.4, "f", precision=0) == "-0"
    assert format_number(math.inf, "f", "0", 6) == "   inf" and format_number(-math.nan, "f") == "nan"


def test_general_conversion():
    assert format_number(0.125, "g") == "0.125" and format_number(1e20, "g") == "1e+20"
    assert format_number(0.0001, "g") == "0.0001" and format_number(0.00001, "g") == "1e-05"
    assert format_number(100000, "g") == "100000" and format_number(1e6, "g") == "1e+06"
    assert format_number(0.125, "g", precision=3) == "0.125" and format_number(2 ** 53, "g") == "9.0072e+15"
    assert format_number(1.0, "g", "#") == "1.00000" and format_number(999999.5, "g") == "1e+06"


def test_integer_conversions():
    assert format_number(3.7, "d") == "3" and format_number(-3.7, "d") == "-3"      # truncated
    assert format_number(2 ** 31, "d") == "2147483648" and format_number(2, "d", precision=3) == "002"
    assert format_number(932, "d", "0", 5) == "00932" and format_number(-42, "d", "0", 5) == "-0042"
    assert format_number(314, "d", "+") == "+314" and format_number(314, "d", " ") == " 314"
    assert format_number(932, "d", "-", 5) == "932  "
    assert format_number(314, "x") == "13a" and format_number(314, "X") == "13A" and format_number(314, "o") == "472"
    assert format_number(255, "x", "#") == "0xff" and format_number(8, "o", "#") == "010"
    assert format_number(-1, "x") == "ffffffffffffffff" and format_number(-1, "u") == "18446744073709551615"
    assert format_number(65, "c") == "A" and format_number(2.0 ** 63, "x") == "8000000000000000"
    with pytest.raises(ValueError, match="conversion must be"):
        format_number(1, "y")


def test_string_format_directives():
    F = lua.string.format
    assert F("%5d|%-5d|%05d", 932, 932, 932) == "  932|932  |00932"
    assert F("%d %s %s", 2 ** 31, 2 ** 31, 2 ** 53) == "2147483648 2147483648 9.007199254741e+15"
    assert F("%s|%s|%s|%s", "abc", 90, True, None) == "abc|90|true|nil"
    assert F("%5s|%-5s|%.2s", "ab", "ab", "abcdef") == "   ab|ab   |ab"
    assert F("%q", 'he said "hi"\n\tok') == '"he said \\"hi\\"\\\n\\9ok"'
    assert F("%q", "\r1\0") == '"\\0131\\0"'      # a control character before a digit takes 3 digits
    assert F("%5.1f%%", 22) == " 22.0%" and F("%c%c%c", 76, 117, 97) == "Lua"
    assert F("%d", "12") == "12"                  # a numeric string is a number
    assert F("%s", lua.setmetatable(lua.Table(), lua.Table(__tostring=lambda t: "T!"))) == "T!"
    with pytest.raises(lua.LuaError, match="no value"):
        F("%d %d", 1)
    with pytest.raises(lua.LuaError, match="number expected, got string"):
        F("%d", "x")
    with pytest.raises(lua.LuaError, match="invalid option '%y'"):
        F("%y", 1)


def test_tonumber():
    T = lua.tonumber
    assert T("14") == 14 and T("0x10") == 16 and T("1e3") == 1000 and T("  5  ") == 5 and T("14.5") == 14.5
    assert T(".5") == 0.5 and T("5.") == 5 and T("-0x1p4") == -16 and T("+3") == 3
    assert T("abc") is None and T("") is None and T("1e") is None and T("0x") is None
    assert T("- 5") is None and T("1 2") is None and T("1e5x") is None and T("5 .") is None
    # LuaJIT's lj_strscan also reads inf/infinity/nan (any case) and binary after 0b
    assert T("inf") == math.inf and T(" -Infinity ") == -math.inf and math.isnan(T("NaN")) and T("info") is None
    assert T("0b101") == 5 and T("0b102") is None and T("0x1.8") == 1.5 and T("0x1e") == 30
    assert T("10", 2) == 2 and T("ff", 16) == 255 and T("FF", 16) == 255 and T("zz", 36) == 1295
    assert T("8", 8) is None and T(" -101 ", 2) == -5 and T("0x10", 16) == 16 and T("7.5", 10) == 7.5
    assert T(None) is None and T(lua.Table()) is None and T(3.5) == 3.5
    with pytest.raises(ValueError, match="base out of range"):
        T("1", 1)


def test_arithmetic_coerces_numeric_strings():
    assert lua.add("10", 1) == 11 and lua.mul("3", "4") == 12 and lua.div("69", 2) == 34.5
    assert lua.add("0x10", 0) == 16 and lua.add(" 5 ", 1) == 6 and lua.mul("1e2", 1) == 100
    assert lua.sub("3", 1) == 2 and lua.pow("2", 3) == 8 and lua.unm("2") == -2 and lua.mod("7", 3) == 1
    with pytest.raises(TypeError, match="arithmetic on a string value"):
        lua.add("x", 1)
    with pytest.raises(TypeError, match="arithmetic on a nil value"):
        lua.add(None, 1)
    with pytest.raises(lua.LuaError, match="arithmetic on a table value"):
        lua.mul(lua.Table(), 2)


def test_arithmetic_follows_doubles():
    assert lua.mod(-7, 3) == 2 and lua.mod(7, -3) == -2 and lua.mod(5.5, 2) == 1.5 and lua.mod(-5.5, 2) == 0.5
    assert math.isnan(lua.mod(1, 0))
    assert lua.div(1, 0) == math.inf and lua.div(-1, 0) == -math.inf and lua.div(7, 2) == 3.5
    nan = lua.div(0, 0)
    assert math.isnan(nan) and math.copysign(1, nan) < 0 and lua.tostring(nan) == "nan"
    assert lua.tostring(lua.mul(0, -43)) == "-0" and lua.tostring(lua.unm(0)) == "-0"
    assert lua.tostring(lua.div(0, -5)) == "-0"
    assert lua.pow(2, 10) == 1024 and lua.pow(2, -1) == 0.5 and math.isnan(lua.pow(-8, 1 / 3))
    assert lua.pow(0, -1) == math.inf and lua.pow(10, 400) == math.inf


def test_comparisons_and_equality():
    assert lua.eq(1, 1.0) and not lua.eq(10, "10") and not lua.eq(None, False)
    t = lua.Table()
    assert lua.eq(t, t) and not lua.eq(lua.Table(), lua.Table())
    assert lua.lt("a", "b") and lua.lt("Z", "a") and lua.lt("10", "9") and lua.le(2, 2)
    with pytest.raises(TypeError, match="compare number with string"):
        lua.lt(1, "2")


def test_concat_and_tostring():
    assert lua.concat(1, 2) == "12" and lua.concat("n=", 0.75) == "n=0.75" and lua.concat(-0.0, "") == "-0"
    assert lua.concat(10 / 2, "") == "5" and lua.concat(2 ** 53, "") == "9.007199254741e+15"
    with pytest.raises(TypeError, match="concatenate a nil value"):
        lua.concat("a", None)
    with pytest.raises(TypeError, match="concatenate a table value"):
        lua.concat(lua.Table(), "a")
    assert lua.tostring(True) == "true" and lua.tostring(None) == "nil" and lua.tostring(14) == "14"
    assert lua.tostring(lua.Table()).startswith("table: 0x") and lua.tostring(print).startswith("function: ")


def test_print_separates_with_tabs(capsys):
    lua.print(8, "x", None, True, False, -2.5)
    lua.print()
    assert capsys.readouterr().out == "8\tx\tnil\ttrue\tfalse\t-2.5\n\n"


def test_type_select_and_for_ranges():
    assert [lua.type(v) for v in (3, "s", lua.Table(), None, True, print)] == \
        ["number", "string", "table", "nil", "boolean", "function"]
    assert lua.select("#", 1, None, 3) == 3 and lua.select(2, "a", "b", "c") == ("b", "c")
    assert lua.select(-1, "a", "b", "c") == ("c",)
    with pytest.raises(ValueError, match="index out of range"):
        lua.select(0, "a")
    assert list(lua.range(10, 1, -2)) == [10, 8, 6, 4, 2] and list(lua.range(0, 1, 0.25)) == [0, 0.25, 0.5, 0.75, 1]
    assert list(lua.range("1", 3)) == [1, 2, 3] and list(lua.range(1, 0)) == []


def test_pcall_and_error():
    assert lua.pcall(lambda: lua.error("boom", 0)) == (False, "boom")
    ok, value = lua.pcall(lua.error, lua.Table(code=1))
    assert ok is False and value.code == 1
    assert lua.pcall(lambda x: x * 2, 1) == (True, 2) and lua.pcall(lambda: (1, 2)) == (True, 1, 2)
    ok, message = lua.pcall(lambda: lua.add(None, 1))
    assert ok is False and "arithmetic on a nil value" in message


def test_error_prefixes_the_lua_position(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        "from compat import lua\n"
        "def f():\n"
        "    lua.error('boom')  # lua 7\n"
        "def g():\n"
        "    lua.error('deep', 2)  # lua 9\n"
        "results = [lua.pcall(f), lua.pcall(lambda: g()),  # lua 12\n"
        "           lua.pcall(f), lua.pcall(lua.error, 'x')]\n")
    results = runpy.run_path(str(script))["results"]
    assert results[0] == (False, "train.lua:7: boom")       # level 1: where error was called
    assert results[1] == (False, "train.lua:12: deep")      # level 2: the caller's line
    assert results[3] == (False, "x")                       # called by pcall itself: no position


def test_integers_beyond_2_53_become_doubles():
    big = lua.mul(2 ** 53, 3)
    assert isinstance(big, float) and big == 3 * 2.0 ** 53
    assert lua.add(2 ** 53, 1) == 2.0 ** 53          # 2^53 + 1 is not a double: rounds to even
    assert lua.tostring(lua.pow(2, 63)) == "9.2233720368548e+18" and lua.add(2, 3) == 5
