"""compat.torch's Lua helpers (compat.torch_extras): seeding, threads, default tensor type, Timer, randperm,
CmdLine (semantics of torch7 CmdLine.lua, checked by hand)."""
import sys
import time

import pytest
import torch

from compat import torch_extras
from compat.torch_extras import CmdLine, Timer, lua_tostring


@pytest.fixture
def restore_torch_state():
    dtype, threads = torch.get_default_dtype(), torch.get_num_threads()
    yield
    torch.set_default_dtype(dtype)
    torch.set_num_threads(threads)


def test_manual_seed_reproduces_the_stream():
    torch_extras.manualSeed(5)
    a = torch.rand(4)
    torch.manual_seed(5)
    assert torch.equal(a, torch.rand(4))
    torch_extras.manualSeed(5.0)  # Lua numbers are doubles
    assert torch.equal(a, torch.rand(4))
    with pytest.raises(TypeError, match="seed"):
        torch_extras.manualSeed(1.5)


def test_threads(restore_torch_state):
    torch_extras.setnumthreads(1)
    assert torch_extras.getnumthreads() == torch.get_num_threads() == 1
    with pytest.raises(ValueError, match="threads"):
        torch_extras.setnumthreads(0)


def test_default_tensor_type(restore_torch_state):
    torch_extras.setdefaulttensortype("torch.DoubleTensor")
    assert torch.get_default_dtype() == torch.float64
    assert torch_extras.getdefaulttensortype() == "torch.DoubleTensor"
    assert torch.zeros(1).dtype == torch.float64
    torch_extras.setdefaulttensortype("torch.FloatTensor")
    assert torch.get_default_dtype() == torch.float32
    assert torch_extras.getdefaulttensortype() == "torch.FloatTensor"
    with pytest.raises(ValueError, match="torch.LongTensor"):
        torch_extras.setdefaulttensortype("torch.LongTensor")
    with pytest.raises(ValueError, match="torch.Nope"):
        torch_extras.setdefaulttensortype("torch.Nope")
    with pytest.raises(TypeError, match="string"):
        torch_extras.setdefaulttensortype(torch.float64)


def test_randperm_is_one_based():
    p = torch_extras.randperm(10)
    assert p.dtype == torch.int64
    assert sorted(p.tolist()) == list(range(1, 11))
    assert torch_extras.randperm(3, "torch.DoubleTensor").dtype == torch.float64
    assert torch_extras.randperm(4.0, "torch.LongTensor").shape == (4,)
    with pytest.raises(ValueError, match="n must be >= 1"):
        torch_extras.randperm(0)
    with pytest.raises(ValueError, match="typename"):
        torch_extras.randperm(3, "torch.Bogus")


def test_timer_stop_resume_reset():
    t = Timer()
    time.sleep(0.02)
    t.stop()
    stopped = t.time()
    assert set(stopped) == {"real", "user", "sys"}
    assert stopped.real >= 0.015 and stopped["real"] == stopped.real
    time.sleep(0.02)
    assert t.time().real == stopped.real       # a stopped timer does not advance
    t.resume()
    time.sleep(0.01)
    assert t.time().real >= stopped.real + 0.005
    t.reset()
    assert t.time().real < stopped.real


def test_lua_tostring():
    assert lua_tostring(1) == "1"
    assert lua_tostring(1.0) == "1"
    assert lua_tostring(0.001) == "0.001"
    assert lua_tostring(1 / 3) == "0.33333333333333"
    assert lua_tostring(True) == "true" and lua_tostring(None) == "nil"
    assert lua_tostring(False) == "false"                      # not "0": a boolean, not a number
    assert lua_tostring(1e20) == "1e+20" and lua_tostring(-0.0) == "-0"
    # LuaJIT shows no sign on a NaN: Torch7 printed 0/0 (sign bit set on x86) as nan (lua/print_negzero_inf_nan)
    assert lua_tostring(float("inf")) == "inf" and lua_tostring(float("-nan")) == "nan"
    # Lua numbers are doubles printed with %.14g: 15+ significant digits take an exponent, ints too
    assert lua_tostring(12345678901234) == "12345678901234"
    # ... and LuaJIT rounds an exact tie away from zero (Torch7 printed this in lua/print_float_rounding)
    assert lua_tostring(123456789012345) == "1.2345678901235e+14"
    assert lua_tostring(2 ** 53 + 1) == lua_tostring(float(2 ** 53)) == "9.007199254741e+15"
    assert lua_tostring(10 ** 400) == "inf"
    assert lua_tostring("abc") == "abc"


def _cifar_cmd():
    # an option block of the kind Torch7 training scripts start with: flags, numbers, a text header
    cmd = CmdLine()
    cmd.text()
    cmd.text("Image classifier")
    cmd.text()
    cmd.text("Options:")
    cmd.option("-data", False, "read every training file")
    cmd.option("-seed", 1, "random seed")
    cmd.option("-learningRate", 1e-3, "first step size")
    cmd.option("-batchSize", 1, "samples per update")
    cmd.option("-usegpu", False, "move the model to CUDA")
    cmd.text()
    return cmd


def test_cmdline_defaults_and_values():
    cmd = _cifar_cmd()
    opt = cmd.parse([])
    assert opt == {"data": False, "seed": 1, "learningRate": 1e-3, "batchSize": 1, "usegpu": False}
    opt = cmd.parse(["-seed", "7", "-learningRate", "0.05", "-data", "-batchSize", "0x10"])
    assert opt.seed == 7 and isinstance(opt.seed, int)
    assert opt.learningRate == 0.05 and opt.data is True and opt.batchSize == 16
    assert opt.usegpu is False


def test_cmdline_accepts_sys_argv(monkeypatch):
    cmd = _cifar_cmd()
    monkeypatch.setattr(sys, "argv", ["script.py", "-seed", "3"])
    assert cmd.parse(sys.argv).seed == 3
    assert cmd.parse().seed == 3


def test_cmdline_help_and_errors(capsys):
    cmd = _cifar_cmd()
    with pytest.raises(SystemExit) as exc:
        cmd.parse(["-h"])
    assert exc.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("[options]")
    assert lines[1:5] == ["", "Image classifier", "", "Options:"]
    assert lines[5] == "  -data         read every training file [false]"
    assert lines[7] == "  -learningRate first step size [0.001]"
    for bad, message in [(["-nope"], "unknown option -nope"), (["-seed"], "missing argument for option -seed"),
                         (["-seed", "abc"], "invalid type for option -seed"), (["extra"], "invalid argument: extra")]:
        with pytest.raises(SystemExit) as exc:
            cmd.parse(bad)
        assert exc.value.code == 1
        assert message in capsys.readouterr().err


def test_cmdline_arguments_and_string(capsys):
    cmd = CmdLine()
    cmd.argument("-dataset", "data set name")
    cmd.option("-lr", 0.1, "learning rate")
    cmd.option("-flag", False, "a flag")
    cmd.option("-name", "x", "a string")
    opt = cmd.parse(["cifar", "-lr", "0.5", "-flag"])
    assert opt.dataset == "cifar" and opt.lr == 0.5 and opt.flag is True and opt.name == "x"
    assert cmd.string("run", opt, {}) == "run,dataset=cifar,flag=t,lr=0.5"
    assert cmd.string("run", opt, {"lr": True, "name": False}) == "run,dataset=cifar,flag=t,name=x"
    assert "-- ignore option lr" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cmd.parse([])  # the positional argument is missing
    with pytest.raises(ValueError, match="no default"):
        cmd.option("-bad", None, "help")
    with pytest.raises(ValueError, match="wrong default type"):
        cmd.option("-bad", 1, "help", "string")
