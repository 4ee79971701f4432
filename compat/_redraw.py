"""Plots that cost what Torch7's cost: a redraw request renders at once only when the last render is
:func:`interval` seconds old; otherwise it is marked due and rendered by a later request, by
:meth:`Redraw.flush` (``close``), or when the program ends. So ``logger:plot()`` after every one of
10,000 epochs renders a few dozen PNGs instead of 10,000, and the file always ends with the final
curves. Torch7 refreshed a gnuplot window, which cost next to nothing; a PNG render costs tens of
milliseconds.

``$TORCHAD_PLOT_INTERVAL`` sets the interval in seconds (default 5; 0 renders on every request).
"""
import atexit
import logging
import os
import time
import weakref

logger = logging.getLogger(__name__)

INTERVAL_ENV = "TORCHAD_PLOT_INTERVAL"
DEFAULT_INTERVAL = 5.0

_pending = weakref.WeakSet()     # the Redraws with a render due, flushed when the program ends


def interval():
    """The minimum number of seconds between two renders of one figure ($TORCHAD_PLOT_INTERVAL)."""
    text = os.environ.get(INTERVAL_ENV, "").strip()
    if not text:
        return DEFAULT_INTERVAL
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"${INTERVAL_ENV}: expected a number of seconds >= 0, got {text!r}") from None
    if not value >= 0:
        raise ValueError(f"${INTERVAL_ENV}: expected a number of seconds >= 0, got {text!r}")
    return value


def require_matplotlib(what):
    """Import matplotlib's Agg canvas and Figure, or raise one clear ImportError naming the extra."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(f"{what} draws with matplotlib, which is not installed: pip install "
                          f"'torchad-nn[plot]' (or pip install matplotlib)") from exc
    return FigureCanvasAgg, Figure


class Redraw:
    """Rate-limited calls of ``render()`` (a function of no arguments) for one figure."""

    def __init__(self, render):
        self.render = render
        self.last = None       # time.monotonic() of the last render
        self.due = False

    def request(self):
        """Render now if the last render is old enough, else mark a render as due. -> rendered now?"""
        now = time.monotonic()
        if self.last is None or now - self.last >= interval():
            self._render(now)
            return True
        if not self.due:
            self.due = True
            _pending.add(self)
        return False

    def flush(self):
        """Render a due request now."""
        if self.due:
            self._render(time.monotonic())

    def _render(self, now):
        self.due = False
        _pending.discard(self)
        self.last = now
        self.render()


@atexit.register
def _flush_all():
    for redraw in list(_pending):
        try:
            redraw.flush()
        except Exception as exc:             # the program has ended: say why its plot is stale
            logger.warning("could not draw the last plot at exit: %s", exc)
