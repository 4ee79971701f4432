"""Lua expressions -> Python expressions (a mixin of :class:`compat.migrate.translator.Translator`).

Each ``expr`` method returns ``(code, precedence)``; where the Lua meaning depends on a value the
translator cannot type, the code calls a ``compat.lua`` helper that decides at run time.
"""
import keyword

from luaparser import astnodes as ast

from compat.migrate import names
from compat.migrate.scope import dotted_name, string_value

# Python precedences (higher binds tighter).
ATOM, POWER, UNARY, MUL, ADD, CMP, NOT, AND, OR, LAMBDA = 16, 14, 13, 12, 11, 7, 6, 5, 4, 1
_BINARY = {
    ast.AddOp: ("+", ADD), ast.SubOp: ("-", ADD), ast.MultOp: ("*", MUL), ast.FloatDivOp: ("/", MUL),
    ast.FloorDivOp: ("//", MUL), ast.ModOp: ("%", MUL), ast.ExpoOp: ("**", POWER),
    ast.LessThanOp: ("<", CMP), ast.GreaterThanOp: (">", CMP), ast.LessOrEqThanOp: ("<=", CMP),
    ast.GreaterOrEqThanOp: (">=", CMP), ast.EqToOp: ("==", CMP), ast.NotEqToOp: ("!=", CMP),
    ast.BAndOp: ("&", 9), ast.BOrOp: ("|", 8), ast.BXorOp: ("^", 8), ast.BShiftLOp: ("<<", 10),
    ast.BShiftROp: (">>", 10),
}
# Lua's arithmetic where the operands' kinds do not make Python's operator right (compat.lua helpers).
_ARITHMETIC = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod", "**": "pow"}
# Kinds of values proven tensors, or tensors unless Lua raises: ``x[i]`` of a tensor, indexed
# again or given a method call, is a row (a number there would stop the Lua program too).
# A "field" (``self.weight``) is a tensor that may be a module's parameter: Torch7's methods on it
# go through T7, which changes a parameter as plain data, never through PyTorch's in-place methods.
TENSORS = ("tensor", "element", "field")
# An "output" (``model:forward(x)``) is a tensor, or a table for the table modules: Torch7's tensor
# methods on it go through T7 (a table has none: Lua stops there too), its elements through lua.index.
RECEIVERS = TENSORS + ("output",)
# Kinds whose values are never Lua's ``false``: such a value is true unless it is nil.
NEVER_FALSE = ("number", "str", "list", "table", "tensor", "element", "field", "object", "function")
# Literals that are true in Lua.
_LITERALS = (ast.Number, ast.String, ast.Table, ast.TrueExpr, ast.AnonymousFunction)
_PURE = (ast.Name, ast.Number, ast.String, ast.Nil, ast.TrueExpr, ast.FalseExpr)


def wrap(code_prec, minimum):
    code, prec = code_prec
    return code if prec >= minimum else f"({code})"


def string_literal(node):
    return repr(string_value(node))


def python_name(key, bare):
    """The name a Lua table key spells (``key.id`` when ``bare``: ``t.x``, ``{x = v}``; else the
    text of a string literal ``['x']``) when it is a Python identifier and no keyword, else None."""
    if bare:
        name = key.id
    elif isinstance(key, ast.String):
        name = string_literal(key)[1:-1]
    else:
        return None
    return name if name.isidentifier() and not keyword.iskeyword(name) else None


class ExpressionMixin:

    # ------------------------------------------------------------------ kinds
    def kind(self, node):
        """'number', 'str', 'bool', 'list', 'table', 'tensor', 'object', 'function' or None."""
        hinted = self.kind_hint(node)
        if hinted is not None:
            return hinted
        if isinstance(node, ast.Number):
            return "number"
        if isinstance(node, (ast.String, ast.Concat)):
            return "str"
        if isinstance(node, (ast.TrueExpr, ast.FalseExpr, ast.RelOp, ast.ULNotOp)):
            return "bool"
        if isinstance(node, ast.Table):
            return self.table_kind(node)
        if isinstance(node, ast.AnonymousFunction):
            return "function"
        if isinstance(node, ast.Name):
            if id(node) in self.number_nodes:
                return "number"
            analysis = getattr(self, "analysis", None)
            if analysis is not None and id(node) in analysis.param_nodes:
                return self.parameter_kind(analysis.param_nodes[id(node)])   # what every call passes
            return self.scope.kind(node.id)
        if isinstance(node, ast.OrLoOp) and isinstance(node.left, ast.AndLoOp):
            # c and a or b gives a or b (never c: a false c makes way for b)
            chosen, other = self.kind(node.left.right), self.kind(node.right)
            return chosen if chosen == other else None
        if isinstance(node, (ast.AndLoOp, ast.OrLoOp)):
            left, right = self.kind(node.left), self.kind(node.right)
            return left if left == right and left != "bool" else ("bool" if left == right == "bool" else None)
        if isinstance(node, ast.AriOp):
            kinds = {self.kind(node.left), self.kind(node.right)}
            return "tensor" if "tensor" in kinds else ("number" if kinds == {"number"} else None)
        if isinstance(node, ast.UMinusOp):
            return self.kind(node.operand)
        if isinstance(node, ast.ULengthOP) and self.kind(node.operand) in ("str", "list", "table"):
            return "number"
        if isinstance(node, ast.Index) and isinstance(node.idx, ast.Table):
            return "tensor"
        if isinstance(node, ast.Call):
            return self.call_kind(node)
        if isinstance(node, ast.Index) and node.notation == ast.IndexNotation.DOT and isinstance(node.value, ast.Name):
            holder, field = node.value.id, node.idx.id
            if holder == "self" or self.kind(node.value) == "table":
                return self.field_kinds.get(field)      # a field every assignment of which gives one kind
            if holder in self.module_names:             # lin.weight of lin = nn.Linear(...)
                return "field" if field in names.MODULE_TENSOR_FIELDS else None
            if holder in self.option_names:
                return self.option_kinds.get(field)     # opt.x of cmd:parse(arg): the default's kind
            return None
        if isinstance(node, ast.Index) and node.notation != ast.IndexNotation.DOT \
                and self.kind(node.value) in TENSORS and self.kind(node.idx) == "number":
            return "element"                    # x[i]: a number for a 1-D tensor, else a tensor
        if isinstance(node, ast.Invoke):
            source = self.kind(node.source)
            if source in RECEIVERS:
                kind = self.tensor_method_kind(node.func.id, node.args)
                return "field" if kind == "tensor" and source == "field" else kind
            if isinstance(node.source, ast.Name) and node.source.id in self.module_names:
                return self.module_result_kind(self.module_names[node.source.id], node.func.id)
            if source == "table":
                return self.returned_kind(node)             # function t:m() of this file
            if source == "str" and node.func.id in ("format", "sub", "rep", "upper", "lower", "reverse"):
                return "str"
        return None

    @staticmethod
    def tensor_method_kind(name, args):
        """The kind of Torch7's ``x:name(args)`` (of its first value), when proven."""
        if name in names.TENSOR_NUMBER_METHODS or name == "size" and len(args) == 1 \
                or name == "norm" and len(args) <= 1 or name in names.TENSOR_REDUCTIONS and not args:
            return "number"
        if name in names.TENSOR_RESULTS or name in names.TENSOR_REDUCTIONS or name in names.TENSOR_TWO_RESULTS:
            return "tensor"
        return None

    def value_count(self, node):
        """How many values a call gives, when proven: a tensor method, a function of this file, a
        library function of fixed arity."""
        if isinstance(node, ast.Call):
            mapped = self.callee(node.func)
            if mapped in names.LIBRARY_COUNTS:
                return names.LIBRARY_COUNTS[mapped]
        if isinstance(node, ast.Invoke) and "lua.string." + node.func.id in names.LIBRARY_COUNTS \
                and (self.kind(node.source) == "str" or isinstance(node.source, ast.String)):
            return names.LIBRARY_COUNTS["lua.string." + node.func.id]
        return self.tensor_results(node) or self.returned_count(node)

    @staticmethod
    def module_result_kind(constructor, method):
        """What ``m:method(...)`` gives for ``m = nn.<constructor>(...)``: a criterion's forward a
        number, a module's forward and backward its output or gradInput."""
        if method in ("forward", "updateOutput"):
            return "number" if constructor.endswith("Criterion") else "output"
        if method in ("backward", "updateGradInput"):
            return "output"
        return None

    def tensor_results(self, node):
        """How many values a call of a Torch7 tensor method gives (1 or 2), when proven; else None."""
        if isinstance(node, ast.Invoke) and self.kind(node.source) in RECEIVERS:
            name = node.func.id
            if name in names.TENSOR_TWO_RESULTS:
                return 2 if node.args or name not in names.TENSOR_REDUCTIONS else 1
            return 1 if name in names.LUA_TENSOR_METHODS and self.tensor_method_kind(name, node.args) else None
        if isinstance(node, ast.Call) and node.args and self.kind(node.args[0]) in TENSORS:
            # torch.max(x, 2), torch.sort(x [, dim] [, descending]): Torch7's two tensors
            callee = self.callee(node.func)
            name = callee[10:] if callee is not None and callee.startswith("lua.torch.") else None
            if name in names.TENSOR_TWO_RESULTS and all(self.kind(a) in ("number", "bool") for a in node.args[1:]) \
                    and (len(node.args) > 1 or name not in names.TENSOR_REDUCTIONS):
                return 2
        return None

    def table_kind(self, node):
        if not node.fields:
            return "table"
        return "list" if all(f.key is None for f in node.fields) else "table"

    def call_kind(self, node):
        if isinstance(node.func, ast.Call) and (self.dotted(node.func.func) or "").startswith("nn."):
            return "object"                         # nn.Linear(3, 4)(x): an nngraph node
        dotted = self.dotted(node.func)
        if dotted is None:
            return None
        if dotted == "nn.gModule":
            return "object"
        analysis = getattr(self, "analysis", None)      # (None while Analysis itself reads kinds)
        if isinstance(node.func, ast.Name) and analysis is not None and dotted in analysis.function_nodes:
            return self.returned_kind(node)
        if dotted in names.LIBRARY_RESULTS:
            return names.LIBRARY_RESULTS[dotted][0]
        head, _, last = dotted.rpartition(".")
        if head == "torch" and last in names.TENSOR_CONSTRUCTORS or head == "image":
            return "tensor"
        if head in ("nn", "optim") and last[:1].isupper() or dotted in ("torch.CmdLine", "torch.Timer"):
            return "object"
        if dotted == "assert" and node.args:
            return self.kind(node.args[0])
        if dotted in ("io.open", "torch.Timer", "torch.CmdLine"):
            return "object"
        if dotted in ("tostring", "string.format", "string.rep", "string.sub", "string.upper", "string.lower"):
            return "str"
        if dotted == "os.date" and node.args and isinstance(node.args[0], ast.String) \
                and "*t" not in string_value(node.args[0]):
            return "str"                                  # (os.date('*t') is a table)
        return None

    @staticmethod
    def dotted(node):
        """'a.b.c' for a chain of names and dotted fields, else None."""
        return dotted_name(node)

    # ------------------------------------------------------------------ entry points
    def expr(self, node, minimum=0):
        """Python code of ``node`` in a single-value context, parenthesized to bind at ``minimum``."""
        code, prec = self._expr(node)
        if (self.value_count(node) or 0) >= 2:
            return f"{code}[0]"
        if self.is_multi(node) or self.is_cut(node):
            code, prec = f"lua.first({code})", ATOM
        return code if prec >= minimum else f"({code})"

    def exprs(self, nodes):
        """Python code of a Lua expression list (the last one may give several values)."""
        out = [self.expr(n) for n in nodes[:-1]]
        if nodes:
            last = nodes[-1]
            if getattr(last, "wrapped", False):
                out.append(self.expr(last))        # (f()) and (...) give one value
            elif isinstance(last, (ast.Varargs, ast.Dots)):
                out.append("*varargs")
            elif (self.value_count(last) or 0) >= 2:
                out.append("*" + self._expr(last)[0])
            elif self.is_multi(last) or isinstance(last, (ast.Call, ast.Invoke)) and not self.single_valued(last):
                out.append(f"*lua.expand({self._expr(last)[0]})")
            else:
                out.append(self.expr(last))
        return out

    def is_multi(self, node):
        """A call known to return several values."""
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in self.multi_functions:
                return True
            return self.callee(node.func) in names.MULTI_RETURN or self.dotted(node.func) in names.MULTI_RETURN
        if isinstance(node, ast.Invoke) and node.func.id in names.TENSOR_PAIR_METHODS:
            return True                                   # params, gradParams = m:getParameters()
        return isinstance(node, ast.Invoke) and node.func.id in names.STRING_MULTI_METHODS \
            and self.kind(node.source) == "str"

    def is_cut(self, node):
        """A parenthesized call that may give several values: Lua keeps the first one only."""
        return getattr(node, "wrapped", False) and isinstance(node, (ast.Call, ast.Invoke)) \
            and not self.single_valued(node)

    def single_valued(self, node):
        """A call known to give one value (a Lua call in last place passes on all its values)."""
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in self.defined_functions:
                return node.func.id not in self.multi_functions
            mapped = self.callee(node.func)
            if mapped is not None:
                return mapped not in names.MULTI_RETURN
            dotted = self.dotted(node.func)
            return dotted is not None and dotted.split(".")[0] in names.PACKAGE_GLOBALS \
                and not self.scope.is_local(dotted.split(".")[0]) and dotted not in names.MULTI_RETURN
        count = self.value_count(node)
        if count is not None:
            return count == 1
        kind = self.kind(node.source)
        several = {"str": names.STRING_MULTI_METHODS, "tensor": ("max", "min", "sort", "topk")}
        return kind in ("object", "str", "tensor") and node.func.id not in several.get(kind, ())

    def _expr(self, node):
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is not None:
            return method(node)
        if type(node) in _BINARY:
            return self.binary(node)
        return self.todo(node, f"the expression {type(node).__name__} is not translated", "untranslated"), ATOM

    # ------------------------------------------------------------------ atoms
    def expr_Nil(self, node):
        return "None", ATOM

    def expr_TrueExpr(self, node):
        return "True", ATOM

    def expr_FalseExpr(self, node):
        return "False", ATOM

    def expr_Number(self, node):
        n = node.n
        return repr(n), ATOM if n >= 0 else UNARY

    def expr_String(self, node):
        return string_literal(node), ATOM

    def expr_Varargs(self, node):
        return "lua.first(varargs)", ATOM

    def expr_Dots(self, node):
        return self.expr_Varargs(node)

    def expr_Name(self, node):
        if node.id == "arg" and not self.scope.is_local("arg"):
            return "lua.arg", ATOM
        if node.id in names.PACKAGE_GLOBALS and not self.scope.is_local(node.id):
            package = names.PACKAGE_GLOBALS[node.id]
            self.use_package(node.id)
            return package, ATOM
        if node.id in names.LUA_LIBRARIES and not self.scope.is_local(node.id):
            return "lua." + node.id, ATOM
        if node.id in names.BASE_FUNCTIONS and not self.scope.is_local(node.id) \
                and node.id not in self.defined_functions:
            return names.BASE_FUNCTIONS[node.id], ATOM
        if node.id == "package" and "package" not in self.analysis.assigned and not self.scope.is_local("package"):
            self.imports.append(names.MODULES_IMPORT)
            return "lua_modules.package", ATOM
        if node.id == "_G" and "_G" not in self.analysis.assigned and not self.scope.is_local("_G"):
            return "lua.Globals(globals())", ATOM
        if node.id not in self.analysis.assigned and not self.scope.is_local(node.id):
            # a global this file never sets: nil, unless another file (dofile/require) set it
            return f"globals().get({node.id!r})", ATOM
        return names.python_name(node.id), ATOM

    def expr_AnonymousFunction(self, node):
        return self.function_value(node, None), LAMBDA

    # ------------------------------------------------------------------ tables
    def expr_Table(self, node):
        positional = [f for f in node.fields if f.key is None]
        if node.fields and len(positional) == len(node.fields):
            return "[" + ", ".join(self.exprs([f.value for f in positional])) + "]", ATOM
        if not node.fields and self.empty_as_list:
            return "[]", ATOM
        if self.empty_as_list and all(f.key is None for f in node.fields):
            return "[" + ", ".join(self.exprs([f.value for f in node.fields])) + "]", ATOM
        keyed = [f for f in node.fields if f.key is not None]
        simple = not positional and all(self.field_name(f) for f in keyed)
        if simple:
            args = ", ".join(f"{self.field_name(f)}={self.expr(f.value)}" for f in keyed)
            return f"lua.Table({args})", ATOM
        items, i = [], 0
        for f in node.fields:
            if f.key is None:
                i += 1
                items.append(f"{i}: {self.expr(f.value)}")
            else:
                key = repr(f.key.id) if not f.between_brackets and isinstance(f.key, ast.Name) else self.expr(f.key)
                items.append(f"{key}: {self.expr(f.value)}")
        return "lua.Table({" + ", ".join(items) + "})", ATOM

    @staticmethod
    def field_name(field):
        """The keyword-argument name of ``{name = v}`` / ``{['name'] = v}``, None when it cannot be one."""
        return python_name(field.key, isinstance(field.key, ast.Name) and not field.between_brackets)

    # ------------------------------------------------------------------ indexing
    def static_key(self, node):
        """The string key of ``t.x`` / ``t['x']`` when it is a valid attribute name, else None."""
        return python_name(node.idx, node.notation == ast.IndexNotation.DOT)

    def expr_Index(self, node):
        key = self.static_key(node)
        source = node.value
        if key is not None:
            dotted = self.dotted(node)
            if isinstance(source, ast.Name) and source.id in names.LUA_LIBRARIES | {"torch"} \
                    and not self.scope.is_local(source.id):
                return self.library_name(dotted), ATOM
            return f"{self.expr(source, ATOM)}.{key}", ATOM
        if isinstance(node.idx, ast.Table):  # t[{...}]: only tensors are indexed by a table literal
            sliced = self.static_slice(node.idx)
            if sliced is not None:
                return f"{self.expr(source, ATOM)}[{sliced}]", ATOM
        fast = self.fast_index(node)
        if fast is not None:
            return fast, ATOM
        kind = self.kind(source)
        if kind == "list" and id(node) in self.in_range_nodes:
            return f"{self.expr(source, ATOM)}[{self.zero_based(node.idx)}]", ATOM
        if kind == "list" and isinstance(node.idx, ast.Number) and isinstance(node.idx.n, int) \
                and 1 <= node.idx.n <= self.analysis.literal_lengths.get(getattr(source, "id", None), 0):
            return f"{self.expr(source, ATOM)}[{node.idx.n - 1}]", ATOM
        key = self.index_key(node.idx, node.notation)
        if kind == "table":
            return f"{self.expr(source, ATOM)}[{key}]", ATOM
        if kind in TENSORS:
            return self.torch7_call("at", [self.expr(source), key]), ATOM
        return f"lua.index({self.expr(source)}, {key})", ATOM

    def index_key(self, idx, notation=None):
        """The key of ``t[key]``; in a tensor's ``{ {}, 2 }`` every ``{}`` is an empty sequence."""
        if notation == ast.IndexNotation.DOT:
            return repr(idx.id)
        saved, self.empty_as_list = self.empty_as_list, isinstance(idx, ast.Table)
        try:
            return self.expr(idx)
        finally:
            self.empty_as_list = saved

    def static_slice(self, table):
        """``t[{ {a,b}, c, {} }]`` with constant positive bounds -> ``a-1:b, c-1, :``; None when a
        number would select every dimension (Lua then gives a number) or a bound is not constant."""
        parts, ranges = [], 0
        for f in table.fields:
            v = f.value
            if f.key is not None:
                return None
            if isinstance(v, ast.Number) and isinstance(v.n, int) and v.n >= 1:
                parts.append(str(v.n - 1))
            elif isinstance(v, ast.Table) and all(f2.key is None and isinstance(f2.value, ast.Number)
                                                  and isinstance(f2.value.n, int) and f2.value.n >= 1
                                                  for f2 in v.fields) and len(v.fields) <= 2:
                bounds = [f2.value.n for f2 in v.fields]
                if not bounds:
                    parts.append(":")
                else:
                    parts.append(f"{bounds[0] - 1}:{bounds[-1]}")
                ranges += 1
            else:
                return None
        return ", ".join(parts) if ranges else None

    # ------------------------------------------------------------------ operators
    def binary(self, node):
        op, prec = _BINARY[type(node)]
        if isinstance(node, (ast.EqToOp, ast.NotEqToOp)) and (isinstance(node.right, ast.Nil)
                                                              or isinstance(node.left, ast.Nil)):
            other = node.left if isinstance(node.right, ast.Nil) else node.right
            return f"{self.expr(other, CMP + 1)} {'is' if op == '==' else 'is not'} None", CMP
        if op in ("==", "!=") and "tensor" in {self.kind(node.left), self.kind(node.right)}:
            # a tensor equals only itself in Torch7 (no __eq metamethod)
            same = "is" if op == "==" else "is not"
            return f"{self.expr(node.left, CMP + 1)} {same} {self.expr(node.right, CMP + 1)}", CMP
        if op in ("==", "!=") and not ({self.kind(node.left), self.kind(node.right)} & {"number", "str", "bool"}):
            test = f"lua.eq({self.expr(node.left)}, {self.expr(node.right)})"
            return (test, ATOM) if op == "==" else ("not " + test, NOT)
        if prec == CMP:
            return f"{self.expr(node.left, prec + 1)} {op} {self.expr(node.right, prec + 1)}", prec
        kinds = (self.kind(node.left), self.kind(node.right))
        helper = _ARITHMETIC.get(op)
        literals = isinstance(node.left, ast.Number) and isinstance(node.right, ast.Number) \
            and 0 in (node.left.n, node.right.n) or \
            isinstance(node.left, ast.UMinusOp) and isinstance(node.right, ast.Number) or \
            isinstance(node.left, ast.Number) and isinstance(node.right, ast.UMinusOp)
        inexact = op == "/" and isinstance(node.left, ast.Number) and isinstance(node.right, ast.Number) \
            and node.right.n != 0 and node.left.n % node.right.n != 0      # 1 / 4: a fraction in both
        if helper is not None and not inexact and not self.plain_arithmetic(op, kinds, literals):
            # Lua's meaning depends on the values: numeric strings convert, tables have metamethods,
            # Torch7's tensor * tensor is a matrix/dot product, 6 / 2 is 3 and 1 / 0 is inf
            return f"lua.{helper}({self.expr(node.left)}, {self.expr(node.right)})", ATOM
        if op == "**":
            return f"{self.expr(node.left, prec + 1)} ** {self.expr(node.right, UNARY)}", prec
        return f"{self.expr(node.left, prec)} {op} {self.expr(node.right, prec + 1)}", prec

    @staticmethod
    def plain_arithmetic(op, kinds, literals=False):
        """Whether Python's operator means Lua's for operands of these kinds: numbers (not two
        literals: Lua's doubles give -0 where Python's ints give 0), a tensor with a number, or (but
        for ``*``) two tensors. ``/`` never: Lua's 6 / 2 is 3 for APIs that want an int, and Torch7
        divides integer tensors as C does (``IntTensor{7} / 2`` is 3)."""
        if op == "/":
            return False
        if kinds == ("number", "number"):
            return not literals                  # 0 * -43 is -0 in Lua (not so without a zero)
        if "tensor" not in kinds:
            return False
        return op != "*" or "number" in kinds

    def expr_UMinusOp(self, node):
        if isinstance(node.operand, ast.Number) and node.operand.n == 0:
            return "-0.0", UNARY                          # Lua's numbers are doubles: -0 prints -0
        if isinstance(node.operand, ast.Number) or self.kind(node.operand) in ("number", "tensor"):
            return "-" + self.expr(node.operand, UNARY), UNARY
        return f"lua.unm({self.expr(node.operand)})", ATOM

    def expr_UBNotOp(self, node):
        return "~" + self.expr(node.operand, UNARY), UNARY

    def expr_ULNotOp(self, node):
        if self.kind(node.operand) == "bool":
            return "not " + self.expr(node.operand, NOT), NOT
        if self.kind(node.operand) in NEVER_FALSE and not isinstance(node.operand, _LITERALS):
            return f"{self.expr(node.operand, CMP + 1)} is None", CMP      # nil is its only false value
        return f"not {self.truth(node.operand)}", NOT

    def expr_ULengthOP(self, node):
        kind = self.kind(node.operand)
        if kind in ("str", "list"):
            return f"len({self.expr(node.operand)})", ATOM
        if kind in TENSORS:
            return self.torch7_call("size", [self.expr(node.operand)]), ATOM    # Torch7: #x is x:size()
        return f"lua.length({self.expr(node.operand)})", ATOM

    def expr_Concat(self, node):
        parts = []

        def flatten(n):
            if isinstance(n, ast.Concat):
                flatten(n.left)
                flatten(n.right)
            else:
                parts.append(n)
        flatten(node)
        if all(self.kind(p) == "str" and not isinstance(p, ast.Concat) for p in parts):
            return " + ".join(self.expr(p, ADD + 1) for p in parts), ADD
        return "lua.concat(" + ", ".join(self.expr(p) for p in parts) + ")", ATOM

    def truth(self, node, minimum=0):
        """Python condition code with Lua's truthiness: a value of a kind that is never ``false`` is
        true unless nil (``0`` and ``''`` are true in Lua)."""
        kind = self.kind(node)
        if kind == "bool":
            return self.expr(node, minimum)
        if isinstance(node, _LITERALS):
            return "True"
        if isinstance(node, (ast.Nil, ast.FalseExpr)):
            return "False"
        if kind in NEVER_FALSE:
            code = f"{self.expr(node, CMP + 1)} is not None"
            return code if minimum <= CMP else f"({code})"
        return f"lua.truth({self.expr(node)})"

    def expr_AndLoOp(self, node):
        return self.logical(node, "and")

    def expr_OrLoOp(self, node):
        return self.logical(node, "or")

    def logical(self, node, op):
        left, right = node.left, node.right
        if self.kind(left) == "bool" and (op == "and" or self.kind(right) == "bool"):
            prec = AND if op == "and" else OR
            return f"{self.expr(left, prec)} {op} {self.expr(right, prec + 1)}", prec
        # the ternary idiom: cond and x or y, x a constant that is true in Lua
        if op == "or" and isinstance(left, ast.AndLoOp) and (
                isinstance(left.right, (ast.Number, ast.String, ast.Table, ast.TrueExpr))
                or isinstance(left.right, ast.UMinusOp) and isinstance(left.right.operand, ast.Number)):
            return (f"{self.expr(left.right, OR + 1)} if {self.truth(left.left, OR + 1)} "
                    f"else {self.expr(right, LAMBDA + 1)}"), LAMBDA + 1
        if isinstance(left, _PURE) and isinstance(right, _PURE):
            a, b = self.expr(left, OR + 1), self.expr(right, LAMBDA + 1)
            if op == "or":
                return f"{a} if {self.truth(left, OR + 1)} else {b}", LAMBDA + 1
            return f"{b} if {self.truth(left, OR + 1)} else {a}", LAMBDA + 1
        return f"lua.{op}_({self.expr(left)}, lambda: {self.expr(right)})", ATOM
