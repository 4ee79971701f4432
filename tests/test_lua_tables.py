"""Lua tables, metatables and torch.class in compat.lua; expected values from Lua 5.1's rules (reference
manual §2.8 metatables, §5.5 table library, ltablib.c's sort) and Torch7's torch.class, worked by hand."""
import copy
import pickle

import pytest
import torch

from compat import lua
from compat.t7 import load, save
from compat.t7.objects import T7Object, T7Table


def test_absent_fields_are_nil_everywhere():
    t = lua.Table(x=1)
    assert t.y is None and t["y"] is None and lua.index(t, "y") is None
    assert lua.index(T7Table(a=1), "b") is None and lua.index([1, 2], 3) is None
    assert lua.index([1, 2], "n") is None
    assert lua.index(object(), "modules") is None


def test_index_and_newindex_metamethods():
    base = lua.Table(greet=lambda self: "hi " + self.name)
    obj = lua.setmetatable(lua.Table(name="x"), lua.Table(__index=base))
    assert lua.invoke(obj, "greet") == "hi x" and lua.rawget(obj, "greet") is None
    defaults = lua.setmetatable(lua.Table(), lua.Table(__index=lambda t, k: lua.concat(k, "_default")))
    assert defaults.foo == "foo_default" and lua.rawget(defaults, "foo") is None
    doubled = lua.setmetatable(lua.Table(), lua.Table(__newindex=lambda t, k, v: lua.rawset(t, k, v * 2)))
    doubled.x = 9
    assert doubled.x == 18
    doubled.x = 1                                   # an existing key is set raw
    assert doubled.x == 1
    log = lua.Table()
    proxy = lua.setmetatable(lua.Table(), lua.Table(__newindex=log))
    lua.setindex(proxy, "k", 5)
    assert log.k == 5 and lua.rawget(proxy, "k") is None
    chain = lua.setmetatable(lua.Table(), lua.Table(__index=lua.setmetatable(lua.Table(), lua.Table(__index=base))))
    assert chain.greet is base.greet


def test_operator_metamethods():
    point = lua.Table()
    point.__index = point
    point.__add = lambda a, b: lua.setmetatable(lua.Table(x=a.x + b.x), point)
    point.__sub = lambda a, b: lua.setmetatable(lua.Table(x=a.x - b.x), point)
    point.__unm = lambda a, _: lua.setmetatable(lua.Table(x=-a.x), point)
    point.__eq = lambda a, b: a.x == b.x
    point.__lt = lambda a, b: a.x < b.x
    point.__le = lambda a, b: a.x <= b.x
    point.__concat = lambda a, b: lua.concat(lua.tostring(a), "|", lua.tostring(b))
    point.__tostring = lambda p: lua.concat("P", p.x)
    point.__call = lambda self, k: self.x * k
    a, b = lua.setmetatable(lua.Table(x=7), point), lua.setmetatable(lua.Table(x=2), point)
    assert (a + b).x == 9 and lua.add(a, b).x == 9 and (a - b).x == 5 and (-a).x == -7 and lua.unm(a).x == -7
    assert lua.eq(a, lua.setmetatable(lua.Table(x=7), point)) and not lua.eq(a, b)
    assert b < a and lua.lt(b, a) and a >= b and lua.le(b, b)
    assert lua.concat(a, b) == "P7|P2" and lua.concat(a, "!") == "P7|!"
    assert lua.tostring(a) == "P7" and a(3) == 21
    with pytest.raises(lua.LuaError, match="call a table value"):
        lua.Table()()


def test_le_falls_back_to_not_lt():
    mt = lua.Table(__lt=lambda a, b: a.v < b.v)
    a, b = lua.setmetatable(lua.Table(v=1), mt), lua.setmetatable(lua.Table(v=2), mt)
    assert lua.le(a, b) and not lua.le(b, a)


def test_setmetatable_accepts_t7_tables(tmp_path):
    path = str(tmp_path / "set.t7")
    save(path, {"data": [10, 20, 30], "size": 3})
    loaded = load(path)
    assert isinstance(loaded, T7Table)
    mt = lua.Table(__index=lambda t, i: lua.index(t["data"], i) if isinstance(i, int) else None)
    same = lua.setmetatable(loaded, mt)
    assert same is loaded and isinstance(loaded, lua.Table)
    assert loaded[2] == 20 and loaded.size == 3 and loaded.missing is None
    assert lua.getmetatable(loaded) is mt and dict(lua.pairs(loaded)) == {"data": [10, 20, 30], "size": 3}
    with pytest.raises(TypeError, match="compat.lua.Table"):
        lua.setmetatable([1, 2], mt)


def test_length_pairs_next_order():
    t = lua.Table()
    t["x"] = 1
    t[2] = "b"
    t[1] = "a"
    t[4] = "d"
    assert lua.length(t) == 2                         # the border: t[3] is nil
    assert lua.pairs(t) == [(1, "a"), (2, "b"), ("x", 1), (4, "d")]   # sequence part first
    assert lua.next(t) == (1, "a") and lua.next(t, "x") == (4, "d") and lua.next(t, 4) is None
    assert list(lua.ipairs(t)) == [(1, "a"), (2, "b")]
    assert lua.pairs([5, 6]) == [(1, 5), (2, 6)] and lua.next(lua.Table()) is None
    with pytest.raises(lua.LuaError, match="invalid key to 'next'"):
        lua.next(t, "nope")


def test_table_library():
    t = [35, 25, 50]
    lua.table.insert(t, 62)
    lua.table.insert(t, 1, 83)
    assert lua.table.concat(t, " ") == "83 35 25 50 62"
    assert lua.table.remove(t) == 62 and lua.table.remove(t, 1) == 83 and len(t) == 3
    assert lua.table.remove(t, 7) is None
    assert lua.table.concat([1, 2.5, "x"], ", ") == "1, 2.5, x" and lua.table.concat(["a", "b", "c", "d"], "-", 2, 3) == "b-c"
    with pytest.raises(lua.LuaError, match="invalid value \\(at index 2\\)"):
        lua.table.concat([1, lua.Table()])
    d = lua.Table({1: "a", 2: "b", 3: "c"})
    lua.table.insert(d, 2, "z")
    assert [d[i] for i in range(1, 5)] == ["a", "z", "b", "c"]
    assert lua.table.remove(d, 1) == "a" and lua.length(d) == 3
    assert lua.unpack([8, 11, 23]) == (8, 11, 23) and lua.unpack([1, 2, 3], 2) == (2, 3)
    assert lua.table.maxn(lua.Table({1: "a", 7: "b", "k": 1})) == 7 and lua.table.getn([1, 2]) == 2
    assert lua.table.splice([1, 2, 3, 4], 2, 2) == ([1, 4], [2, 3]) and lua.table.prune([1, 2, 1]) == [1, 2]


def test_sort_is_luas_quicksort():
    t = [-19, 1, -11, 17, -5, 19]
    lua.table.sort(t)
    assert t == [-19, -11, -5, 1, 17, 19]
    lua.table.sort(t, lambda a, b: a > b)
    assert t == [19, 17, 1, -5, -11, -19]
    words = ["9", "10", "Apple", "Banana", "cherry"]
    lua.table.sort(words)
    assert words == ["10", "9", "Apple", "Banana", "cherry"]
    # ties end where Lua's algorithm puts them: [a1, b1, c0] by number -> c, b, a (a stable sort gives c, a, b)
    recs = [("a", 1), ("b", 1), ("c", 0)]
    lua.table.sort(recs, lambda x, y: x[1] < y[1])
    assert [r[0] for r in recs] == ["c", "b", "a"]
    d = lua.Table({1: 3, 2: 1, 3: 2})
    lua.table.sort(d)
    assert [d[i] for i in (1, 2, 3)] == [1, 2, 3]
    with pytest.raises(lua.LuaError, match="compare"):
        lua.table.sort([1, "x", 2])


def test_globals_table():
    env = {"x": 1}
    g = lua.Globals(env)
    assert g.x == 1 and g["x"] == 1 and lua.index(g, "y") is None
    g.y = "set"
    lua.setindex(g, "z", 3)
    assert env["y"] == "set" and env["z"] == 3
    g.x = None
    assert "x" not in env and ("y", "set") in lua.pairs(g)


def test_torch_class_with_user_parent_and_globals():
    env = {}
    Animal, _ = lua.torch_class("TestAnimal31", None, env)
    Animal.__init = lambda self, name: setattr(self, "name", name) or setattr(self, "legs", 4)
    Animal.speak = lambda self: lua.concat(self.name, " makes a sound")
    Bird, parent = lua.torch_class("TestBird31", "TestAnimal31", env)

    def bird_init(self, name):
        parent.__init(self, name)
        self.legs = 2
    Bird.__init = bird_init
    Bird.__tostring = lambda self: lua.concat("Bird(", self.name, ")")
    assert env["TestAnimal31"] is Animal and env["TestBird31"] is Bird
    a, b = env["TestAnimal31"]("dog"), env["TestBird31"]("robin")
    assert lua.invoke(b, "speak") == "robin makes a sound" and b.legs == 2 and a.legs == 4
    assert lua.torch.type(b) == "TestBird31" and lua.torch.typename(a) == "TestAnimal31"
    assert lua.torch.isTypeOf(b, "TestAnimal31") and not lua.torch.isTypeOf(a, "TestBird31")
    assert lua.torch.isTypeOf(b, Bird) and lua.torch.getmetatable("TestBird31") is Bird
    assert lua.tostring(b) == "Bird(robin)" and b.wings is None and lua.index(b, "wings") is None
    assert Bird.__dict__["__typename"] == "TestBird31" and lua.type(b) == "table"
    assert lua.getmetatable(b) is Bird


def test_torch_class_metamethods_and_module_parent():
    Vec, _ = lua.torch_class("TestVec32", None, {})
    Vec.__init = lambda self, x: setattr(self, "x", x)
    Vec.__add = lambda a, b: Vec(a.x + b.x)
    Vec.__lt = lambda a, b: a.x < b.x
    assert (Vec(1) + Vec(2)).x == 3 and Vec(1) < Vec(2) and lua.lt(Vec(1), Vec(2))
    Layer, parent = lua.torch_class("nn.TestLayer32", "nn.Module")

    def layer_init(self, k):
        parent.__init(self)
        self.k = k
    Layer.__init = layer_init
    from compat import nn
    assert nn.TestLayer32 is Layer and Layer(3).k == 3 and lua.torch.typename(Layer(3)) == "nn.TestLayer32"
    with pytest.raises(ValueError, match="neither a class made by torch.class"):
        lua.torch_class("TestOrphan32", "NoSuchParent32", {})


def test_torch_class_tostring_conventions():
    Named, _ = lua.torch_class("TestNamed33", None, {})
    Named.__tostring__ = lambda self: "named!"          # Torch7's own convention for classes
    assert lua.tostring(Named()) == "named!"


def test_copies_keep_the_metatable():
    t = lua.setmetatable(lua.Table(x=1), lua.Table(__index=lua.Table(y=2)))
    for other in (copy.copy(t), copy.deepcopy(t), pickle.loads(pickle.dumps(t))):
        assert dict(other) == {"x": 1} and other.y == 2


def test_torch_type_of_any_value():
    assert lua.torch.type(torch.ones(2, dtype=torch.float64)) == "torch.DoubleTensor"
    assert lua.torch.type(torch.ones(2) > 0) == "torch.ByteTensor"      # Torch7's comparisons give bytes
    assert lua.torch.type(3) == "number" and lua.torch.type("s") == "string" and lua.torch.type(None) == "nil"
    assert lua.torch.typename(3) is None and lua.torch.type(lua.Table()) == "table"


def test_objects_of_unknown_torch_classes_are_tables():
    obj = T7Object("nn.Unknown", T7Table({"w": 2, 1: "a", 2: "b"}))
    assert lua.index(obj, "w") == 2 and lua.index(obj, "missing") is None and lua.index(obj, 3) is None
    assert lua.length(obj) == 2 and dict(lua.pairs(obj)) == {1: "a", 2: "b", "w": 2}
    assert lua.torch.typename(obj) == "nn.Unknown" and lua.torch.isTypeOf(obj, "nn%.Unk")
