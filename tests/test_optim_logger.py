"""optim.Logger: the log file equals what Torch7's optim.Logger wrote (fixtures/t7/wave2/names.log and
keyed.log, made by logger.lua beside them), and plot() writes a PNG next to the log."""
from pathlib import Path

import pytest

from compat import optim

LOGS = Path(__file__).parent / "fixtures" / "t7" / "wave2"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _names_log(path):
    """logger.lua's first logger, line for line."""
    logger = optim.Logger(str(path))
    logger.setNames(["training error", "test error"])
    for i in range(1, 5):
        logger.add([1 / i, 0.5 + i * 0.125])
    logger.add([1e-7, 123456789.5])
    return logger


def test_names_log_is_torch7s_bytes(tmp_path):
    _names_log(tmp_path / "names.log")
    assert (tmp_path / "names.log").read_bytes() == (LOGS / "names.log").read_bytes()


def test_keyed_log_is_torch7s_bytes(tmp_path):
    logger = optim.Logger(str(tmp_path / "keyed.log"))
    for i in range(1, 4):
        logger.add({"% mean class accuracy (train set)": 10 * i + 0.25})
    assert (tmp_path / "keyed.log").read_bytes() == (LOGS / "keyed.log").read_bytes()


def test_plot_writes_a_png_next_to_the_log(tmp_path):
    logger = _names_log(tmp_path / "sub" / "names.log")     # the directory is created, as Lua's mkdir -p
    logger.style(["-", ["+", "|"]]).setlogscale(True)
    path = logger.plot()
    assert path == str(tmp_path / "sub" / "names.log.png")
    data = Path(path).read_bytes()
    assert len(data) > 1000 and data.startswith(PNG_MAGIC)


def test_plot_of_named_symbols_and_nothing_to_draw(tmp_path):
    logger = optim.Logger(str(tmp_path / "acc.log"))
    logger.add({"train": 0.5, "test": 0.25})
    assert logger.plot() is None                            # one value per curve: Lua draws nothing
    logger.add({"train": 0.75, "test": 0.5})
    assert Path(logger.plot("test")).read_bytes().startswith(PNG_MAGIC)


def test_strings_are_logged_as_is_and_timestamp_names_the_file(tmp_path):
    logger = optim.Logger(str(tmp_path / "run.log"), True)
    logger.setNames(["epoch", "note"])
    logger.add([3, "best"])
    (written,) = list(tmp_path.glob("run.log-*"))
    assert written.read_text() == "epoch\tnote\t\n 3.0000e+00\tbest\t\n"


def test_no_filename_logs_to_stdout(capsys):
    logger = optim.Logger()
    logger.add([1.5])
    assert capsys.readouterr().out == ("<Logger> warning: no path provided, logging to std out\n"
                                       "1\t\n 1.5000e+00\t\n")


def test_bad_values_and_styles_are_refused(tmp_path):
    logger = optim.Logger(str(tmp_path / "x.log"))
    with pytest.raises(TypeError, match="can only log numbers and strings, got None"):
        logger.add([None])
    with pytest.raises(ValueError, match="unknown style 'o' for 1"):
        logger.style(["o"])
    logger.setNames(["loss"])
    with pytest.raises(KeyError, match="no symbol named 'acc'; the names are \\['loss'\\]"):
        logger.plot("acc")
