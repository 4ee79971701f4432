"""``optim.Logger`` of torch/optim (``Logger.lua``): log named values during training, one row per
``add``, and plot them.

The file is Torch7's byte for byte: a header of the names, each followed by a tab, then one line per
``add`` with each number as ``%11.4e`` (each string as is) followed by a tab. Where Torch7 drew with
gnuplot (a window, and ``<filename>.eps``), ``plot()`` writes ``<filename>.png`` next to the log with
matplotlib's Agg canvas (imported only by ``plot()``, no display needed, pyplot's global backend
untouched): one curve per name and style, a log-scaled y axis after ``setlogscale(True)``.

Keys follow Lua: after ``setNames([...])`` or ``add([...])`` the symbols are numbered 1..n (as Lua's
sequence keys); after ``add({name: value})`` they are the names. ``style`` takes either form.
"""
import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence

from compat._mpienv import per_rank_name
from compat._redraw import Redraw, require_matplotlib

__all__ = ["Logger"]

_log = logging.getLogger(__name__)

# gnuplot styles of Logger.lua -> matplotlib format strings ('|' draws impulses, handled apart).
_STYLES = {"+": "+", "-": "-", ".": ".", "+-": "+-", "-+": "+-", "~": "-", "|": "|"}


def _entries(symbols, what):
    """A Lua table argument as (key, value) pairs: a sequence gets the keys 1..n."""
    if isinstance(symbols, Mapping):
        return list(symbols.items())
    if isinstance(symbols, Sequence) and not isinstance(symbols, str):
        return list(enumerate(symbols, start=1))
    raise TypeError(f"Logger.{what}: expected a list or a dict, got {type(symbols).__name__}")


class Logger:
    """Lua ``optim.Logger(filename, timestamp)``. Without a filename the rows go to stdout.
    With ``timestamp`` the file is ``filename-YYYY_MM_DD_HH:MM:SS`` (Lua's ``os.date('%Y_%m_%d_%X')``);
    the plot is still named after ``filename``."""

    def __init__(self, filename=None, timestamp=False):
        if filename:
            self.name = per_rank_name(str(filename))
            if self.name != str(filename):
                _log.info("Logger: this rank writes %s (rank 0 writes %s)", self.name, filename)
            directory = os.path.dirname(self.name)
            if directory:
                os.makedirs(directory, exist_ok=True)
            path = self.name + "-" + time.strftime("%Y_%m_%d_%X") if timestamp else self.name
            self.file = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 (lives with the logger)
            self.pngfile = self.name + ".png"
        else:
            self.file = sys.stdout
            self.name = "stdout"
            self.pngfile = None
            print('<Logger> warning: no path provided, logging to std out')   # Logger.lua's own warning
        self.empty = True
        self.symbols, self.styles, self.names, self.idx = {}, {}, {}, {}
        self.nsymbols = 0
        self.showPlot = True
        self.defaultStyle = "+"
        self.logscale = False
        self._plotted = ()
        self._redraw = Redraw(self._render)

    def _write(self, text):
        self.file.write(text)
        self.file.flush()

    def setNames(self, names):
        """Name the columns (a list) and write the header line; returns self."""
        entries = _entries(names, "setNames")
        self.names, self.empty, self.nsymbols = dict(entries), False, len(entries)
        for k, key in entries:
            self.symbols[k] = []
            self.styles[k] = [self.defaultStyle]
            self.idx[key] = k
        self._write("".join(f"{key}\t" for _, key in entries) + "\n")
        return self

    def add(self, symbols):
        """Append one row: a list (in setNames' order) or a dict {name: value} of numbers or strings."""
        entries = _entries(symbols, "add")
        for _, val in entries:
            if isinstance(val, bool) or not isinstance(val, (int, float, str)):
                raise TypeError(f"<Logger> can only log numbers and strings, got {val!r}")
        if self.empty:                          # first row: the keys become the header
            self.empty, self.nsymbols = False, len(entries)
            for k, _ in entries:
                self.symbols[k], self.styles[k], self.names[k] = [], [self.defaultStyle], k
            self.idx = {k: k for k, _ in entries}
            self._write("".join(f"{k}\t" for k, _ in entries) + "\n")
        row = "".join((val if isinstance(val, str) else format(val, "11.4e")) + "\t" for _, val in entries)
        self._write(row + "\n")
        for k, val in entries:
            self.symbols.setdefault(self.idx.get(k, k), []).append(val)

    def style(self, symbols):
        """Set plot styles: {name: '-'} or a list in column order; a style is a string or a list of
        them (one curve each): '+' points, '-' lines, '.' dots, '+-' lines and points, '|' impulses."""
        for name, style in _entries(symbols, "style"):
            styles = [style] if isinstance(style, str) else style
            if not isinstance(styles, (list, tuple)) or not all(isinstance(s, str) for s in styles):
                raise TypeError(f"<Logger> style should be a string or a list of strings, got {style!r}")
            unknown = [s for s in styles if s not in _STYLES]
            if unknown:
                raise ValueError(f"<Logger> unknown style {unknown[0]!r} for {name!r}; expected one of "
                                 f"{sorted(_STYLES)}")
            self.styles[self.idx.get(name, name)] = list(styles)
        return self

    def setlogscale(self, state=True):
        """A log-scaled y axis in the next plot()."""
        self.logscale = state

    def display(self, state=True):
        """Lua toggles the gnuplot window; there is no window here, the flag is kept for scripts."""
        self.showPlot = state

    def plot(self, *names):
        """Draw every symbol (or the named ones) with more than one value into ``<filename>.png``;
        returns the PNG's path, or None when there was nothing to draw or no file (stdout logger).

        Rendering is rate-limited (see :mod:`compat._redraw`): a call within a few seconds of the
        last render only marks the plot as due; it is drawn by a later call, :meth:`close` or the
        program's end, so the PNG always ends with the final curves."""
        unknown = [n for n in names if n not in self.idx]
        if unknown:
            raise KeyError(f"<Logger> plot: no symbol named {unknown[0]!r}; the names are {list(self.idx)}")
        keys = [self.idx[n] for n in names] if names else list(self.symbols)
        if self.pngfile is None or not any(len(self.symbols.get(k, [])) > 1 for k in keys):
            return None
        require_matplotlib("optim.Logger.plot()")
        self._plotted = keys
        self._redraw.request()
        return self.pngfile

    def close(self):
        """Draw a plot that is due and close the log file (not standard output)."""
        self._redraw.flush()
        if self.file is not sys.stdout and not self.file.closed:
            self.file.close()

    def _render(self):
        FigureCanvasAgg, Figure = require_matplotlib("optim.Logger.plot()")
        curves = [(k, self.symbols[k]) for k in self._plotted if len(self.symbols.get(k, [])) > 1]
        fig = Figure(figsize=(8, 5))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        for k, values in curves:
            xs = range(1, len(values) + 1)
            ys = [float(v) for v in values]
            for style in self.styles.get(k, [self.defaultStyle]):
                if style == "|":
                    ax.vlines(xs, 0, ys, label=str(self.names.get(k, k)))
                else:
                    ax.plot(xs, ys, _STYLES[style], label=str(self.names.get(k, k)))
        if self.logscale:
            ax.set_yscale("log")
        ax.grid(True)
        ax.legend()
        ax.set_title(f"<Logger::{self.name}>")
        fig.savefig(self.pngfile, format="png")
        _log.debug("Logger: plot written to %s", self.pngfile)
