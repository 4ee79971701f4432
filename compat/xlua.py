"""Lua's ``xlua`` package (torch/xlua), the part scripts use: ``progress(current, goal)`` and
``formatTime(seconds)``. ``require 'xlua'`` -> ``from compat import xlua``.

On a terminal ``progress`` draws xlua's bar in place, as Lua does (carriage returns and backspaces):
`` [=====>.........] 12/100 ETA: 3s120ms | Step: 35ms``; the bar is the terminal's width (at most
120 columns) less 34. Where stdout is not a terminal (a log file, a pipe, a batch job) the same
content is written as whole lines, only when the bar has grown by a tenth or more, and at the end, so
a log gets about ten lines per bar instead of one carriage-return-joined line per call.
"""
import math
import shutil
import sys
import time

__all__ = ["formatTime", "progress"]


def formatTime(seconds):
    """The two largest non-zero units of a duration, e.g. ``'1m5s'``, ``'3s120ms'``, ``'0ms'``."""
    days = math.floor(seconds / 3600 / 24)
    seconds -= days * 3600 * 24
    hours = math.floor(seconds / 3600)
    seconds -= hours * 3600
    minutes = math.floor(seconds / 60)
    seconds -= minutes * 60
    whole = math.floor(seconds)
    millis = math.floor((seconds - whole) * 1000)
    parts = [f"{v}{unit}" for v, unit in ((days, "D"), (hours, "h"), (minutes, "m"), (whole, "s"),
                                          (millis, "ms")) if v > 0]
    return "".join(parts[:2]) or "0ms"


def _lua_number(v):
    """A number as Lua's io.write shows it (``%.14g``: 5 not 5.0)."""
    return format(v, ".14g")


class _Bar:
    """xlua.progress's upvalues: one bar at a time per process, as in Lua."""
    smoothing = 100

    def __init__(self):
        self.done = True
        self.previous = -1
        self.times = self.indices = None
        self.start = 0.0
        self.last_line = -1                     # non-terminal: the tenth last written

    def __call__(self, current, goal):
        if isinstance(current, bool) or not isinstance(current, (int, float)) \
                or isinstance(goal, bool) or not isinstance(goal, (int, float)) or goal <= 0:
            raise ValueError(f"xlua.progress: expected numbers current and goal > 0, got "
                             f"current={current!r}, goal={goal!r}")
        out = sys.stdout
        terminal = out.isatty()
        term_length = min(shutil.get_terminal_size((80, 24)).columns, 120) if terminal else 80
        bar_length = term_length - 34
        percent = math.floor(current * bar_length / goal)
        if self.done and (self.previous == -1 or percent < self.previous):
            self.done, self.previous, self.last_line = False, -1, -1
            self.start = time.perf_counter()
            self.times, self.indices = [0.0], [current]
        elif terminal:
            out.write("\r")
        if self.done:
            return
        self.previous = percent
        bar = "".join("=" if i < percent else ">" if i == percent else "." for i in range(1, bar_length + 1))
        elapsed = time.perf_counter() - self.start
        step = 0 if current == self.indices[0] else (elapsed - self.times[0]) / (current - self.indices[0])
        remaining = max(0, (goal - current) * step)
        self.indices.append(current)
        self.times.append(elapsed)
        if len(self.indices) > self.smoothing:
            self.indices.pop(0)
            self.times.pop(0)
        tm = (f" ETA: {formatTime(remaining)}" if percent < bar_length else f" Tot: {formatTime(elapsed)}")
        tm += f" | Step: {formatTime(step)}"
        count = f" {_lua_number(current)}/{_lua_number(goal)} "
        finished = percent == bar_length
        if finished:
            self.done = True
        if terminal:
            pad = term_length - bar_length - 4
            back = math.floor(5 + len(tm) + bar_length / 2)
            out.write(f" [{bar}] " + " " * pad + "\b" * pad + tm + "\b" * back + count
                      + ("\n" if finished else "") + "\r")
        else:
            tenth = math.floor(10 * percent / bar_length)
            if tenth > self.last_line or finished:
                self.last_line = tenth
                out.write(f" [{bar}]{count}{tm.lstrip()}\n")
        out.flush()


progress = _Bar()
progress.__doc__ = """Lua ``xlua.progress(current, goal)``: draw or advance the progress bar (see the module)."""
