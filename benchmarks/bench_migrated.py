"""Translated Lua programs against the same programs written directly in PyTorch.

    python benchmarks/bench_migrated.py [--rounds 3] [--quick] [--write-results]

Three Lua programs of the project (benchmarks/lua/) in the shapes Torch7 users wrote most:

- ``linear_regression``: torch/demos' linear regression, ``optim.sgd`` one sample per step on
  ``nn.Linear(2, 1)``, an ``optim.Logger`` that plots after every epoch;
- ``convnet_sgd``: a small convnet trained one sample at a time by ``nn.StochasticGradient``;
- ``mlp_adam``: an MLP trained on mini-batches by ``optim.adam`` with a ``feval`` closure.

Each is translated by torchad-migrate (``python -m compat.migrate``, in a subprocess, as a user runs
it) and run in this process; its PyTorch counterpart (``torch.nn``, ``torch.optim``, autograd, the
same loops, sizes and float64 as Lua's default tensor type) runs in the same process. After one
warm-up run of each (imports, matplotlib's first render), each round runs the two back to back, so
that a change in the machine's load touches both; each figure is the median over ``--rounds``.
The last columns count, per 100 lines of the translated program, the runtime-helper call sites:
the ``lua.x(...)`` calls the translator puts where it could not prove what a value is, or where
Lua's meaning needs one (``lua.index``, ``lua.setindex``, ``lua.invoke``, ``lua.expand``,
``lua.values``, ``lua.first``, ``lua.truth``, ``lua.or_``, the arithmetic and comparison helpers,
``lua.length``, ``lua.range``, ``lua.Table``...). The Lua program's own calls of Lua's and Torch7's
library (``print``, ``string.format``, ``table.insert``, ``math.min``, ``torch.max``... translated
as ``lua.print(...)`` and so on, one for one) are counted apart, as "library calls": they are the
program's calls, not the translator's. Torch7's tensor methods called directly on a value proven a
tensor (``T7.sum(x)`` for ``x:sum()``) are neither. The table ends with the same counts over the
project's Lua corpus (tests/migrate/*.lua).
"""
import argparse
import contextlib
import functools
import io
import os
import runpy
import statistics
import subprocess
import sys
import tempfile
import tokenize
from pathlib import Path

import _results
import torch
from _timing import median_seconds

from compat import _redraw, lua

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "benchmarks" / "lua"
CORPUS = ROOT / "tests" / "migrate"
# (program, its arguments in full, its arguments with --quick)
CASES = [
    ("linear_regression", ["300"], ["30"]),
    ("convnet_sgd", ["200", "3"], ["40", "1"]),
    ("mlp_adam", ["2048", "10"], ["256", "2"]),
]


# ------------------------------------------------------------------------------ helper sites
# lua.<name> calls that are the Lua program's own calls of Lua's or Torch7's library.
LIBRARY = frozenset("""print string table math io os type tostring tonumber pairs ipairs select unpack
setmetatable getmetatable rawget rawset rawequal next assert_ error pcall torch torch_class""".split())


def helper_sites(code):
    """(runtime-helper call sites, Lua library calls, lines of code) of translated Python source: a
    call site is a dotted name starting with ``lua`` followed by ``(``; those whose second part is
    in LIBRARY are library calls; lines exclude blank lines and lines that hold only a comment."""
    tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    sites = library = 0
    for i, tok in enumerate(tokens):
        if tok.type != tokenize.NAME or tok.string != "lua":
            continue
        if i > 0 and tokens[i - 1].string == ".":
            continue                                    # x.lua is an attribute, not the helpers
        j = i + 1
        while j + 1 < len(tokens) and tokens[j].string == "." and tokens[j + 1].type == tokenize.NAME:
            j += 2
        if j > i + 1 and j < len(tokens) and tokens[j].string == "(":
            if tokens[i + 2].string in LIBRARY:
                library += 1
            else:
                sites += 1
    lines = {tok.start[0] for tok in tokens
             if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                                 tokenize.DEDENT, tokenize.ENDMARKER)}
    return sites, library, len(lines)


def translate(lua_file, out_dir):
    """Translate ``lua_file`` with the command-line tool; the path of the Python file."""
    out = Path(out_dir) / (lua_file.stem + ".py")
    subprocess.run([sys.executable, "-m", "compat.migrate", str(lua_file), "-o", str(out), "--force"],
                   check=True, cwd=out_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out


def corpus_sites(out_dir):
    """Helper call sites, library calls and code lines over the translated tests/migrate/*.lua."""
    sites = library = lines = 0
    for lua_file in sorted(CORPUS.glob("*.lua")):
        s, b, n = helper_sites(translate(lua_file, out_dir).read_text())
        sites, library, lines = sites + s, library + b, lines + n
    return sites, library, lines


def sites_row(sites, library, lines):
    return f"{sites} in {lines} lines | {100 * sites / lines:.1f} | {100 * library / lines:.1f}"


# ------------------------------------------------------------------------------ PyTorch counterparts
DTYPE = torch.float64


def pytorch_linear_regression(epochs, logfile):
    torch.manual_seed(7)
    rows = 20
    data = torch.empty(rows, 3, dtype=DTYPE)
    noise = torch.randn(rows, dtype=DTYPE)
    for i in range(1, rows + 1):
        fertilizer, insecticide = 2 + i % 5, 1 + i % 7
        data[i - 1, 1] = fertilizer
        data[i - 1, 2] = insecticide
        data[i - 1, 0] = 10 + 3 * fertilizer + 1.5 * insecticide + 0.1 * noise[i - 1].item()
    model = torch.nn.Sequential(torch.nn.Linear(2, 1)).to(DTYPE)
    criterion = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    step = 0
    with open(logfile, "w") as log:
        log.write("training error\n")
        for _ in range(epochs):
            total = 0.0
            for i in range(rows):
                for group in optimizer.param_groups:        # optim.sgd's learningRateDecay
                    group["lr"] = 1e-3 / (1 + step * 1e-4)
                optimizer.zero_grad()
                loss = criterion(model(data[i, 1:3]), data[i, 0:1])
                loss.backward()
                optimizer.step()
                step += 1
                total += loss.item()
            log.write(f"{total / rows:.8e}\n")
    with torch.no_grad():
        prediction = model(torch.tensor([4.0, 3.0], dtype=DTYPE))[0].item()
    print(f"prediction for (4, 3): {prediction:.2f}")


def pytorch_convnet_sgd(samples, epochs):
    torch.manual_seed(3)
    images, labels = [], []
    for i in range(1, samples + 1):
        label = i % 4 + 1
        image = torch.randn(1, 16, 16, dtype=DTYPE) * 0.2
        image[0, label * 3 - 1, label * 3 - 1] = 2
        images.append(image)
        labels.append(torch.tensor([label - 1]))
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Conv2d(8, 16, 3), nn.ReLU(),
                          nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(16 * 2 * 2, 4), nn.LogSoftmax(dim=1)).to(DTYPE)
    criterion = nn.NLLLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for _ in range(epochs):
        for t in torch.randperm(samples).tolist():
            optimizer.zero_grad()
            loss = criterion(model(images[t].unsqueeze(0)), labels[t])
            loss.backward()
            optimizer.step()
    correct = 0
    with torch.no_grad():
        for image, label in zip(images, labels):
            correct += int(model(image.unsqueeze(0)).argmax(1).item() == label.item())
    print(f"training accuracy {correct / samples:.2f}")


def pytorch_mlp_adam(n, epochs):
    torch.manual_seed(5)
    batch_size = 32
    inputs = torch.randn(n, 20, dtype=DTYPE)
    targets = torch.empty(n, dtype=torch.long)
    for i in range(n):
        targets[i] = 0 if inputs[i].sum().item() > 0 else 1
    nn = torch.nn
    model = nn.Sequential(nn.Linear(20, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2),
                          nn.LogSoftmax(dim=1)).to(DTYPE)
    criterion = nn.NLLLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(1, epochs + 1):
        shuffle = torch.randperm(n)
        total = 0.0
        for t in range(0, n, batch_size):
            size = min(batch_size, n - t)
            batch_inputs = torch.empty(size, 20, dtype=DTYPE)
            batch_targets = torch.empty(size, dtype=torch.long)
            for k in range(size):
                i = shuffle[t + k].item()
                batch_inputs[k].copy_(inputs[i])
                batch_targets[k] = targets[i]
            optimizer.zero_grad()
            loss = criterion(model(batch_inputs), batch_targets)
            loss.backward()
            optimizer.step()
            total += loss.item() * size
        print(f"epoch {epoch} loss {total / n:.4f}")


# ------------------------------------------------------------------------------ running
def run_translated(path, argv):
    saved_argv, saved_arg, saved_dtype = sys.argv, lua.arg, torch.get_default_dtype()
    sys.argv, lua.arg = [str(path)] + argv, list(argv)       # Lua's arg: the words after the script
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            runpy.run_path(str(path), run_name="__main__")
            _redraw._flush_all()        # the render due when the program ends counts as its time
    finally:
        sys.argv, lua.arg = saved_argv, saved_arg
        torch.set_default_dtype(saved_dtype)


def run_pytorch(name, argv, logfile):
    numbers = [int(a) for a in argv]
    with contextlib.redirect_stdout(io.StringIO()):
        if name == "linear_regression":
            pytorch_linear_regression(numbers[0], logfile)
        elif name == "convnet_sgd":
            pytorch_convnet_sgd(*numbers)
        else:
            pytorch_mlp_adam(*numbers)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a check that everything runs)")
    _results.add_option(parser)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp, _results.recorded("bench_migrated", args.write_results):
        os.environ["BENCH_LOGFILE"] = os.path.join(tmp, "linear_regression.log")
        print(f"median of {args.rounds} rounds, 1 thread; helper sites: the translator's lua.x(...) calls; "
              "library: the program's calls of Lua's and Torch7's library (lua.print, lua.string.format...)")
        print("| program | translated s | PyTorch s | ratio | helper sites | per 100 lines | library per 100 lines |")
        print("|---|---|---|---|---|---|---|")
        for name, full, quick in CASES:
            program_args = quick if args.quick else full
            path = translate(PROGRAMS / f"{name}.lua", tmp)
            counts = helper_sites(path.read_text())
            logfile = os.path.join(tmp, "pytorch.log")
            run_translated(path, program_args)                            # warm-up
            run_pytorch(name, program_args, logfile)
            translated, pytorch = [], []
            for _ in range(args.rounds):
                translated.append(median_seconds(functools.partial(run_translated, path, program_args), 1))
                pytorch.append(median_seconds(functools.partial(run_pytorch, name, program_args, logfile), 1))
            translated, pytorch = statistics.median(translated), statistics.median(pytorch)
            print(f"| {name} {' '.join(program_args)} | {translated:.3f} | {pytorch:.3f} | "
                  f"{translated / pytorch:.2f}x | {sites_row(*counts)} |")
        print(f"| tests/migrate/*.lua (corpus) | | | | {sites_row(*corpus_sites(tmp))} |")


if __name__ == "__main__":
    main()
