"""compat.lua.string's pattern functions against Lua 5.1's rules (reference manual §5.4.1), worked by hand."""
import pytest

from compat import lua

S = lua.string


def test_find_plain_and_special_characters_as_literals():
    assert S.find("abc 123 def", "%d+") == (5, 7)
    assert S.find("a*b", "*", 1, True) == (2, 2)
    assert S.find("a*b", "*") == (2, 2)            # a '*' with nothing before it is a plain character
    assert S.find("a+b", "+", 1, True) == (2, 2) and S.find("a+b", "%+") == (2, 2)
    assert S.find("[x]", "[", 1, True) == (1, 1)
    assert S.find("abc", "xyz") is None


def test_find_init_positions():
    assert S.find("abcabc", "b", 3) == (5, 5)
    assert S.find("abcabc", "b", -2) == (5, 5)       # -2 is position 5
    assert S.find("abc", "", 4) == (4, 3)            # the empty match just past the end
    assert S.find("abc", "", 5) is None              # LuaJIT: an init beyond #s + 1 finds nothing
    assert S.find("abc", "a", -100) == (1, 1)        # clamped to 1


def test_captures_and_position_captures():
    assert S.find("abc 123", "(%d+)") == (5, 7, "123")
    assert S.find("hello", "()ll()") == (3, 4, 3, 5)
    assert S.match("2024-01-15", "(%d+)-(%d+)-(%d+)") == ("2024", "01", "15")
    assert S.match("key = 10", "(%w+)%s*=%s*(%w+)") == ("key", "10")
    assert S.match("abc", "%d") is None
    assert S.match("x12", "%d+") == "12"
    assert S.match("hello", "()") == 1


def test_a_repeat_applies_to_one_character_class_only():
    # '(ab)*': the '*' after ')' is a literal star, not a repeat of the capture
    assert S.match("ababx", "(ab)*") is None
    assert S.match("ab*", "(ab)*") == "ab"


def test_greedy_lazy_optional():
    assert S.match("<a><b>", "<(.-)>") == "a"
    assert S.match("<a><b>", "<(.*)>") == "a><b"
    assert S.gsub("color colour", "colou?r", "C") == ("C C", 2)
    assert S.match("  trim me  ", "^%s*(.-)%s*$") == "trim me"
    assert S.match("aaa", "a-") == ""                # '-' takes as few as possible
    assert S.match("aaab", "a+b") == "aaab"


def test_anchors():
    assert S.find("abc", "^b") is None
    assert S.match("abc", "c$") == "c"
    assert S.find("a$c", "$c") == (2, 3)             # '$' not at the end is a plain character
    assert S.match("file_40.t7", "_(%d+)%.t7$") == "40"


def test_sets_and_classes():
    assert S.match("x-y", "[%-]") == "-"
    assert S.match("a]b", "[]]") == "]"              # ']' first in a set is a member
    assert S.match("abc", "[^ab]") == "c"
    assert S.match("Z9", "[A-Z]%d") == "Z9"
    assert S.match("data/to/train.lua", "([^/]+)$") == "train.lua"
    assert S.match("a1 B2", "%u%d") == "B2"
    assert S.match("tab\there", "%s") == "\t"
    assert S.match("ab12", "%D+") == "ab" and S.match("..ab", "%P+") == "ab"
    assert S.match("x\0y", "%z") == "\0"


def test_balance_frontier_and_back_reference():
    assert S.match("f(a(b)c) d", "%b()") == "(a(b)c)"
    assert S.gsub("THE (quick) fox", "%f[%a]%a+", "X") == ("X (X) X", 3)
    assert S.match('say "hi" ok', "([\"'])(.-)%1") == ('"', "hi")


def test_gsub_string_replacements():
    assert S.gsub("hello world", "o", "0") == ("hell0 w0rld", 2)
    assert S.gsub("hello world", "(%w+)", "<%1>") == ("<hello> <world>", 2)
    assert S.gsub("abc", "", "-") == ("-a-b-c-", 4)
    assert S.gsub("a  b   c", "%s+", " ", 1) == ("a b   c", 1)
    assert S.gsub("x=1 y=2", "(%w+)=(%w+)", "%2=%1") == ("1=x 2=y", 2)
    assert S.gsub("abc", "%w", "%1%1") == ("aabbcc", 3)   # %1 without captures is the whole match
    assert S.gsub("22%", "%%", " percent") == ("22 percent", 1)
    assert S.gsub("aaa", "^a", "b") == ("baa", 1)
    assert S.gsub("a a a", "a", "b", 2) == ("b b a", 2)


def test_gsub_table_and_function_replacements():
    assert S.gsub("$name is $age", "%$(%w+)", lua.Table(name="Bob", age=27)) == ("Bob is 27", 2)
    assert S.gsub("1 2 3", "%d", lambda d: lua.mul(d, 3)) == ("3 6 9", 3)
    assert S.gsub("abc", "b", lambda *_: None) == ("abc", 1)
    assert S.gsub("abc", "b", lambda *_: False) == ("abc", 1)
    assert S.gsub("hello", "()l", lambda p: p) == ("he34o", 2)
    with pytest.raises(lua.LuaError, match="invalid replacement value"):
        S.gsub("abc", "b", lambda *_: lua.Table())


def test_gmatch():
    assert list(S.gmatch("a bb ccc", "%a+")) == ["a", "bb", "ccc"]
    assert list(S.gmatch("k1=v1,k2=v2", "(%w+)=(%w+)")) == [("k1", "v1"), ("k2", "v2")]
    assert list(S.gmatch("abc", "x*")) == ["", "", "", ""]
    assert list(S.gmatch("2,12,50", "[^,]+")) == ["2", "12", "50"]


def test_malformed_patterns_are_errors():
    with pytest.raises(lua.LuaError, match="missing '\\]'"):
        S.find("a", "[a")
    with pytest.raises(lua.LuaError, match="ends with '%'"):
        S.find("a", "a%")
    with pytest.raises(lua.LuaError, match="invalid capture index"):
        S.find("a", "%1")
    with pytest.raises(lua.LuaError, match="invalid pattern capture"):
        S.match("a", "a)")
    assert S.find("a)", "a)") == (1, 2)           # ')' is not special to find: a plain search


def test_xlua_split():
    assert S.split("68,38,3,4", ",") == ["68", "38", "3", "4"]
    assert S.split("a,b,,c", ",") == ["a", "b", "", "c"]
    assert S.split(",a", ",") == ["a"]                # an empty first piece is dropped
    assert S.split("a b  c", " +") == ["a", "b", "c"]


def test_other_string_functions():
    assert S.rep("ab", 3) == "ababab" and S.rep("x", 0) == "" and S.rep("ab", 2, "-") == "ab-ab"
    assert S.byte("A") == 65 and S.byte("abc", 1, -1) == (97, 98, 99) and S.byte("abc", 4) == ()
    assert S.char(72, 105) == "Hi" and S.reverse("xyz") == "zyx"
    assert S.upper("MiXeD") == "MIXED" and S.lower("MiXeD") == "mixed" and S.len("a\0b") == 3
    assert S.sub("lua scripts", 2, 4) == "ua " and S.sub("lua scripts", -3) == "pts"
    assert S.sub("lua scripts", 0) == "lua scripts" and S.sub("lua scripts", 3, 2) == ""
    assert S.sub(12345, 2, 3) == "23"                 # a number argument is its string
