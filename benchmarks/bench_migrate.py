"""torchad-migrate speed: the time to translate a 2,000-line Lua script (the target is under 5 s).

    python benchmarks/bench_migrate.py [--lines 2000] [--rounds 5]

The script is the project's Lua corpus (tests/migrate/*.lua: the construct families, the two training
scripts, the original CIFAR example) repeated until it has at least ``--lines`` lines. There is no other
Lua -> Python translator to compare with, so the table puts the translation next to its floor: parsing
alone with luaparser (the Lua grammar the translator is built on). Each figure is the median of the
rounds, in one process after a first warm-up translation.
"""
import argparse
from pathlib import Path

import _results  # this folder is on the path when run as a script
from _timing import median_seconds
from luaparser import ast as luaast

from compat.migrate import translate

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "migrate"


def script(lines):
    parts = [p.read_text() for p in sorted(CORPUS.glob("*.lua"))]
    text, i = "", 0
    while text.count("\n") < lines:
        text += parts[i % len(parts)] + "\n"
        i += 1
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    _results.add_option(parser)
    args = parser.parse_args(argv)
    with _results.recorded("bench_migrate", args.write_results):
        source = script(args.lines)
        n = source.count("\n")
        translate(source, "bench.lua")                                  # warm-up
        parse = median_seconds(lambda: luaast.parse(source), args.rounds)
        full = median_seconds(lambda: translate(source, "bench.lua"), args.rounds)
        print(f"Lua script: {n} lines, {len(source)} characters; median of {args.rounds} rounds")
        print(f"| {'step':<32} | {'seconds':>8} | {'lines/s':>8} |")
        print(f"|{'-' * 34}|{'-' * 10}|{'-' * 10}|")
        for name, seconds in (("luaparser parse only (floor)", parse), ("torchad-migrate translate", full)):
            print(f"| {name:<32} | {seconds:8.3f} | {n / seconds:8.0f} |")


if __name__ == "__main__":
    main()
