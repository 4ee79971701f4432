"""Lua's ``string`` library over Python ``str``: positions are 1-based and inclusive, negative from
the end; patterns are Lua patterns (``%d``, ``%a``, ``[%w_]``, ``-`` for a lazy repeat, ...).

``string.format('%d items', n)`` is :func:`format`; a method call ``s:upper()`` is
``string.upper(s)``. Everything is reachable as ``compat.lua.string.<name>``.
"""
import functools
import re

from compat.lua.values import tostring

__all__ = ["string"]

_CLASSES = {
    "a": "A-Za-z", "d": "0-9", "l": "a-z", "s": " \\t\\n\\r\\f\\v", "u": "A-Z", "w": "A-Za-z0-9",
    "x": "A-Fa-f0-9", "p": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"), "c": "\\x00-\\x1f\\x7f",
}


def _class(letter):
    body = _CLASSES.get(letter.lower())
    if body is None:
        return None
    return ("[^" if letter.isupper() else "[") + body + "]"


def _set(pattern, i):
    # A Lua set [...] starting at pattern[i] == '['; returns (python set, index after ']').
    i += 1
    out = "["
    if i < len(pattern) and pattern[i] == "^":
        out, i = "[^", i + 1
    first = True
    while i < len(pattern) and (pattern[i] != "]" or first):
        c = pattern[i]
        first = False
        if c == "%" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            cls = _CLASSES.get(nxt.lower())
            if cls is not None and nxt.islower():
                out += cls
            elif cls is not None:
                raise ValueError(f"Lua pattern {pattern!r}: a complemented class %{nxt} inside [] is not supported")
            else:
                out += re.escape(nxt)
            i += 2
        elif i + 2 < len(pattern) and pattern[i + 1] == "-" and pattern[i + 2] != "]":
            out += re.escape(c) + "-" + re.escape(pattern[i + 2])
            i += 3
        else:
            out += re.escape(c)
            i += 1
    if i >= len(pattern):
        raise ValueError(f"malformed Lua pattern {pattern!r} (missing ']')")
    return out + "]", i + 1


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern):
    """The Python regular expression of a Lua pattern (``%b`` and ``%f`` are refused)."""
    out = []
    i = 0
    if pattern.startswith("^"):
        out.append("\\A")
        i = 1
    while i < len(pattern):
        c = pattern[i]
        if c == "%":
            if i + 1 >= len(pattern):
                raise ValueError(f"malformed Lua pattern {pattern!r} (ends with '%')")
            nxt = pattern[i + 1]
            if nxt in "bf":
                raise ValueError(f"Lua pattern {pattern!r}: %{nxt} is not supported")
            out.append(_class(nxt) or ("\\" + nxt if nxt.isdigit() else re.escape(nxt)))
            i += 2
        elif c == "[":
            piece, i = _set(pattern, i)
            out.append(piece)
        elif c == "$" and i == len(pattern) - 1:
            out.append("\\Z")
            i += 1
        elif c == "(" and pattern[i + 1:i + 2] == ")":
            raise ValueError(f"Lua pattern {pattern!r}: position captures () are not supported")
        elif c in "()":
            out.append(c)
            i += 1
        elif c == ".":
            out.append(".")
            i += 1
        elif c in "*+?":
            out.append(c)
            i += 1
        elif c == "-" and out:
            out.append("*?")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out), re.DOTALL)


def _start(s, init):
    # Lua's init: 1-based, negative from the end, clamped to 1.
    init = int(init)
    if init < 0:
        init = max(len(s) + init + 1, 1)
    return max(init, 1) - 1


def _captures(m):
    return m.groups() if m.re.groups else (m.group(0),)


def find(s, pattern, init=1, plain=False):
    """``string.find``: ``(start, end, captures...)`` 1-based inclusive, or None (nil)."""
    s = tostring(s)
    start = _start(s, init)
    if start > len(s):
        return None
    if plain or not any(ch in pattern for ch in "^$*+?.([%-"):
        pos = s.find(pattern, start)
        return None if pos < 0 else (pos + 1, pos + len(pattern))
    m = compile_pattern(pattern).search(s, start)
    if m is None:
        return None
    return (m.start() + 1, m.end(), *m.groups())


def match(s, pattern, init=1):
    """``string.match``: the captures (a tuple when several) or the whole match, or None."""
    s = tostring(s)
    m = compile_pattern(pattern).search(s, _start(s, init))
    if m is None:
        return None
    caps = _captures(m)
    return caps[0] if len(caps) == 1 else caps


def gmatch(s, pattern):
    """``string.gmatch``: an iterator over the matches (the capture, or a tuple of captures)."""
    for m in compile_pattern(pattern).finditer(tostring(s)):
        caps = _captures(m)
        yield caps[0] if len(caps) == 1 else caps


def gsub(s, pattern, repl, n=None):
    """``string.gsub``: ``(new string, number of substitutions)``. ``repl`` is a string (``%1``,
    ``%0``, ``%%``), a table (indexed by the first capture) or a function of the captures."""
    from compat.lua.tables import index
    s = tostring(s)
    count = 0

    def substitute(m):
        nonlocal count
        if n is not None and count >= n:
            return m.group(0)
        count += 1
        caps = _captures(m)
        if isinstance(repl, str):
            out, i = [], 0
            while i < len(repl):
                if repl[i] == "%" and i + 1 < len(repl):
                    d = repl[i + 1]
                    out.append(m.group(0) if d == "0" else caps[int(d) - 1] if d.isdigit() else d)
                    i += 2
                else:
                    out.append(repl[i])
                    i += 1
            return "".join(out)
        value = index(repl, caps[0]) if isinstance(repl, (dict, list)) else repl(*caps)
        return m.group(0) if value is None or value is False else tostring(value)

    return compile_pattern(pattern).sub(substitute, s), count


def sub(s, i=1, j=-1):
    """``string.sub(s, i [, j])``: characters ``i..j`` inclusive, 1-based, negative from the end."""
    s = tostring(s)
    n = len(s)
    i, j = int(i), int(j)
    i = n + i + 1 if i < 0 else i
    j = n + j + 1 if j < 0 else j
    i, j = max(i, 1), min(j, n)
    return s[i - 1:j] if i <= j else ""


def _format_arg(spec, value):
    if spec in "dic" and isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"bad argument to 'format' (number has no integer representation: {value!r})")
        value = int(value)
    if spec == "c":
        return chr(int(value))
    if spec == "s":
        return tostring(value)
    if spec == "q":
        return '"' + tostring(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return value


def format(fmt, *args):
    """``string.format``: C-style ``%d %5.2f %s %q %x %g %%``; ``%s`` of a number is Lua's ``tostring``."""
    out, i, k = [], 0, 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        j = i + 1
        while j < len(fmt) and fmt[j] in "-+ #0123456789.":
            j += 1
        if j >= len(fmt):
            raise ValueError(f"invalid format string {fmt!r} (ends with '%')")
        spec = fmt[j]
        if spec == "%":
            out.append("%")
        else:
            if k >= len(args):
                raise ValueError(f"bad argument #{k + 2} to 'format' (no value)")
            conv = "s" if spec in "sq" else ("d" if spec == "i" else spec)
            out.append(("%" + fmt[i + 1:j] + conv) % _format_arg(spec, args[k]))
            k += 1
        i = j + 1
    return "".join(out)


def rep(s, n, sep=""):
    """``string.rep(s, n [, sep])``."""
    n = int(n)
    return sep.join([tostring(s)] * n) if n > 0 else ""


class _StringLibrary:
    """Lua's ``string`` library (also the methods of strings: ``s:upper()``)."""

    find = staticmethod(find)
    match = staticmethod(match)
    gmatch = staticmethod(gmatch)
    gsub = staticmethod(gsub)
    sub = staticmethod(sub)
    format = staticmethod(format)
    rep = staticmethod(rep)

    @staticmethod
    def len(s):
        return len(tostring(s))

    @staticmethod
    def upper(s):
        return tostring(s).upper()

    @staticmethod
    def lower(s):
        return tostring(s).lower()

    @staticmethod
    def reverse(s):
        return tostring(s)[::-1]

    @staticmethod
    def byte(s, i=1, j=None):
        chars = sub(s, i, i if j is None else j)
        codes = tuple(ord(c) for c in chars)
        return codes[0] if len(codes) == 1 else codes

    @staticmethod
    def char(*codes):
        return "".join(chr(int(c)) for c in codes)


string = _StringLibrary()
