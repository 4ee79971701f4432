"""compat.luasys (Lua's sys): clock/tic/toc, execute, fpath, split, the paths aliases, COLORS."""
import os
import time

import pytest

from compat import luasys, paths


def test_clock_is_epoch_seconds_and_toc_measures_from_tic(monkeypatch):
    assert abs(luasys.clock() - time.time()) < 5
    readings = iter([100.0, 100.25])
    monkeypatch.setattr(luasys, "clock", lambda: next(readings))
    luasys.tic()
    assert luasys.toc() == 0.25


def test_toc_verbose_prints_the_time(monkeypatch, capsys):
    readings = iter([1.0, 3.5])
    monkeypatch.setattr(luasys, "clock", lambda: next(readings))
    luasys.tic()
    assert luasys.toc(True) == 2.5
    assert capsys.readouterr().out == "2.5\n"


def test_execute_returns_stripped_output_with_stderr():
    assert luasys.execute("echo '  hello '; sh -c 'echo oops >&2'") == "hello \noops"


def test_fpath_is_the_callers_directory_and_name():
    assert luasys.fpath() == (os.path.dirname(os.path.abspath(__file__)), os.path.basename(__file__))


def test_split_keeps_inner_empty_pieces():
    assert luasys.split("a,b,,c,", ",") == ["a", "b", "", "c"]
    assert luasys.split(",a", ",") == ["a"]


def test_aliases_colors_and_os():
    assert luasys.dirname is paths.dirname and luasys.concat is paths.concat
    assert luasys.COLORS.red == "\x1b[0;31m" and luasys.COLORS["none"] == "\x1b[0m"
    assert luasys.OS in ("linux", "macos", "windows", "?") and luasys.isNaN(float("nan"))


def test_bad_arguments():
    with pytest.raises(TypeError, match="luasys.execute: cmd must be a string, got list"):
        luasys.execute(["ls"])
