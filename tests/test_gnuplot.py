"""compat.gnuplot: every figure form writes a non-empty file where the docs say; redraws are
rate-limited and the last state is always drawn (plotflush, close, program end); optim.Logger's
plot() follows the same rule."""
import subprocess
import sys
import textwrap

import pytest
import torch

from compat import gnuplot, optim


@pytest.fixture(autouse=True)
def _fresh_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHAD_GNUPLOT_DIR", str(tmp_path))
    monkeypatch.setenv("TORCHAD_PLOT_INTERVAL", "0")
    yield
    gnuplot.closeall()


def _renders(monkeypatch):
    counted = []
    original = gnuplot._Figure.render

    def render(self):
        counted.append(self.number)
        original(self)
    monkeypatch.setattr(gnuplot._Figure, "render", render)
    return counted


def test_each_form_draws_its_file(tmp_path, capsys):
    x = torch.linspace(0, 3, 20)
    assert gnuplot.figure(1) == 1
    gnuplot.plot(x.sin())
    gnuplot.plot(x, x.cos(), "+")
    gnuplot.plot(["sin", x, x.sin(), "-"], ["cos", x, x.cos(), "+-"])
    gnuplot.plot([["a", x, "|"], ["b", [1, 2, 3], [3, 1, 2], "."]])
    gnuplot.title("curves")
    gnuplot.xlabel("t")
    gnuplot.grid(True)
    gnuplot.axis([0, 3, -1, 1])
    gnuplot.movelegend("left", "bottom")
    path = tmp_path / "gnuplot-figure-1.png"
    assert path.stat().st_size > 1000
    assert capsys.readouterr().err.count(f"gnuplot: figure 1 is drawn into {path}") == 1
    assert gnuplot.figure() == 2
    counts = gnuplot.hist(torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0]), 2, 0, 1)
    assert counts.tolist() == [2.0, 3.0]                        # torch.histc's bins: [0, .5), [.5, 1]
    gnuplot.pngfigure(str(tmp_path / "img.png"))
    gnuplot.imagesc(torch.arange(12.0).view(3, 4), "gray")
    gnuplot.epsfigure(str(tmp_path / "surface.eps"))
    gnuplot.splot(torch.arange(12.0).view(3, 4))
    gnuplot.plotflush()
    for name in ("gnuplot-figure-2.png", "img.png", "surface.eps"):
        assert (tmp_path / name).stat().st_size > 1000, name
    assert (tmp_path / "surface.eps").read_bytes().startswith(b"%!PS")


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown style 'o'"):
        gnuplot.plot(torch.ones(3), "o")
    with pytest.raises(ValueError, match="same size, got 3 and 2"):
        gnuplot.plot(torch.ones(3), torch.ones(2))
    with pytest.raises(ValueError, match="expected a 2-D tensor, got 1-D"):
        gnuplot.imagesc(torch.ones(3))
    with pytest.raises(ValueError, match="movelegend"):
        gnuplot.movelegend("up", "top")


def test_redraws_are_rate_limited_and_the_last_state_is_drawn(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHAD_PLOT_INTERVAL", "1000")
    renders = _renders(monkeypatch)
    gnuplot.figure(5)
    for i in range(50):
        gnuplot.plot(torch.arange(float(i + 2)))
    assert renders == [5]                                       # the first call drew, the rest are due
    gnuplot.plotflush()
    assert renders == [5, 5]
    gnuplot.plotflush()                                         # nothing due: no drawing
    gnuplot.title("last")
    gnuplot.close()
    assert renders == [5, 5, 5]


def test_the_program_end_draws_what_is_due(tmp_path):
    program = textwrap.dedent(f"""
        import os, torch
        os.environ["TORCHAD_PLOT_INTERVAL"] = "1000"
        from compat import gnuplot, optim
        gnuplot.pngfigure({str(tmp_path / 'g.png')!r})
        gnuplot.plot(torch.ones(3))
        os.remove({str(tmp_path / 'g.png')!r})
        gnuplot.plot(torch.zeros(3))           # due, drawn at exit
        log = optim.Logger({str(tmp_path / 'train.log')!r})
        log.setNames(["loss"])
        for i in range(1000):
            log.add([1.0 / (i + 1)])
            log.plot()
        os.remove({str(tmp_path / 'train.log.png')!r})
    """)
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "g.png").stat().st_size > 1000 and (tmp_path / "train.log.png").stat().st_size > 1000


def test_logger_plot_every_step_renders_a_few_times(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHAD_PLOT_INTERVAL", "1000")
    log = optim.Logger(str(tmp_path / "train.log"))
    rendered = []
    monkeypatch.setattr(log._redraw, "render", lambda: rendered.append(len(log.symbols[1])))
    log.setNames(["loss"])
    for i in range(500):
        log.add([float(i)])
        assert log.plot() == str(tmp_path / "train.log") + ".png" or i == 0
    assert rendered == [2]
    log.close()
    assert rendered == [2, 500]
