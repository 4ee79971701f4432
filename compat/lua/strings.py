"""Lua's ``string`` library over Python ``str``: positions are 1-based and inclusive, negative from
the end; patterns are Lua patterns, matched by :class:`_Matcher`, a matcher written after the
algorithm of Lua 5.1's ``lstrlib.c`` (backtracking over the pattern text, no regular expressions):
classes ``%a %c %d %l %p %s %u %w %x %z`` (upper case for the complement, ASCII as in the C
locale), sets ``[...]`` and ``[^...]``, repeats ``* + - ?`` of a single class, anchors ``^ $``,
captures ``(...)`` and position captures ``()``, back references ``%1``, ``%bxy`` and frontiers ``%f[set]``.

``string.format('%d items', n)`` is :func:`format` (LuaJIT's conversions: :mod:`compat.numformat`);
a method call ``s:upper()`` is ``string.upper(s)``. ``string.split`` is xlua's. Everything is
reachable as ``compat.lua.string.<name>``.
"""
from compat.lua.meta import lookup
from compat.lua.values import LuaError, coerce_number, first, tostring
from compat.lua.values import type as _kind
from compat.numformat import format_number

__all__ = ["string"]

_SPECIALS = set("^$*+?.([%-")
_MAX_CAPTURES = 32
_UNFINISHED = -1
_POSITION = -2


def _is_class(code, letter):
    lower = letter.lower()
    if lower == "a":
        result = 65 <= code <= 90 or 97 <= code <= 122
    elif lower == "c":
        result = code < 32 or code == 127
    elif lower == "d":
        result = 48 <= code <= 57
    elif lower == "l":
        result = 97 <= code <= 122
    elif lower == "p":
        result = 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126
    elif lower == "s":
        result = code == 32 or 9 <= code <= 13
    elif lower == "u":
        result = 65 <= code <= 90
    elif lower == "w":
        result = 48 <= code <= 57 or 65 <= code <= 90 or 97 <= code <= 122
    elif lower == "x":
        result = 48 <= code <= 57 or 65 <= code <= 70 or 97 <= code <= 102
    elif lower == "z":
        result = code == 0
    else:                                    # an escaped character stands for itself
        return ord(letter) == code
    return result if letter.islower() else not result


class _Matcher:
    """One match attempt of a Lua pattern on a subject: positions are 0-based indices of ``src``."""

    def __init__(self, src, pattern):
        self.src, self.pat = src, pattern
        self.captures = []                   # [start, length or _UNFINISHED / _POSITION]

    # -- pattern items
    def class_end(self, p):
        pat, n = self.pat, len(self.pat)
        c = pat[p]
        p += 1
        if c == "%":
            if p >= n:
                raise LuaError("malformed pattern (ends with '%')")
            return p + 1
        if c == "[":
            if p < n and pat[p] == "^":
                p += 1
            while True:                      # the first character after [ or [^ is always a member
                if p >= n:
                    raise LuaError("malformed pattern (missing ']')")
                c = pat[p]
                p += 1
                if c == "%" and p < n:
                    p += 1                   # an escaped character, %] included
                if p < n and pat[p] == "]":
                    return p + 1
        return p

    def in_set(self, code, p, ec):
        """Whether the character ``code`` belongs to the set ``pat[p] == '['`` .. ``pat[ec] == ']'``."""
        pat = self.pat
        member = True
        if pat[p + 1] == "^":
            member = False
            p += 1
        p += 1
        while p < ec:
            if pat[p] == "%":
                p += 1
                if _is_class(code, pat[p]):
                    return member
            elif p + 2 < ec and pat[p + 1] == "-":
                if ord(pat[p]) <= code <= ord(pat[p + 2]):
                    return member
                p += 2
            elif ord(pat[p]) == code:
                return member
            p += 1
        return not member

    def single(self, s, p, ep):
        if s >= len(self.src):
            return False
        code = ord(self.src[s])
        c = self.pat[p]
        if c == ".":
            return True
        if c == "%":
            return _is_class(code, self.pat[p + 1])
        if c == "[":
            return self.in_set(code, p, ep - 1)
        return ord(c) == code

    # -- matching
    def match(self, s, p):
        """The end of a match of ``pat[p:]`` starting at ``src[s]``, or None."""
        src, pat = self.src, self.pat
        n = len(pat)
        while True:
            if p == n:
                return s
            c = pat[p]
            if c == "(":
                if p + 1 < n and pat[p + 1] == ")":
                    return self.start_capture(s, p + 2, _POSITION)
                return self.start_capture(s, p + 1, _UNFINISHED)
            if c == ")":
                return self.end_capture(s, p + 1)
            if c == "%" and p + 1 < n:
                letter = pat[p + 1]
                if letter == "b":
                    s = self.balance(s, p + 2)
                    if s is None:
                        return None
                    p += 4
                    continue
                if letter == "f":
                    p += 2
                    if p >= n or pat[p] != "[":
                        raise LuaError("missing '[' after '%f' in pattern")
                    ep = self.class_end(p)
                    before = ord(src[s - 1]) if s > 0 else 0
                    here = ord(src[s]) if s < len(src) else 0
                    if self.in_set(before, p, ep - 1) or not self.in_set(here, p, ep - 1):
                        return None
                    p = ep
                    continue
                if letter.isdigit():
                    s = self.back_reference(s, letter)
                    if s is None:
                        return None
                    p += 2
                    continue
            if c == "$" and p + 1 == n:
                return s if s == len(src) else None
            ep = self.class_end(p)
            matched = self.single(s, p, ep)
            suffix = pat[ep] if ep < n else ""
            if suffix == "?":
                if matched:
                    end = self.match(s + 1, ep + 1)
                    if end is not None:
                        return end
                p = ep + 1
                continue
            if suffix == "*":
                return self.max_expand(s, p, ep)
            if suffix == "+":
                return self.max_expand(s + 1, p, ep) if matched else None
            if suffix == "-":
                return self.min_expand(s, p, ep)
            if not matched:
                return None
            s, p = s + 1, ep

    def max_expand(self, s, p, ep):
        count = 0
        while self.single(s + count, p, ep):
            count += 1
        while count >= 0:                    # the longest repeat first, then shorter ones
            end = self.match(s + count, ep + 1)
            if end is not None:
                return end
            count -= 1
        return None

    def min_expand(self, s, p, ep):
        while True:
            end = self.match(s, ep + 1)
            if end is not None:
                return end
            if not self.single(s, p, ep):
                return None
            s += 1

    def start_capture(self, s, p, what):
        if len(self.captures) >= _MAX_CAPTURES:
            raise LuaError("too many captures")
        self.captures.append([s, what])
        end = self.match(s, p)
        if end is None:
            self.captures.pop()
        return end

    def end_capture(self, s, p):
        for level in range(len(self.captures) - 1, -1, -1):
            if self.captures[level][1] == _UNFINISHED:
                break
        else:
            raise LuaError("invalid pattern capture")
        self.captures[level][1] = s - self.captures[level][0]
        end = self.match(s, p)
        if end is None:
            self.captures[level][1] = _UNFINISHED
        return end

    def balance(self, s, p):
        if p + 1 >= len(self.pat):
            raise LuaError("missing arguments to '%b'")
        src = self.src
        if s >= len(src) or src[s] != self.pat[p]:
            return None
        opening, closing = self.pat[p], self.pat[p + 1]
        depth = 1
        s += 1
        while s < len(src):
            if src[s] == closing:
                depth -= 1
                if depth == 0:
                    return s + 1
            elif src[s] == opening:
                depth += 1
            s += 1
        return None

    def back_reference(self, s, digit):
        level = int(digit) - 1
        if level < 0 or level >= len(self.captures) or self.captures[level][1] == _UNFINISHED:
            raise LuaError(f"invalid capture index %{digit}")
        start, length = self.captures[level]
        text = self.src[start:start + length]
        return s + len(text) if self.src.startswith(text, s) else None

    # -- results
    def capture(self, i, s, e):
        """Capture ``i`` (0-based) of the match ``src[s:e]``: a string or a 1-based position."""
        if i >= len(self.captures):
            if i == 0:
                return self.src[s:e]         # no explicit capture: the whole match
            raise LuaError(f"invalid capture index %{i + 1}")
        start, length = self.captures[i]
        if length == _UNFINISHED:
            raise LuaError("unfinished capture")
        if length == _POSITION:
            return start + 1
        return self.src[start:start + length]

    def all_captures(self, s, e, whole=True):
        count = len(self.captures) if self.captures or not whole else 1
        return tuple(self.capture(i, s, e) for i in range(count))


def _string_arg(value, name, position=1):
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return tostring(value)
    raise LuaError(f"bad argument #{position} to '{name}' (string expected, got {_kind(value)})")


def _int_arg(value, name, position, default=None):
    if value is None and default is not None:
        return default
    number = coerce_number(value)
    if number is None:
        raise LuaError(f"bad argument #{position} to '{name}' (number expected, got {_kind(value)})")
    return int(number)


def _single(values):
    return values[0] if len(values) == 1 else values


def _find(s, pattern, init, plain, find):
    name = "find" if find else "match"
    s, pattern = _string_arg(s, name), _string_arg(pattern, name, 2)
    start = _int_arg(init, name, 3, 1)
    start = len(s) + start if start < 0 else start - 1
    start = max(start, 0)
    if start > len(s):
        return None                          # LuaJIT: an init past the end finds nothing
    if find and (plain or not _SPECIALS.intersection(pattern)):
        position = s.find(pattern, start)
        return None if position < 0 else (position + 1, position + len(pattern))
    anchored = pattern.startswith("^")
    p = 1 if anchored else 0
    for s1 in range(start, len(s) + 1):
        matcher = _Matcher(s, pattern)
        end = matcher.match(s1, p)
        if end is not None:
            if find:
                return (s1 + 1, end, *matcher.all_captures(s1, end, whole=False))
            return _single(matcher.all_captures(s1, end))
        if anchored:
            break
    return None


def find(s, pattern, init=1, plain=False):
    """``string.find(s, pattern [, init [, plain]])``: ``(start, end, captures...)``, 1-based and
    inclusive, or None (nil)."""
    return _find(s, pattern, init, plain is not None and plain is not False, True)


def match(s, pattern, init=1):
    """``string.match``: the captures (a tuple when several) or the whole match, or None."""
    return _find(s, pattern, init, False, False)


def gmatch(s, pattern):
    """``string.gmatch``: an iterator over the matches (the capture, or a tuple of captures). As in
    Lua 5.1, ``^`` is not an anchor here."""
    s, pattern = _string_arg(s, "gmatch"), _string_arg(pattern, "gmatch", 2)
    position = 0
    while position <= len(s):
        matcher = _Matcher(s, pattern)
        end = matcher.match(position, 0)
        if end is None:
            position += 1
            continue
        yield _single(matcher.all_captures(position, end))
        position = end + 1 if end == position else end


def _table_get(table, key):
    if isinstance(table, dict):
        return lookup(table, key, lambda handler, k: getattr(handler, k, None) if isinstance(k, str) else None)
    if isinstance(table, (list, tuple)):
        number = coerce_number(key) if not isinstance(key, str) else None
        return table[int(number) - 1] if number is not None and number == int(number) \
            and 1 <= number <= len(table) else None
    return getattr(table, key, None) if isinstance(key, str) else None


def _replacement(matcher, repl, s, e):
    whole = matcher.src[s:e]
    if isinstance(repl, str):
        out, i = [], 0
        while i < len(repl):
            c = repl[i]
            if c == "%" and i + 1 < len(repl):
                i += 1
                d = repl[i]
                if d == "0":
                    out.append(whole)
                elif d.isdigit():
                    out.append(tostring(matcher.capture(int(d) - 1, s, e)))
                else:
                    out.append(d)
            else:
                out.append(c)
            i += 1
        return "".join(out)
    if isinstance(repl, (dict, list, tuple)):
        value = _table_get(repl, matcher.capture(0, s, e))
    else:
        value = first(repl(*matcher.all_captures(s, e)))
    if value is None or value is False:
        return whole
    if isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return tostring(value)
    raise LuaError(f"invalid replacement value (a {_kind(value)})")


def gsub(s, pattern, repl, n=None):
    """``string.gsub(s, pattern, repl [, n])``: ``(new string, number of matches)``. ``repl`` is a
    string (``%0`` the match, ``%1``.. the captures, ``%%`` a percent sign), a table (indexed by the
    first capture) or a function of the captures; a nil or false replacement keeps the match."""
    s, pattern = _string_arg(s, "gsub"), _string_arg(pattern, "gsub", 2)
    if isinstance(repl, (int, float)) and not isinstance(repl, bool):
        repl = tostring(repl)
    if not (isinstance(repl, (str, dict, list, tuple)) or callable(repl)):
        raise LuaError(f"bad argument #3 to 'gsub' (string/function/table expected, got {_kind(repl)})")
    limit = len(s) + 1 if n is None else _int_arg(n, "gsub", 4)
    anchored = pattern.startswith("^")
    p = 1 if anchored else 0
    out, position, count = [], 0, 0
    while count < limit:
        matcher = _Matcher(s, pattern)
        end = matcher.match(position, p)
        if end is not None:
            count += 1
            out.append(_replacement(matcher, repl, position, end))
        if end is not None and end > position:
            position = end
        elif position < len(s):
            out.append(s[position])
            position += 1
        else:
            break
        if anchored:
            break
    out.append(s[position:])
    return "".join(out), count


def sub(s, i=1, j=-1):
    """``string.sub(s, i [, j])``: characters ``i..j`` inclusive, 1-based, negative from the end."""
    s = _string_arg(s, "sub")
    n = len(s)
    i, j = _int_arg(i, "sub", 2, 1), _int_arg(j, "sub", 3, -1)
    i = n + i + 1 if i < 0 else i
    j = n + j + 1 if j < 0 else j
    i, j = max(i, 1), min(j, n)
    return s[i - 1:j] if i <= j else ""


def _quoted(text):
    out = ['"']
    for k, c in enumerate(text):
        code = ord(c)
        if c in '"\\':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\\n")
        elif code < 32 or code == 127:
            follows_digit = k + 1 < len(text) and text[k + 1].isdigit()
            out.append(f"\\{code:03d}" if follows_digit else f"\\{code}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _format_number_arg(value, position):
    number = coerce_number(value)
    if number is None:
        raise LuaError(f"bad argument #{position} to 'format' (number expected, got {_kind(value)})")
    return number


def format(fmt, *args):
    """``string.format``: C's directives as LuaJIT runs them: ``%d %i %u %c %o %x %X %e %E %f %g %G
    %q %s %%`` with flags ``- + space # 0``, a width and a precision. ``%d`` of ``3.7`` is ``3``
    (truncated); ``%s`` of any value is its ``tostring``; ``%q`` quotes a string so that Lua reads it
    back (control characters as ``\\ddd``, a newline as a backslash-newline)."""
    fmt = _string_arg(fmt, "format")
    out, i, k = [], 0, 0
    n = len(fmt)
    while i < n:
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        i += 1
        if i < n and fmt[i] == "%":
            out.append("%")
            i += 1
            continue
        start = i
        while i < n and fmt[i] in "-+ #0":
            i += 1
        flags = fmt[start:i]
        width_start = i
        while i < n and fmt[i].isdigit():
            i += 1
        width = int(fmt[width_start:i]) if i > width_start else None
        precision = None
        if i < n and fmt[i] == ".":
            i += 1
            precision_start = i
            while i < n and fmt[i].isdigit():
                i += 1
            precision = int(fmt[precision_start:i] or "0")
        if i >= n:
            raise LuaError(f"invalid option '%{fmt[start:]}' to 'format'")
        conv = fmt[i]
        i += 1
        if k >= len(args):
            raise LuaError(f"bad argument #{k + 2} to 'format' (no value)")
        value = args[k]
        k += 1
        if conv in "diuoxXceEfFgGaA":
            out.append(format_number(_format_number_arg(value, k + 1), conv, flags, width, precision))
        elif conv == "s":
            text = tostring(value)
            if precision is not None:
                text = text[:precision]
            out.append(text.ljust(width or 0) if "-" in flags else text.rjust(width or 0))
        elif conv == "q":
            out.append(_quoted(_string_arg(value, "format", k + 1)))
        else:
            raise LuaError(f"invalid option '%{conv}' to 'format'")
    return "".join(out)


def rep(s, n, sep=""):
    """``string.rep(s, n [, sep])`` (LuaJIT takes a separator, as Lua 5.2 does)."""
    n = _int_arg(n, "rep", 2)
    return _string_arg(sep, "rep", 3).join([_string_arg(s, "rep")] * n) if n > 0 else ""


def byte(s, i=1, j=None):
    """``string.byte(s [, i [, j]])``: the codes of characters ``i..j`` (one value, several as a
    tuple, none as an empty tuple)."""
    i = _int_arg(i, "byte", 2, 1)
    chars = sub(s, i, i if j is None else _int_arg(j, "byte", 3))
    codes = tuple(ord(c) for c in chars)
    return codes[0] if len(codes) == 1 else codes


def char(*codes):
    """``string.char(...)``: the string of the given character codes (0..255)."""
    out = []
    for position, code in enumerate(codes, 1):
        number = _int_arg(code, "char", position)
        if not 0 <= number <= 255:
            raise LuaError(f"bad argument #{position} to 'char' (invalid value {number})")
        out.append(chr(number))
    return "".join(out)


def split(s, pattern):
    """xlua's ``string.split(str, pat)``: the pieces of ``str`` between the matches of the Lua
    pattern ``pat`` (an empty first piece is dropped, a trailing one is not produced), as a list."""
    s = _string_arg(s, "split")
    pieces, last_end = [], 1
    found = find(s, "(.-)" + pattern, 1)
    while found is not None:
        start, end, piece = found[0], found[1], found[2]
        if start != 1 or piece != "":
            pieces.append(piece)
        last_end = end + 1
        found = find(s, "(.-)" + pattern, last_end)
    if last_end <= len(s):
        pieces.append(s[last_end - 1:])
    return pieces


class _StringLibrary:
    """Lua's ``string`` library (also the methods of strings: ``s:upper()``), with xlua's ``split``."""

    find = staticmethod(find)
    match = staticmethod(match)
    strmatch = staticmethod(match)
    gmatch = staticmethod(gmatch)
    gfind = staticmethod(gmatch)
    gsub = staticmethod(gsub)
    sub = staticmethod(sub)
    format = staticmethod(format)
    rep = staticmethod(rep)
    byte = staticmethod(byte)
    char = staticmethod(char)
    split = staticmethod(split)

    @staticmethod
    def len(s):
        return len(_string_arg(s, "len"))

    @staticmethod
    def upper(s):
        return "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in _string_arg(s, "upper"))

    @staticmethod
    def lower(s):
        return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in _string_arg(s, "lower"))

    @staticmethod
    def reverse(s):
        return _string_arg(s, "reverse")[::-1]


string = _StringLibrary()
