"""compat.xlua: progress() draws xlua's bar on a terminal (carriage return, backspaces) and writes sparse
whole lines elsewhere; formatTime as xlua's. Expected strings are built from xlua's init.lua rules."""
import io
import os

import pytest

from compat import xlua


class _Clock:
    def __init__(self, *readings):
        self.readings = list(readings)

    def __call__(self):
        return self.readings.pop(0)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def fresh_bar(monkeypatch):
    monkeypatch.setattr(xlua, "progress", type(xlua.progress)())
    return xlua


def test_terminal_bar_is_xluas(fresh_bar, monkeypatch):
    out = _Terminal()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("shutil.get_terminal_size", lambda fallback=None: os.terminal_size((80, 24)))
    monkeypatch.setattr("time.perf_counter", _Clock(10.0, 10.0, 12.5))   # start, first draw, second
    xlua.progress(1, 2)
    xlua.progress(2, 2)
    bar_len, pad = 80 - 34, 80 - 46 - 4
    tm1 = " ETA: 0ms | Step: 0ms"
    tm2 = " Tot: 2s500ms | Step: 2s500ms"
    first = (" [" + "=" * 22 + ">" + "." * 23 + "] " + " " * pad + "\b" * pad + tm1
             + "\b" * (5 + len(tm1) + bar_len // 2) + " 1/2 " + "\r")
    second = ("\r [" + "=" * 45 + ">" + "] " + " " * pad + "\b" * pad + tm2
              + "\b" * (5 + len(tm2) + bar_len // 2) + " 2/2 " + "\n" + "\r")
    assert out.getvalue() == first + second


def test_non_terminal_writes_about_ten_whole_lines(fresh_bar, capsys):
    for i in range(1, 1001):
        xlua.progress(i, 1000)
    lines = capsys.readouterr().out.split("\n")
    assert lines[-1] == "" and "\r" not in "".join(lines) and "\b" not in "".join(lines)
    lines = lines[:-1]
    assert 10 <= len(lines) <= 12
    assert lines[0].startswith(" [" + "." * 46 + "] 1/1000 ETA: ")
    assert lines[-1].startswith(" [" + "=" * 45 + ">] 1000/1000 Tot: ")


def test_a_new_bar_starts_when_the_count_goes_back(fresh_bar, capsys):
    for _ in range(2):
        for i in range(1, 4):
            xlua.progress(i, 3)
    assert capsys.readouterr().out.count(" 3/3 Tot: ") == 2


def test_progress_refuses_a_bad_goal(fresh_bar):
    with pytest.raises(ValueError, match=r"xlua.progress: expected numbers current and goal > 0, got current=1, goal=0"):
        xlua.progress(1, 0)


@pytest.mark.parametrize(("seconds", "text"), [(0, "0ms"), (0.0125, "12ms"), (65.25, "1m5s"), (3725, "1h2m"),
                                               (90061.5, "1D1h"), (59.999, "59s999ms")])
def test_format_time(seconds, text):
    assert xlua.formatTime(seconds) == text
