"""compat.csvigo against csvigo's rules: fields are strings, quoted fields unquoted, header
detection, the four load modes, save's quoting and Lua's number format."""
import pytest

from compat import csvigo


def _write(tmp_path, text, name="f.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return str(path)


def test_raw_mode_parses_quotes_and_empty_fields(tmp_path):
    path = _write(tmp_path, 'a,b,c\r\n1,"x, ""y""",\n"",2,3\n')
    assert csvigo.load(path, ",", "raw", verbose=False) == [["a", "b", "c"], ["1", 'x, "y"', ""], ["", "2", "3"]]


def test_tidy_mode_header_auto_and_names(tmp_path, capsys):
    path = _write(tmp_path, "name;v\nann;1\nbo;2\n")
    d = csvigo.load({"path": path, "separator": ";"})
    assert dict(d) == {"name": ["ann", "bo"], "v": ["1", "2"]}
    assert capsys.readouterr().out == (f"<csv>\tparsing file: {path}\n<csv>\ttidying up entries\n"
                                       "<csv>\treturning tidy table\n")
    numeric = _write(tmp_path, "1 2\n3   4\n", "n.csv")
    d = csvigo.load({"path": numeric, "separator": " ", "verbose": False})      # auto: no header
    assert dict(d) == {"var_1": ["1", "3"], "var_2": ["2", "4"]}
    names, d = csvigo.load({"path": path, "separator": ";", "verbose": False, "column_order": True})
    assert names == ["name", "v"]
    d = csvigo.load({"path": path, "separator": ";", "verbose": False, "header": False, "skip": 1})
    assert dict(d) == {"var_1": ["ann", "bo"], "var_2": ["1", "2"]}


def test_query_mode_union_inter_vars(tmp_path):
    path = _write(tmp_path, "id,k,s\n1,a,x\n2,b,y\n3,a,y\n4,c,x\n")
    q = csvigo.load({"path": path, "mode": "query", "verbose": False})
    assert sorted(q("vars")) == ["id", "k", "s"]
    assert q("union", {"k": ["a", "c"]})["id"] == ["1", "3", "4"]
    assert q("union", {"k": "a", "s": "x"})["id"] == ["1", "3", "4"]       # doubles removed
    assert q("inter", {"k": "a", "s": "y"})["id"] == ["3"]
    assert q("inter", {"id": 2})["k"] == ["b"]                               # values compared as strings
    assert q()["id"] == ["1", "2", "3", "4"]


def test_large_mode_decodes_rows_on_indexing(tmp_path):
    lines = [f"{i},{i * i}" for i in range(1, 41)]
    d = csvigo.load({"path": _write(tmp_path, "\n".join(lines)), "mode": "large", "verbose": False})
    assert len(d) == 40 and d[3] == ["3", "9"] and list(d)[-1] == ["40", "1600"]
    shown = str(d).splitlines()
    assert shown[:10] == lines[:10] and shown[10:20] == [".. .. .. .. .. .. .. .. .. "] * 10
    assert shown[20:] == lines[29:]
    with pytest.raises(IndexError):
        d[41]
    with pytest.raises(TypeError):
        d[1] = ["x"]


def test_save_raw_and_tidy_round_trip(tmp_path):
    path = str(tmp_path / "out.csv")
    csvigo.save({"path": path, "data": [["n", "t"], [1, 'say "hi", bye'], [0.1 + 0.2, 1e20]], "verbose": False})
    assert open(path).read() == 'n,t\n1,"say ""hi"", bye"\n0.3,1e+20\n'
    assert csvigo.load(path, mode="raw", verbose=False)[1] == ["1", 'say "hi", bye']
    csvigo.save({"path": path, "data": {"b": [1, 2], "a": ["x", "y"]}, "column_order": ["a", "b"],
                 "separator": "|", "verbose": False})
    assert open(path).read() == "a|b\nx|1\ny|2\n"


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(TypeError, match="path: expected a string"):
        csvigo.load({"mode": "raw"})
    with pytest.raises(ValueError, match="mode: expected"):
        csvigo.load(_write(tmp_path, "a\n"), mode="fancy")
    with pytest.raises(TypeError, match="unknown argument 'sep'"):
        csvigo.load({"path": "x", "sep": ";"})
