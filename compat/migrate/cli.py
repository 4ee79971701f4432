"""``torchad-migrate SRC.lua [-o OUT.py]`` and ``torchad-migrate DIR -o OUTDIR``."""
import argparse
import os
import sys

from compat.migrate.project import translate_file, translate_tree
from compat.migrate.translator import LuaSyntaxError


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="torchad-migrate",
        description="Translate Lua Torch7 scripts to Python over compat (torch, nn, optim...). Each output "
                    "line names its Lua line (# lua N); what needs a hand is marked # TODO(migrate) and "
                    "listed on stderr.")
    parser.add_argument("source", help="a .lua file, or a folder: every .lua file in it")
    parser.add_argument("-o", "--output", help="the .py file (default: SRC with .py), or the output folder "
                                               "(required for a folder)")
    args = parser.parse_args(argv)
    if os.path.isdir(args.source):
        if not args.output:
            parser.error("a folder needs -o OUTDIR")
        files, todos, failed = translate_tree(args.source, args.output)
        print(f"torchad-migrate: {files} file(s) translated into {args.output}, {todos} TODO item(s)"
              + (f", {failed} file(s) with syntax errors" if failed else ""), file=sys.stderr)
        return 1 if failed else 0
    if not os.path.isfile(args.source):
        parser.error(f"{args.source}: no such file or folder")
    out = args.output or os.path.splitext(args.source)[0] + ".py"
    try:
        todos = translate_file(args.source, out)
    except LuaSyntaxError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"torchad-migrate: {args.source} -> {out}, {todos} TODO item(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
