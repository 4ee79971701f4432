"""compat.lfs against LuaFileSystem's documented results: True on success, (nil, message, errno) on
failure, '.' and '..' in listings, stat fields as a table with the mode as a word."""
import errno
import os

import pytest

from compat import lfs


def test_mkdir_rmdir_results(tmp_path):
    d = str(tmp_path / "d")
    assert lfs.mkdir(d) is True
    assert lfs.mkdir(d) == (None, os.strerror(errno.EEXIST), errno.EEXIST)
    open(os.path.join(d, "f"), "w").close()
    ok, message, code = lfs.rmdir(d)
    assert ok is None and code == errno.ENOTEMPTY and message == os.strerror(errno.ENOTEMPTY)
    os.remove(os.path.join(d, "f"))
    assert lfs.rmdir(d) is True
    assert lfs.rmdir(d) == (None, "No such file or directory", errno.ENOENT)
    assert lfs.mkdir(str(tmp_path / "a" / "b"))[2] == errno.ENOENT      # parents are not made


def test_dir_lists_dot_entries_and_raises_on_a_missing_folder(tmp_path):
    for name in ("x", "y"):
        (tmp_path / name).write_text(name)
    assert sorted(lfs.dir(str(tmp_path))) == [".", "..", "x", "y"]
    with pytest.raises(OSError, match="cannot open .*missing: No such file or directory"):
        lfs.dir(str(tmp_path / "missing"))


def test_attributes_table_and_single_fields(tmp_path):
    f = tmp_path / "data.txt"
    f.write_text("lua" * 7)
    a = lfs.attributes(str(f))
    assert a.mode == "file" and a.size == 21 and a["size"] == 21
    assert a.modification == int(os.stat(f).st_mtime) and len(a.permissions) == 9
    assert lfs.attributes(str(f), "mode") == "file" and lfs.attributes(str(tmp_path), "mode") == "directory"
    missing = str(tmp_path / "none")
    ok, message, code = lfs.attributes(missing)
    assert ok is None and code == errno.ENOENT
    assert message == f"cannot obtain information from file '{missing}': No such file or directory"
    with pytest.raises(ValueError, match="invalid attribute name 'colour'"):
        lfs.attributes(str(f), "colour")
    os.symlink(f, tmp_path / "link")
    assert lfs.symlinkattributes(str(tmp_path / "link"), "mode") == "link"
    assert lfs.attributes(str(tmp_path / "link"), "mode") == "file"


def test_currentdir_chdir_and_touch(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert lfs.currentdir() == str(tmp_path)
    os.mkdir("sub")
    assert lfs.chdir("sub") is True and lfs.currentdir() == str(tmp_path / "sub")
    ok, message, code = lfs.chdir("nowhere")
    assert ok is None and code == errno.ENOENT and message.startswith("Unable to change working directory to 'nowhere'")
    open("t", "w").close()
    assert lfs.touch("t", 1000, 2000) is True
    assert (os.stat("t").st_atime, os.stat("t").st_mtime) == (1000, 2000)
    assert lfs.touch("absent")[2] == errno.ENOENT


def test_a_path_must_be_a_string():
    with pytest.raises(TypeError, match="lfs.mkdir: expected a path"):
        lfs.mkdir(None)
