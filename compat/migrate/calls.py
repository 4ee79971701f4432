"""Lua calls, method calls and function values -> Python (a mixin of the Translator)."""
import os

from luaparser import astnodes as ast
from luaparser.ast import walk

from compat.migrate import names
from compat.migrate.expressions import ATOM, LAMBDA, RECEIVERS
from compat.migrate.scope import assigned_names, string_value


class CallMixin:

    def callee(self, func):
        """The Python name a Lua library function maps to ('lua.string.find', 'lua.print'...), or None."""
        dotted = self.dotted(func)
        if dotted is None:
            return None
        head = dotted.split(".")[0]
        if self.scope.is_local(head) or head in self.defined_functions:
            return None
        if "." not in dotted:
            return names.BASE_FUNCTIONS.get(dotted)
        if dotted == "torch.class":
            return "lua.torch_class"
        if head in names.LUA_LIBRARIES:
            return "lua." + dotted
        if head == "torch" and dotted.count(".") == 1 and dotted[6:] in names.LUA_TORCH_FUNCTIONS:
            return "lua." + dotted
        return None

    def library_name(self, dotted):
        """``torch.x`` / ``string.x`` ... read as a value."""
        if dotted == "torch.class":
            return "lua.torch_class"
        head, _, last = dotted.partition(".")
        if head in names.LUA_LIBRARIES:
            return "lua." + dotted
        if head == "torch" and last in names.LUA_TORCH_FUNCTIONS:
            return "lua." + dotted
        return dotted

    def expr_Call(self, node):
        func = node.func
        dotted = self.dotted(func)
        args = self.exprs(node.args)
        if dotted in ("require", "dofile") and not self.scope.is_local(dotted) \
                or dotted == "paths.dofile" and not self.scope.is_local("paths"):
            return self.require_expr(node, dotted), ATOM
        mapped = self.callee(func)
        if mapped == "lua.print" and len(node.args) == 1 and self.kind(node.args[0]) in ("str", "object"):
            mapped = "print"
        if mapped == "lua.setmetatable" and node.args and isinstance(node.args[0], ast.Table):
            args[0] = f"lua.Table({args[0]})" if args[0].startswith("[") else args[0]
        if mapped is not None:
            return f"{mapped}({', '.join(args)})", ATOM
        if dotted is not None and "." in dotted:
            self.check_known(dotted, node)
        return f"{self.expr(func, ATOM)}({', '.join(args)})", ATOM

    def check_known(self, dotted, node):
        head, _, last = dotted.partition(".")
        if self.scope.is_local(head):
            return
        known = {"nn": names.NN_NAMES, "optim": names.OPTIM_NAMES}.get(head)
        if known is not None and "." not in last and last not in known and dotted not in self.analysis.classes:
            self.note(node, f"{dotted} is not a torch/{head} name", "unknown name")

    def expr_Invoke(self, node):
        name = node.func.id
        source = node.source
        kind = self.kind(source)
        args = self.exprs(node.args)
        if kind == "str" or isinstance(source, ast.String):
            return f"lua.string.{name}({', '.join([self.expr(source)] + args)})", ATOM
        obj = self.expr(source, ATOM)
        if kind == "object" or (kind in RECEIVERS and name not in names.LUA_TENSOR_METHODS):
            return f"{obj}.{name}({', '.join(args)})", ATOM
        if kind in RECEIVERS:           # a Torch7 method (the others returned above)
            # a parameter or an output changes in place through T7 only; reading its shape is PyTorch's
            in_place = kind in ("tensor", "element")
            fast = self.tensor_method(obj, name, node.args, args, in_place)
            if fast is None:
                fast = self.fast_tensor_method(obj, name, node.args, args, in_place)
            return (fast, ATOM) if fast is not None else (self.torch7_call(name, [obj] + args), ATOM)
        if kind == "table" and name.isidentifier():
            return f"{obj}.{name}({', '.join([obj] + args)})", ATOM
        return f"lua.invoke({', '.join([self.expr(source), repr(name)] + args)})", ATOM

    def torch7_call(self, name, args):
        """Torch7's tensor method ``name`` called directly on a value proven a tensor."""
        self.imports.append(names.T7_IMPORT)
        return f"T7.{name}({', '.join(args)})"

    def tensor_method(self, obj, name, nodes, args, in_place=True):
        """Plain PyTorch for a tensor receiver where the translation is certain (``in_place``: the
        receiver may be changed by PyTorch's in-place methods)."""
        if name == "size" and len(nodes) == 1 and isinstance(nodes[0], ast.Number) and nodes[0].n >= 1:
            return f"{obj}.size({int(nodes[0].n) - 1})"
        if name == "nElement" and not nodes:
            return f"{obj}.numel()"
        if not in_place:
            return None
        # (not div or mul: Torch7 truncates the number for integer tensors; not the reductions: Torch7
        # sums a FloatTensor in double and gives a number)
        if name in ("add", "fill") and len(nodes) == 1:
            return f"{obj}.{name}_({args[0]})"
        if name == "zero" and not nodes:
            return f"{obj}.zero_()"
        return None

    # ------------------------------------------------------------------ require / dofile
    def require_expr(self, node, which, target=None):
        """Code for ``require 'x'`` / ``dofile 'x.lua'`` used as a value (import lines go on top)."""
        arg = node.args[0] if node.args else None
        helper = {"require": "require", "dofile": "dofile", "paths.dofile": "paths_dofile"}[which]
        self.imports.append(names.MODULES_IMPORT)
        if not isinstance(arg, ast.String):
            return f"lua_modules.{helper}({self.expr(arg) if arg is not None else 'None'}, globals())"
        module = string_value(arg)
        if which == "require" and module in names.LUA_STANDARD_MODULES:
            return f"lua.{module}"
        if which != "require" or module not in names.REQUIRES:
            if not self.local_source_exists(module, which):
                self.note(node, f"{which} '{module}': neither a package compat provides nor a Lua file of the "
                                "project (translate it too, or replace it)", "require")
            return f"lua_modules.{helper}({module!r}, globals())"
        spec = names.REQUIRES[module]
        if spec is None:
            return "None"
        line, bound = spec
        self.imports.append(line)
        return bound

    def local_source_exists(self, module, which):
        """Whether the Lua file that ``require``/``dofile`` names is in the project: next to the
        script, in a folder above it (the folder Lua may run from) or in the working folder."""
        if self.filename.startswith("<"):
            return False
        here = os.path.dirname(os.path.abspath(self.filename))
        templates = ["?.lua", "?/init.lua"] + self.search_templates       # package.path edits of this file
        relatives = [module] if which != "require" else [t.replace("?", module.replace(".", "/")) for t in templates]
        bases = [os.getcwd()] + [here] + [os.path.dirname(here)] + [os.path.dirname(os.path.dirname(here))]
        return any(os.path.isfile(os.path.join(base, relative)) for base in bases for relative in relatives)

    # ------------------------------------------------------------------ functions
    def function_value(self, node, name):
        """A Lua function value: a lambda when its body is ``return expr``, else a hoisted def."""
        body = node.body.body
        params = self.params(node.args, function=node)
        if len(body) == 1 and isinstance(body[0], ast.Return) and len(body[0].values) <= 1 \
                and not self.has_functions(body[0]):
            with self.function_scope(node):
                value = self.expr(body[0].values[0]) if body[0].values else "None"
            return f"lambda {params}: {value}" if params else f"lambda: {value}"
        fname = self.fresh_name(name or "function")
        self.hoist(node, fname, params)
        return fname

    def params(self, args, self_param=False, function=None):
        """Python parameters of a Lua function: every one defaults to None (a missing argument is nil),
        extra arguments are dropped, and a function made in a loop keeps that iteration's locals."""
        out = ["self=None"] if self_param else []
        for a in args:
            if isinstance(a, (ast.Varargs, ast.Dots)):
                out.append("*varargs")
            else:
                out.append(names.python_name(a.id) + "=None")
        if not any(isinstance(a, (ast.Varargs, ast.Dots)) for a in args):
            out.append("*_extra")  # Lua drops extra arguments
        if function is not None and self.loop_names:
            in_loop = set().union(*self.loop_names) - {a.id for a in args if isinstance(a, ast.Name)}
            used = {n.id for n in walk(function.body) if isinstance(n, ast.Name)} & in_loop
            for name in sorted(used - set(assigned_names(function.body))):
                out.append(f"{names.python_name(name)}={names.python_name(name)}")
        return ", ".join(out)

    @staticmethod
    def has_functions(node):
        return any(isinstance(n, ast.AnonymousFunction) for n in walk(node))


__all__ = ["LAMBDA", "CallMixin", "string_value"]
