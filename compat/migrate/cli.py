"""``torchad-migrate SRC.lua [-o OUT.py]`` and ``torchad-migrate DIR -o OUTDIR`` (see docs/migration.md).

Exit status: 0 translated (TODO items, if any, listed on stderr), 1 a Lua syntax error or an output
that would overwrite a file, 2 the translator failed (with ``--strict``; without it such a statement
becomes a TODO item of kind 'internal error')."""
import argparse
import collections
import os
import sys

from compat.migrate.project import OutputExists, check_output, plan_tree, translate_file
from compat.migrate.translator import LuaSyntaxError, TranslatorError


def _parser():
    parser = argparse.ArgumentParser(
        prog="torchad-migrate",
        description="Translate Lua Torch7 scripts to Python over compat (torch, nn, optim...). Each output "
                    "line names its Lua line (# lua N); what needs a hand is marked # TODO(migrate) and "
                    "listed on stderr.")
    parser.add_argument("source", help="a .lua file, or a folder: every .lua file in it, same layout")
    parser.add_argument("-o", "--output", help="the .py file (default: SRC with .py), or the output folder "
                                               "(required for a folder)")
    parser.add_argument("--force", action="store_true", help="overwrite outputs that exist (never the input)")
    parser.add_argument("--strict", action="store_true",
                        help="a failure of the translator itself is an error (status 2), not a TODO item")
    return parser


def _summary(todos):
    kinds = collections.Counter(todo.kind for todo in todos)
    detail = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    return f"{len(todos)} TODO item(s)" + (f" ({detail})" if detail else "")


def main(argv=None, stderr=None):
    stderr = stderr or sys.stderr
    parser = _parser()
    args = parser.parse_args(argv)
    if os.path.isdir(args.source):
        if not args.output:
            parser.error("a folder needs -o OUTDIR")
        plan = plan_tree(args.source, args.output)
    elif os.path.isfile(args.source):
        plan = [(args.source, args.output or os.path.splitext(args.source)[0] + ".py")]
    else:
        parser.error(f"{args.source}: no such file or folder")
    try:
        for src, out in plan:                      # nothing is written when one output is refused
            check_output(src, out, args.force)
    except OutputExists as error:
        print(f"torchad-migrate: {error}", file=stderr)
        return 1
    todos, failed = [], 0
    for src, out in plan:
        lua_rel, py_rel = (os.path.relpath(src, args.source), os.path.relpath(out, args.output)) \
            if os.path.isdir(args.source) else (os.path.basename(src), os.path.basename(out))
        if os.path.splitext(lua_rel)[0] != os.path.splitext(py_rel)[0] and (os.path.isdir(args.source)
                                                                         or not args.output):
            print(f"torchad-migrate: name mapped: {lua_rel} -> {py_rel}", file=stderr)
        try:
            found = translate_file(src, out, force=True, strict=args.strict)
        except LuaSyntaxError as error:
            print(error, file=stderr)
            failed += 1
            continue
        except TranslatorError as error:
            print(f"torchad-migrate: internal error: {error}", file=stderr)
            return 2
        for todo in found:
            print(f"{src}:{todo.line}: TODO(migrate) [{todo.kind}]: {todo.message}", file=stderr)
        todos += found
    where = plan[0][1] if len(plan) == 1 and not os.path.isdir(args.source) else args.output
    print(f"torchad-migrate: {len(plan) - failed} file(s) translated into {where}, {_summary(todos)}"
          + (f", {failed} file(s) with syntax errors" if failed else ""), file=stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
