"""csvigo (``require 'csvigo'``, Torch7's CSV package) as ``compat.csvigo``: ``load`` and ``save``.

Both take their arguments as csvigo's ``dok.unpack`` does: positionally, or one table of named
arguments (``csvigo.load{path='f.csv', mode='raw'}``). Every value read is a string, as in Lua.

``load(path, separator=',', mode='tidy', header='auto', verbose=True, skip=0, column_order=False)``:

- ``'raw'``: a list of rows, each a list of fields;
- ``'tidy'``: a table {column name: list of values}; the names come from the first line, which is
  a header when ``header`` is true, or with ``'auto'`` when its first field is not a number; else
  they are ``var_1``, ``var_2``, ...; with ``column_order`` the names in file order come first,
  as a second result would in Lua;
- ``'query'``: a function ``q(query='all', vars=None)``: ``q('vars')`` the names, ``q('all')`` the
  tidy table, ``q('union', {name: value or list})`` / ``q('inter', ...)`` the rows where any / every
  named column has one of the values, as a tidy table;
- ``'large'``: a read-only sequence that decodes a row when it is indexed (``#d``, ``d[i]``,
  ``ipairs``; ``tostring`` shows the lines, only the first and last ten of 30 or more).

``save(path, data, separator=',', mode='autodetect', header=True, verbose=True, column_order=None,
nan_as_missing=False)``: a list of rows (raw), a tidy table (its columns in ``column_order``, else
in the table's order) or a query function. A field holding the separator or ``"`` is quoted, with
``"`` doubled; numbers are written as Lua writes them (``%.14g``).

The parser is csvigo's: a line (``\\r`` removed) is split at each separator, a field starting with
``"`` runs to the next ``"`` not followed by another one; the separator ``' '`` matches any run of
white space. With ``verbose`` the steps are printed as csvigo prints them (``<csv>\\tparsing file:
...``).
"""
import math
import os
import re

from compat.lua.tables import Table
from compat.lua.values import tonumber, tostring

__all__ = ["load", "save"]

_LOAD_ARGS = ("path", "separator", "mode", "header", "verbose", "skip", "column_order")
_LOAD_DEFAULTS = {"separator": ",", "mode": "tidy", "header": "auto", "verbose": True, "skip": 0,
                  "column_order": False}
_SAVE_ARGS = ("path", "data", "separator", "mode", "header", "verbose", "column_order", "nan_as_missing")
_SAVE_DEFAULTS = {"separator": ",", "mode": "autodetect", "header": True, "verbose": True, "column_order": None,
                  "nan_as_missing": False}


def _unpack(function, names, defaults, args, kwargs):
    """dok.unpack: one table of named arguments, or positional ones; a missing ``path`` is an error."""
    if len(args) == 1 and isinstance(args[0], dict) and not kwargs:
        given = dict(args[0])
    else:
        if len(args) > len(names):
            raise TypeError(f"csvigo.{function}: expected at most {len(names)} arguments {names}, got {len(args)}")
        given = dict(zip(names, args), **kwargs)
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise TypeError(f"csvigo.{function}: unknown argument {unknown[0]!r}; expected one of {names}")
    values = {**defaults, **{k: v for k, v in given.items() if v is not None}}
    if not isinstance(values.get("path"), str):
        raise TypeError(f"csvigo.{function}: path: expected a string, got {type(values.get('path')).__name__}")
    values["path"] = re.sub(r"^~", lambda _: os.environ.get("HOME", "~"), values["path"])
    return values


def _say(verbose, message):
    if verbose:
        print("<csv>\t" + message)          # csvigo's print('<csv>', ...)


def _split(line, separator):
    """csvigo's fromcsv: the fields of one line (quoted fields unquoted, ``""`` -> ``"``)."""
    text = line + separator
    find = (lambda pos: _find_blank(text, pos)) if separator == " " else (
        lambda pos: _find_literal(text, separator, pos))
    fields, start = [], 0
    while start < len(text):
        if text.startswith('"', start):
            end = start + 1
            while True:
                end = text.find('"', end)
                if end < 0:
                    raise ValueError(f'csvigo: unmatched " in line {line!r}')
                if not text.startswith('"', end + 1):
                    break
                end += 2
            fields.append(text[start + 1:end].replace('""', '"'))
            start = find(end)[1]
        else:
            sep_start, sep_end = find(start)
            fields.append(text[start:sep_start])
            start = sep_end
    return fields


def _find_literal(text, separator, pos):
    at = text.find(separator, pos)
    return at, at + len(separator)


_BLANKS = re.compile(r"\s+")


def _find_blank(text, pos):
    m = _BLANKS.search(text, pos)
    return m.start(), m.end()


def _read_lines(path):
    with open(path, encoding="utf-8", newline="") as f:
        data = f.read()
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.replace("\r", "") for line in lines]


def _tidy(rows, header, skip):
    start = skip
    first = rows[start] if start < len(rows) else []
    if header == "auto":
        has_header = tonumber(first[0]) is None if first else True
    else:
        has_header = bool(header) and header != "false"
    if has_header:
        names, start = list(first), start + 1
    else:
        names = [f"var_{i}" for i in range(1, len(first) + 1)]
    tidy = Table({name: [] for name in names})
    for row in rows[start:]:
        for i, value in enumerate(row):
            if i < len(names):
                tidy[names[i]].append(value)
    return names, tidy


def load(*args, **kwargs):
    """csvigo.load (see the module docstring)."""
    a = _unpack("load", _LOAD_ARGS, _LOAD_DEFAULTS, args, kwargs)
    mode, verbose = a["mode"], a["verbose"]
    if mode not in ("raw", "tidy", "query", "large"):
        raise ValueError(f"csvigo.load: mode: expected 'raw', 'tidy', 'query' or 'large', got {mode!r}")
    _say(verbose, "parsing file: " + a["path"])
    if mode == "large":
        result = LargeTable(a["path"], a["separator"])
        _say(verbose, "parsing done")
        return result
    rows = [_split(line, a["separator"]) for line in _read_lines(a["path"])]
    if mode == "raw":
        _say(verbose, "parsing done")
        return rows
    _say(verbose, "tidying up entries")
    names, tidy = _tidy(rows, a["header"], int(a["skip"]))
    if mode == "tidy":
        _say(verbose, "returning tidy table")
        return (names, tidy) if a["column_order"] else tidy
    _say(verbose, "generating reversed index for fast queries")
    query = _Query(tidy)
    _say(verbose, "returning query closure, type query('help') to get help")
    return query


class _Query:
    """The query closure of ``mode='query'``."""

    def __init__(self, tidy):
        self.tidy = tidy
        self.reverse = {}
        for name, values in tidy.items():
            where = self.reverse[name] = {}
            for i, value in enumerate(values):
                where.setdefault(value, []).append(i)

    def __call__(self, query="all", vars=None):  # noqa: A002 (csvigo's argument name)
        if query == "help":
            print(QUERY_HELP)
            return None
        if query == "vars":
            return list(self.tidy)
        if query == "all":
            return self.tidy
        if query not in ("union", "inter"):
            raise ValueError(f"query: expected 'all', 'help', 'vars', 'union' or 'inter', got {query!r}")
        if not isinstance(vars, dict):
            raise TypeError(f"query: vars: expected a table {{name = value(s)}}, got {type(vars).__name__}")
        wanted = {name: [tostring(v) for v in (vals if isinstance(vals, (list, tuple)) else [vals])]
                  for name, vals in vars.items()}
        rows = self._union(wanted) if query == "union" else self._inter(wanted)
        filtered = Table({name: [] for name in self.tidy})
        for i in sorted(set(rows)):
            for name in self.tidy:
                filtered[name].append(self.tidy[name][i])
        return filtered

    def _matches(self, name, value):
        if name not in self.reverse:
            raise KeyError(f"query: no column named {name!r}; the columns are {list(self.tidy)}")
        return self.reverse[name].get(value, [])

    def _union(self, wanted):
        return [i for name, values in wanted.items() for v in values for i in self._matches(name, v)]

    def _inter(self, wanted):
        counts = {}
        for name, values in wanted.items():
            for v in values:
                for i in self._matches(name, v):
                    counts[i] = counts.get(i, 0) + 1
        return [i for i, n in counts.items() if n == len(wanted)]


QUERY_HELP = """query(query='all', vars=nil): query('vars') lists the column names; query('all') returns the
whole tidy table; query('union', {name = {v1, v2}, other = v3}) the rows where any named column has one
of its values; query('inter', ...) the rows where every named column does."""


class LargeTable:
    """``mode='large'``: the file's lines, each decoded into its fields when indexed (1-based)."""

    def __init__(self, path, separator):
        with open(path, "rb") as f:
            data = f.read()
        self.separator = separator
        self.lines = [line.decode("utf-8") for line in re.split(rb"\r?\n|\r", data)]
        if data.endswith((b"\n", b"\r")):
            self.lines.pop()

    def __len__(self):
        return len(self.lines)

    def __getitem__(self, i):
        if isinstance(i, bool) or not isinstance(i, (int, float)) or not 1 <= i <= len(self.lines) or i != int(i):
            raise IndexError(f"index out of bounds: {tostring(i)}")
        return _split(self.lines[int(i) - 1], self.separator)

    def __setitem__(self, key, value):
        raise TypeError("attempt to update a read-only table")

    def __iter__(self):
        return (self[i] for i in range(1, len(self) + 1))

    def __str__(self):
        n = len(self.lines)
        if n < 30:
            shown = self.lines
        else:
            shown = self.lines[:10] + [".. .. .. .. .. .. .. .. .. "] * 10 + self.lines[n - 11:]
        return "".join(line + "\n" for line in shown)


def _field(value, separator, nan_as_missing):
    if nan_as_missing and isinstance(value, float) and math.isnan(value):
        return ""
    text = tostring(value)
    if '"' in text or separator in text:
        text = '"' + text.replace('"', '""') + '"'
    return text


def _rows_of_tidy(data, column_order, header):
    names = list(column_order) if column_order is not None else list(data)
    rows = [names] if header else []
    body = []
    for name in names:
        for i, value in enumerate(data[name]):
            if i == len(body):
                body.append([])
            body[i].append(value)
    return rows + body


def save(*args, **kwargs):
    """csvigo.save (see the module docstring)."""
    a = _unpack("save", _SAVE_ARGS, _SAVE_DEFAULTS, args, kwargs)
    data, mode, verbose = a["data"], a["mode"], a["verbose"]
    _say(verbose, "writing to file: " + a["path"])
    if mode == "autodetect":
        if callable(data) and not isinstance(data, dict):
            mode = "query"
        elif isinstance(data, (list, tuple)):
            mode = "raw"
        elif isinstance(data, dict):
            mode = "raw" if 1 in data else "tidy"
        else:
            raise TypeError(f"csvigo.save: data: cannot autodetect the mode of a {type(data).__name__}")
    if mode not in ("raw", "tidy", "query"):
        raise ValueError(f"csvigo.save: mode: expected 'raw', 'tidy', 'query' or 'autodetect', got {mode!r}")
    if mode == "raw":
        rows = list(data.values()) if isinstance(data, dict) else list(data)
    else:
        if mode == "query":
            _say(verbose, "generating tidy table")
            data = data("all")
        _say(verbose, "exporting tidy table to raw CSV")
        rows = _rows_of_tidy(data, a["column_order"], a["header"])
    sep = a["separator"]
    with open(a["path"], "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(sep.join(_field(v, sep, a["nan_as_missing"]) for v in row) + "\n")
    _say(verbose, "writing done")
