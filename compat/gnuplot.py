"""Torch7's gnuplot package (``require 'gnuplot'``) as ``compat.gnuplot``, drawn with matplotlib,
headless: where Torch7 opened a gnuplot window, each figure here is a file.

Files: ``gnuplot.figure(n)`` draws into ``gnuplot-figure-N.png`` in ``$TORCHAD_GNUPLOT_DIR`` (default:
the working folder); ``pngfigure(name)``, ``epsfigure(name)``, ``pdffigure(name)`` and
``svgfigure(name)`` into ``name``, in the format of its extension. The first drawing of a figure
says on stderr which file it is. A plotting call before any ``figure`` opens figure 1, as gnuplot
does. Every call that changes a figure (``plot``, ``title``, ``grid``, ...) redraws it, at most once
every few seconds (see :mod:`compat._redraw`); ``plotflush``, ``close`` and the end of the
program draw what is due, so the file always shows the last state.

Plot forms, as torch/gnuplot takes them: ``plot(y)``, ``plot(x, y)``, ``plot(x, y, '+')``,
``plot(y, '-')``, ``plot({'legend', x, y, '-'})`` and several such tables as arguments or in one
table. Styles: ``'+'`` points, ``'-'`` lines, ``'+-'`` lines and points, ``'.'`` dots, ``'|'``
impulses, ``'~'`` a smooth line. Also ``hist(x, bins=10, min, max)`` (``torch.histc``'s bins),
``imagesc(z, 'color'|'gray')``, ``splot(z)`` / ``splot(x, y, z)`` (a surface), ``title``,
``xlabel``, ``ylabel``, ``zlabel``, ``grid(bool)``, ``axis({xmin, xmax, ymin, ymax})`` or
``axis('auto'|'equal')``, ``movelegend(horizontal, vertical)`` ('left'/'right'/'center',
'top'/'bottom'/'middle'), ``logscale(bool)``, ``raw(command)`` (recorded, not interpreted).
"""
import logging
import os
import sys

import torch

from compat._redraw import Redraw, require_matplotlib

logger = logging.getLogger(__name__)

__all__ = [
    "axis", "close", "closeall", "epsfigure", "figure", "grid", "hist", "imagesc", "logscale", "movelegend",
    "pdffigure", "plot", "plotflush", "pngfigure", "raw", "splot", "svgfigure", "title", "xlabel", "ylabel",
    "zlabel",
]

DIR_ENV = "TORCHAD_GNUPLOT_DIR"
_STYLES = {"+": "+", "-": "-", "+-": "+-", "-+": "+-", ".": ".", "~": "-", "|": "|"}
_LEGEND = {("left", "top"): "upper left", ("right", "top"): "upper right", ("left", "bottom"): "lower left",
           ("right", "bottom"): "lower right", ("center", "top"): "upper center",
           ("center", "bottom"): "lower center", ("left", "middle"): "center left",
           ("right", "middle"): "center right", ("center", "middle"): "center"}


def _vector(value, what):
    try:
        t = torch.as_tensor(value, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"gnuplot.{what}: expected a tensor or a table of numbers, "
                        f"got {type(value).__name__}") from None
    return t.detach().cpu().reshape(-1).numpy()


class _Figure:
    def __init__(self, number, path):
        self.number, self.path = number, path
        self.content = None            # ('lines', [series]) | ('hist', ...) | ('image', ...) | ('surface', ...)
        self.settings = {"title": None, "xlabel": None, "ylabel": None, "zlabel": None, "grid": False,
                         "axis": None, "legend": "upper right", "logscale": False, "raw": []}
        self.announced = False
        self.redraw = Redraw(self.render)

    def render(self):
        FigureCanvasAgg, Figure = require_matplotlib("gnuplot")
        fig = Figure(figsize=(8, 6))
        FigureCanvasAgg(fig)
        kind = self.content[0] if self.content else None
        ax = fig.add_subplot(projection="3d" if kind == "surface" else None)
        if kind is not None:
            getattr(self, "_draw_" + kind)(ax, fig, *self.content[1:])
        self._decorate(ax)
        directory = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(directory, exist_ok=True)
        fig.savefig(self.path, format=os.path.splitext(self.path)[1].lstrip(".").lower() or "png")
        if not self.announced:
            self.announced = True
            sys.stderr.write(f"gnuplot: figure {self.number} is drawn into {os.path.abspath(self.path)}\n")
        logger.debug("gnuplot: figure %s written to %s", self.number, self.path)

    @staticmethod
    def _draw_lines(ax, fig, series):
        for legend, xs, ys, style in series:
            if style == "|":
                ax.vlines(xs, 0, ys, label=legend)
            else:
                ax.plot(xs, ys, _STYLES[style], label=legend)
        if any(s[0] for s in series):
            ax.legend()

    @staticmethod
    def _draw_hist(ax, fig, centers, counts, width):
        ax.bar(centers, counts, width=width)

    @staticmethod
    def _draw_image(ax, fig, z, colormap):
        image = ax.imshow(z, cmap="gray" if colormap == "gray" else "viridis", aspect="auto")
        fig.colorbar(image, ax=ax)

    @staticmethod
    def _draw_surface(ax, fig, x, y, z):
        ax.plot_surface(x, y, z, cmap="viridis")

    def _decorate(self, ax):
        s = self.settings
        for key, setter in (("title", ax.set_title), ("xlabel", ax.set_xlabel), ("ylabel", ax.set_ylabel)):
            if s[key] is not None:
                setter(s[key])
        if s["zlabel"] is not None and hasattr(ax, "set_zlabel"):
            ax.set_zlabel(s["zlabel"])
        ax.grid(bool(s["grid"]))
        if s["logscale"]:
            ax.set_yscale("log")
        if s["axis"] == "equal":
            ax.set_aspect("equal")
        elif isinstance(s["axis"], tuple):
            ax.set_xlim(*s["axis"][:2])
            ax.set_ylim(*s["axis"][2:])
        if ax.get_legend() is not None:
            ax.legend(loc=s["legend"])


_figures = {}
_current = None


def _directory():
    return os.environ.get(DIR_ENV) or os.getcwd()


def _open(number=None, path=None):
    global _current
    if number is None:
        number = max(_figures, default=0) + 1
    number = int(number)
    if number not in _figures or path is not None:
        _figures[number] = _Figure(number, path or os.path.join(_directory(), f"gnuplot-figure-{number}.png"))
    _current = _figures[number]
    return number


def _figure():
    if _current is None:
        _open(1)
    return _current


def _changed():
    _figure().redraw.request()


def figure(n=None):
    """Select figure ``n`` (a new one without ``n``); -> its number."""
    return _open(n)


def _file_figure(name, what):
    if not isinstance(name, str) or not name:
        raise TypeError(f"gnuplot.{what}: expected a file name, got {name!r}")
    return _open(None, name)


def pngfigure(name):
    """A new figure drawn into the PNG file ``name``; -> its number."""
    return _file_figure(name, "pngfigure")


def epsfigure(name):
    """A new figure drawn into the EPS file ``name``; -> its number."""
    return _file_figure(name, "epsfigure")


def pdffigure(name):
    """A new figure drawn into the PDF file ``name``; -> its number."""
    return _file_figure(name, "pdffigure")


def svgfigure(name):
    """A new figure drawn into the SVG file ``name``; -> its number."""
    return _file_figure(name, "svgfigure")


def _series(parts):
    """One series from its parts: [legend], y | x, y, [style]."""
    parts = list(parts)
    legend = parts.pop(0) if parts and isinstance(parts[0], str) else ""
    style = parts.pop() if parts and isinstance(parts[-1], str) else "-"
    if style not in _STYLES:
        raise ValueError(f"gnuplot.plot: unknown style {style!r}; expected one of {sorted(_STYLES)}")
    if len(parts) == 1:
        ys = _vector(parts[0], "plot")
        xs = range(1, len(ys) + 1)
    elif len(parts) == 2:
        xs, ys = _vector(parts[0], "plot"), _vector(parts[1], "plot")
        if len(xs) != len(ys):
            raise ValueError(f"gnuplot.plot: x and y must have the same size, got {len(xs)} and {len(ys)}")
    else:
        raise TypeError(f"gnuplot.plot: expected [legend,] y or x, y [, style], got {len(parts)} data arguments")
    return legend, list(xs), list(ys), style


def _is_spec(value):
    return isinstance(value, (list, tuple)) and any(isinstance(v, (torch.Tensor, list, tuple)) for v in value)


def plot(*args):
    """Plot one or several series (see the module docstring for the forms)."""
    if not args:
        raise TypeError("gnuplot.plot: expected data to plot")
    if len(args) == 1 and isinstance(args[0], (list, tuple)) and args[0] and all(_is_spec(a) for a in args[0]):
        args = tuple(args[0])
    specs = args if all(_is_spec(a) for a in args) else [args]
    _figure().content = ("lines", [_series(spec) for spec in specs])
    _changed()


def hist(x, bins=10, min=None, max=None):  # noqa: A002 (gnuplot's argument names)
    """A histogram of ``x`` in ``bins`` equal bins between ``min`` and ``max`` (default: its range)."""
    t = torch.as_tensor(_vector(x, "hist"))
    lo = float(t.min()) if min is None else float(min)
    hi = float(t.max()) if max is None else float(max)
    counts = torch.histc(t, bins=int(bins), min=lo, max=hi)
    width = (hi - lo) / int(bins) if hi > lo else 1.0
    centers = [lo + width * (i + 0.5) for i in range(int(bins))]
    _figure().content = ("hist", centers, counts.tolist(), width)
    _changed()
    return counts


def imagesc(z, colormap="color"):
    """A 2-D tensor as an image of scaled colours ('color' or 'gray')."""
    z = torch.as_tensor(z, dtype=torch.float64)
    if z.dim() != 2:
        raise ValueError(f"gnuplot.imagesc: expected a 2-D tensor, got {z.dim()}-D")
    if colormap not in ("color", "gray"):
        raise ValueError(f"gnuplot.imagesc: colormap: expected 'color' or 'gray', got {colormap!r}")
    _figure().content = ("image", z.numpy(), colormap)
    _changed()


def splot(*args):
    """A surface: ``splot(z)`` over the grid of indices, or ``splot(x, y, z)`` (2-D tensors)."""
    grids = [torch.as_tensor(a, dtype=torch.float64) for a in args if not isinstance(a, str)]
    if len(grids) == 1:
        z = grids[0]
        y, x = torch.meshgrid(torch.arange(1, z.size(0) + 1, dtype=torch.float64),
                              torch.arange(1, z.size(1) + 1, dtype=torch.float64), indexing="ij")
    elif len(grids) == 3:
        x, y, z = grids
    else:
        raise TypeError(f"gnuplot.splot: expected z or x, y, z, got {len(grids)} tensors")
    if z.dim() != 2 or x.shape != z.shape or y.shape != z.shape:
        raise ValueError("gnuplot.splot: expected 2-D tensors of one size")
    _figure().content = ("surface", x.numpy(), y.numpy(), z.numpy())
    _changed()


def _setting(key, value):
    _figure().settings[key] = value
    _changed()


def title(text):
    _setting("title", str(text))


def xlabel(text):
    _setting("xlabel", str(text))


def ylabel(text):
    _setting("ylabel", str(text))


def zlabel(text):
    _setting("zlabel", str(text))


def grid(state=True):
    _setting("grid", bool(state))


def logscale(state=True):
    _setting("logscale", bool(state))


def axis(limits):
    """``axis({xmin, xmax, ymin, ymax})``, ``axis('auto')`` or ``axis('equal')``."""
    if limits in ("auto", "equal"):
        _setting("axis", None if limits == "auto" else "equal")
        return
    values = [float(v) for v in limits] if isinstance(limits, (list, tuple)) else None
    if values is None or len(values) != 4:
        raise ValueError(f"gnuplot.axis: expected {{xmin, xmax, ymin, ymax}}, 'auto' or 'equal', got {limits!r}")
    _setting("axis", tuple(values))


def movelegend(horizontal, vertical):
    """Place the legend: ``horizontal`` 'left'|'right'|'center', ``vertical`` 'top'|'bottom'|'middle'."""
    where = _LEGEND.get((horizontal, vertical))
    if where is None:
        raise ValueError(f"gnuplot.movelegend: expected ('left'|'right'|'center', 'top'|'bottom'|'middle'), "
                         f"got ({horizontal!r}, {vertical!r})")
    _setting("legend", where)


def raw(command):
    """A gnuplot command: recorded (there is no gnuplot here), so a script using it runs on."""
    _figure().settings["raw"].append(str(command))
    logger.info("gnuplot.raw(%r) is not interpreted", command)


def plotflush(n=None):
    """Draw the figure (``n`` or the current one) now if a drawing is due."""
    fig = _figures.get(int(n)) if n is not None else _current
    if fig is not None:
        fig.redraw.flush()


def close(n=None):
    """Draw what is due and forget the figure (``n`` or the current one)."""
    global _current
    fig = _figures.pop(int(n), None) if n is not None else _figures.pop(getattr(_current, "number", None), None)
    if fig is not None:
        fig.redraw.flush()
        if fig is _current:
            _current = None


def closeall():
    """Close every figure."""
    for n in list(_figures):
        close(n)
