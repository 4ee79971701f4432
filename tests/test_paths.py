"""compat.paths against paths.c's POSIX rules (expected values worked out from the C source by hand)."""
import errno
import os

import pytest

from compat import paths


@pytest.mark.parametrize(("name", "directory", "base"), [
    ("a/b", "a", "b"), ("/a", "/", "a"), ("a", ".", "a"), ("/", "/", ""), ("a/b/", "a", "b"),
    ("a//b", "a/", "b"), ("/a/b/c/", "/a/b", "c"), ("//x", "/", "x")])
def test_dirname_and_basename(name, directory, base):
    assert (paths.dirname(name), paths.basename(name)) == (directory, base)


def test_basename_suffix_and_extname():
    assert paths.basename("x/model.t7", "t7") == "model" == paths.basename("x/model.t7", ".t7")
    assert paths.basename("x/t7", "t7") == "t7" and paths.basename("a.T7", "t7") == "a.T7"
    assert paths.extname("data/batch.t7") == "t7" and paths.extname("README") is None


def test_concat_is_relative_to_the_cwd(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    here = os.getcwd()
    assert paths.concat() == here == paths.cwd()
    assert paths.concat("a", "b") == here + "/a/b"
    assert paths.concat("a", "../b/./c/") == here + "/b/c"
    assert paths.concat("/x/y", "..", "z") == "/x/z"
    assert paths.concat("rel", "/abs//p") == "/abs/p"
    assert paths.concat("/", "..", "..") == "/"


def test_filep_dirp_mkdir_rmdir(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    assert paths.filep(str(f)) and not paths.dirp(str(f))
    assert paths.dirp(str(tmp_path)) and not paths.filep(str(tmp_path))
    deep = tmp_path / "a" / "b" / "c"
    assert paths.mkdir(str(deep)) is True and paths.dirp(str(deep))
    result = paths.mkdir(str(deep))
    assert result == (None, f"{deep}: {os.strerror(errno.EEXIST)}", errno.EEXIST)
    assert paths.rmdir(str(deep)) is True and not paths.dirp(str(deep))
    assert sorted(paths.dir(str(tmp_path))) == sorted([".", "..", "a", "file.txt"])


def test_home_and_errors():
    assert paths.home == (os.environ.get("HOME") or ".")
    with pytest.raises(TypeError, match="paths.concat: argument 2 must be a string, got int"):
        paths.concat("a", 3)
