"""What the translator can prove about values beyond a single expression, so that it emits plain
PyTorch with Torch7's meaning instead of a ``compat.lua`` helper that decides at run time
(a mixin of :class:`compat.migrate.translator.Translator`).

Three facts, each proven for the whole file before anything is emitted:

- the kind of a name from *all* its assignments, solved together (``total = 0`` then
  ``total = total + fs[1]`` makes ``total`` a number): start from the kinds the assignments give on
  their own, then drop every name one of whose assignments gives another kind, until nothing changes;
- the number of dimensions of a tensor name (``torch.Tensor(n, 3)`` has 2, so ``data[i]`` is a
  1-D tensor and ``data[i][2]`` a number) -- only in a file that never resizes a tensor in place
  (``resize``, ``resizeAs``, ``set``...) and loads no other Lua file that could;
- integer expressions known to be >= 1 (positive literals, the variable of ``for i = 1, n`` not
  assigned in its loop, sums of those): a Lua index ``i`` is then Python's ``i - 1`` with no check
  for negative indices (which Torch7 counts from the end).

Where a fact is not proven the translator keeps its helper: these hooks return None.
"""
import contextlib

from luaparser import astnodes as ast
from luaparser.ast import walk

from compat.migrate import names
from compat.migrate.scope import Scope, Spread, dotted_name, own_nodes, string_value

# Tensor methods that change the shape of their receiver in place.
RESIZING_METHODS = frozenset({"resize", "resizeAs", "set", "squeeze", "unsqueeze", "addmm", "addmv", "addr",
                              "addcmul", "addcdiv", "maskedSelect", "index", "cat"})
# Tensor methods that resize their receiver when given a source tensor besides their numbers
# (``x:add(a, b)`` is ``x = a + b``, ``x:exp(y)`` is ``x = exp(y)``).
RESIZING_WITH_SOURCES = frozenset({"add", "csub", "mul", "div", "cmul", "cdiv", "pow", "fmod", "remainder", "abs",
                                   "exp", "log", "sqrt", "tanh", "sigmoid", "neg", "floor", "ceil", "round", "cos",
                                   "sin", "log1p", "sign", "trunc", "frac", "clamp"})
# Tensor methods giving a tensor of the receiver's shape (Torch7 and PyTorch alike).
SAME_SHAPE = frozenset({"clone", "double", "float", "long", "int", "byte", "contiguous", "zero", "fill", "add",
                        "mul", "div", "cmul", "cdiv", "copy", "abs", "exp", "log", "sqrt", "tanh", "sigmoid",
                        "uniform", "normal", "typeAs", "csub", "clamp"})
# Tensor methods translated directly: Torch7 name -> (PyTorch method, positions of 1-based arguments
# that are dimensions or indices: shifted by one, or None when every argument is).
SHIFTED_METHODS = {"narrow": ("narrow", (0, 1)), "select": ("select", (0, 1)), "size": ("size", (0,)),
                   "stride": ("stride", (0,)), "transpose": ("transpose", (0, 1)), "unsqueeze": ("unsqueeze", (0,))}
# In-place tensor methods translated directly: Torch7 name -> (PyTorch method, the argument kinds
# accepted, one tuple per accepted form).
_UNARY = ((),)
IN_PLACE_METHODS = {"fill": ("fill_", (("number",),)), "zero": ("zero_", ((),)),
                    "cmul": ("mul_", (("tensor",),)),
                    "resizeAs": ("resize_as_", (("tensor",),)),
                    "abs": ("abs_", _UNARY), "exp": ("exp_", _UNARY), "log": ("log_", _UNARY),
                    "sqrt": ("sqrt_", _UNARY), "tanh": ("tanh_", _UNARY), "sigmoid": ("sigmoid_", _UNARY),
                    "floor": ("floor_", _UNARY), "ceil": ("ceil_", _UNARY)}
# Lua's math functions that give a number for numbers.
NUMBER_FUNCTIONS = frozenset("lua.math." + f for f in ("min", "max", "floor", "ceil", "abs", "sqrt", "exp", "log",
                                                        "fmod", "pow", "sin", "cos", "tan"))
# (not size(): Torch7 gives a LongStorage; not uniform/normal: they draw from Torch7's stream; not
# cdiv: Torch7 truncates on integer tensors)
NO_ARGUMENT_METHODS = {"nDimension": "dim", "nElement": "numel", "isContiguous": "is_contiguous"}


def _nn_constructor(value):
    """'Linear' for ``nn.Linear(...)`` (a module class of torch/nn), else None."""
    dotted = dotted_name(value.func) if isinstance(value, ast.Call) else None
    if dotted is None or not dotted.startswith("nn.") or not dotted[3:4].isupper():
        return None
    return dotted[3:] if dotted[3:] in names.NN_NAMES else None


class KindsMixin:
    # the facts before prove_kinds (while Analysis reads single expressions): none proven
    optim_results = frozenset()
    positive_nodes = frozenset()
    positive_names = frozenset()
    number_nodes = frozenset()
    in_range_nodes = frozenset()
    field_kinds = {}
    option_names = frozenset()
    option_kinds = {}
    module_names = {}
    defined_functions = frozenset()     # the Translator's, once Analysis has found them
    tensor_dims_of = {}

    # ------------------------------------------------------------------ whole-file facts
    def prove_kinds(self, chunk):
        """Solve the kinds of names over all their assignments (a greatest fixed point) and find the
        tensor dimensions and positive loop variables of ``chunk``; called once, before emitting."""
        analysis = self.analysis
        self.optim_results = self._optim_results(chunk)
        analysis.records |= self._optim_tables(chunk)
        self.tensor_dims_of = {}
        self.positive_nodes = self._positive_loop_names(chunk)
        assignments = analysis.assignments
        by_name = {}
        for name, value in assignments:
            by_name.setdefault(name, []).append(value)
        for name in self.optim_results:
            by_name[name] = ["list" if v is None else v for v in by_name[name]]
        dims_allowed = not self._resizes_or_loads(chunk)
        self.module_names = {}              # lin = nn.Linear(...): name -> 'Linear'
        for name, values in by_name.items():
            constructors = {_nn_constructor(v) for v in values}
            if len(constructors) == 1 and None not in constructors:
                self.module_names[name] = constructors.pop()
        self.positive_names = self._solve_positive(by_name)
        self.positive_nodes = self._positive_loop_names(chunk)      # steps that are positive names
        self.positive_names = self._solve_positive(by_name)
        for _ in range(3):              # kinds need dimensions (a row is a tensor) and the reverse
            kinds = self._solve_kinds(by_name)
            analysis.kinds.update(kinds)
            self.scope.kinds = analysis.kinds
            self.field_kinds = self._solve_fields()
            self.option_names, self.option_kinds = self._command_line(chunk, by_name)
            if dims_allowed:
                self.tensor_dims_of = self._solve_dims(by_name)
        self.scope.kinds = analysis.kinds
        self.positive_nodes = self._positive_loop_names(chunk)      # with the kinds: lists in range

    def _solve_positive(self, by_name):
        """Names every assignment of which is an integer >= 1 (a greatest fixed point)."""
        self.positive_names = {name for name, values in by_name.items()
                               if all(isinstance(v, ast.Node) for v in values)}
        while True:
            kept = {name for name in self.positive_names if all(self.lower_bound(v) >= 1 for v in by_name[name])}
            if kept == self.positive_names:
                return kept
            self.positive_names = kept

    def _solve_kinds(self, by_name):
        candidate = {}
        while True:             # grow: a name takes the one kind its assignments give so far
            grown = dict(candidate)
            for name, values in by_name.items():
                kinds = {self._value_kind(v, name, candidate) for v in values} - {None}
                if len(kinds) == 1:
                    grown[name] = kinds.pop()
            if grown == candidate:
                break
            candidate = grown
        while True:             # prune: drop a name one of whose assignments gives another kind
            kept = {name: kind for name, kind in candidate.items()
                    if all(self._value_kind(v, name, candidate) == kind for v in by_name[name])}
            if kept == candidate:
                return kept
            candidate = kept

    def _value_kind(self, value, name, kinds):
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, Spread):
            with self._kinds_scope(kinds):
                results = names.LIBRARY_RESULTS.get(self.dotted(value.call.func)) \
                    if isinstance(value.call, ast.Call) else None
                if results is not None:
                    return results[value.position] if value.position < len(results) else None
                if isinstance(value.call, ast.Call) and isinstance(value.call.func, ast.Name):
                    return self.returned_kind(value.call, value.position)
                return "tensor" if self.tensor_results(value.call) == 2 else None
        if isinstance(value, ast.Table) and not value.fields:
            return "table" if name in self.analysis.records else "list"
        with self._kinds_scope(kinds):
            return self.kind(value)

    @contextlib.contextmanager
    def _kinds_scope(self, kinds):
        saved = self.scope
        self.scope = Scope(None, kinds, ())
        try:
            yield
        finally:
            self.scope = saved

    # ------------------------------------------------------------------ functions and fields
    def _returns(self, call):
        """The Return statements of the function of this file that ``call`` calls, when every path
        of its body ends in one (else None: it may give nil)."""
        analysis = getattr(self, "analysis", None)
        key = self._function_key(call)
        if analysis is None or key is None:
            return None
        function = analysis.function_nodes.get(key)
        if function is None and isinstance(call, ast.Invoke) and self.kind(call.source) == "table" \
                and call.func.id not in analysis.method_names:
            values = analysis.field_assignments.get(call.func.id, ())
            if len(values) == 1 and isinstance(values[0], ast.AnonymousFunction):
                function = values[0]                # the one function given to that field: {size = function...}
        if function is None or not function.body.body or not isinstance(function.body.body[-1], ast.Return):
            return None
        return [n for n in own_nodes(function.body) if isinstance(n, ast.Return)]

    @staticmethod
    def _function_key(call):
        """``f`` for ``f(...)``, ``t.m`` for ``t:m(...)`` (t a name); else None."""
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
            return call.func.id
        if isinstance(call, ast.Invoke) and isinstance(call.source, ast.Name):
            return f"{call.source.id}.{call.func.id}"
        return None

    def returned_kind(self, call, position=0):
        """The kind of the value at ``position`` that a call of a function of this file gives, when
        every ``return`` gives one of the same kind."""
        returns = self._returns(call)
        key = self._function_key(call)
        if returns is None or key in self._resolving:
            return None
        self._resolving.add(key)
        try:
            kinds = {self.kind(r.values[position]) if position < len(r.values) and not (
                     position == len(r.values) - 1 and position > 0 and self._spreads(r.values[-1]))
                     else None for r in returns}
        finally:
            self._resolving.discard(key)
        return kinds.pop() if len(kinds) == 1 else None

    def parameter_kind(self, where):
        """The kind of a parameter ``(function, position)`` of a function only ever called by name in
        this file: the kind every call passes there (a missing argument is nil: no kind)."""
        calls = self.analysis.call_sites.get(where[0]) if where is not None else None
        if not calls or where in self._resolving:
            return None
        function, position = where
        self._resolving.add(where)
        try:
            kinds = set()
            for call in calls:
                args = call.args
                spread = args and isinstance(args[-1], (ast.Call, ast.Invoke, ast.Varargs, ast.Dots)) \
                    and self._spreads(args[-1])
                if position >= len(args) - (1 if spread else 0):
                    return None                     # nil, or a value of a call that may give several
                kinds.add(self.kind(args[position]))
        finally:
            self._resolving.discard(where)
        return kinds.pop() if len(kinds) == 1 else None

    def returned_count(self, call):
        """How many values a call of a function of this file gives, when every ``return`` gives the
        same number of plain values."""
        returns = self._returns(call)
        if returns is None:
            return None
        if any(r.values and self._spreads(r.values[-1]) for r in returns):
            return None
        counts = {len(r.values) for r in returns}
        return counts.pop() if len(counts) == 1 else None

    def _spreads(self, node):
        """Whether ``node`` in last place of a ``return`` may give other than one value."""
        if isinstance(node, (ast.Varargs, ast.Dots)):
            return True
        return isinstance(node, (ast.Call, ast.Invoke)) and not getattr(node, "wrapped", False) \
            and not self.single_valued(node)

    def _solve_fields(self):
        """field -> kind, for the fields every assignment of which in this file gives one kind (and
        the tensors that nn.Module's and nn.Linear's constructors store)."""
        assigned = {field: list(values) for field, values in self.analysis.field_assignments.items()}
        implicit = {"nn.Module": ("output", "gradInput"),
                    "nn.Linear": ("output", "gradInput", "weight", "bias", "gradWeight", "gradBias")}
        for parent in self.analysis.nn_parents:
            for field in implicit.get(parent, ()):
                assigned.setdefault(field, []).append("tensor")
        found = {}
        for field, values in assigned.items():
            kinds = {v if isinstance(v, str) or v is None else self.kind(v) for v in values}
            if len(kinds) == 1 and None not in kinds:
                kind = kinds.pop()
                found[field] = "field" if kind in ("tensor", "field") else kind
        return found

    def _command_line(self, chunk, by_name):
        """(names every assignment of which is ``cmd:parse(...)``, option -> kind): torch.CmdLine gives
        an option the type of its default (``cmd:option('-lr', 0.1, ...)``: ``opt.lr`` is a number)."""
        parsed = {name for name, values in by_name.items() if values and all(
            isinstance(v, ast.Invoke) and v.func.id == "parse" for v in values)}
        found = {}
        for node in walk(chunk):
            if isinstance(node, ast.Invoke) and node.func.id == "option" and len(node.args) >= 2 \
                    and isinstance(node.args[0], ast.String):
                key = string_value(node.args[0])
                default = node.args[1]
                kind = {ast.Number: "number", ast.String: "str", ast.TrueExpr: "bool",
                        ast.FalseExpr: "bool"}.get(type(default))
                found.setdefault(key.lstrip("-"), set()).add(kind)
        for field, values in self.analysis.field_assignments.items():
            if field in found:       # opt.x = ... elsewhere: that kind too
                found[field].update(v if isinstance(v, str) or v is None else self.kind(v) for v in values)
        return parsed, {key: kinds.pop() for key, kinds in found.items() if len(kinds) == 1 and None not in kinds}

    def _optim_results(self, chunk):
        """Names assigned only as the second result of ``optim.<algorithm>(...)``: the list ``{fx}``."""
        found, other = set(), set()
        for node in walk(chunk):
            if not isinstance(node, ast.Assign):
                continue
            optim = len(node.values) == 1 and isinstance(node.values[0], ast.Call) \
                and self._optim_call(node.values[0])
            for i, target in enumerate(node.targets):
                if isinstance(target, ast.Name):
                    (found if optim and i == 1 else other).add(target.id)
        for node in walk(chunk):
            if isinstance(node, (ast.Function, ast.LocalFunction, ast.Method, ast.AnonymousFunction)):
                other.update(a.id for a in node.args if isinstance(a, ast.Name))
            elif isinstance(node, ast.Forin):
                other.update(t.id for t in node.targets)
            elif isinstance(node, ast.Fornum):
                other.add(node.target.id)
        return found - other

    def _optim_call(self, call):
        dotted = self.dotted(call.func)
        return dotted is not None and dotted.startswith("optim.") and dotted[6:] in names.OPTIM_NAMES \
            and dotted[6:7].islower()

    def _optim_tables(self, chunk):
        """Names given to ``optim.<algorithm>`` as config or state: Lua tables with keys, never lists."""
        return {arg.id for node in walk(chunk) if isinstance(node, ast.Call) and self._optim_call(node)
                for arg in node.args[2:4] if isinstance(arg, ast.Name)}

    def _resizes_or_loads(self, chunk):
        for node in walk(chunk):
            if isinstance(node, ast.Invoke) and self.kind(node.source) not in ("object", "table", "list", "str") \
                    and (node.func.id in RESIZING_METHODS or node.func.id in
                                                 RESIZING_WITH_SOURCES and any(
                                                     not isinstance(arg, ast.Number) for arg in node.args)):
                return True
            if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Index)):
                head = getattr(node.func, "id", None) or getattr(getattr(node.func, "idx", None), "id", None)
                if head in ("require", "dofile") and node.args and isinstance(node.args[0], ast.String) \
                        and node.args[0].s not in names.REQUIRES and node.args[0].s not in (b"torch", "torch"):
                    module = string_value(node.args[0])
                    if module not in names.REQUIRES and module not in names.LUA_STANDARD_MODULES:
                        return True
        return False

    def _solve_dims(self, by_name):
        candidate = {}
        for name, values in by_name.items():
            if self.analysis.kinds.get(name) != "tensor":
                continue
            dims = {self.tensor_dims(v) if isinstance(v, ast.Node) else None for v in values} - {None}
            if len(dims) == 1:
                candidate[name] = dims.pop()
        while True:
            self.tensor_dims_of = candidate
            kept = {name: d for name, d in candidate.items()
                    if all(isinstance(v, ast.Node) and self.tensor_dims(v) == d for v in by_name[name])}
            if kept == candidate:
                return kept
            candidate = kept

    def _positive_loop_names(self, chunk):
        """ids of the Name nodes that read the variable of a ``for i = a, b [, s]`` with a >= 1 and
        s >= 1 integer literals, or the index of ``for i, v in ipairs(t)``, inside its body, where
        nothing assigns or redeclares it. Records the ids of the nodes that read any numeric loop's
        variable so in ``number_nodes`` (a number there, whatever the same name is elsewhere)."""
        found, numbers = set(), set()
        self.in_range_nodes = frozenset()
        for loop in walk(chunk):
            if isinstance(loop, ast.Forin):
                ipairs = len(loop.iter) == 1 and isinstance(loop.iter[0], ast.Call) \
                    and self.callee(loop.iter[0].func) == "lua.ipairs"
                if ipairs and loop.targets:
                    reads = self._loop_reads(loop, loop.targets[0].id)
                    found.update(reads)
                    numbers.update(reads)
                    self._in_range(loop, reads, loop.iter[0].args[0] if loop.iter[0].args else None)
                continue
            if not isinstance(loop, ast.Fornum):
                continue
            reads = self._loop_reads(loop, loop.target.id)
            numbers.update(reads)
            if isinstance(loop.start, ast.Number) and loop.start.n == 1 and isinstance(loop.stop, ast.ULengthOP) \
                    and (loop.step is None or not isinstance(loop.step, ast.Node)
                         or isinstance(loop.step, ast.Number) and isinstance(loop.step.n, int) and loop.step.n >= 1):
                self._in_range(loop, reads, loop.stop.operand)
            step = loop.step if isinstance(loop.step, ast.Node) else None
            if not (isinstance(loop.start, ast.Number) and isinstance(loop.start.n, int) and loop.start.n >= 1):
                continue
            if step is not None and not (isinstance(step, ast.Number) and isinstance(step.n, int) and step.n >= 1
                                         or isinstance(step, ast.Name) and step.id in self.positive_names):
                continue
            found.update(reads)
        self.number_nodes = frozenset(numbers)
        return found

    def _in_range(self, loop, reads, sequence):
        """Record in ``in_range_nodes`` the ``t[i]`` of ``for i = 1, #t`` / ``for i in ipairs(t)``,
        ``t`` a list name the body never changes (no assignment to it or its entries, no
        table.insert/remove, not passed to a call): ``i`` then lies in ``1..#t``."""
        if not isinstance(sequence, ast.Name) or self.scope.kind(sequence.id) != "list":
            return
        name, reads_in_index = sequence.id, []
        for node in walk(loop.body):
            if isinstance(node, ast.Assign) and any(
                    getattr(t, "id", None) == name or isinstance(t, ast.Index) and getattr(t.value, "id", None) == name
                    for t in node.targets):
                return
            if isinstance(node, (ast.Call, ast.Invoke)) and any(getattr(a, "id", None) == name for a in node.args):
                return
            if isinstance(node, ast.Index) and getattr(node.value, "id", None) == name:
                if id(node.idx) in reads:
                    reads_in_index.append(id(node))
        self.in_range_nodes = self.in_range_nodes | set(reads_in_index)

    @staticmethod
    def _loop_reads(loop, var):
        """ids of the Name nodes reading the loop variable ``var`` in the body, none when the body
        assigns or redeclares it."""
        nodes = list(walk(loop.body))
        rebinds = any(isinstance(n, (ast.Assign, ast.LocalAssign)) and any(
            getattr(t, "id", None) == var for t in n.targets) or isinstance(n, ast.Fornum) and n.target.id == var
            or isinstance(n, ast.Forin) and any(t.id == var for t in n.targets)
            or isinstance(n, (ast.Function, ast.LocalFunction, ast.Method, ast.AnonymousFunction))
            and any(getattr(a, "id", None) == var for a in n.args) for n in nodes)
        return set() if rebinds else {id(n) for n in nodes if isinstance(n, ast.Name) and n.id == var}

    # ------------------------------------------------------------------ per-expression facts
    def positive_int(self, node):
        """Whether ``node`` is an integer >= 1 whatever happens at run time."""
        return self.lower_bound(node) >= 1

    def is_integer(self, node):
        """Whether ``node`` is proven an integer (of any sign)."""
        if self.lower_bound(node) > float("-inf"):
            return True
        if isinstance(node, ast.UMinusOp):
            return self.is_integer(node.operand)
        if isinstance(node, (ast.AddOp, ast.SubOp, ast.MultOp)):
            return self.is_integer(node.left) and self.is_integer(node.right)
        return isinstance(node, ast.Call) and self.callee(node.func) in ("lua.math.floor", "lua.math.ceil") \
            and len(node.args) == 1 and self.kind(node.args[0]) == "number"

    def lower_bound(self, node):
        """A lower bound of an expression proven to be an integer; -inf when it is not proven one."""
        if isinstance(node, ast.Number):
            return node.n if isinstance(node.n, int) else float("-inf")
        if isinstance(node, ast.Name):
            return 1 if id(node) in self.positive_nodes or node.id in self.positive_names else float("-inf")
        if isinstance(node, ast.ModOp) and isinstance(node.right, ast.Number) and isinstance(node.right.n, int) \
                and node.right.n >= 1:
            return 0 if self.lower_bound(node.left) > float("-inf") else float("-inf")
        if isinstance(node, ast.ULengthOP) and self.kind(node.operand) in ("str", "list", "table"):
            return 0
        if isinstance(node, ast.Invoke) and self.kind(node.source) in ("tensor", "element") and (
                node.func.id in ("nElement", "nDimension", "dim", "numel") and not node.args
                or node.func.id == "size" and len(node.args) == 1):
            return 0
        if isinstance(node, ast.AddOp):
            return self.lower_bound(node.left) + self.lower_bound(node.right)
        if isinstance(node, ast.SubOp) and isinstance(node.right, ast.Number) and isinstance(node.right.n, int):
            return self.lower_bound(node.left) - node.right.n
        if isinstance(node, ast.MultOp):
            left, right = self.lower_bound(node.left), self.lower_bound(node.right)
            return left * right if left >= 0 and right >= 0 else float("-inf")
        return float("-inf")

    def tensor_dims(self, node):
        """The number of dimensions of a tensor expression, when proven; else None."""
        if isinstance(node, ast.Name):
            return self.tensor_dims_of.get(node.id)
        if isinstance(node, ast.Call):
            dotted = self.dotted(node.func)
            if dotted in ("torch.randperm", "torch.range", "torch.linspace", "torch.logspace"):
                return 1
            if dotted is not None and dotted[:6] == "torch." and dotted[6:] in names.TENSOR_CONSTRUCTORS \
                    and dotted[6:] not in ("cat", "mm", "mv", "bmm", "diag", "eye") and node.args \
                    and all(self.kind(a) == "number" for a in node.args):
                return len(node.args)
            return None
        if isinstance(node, ast.Index) and node.notation != ast.IndexNotation.DOT \
                and self.kind(node.idx) == "number":
            dims = self.tensor_dims(node.value)
            return dims - 1 if dims is not None and dims > 1 else None
        if isinstance(node, ast.Invoke) and self.kind(node.source) == "tensor":
            name, dims = node.func.id, self.tensor_dims(node.source)
            if name in SAME_SHAPE or name == "narrow":
                return dims
            if name == "select" and dims is not None and dims > 1:
                return dims - 1
            if name == "t":
                return 2
        return None

    def kind_hint(self, node):
        """Kinds proven here that :meth:`kind` does not see: a 1-D tensor's element is a number, a
        tensor's row is a tensor, ``fs[1]`` of ``_, fs = optim.sgd(...)`` is a number, ``math.min(...)``
        of numbers and ``tonumber(s) or 10`` are numbers."""
        if isinstance(node, ast.OrLoOp) and isinstance(node.right, ast.Number) and isinstance(node.left, ast.Call) \
                and self.callee(node.left.func) == "lua.tonumber":
            return "number"                 # tonumber gives a number or nil
        if isinstance(node, ast.Call) and self.callee(node.func) in NUMBER_FUNCTIONS and node.args \
                and all(self.kind(a) == "number" for a in node.args):
            return "number"
        if isinstance(node, ast.Index) and node.notation != ast.IndexNotation.DOT:
            if self._local_optim(node.value):
                return "number" if isinstance(node.idx, ast.Number) and node.idx.n == 1 else None
            if self.kind(node.idx) != "number":
                return None
            dims = self.tensor_dims(node.value)
            if dims == 1:
                return "number"
            if dims is not None:
                return "tensor"
        return None

    def _local_optim(self, node):
        return isinstance(node, ast.Name) and node.id in self.optim_results

    # ------------------------------------------------------------------ emitting
    def fast_index(self, node):
        """``t[i]`` as plain Python when proven: ``fs[0]`` for optim's ``{fx}``; ``x[i - 1]`` for a
        tensor of known dimensions and a positive integer ``i`` (``.item()`` for a 1-D tensor's
        element: Torch7 gives a number)."""
        if node.notation == ast.IndexNotation.DOT:
            return None
        source = node.value
        if self._local_optim(source) and isinstance(node.idx, ast.Number) and node.idx.n == 1:
            return f"{self.expr(source, 16)}[0]"
        dims = self.tensor_dims(source)
        if dims is None or not self.positive_int(node.idx):
            return None
        code = f"{self.expr(source, 16)}[{self.zero_based(node.idx)}]"
        return code + ".item()" if dims == 1 else code

    def fast_store(self, target, code):
        """``x[i] = v`` for a tensor of known dimensions, a positive integer ``i`` and a number ``v``
        (Torch7 fills the entry, or the whole row, with ``v``); None otherwise."""
        if not isinstance(target, ast.Index) or target.notation == ast.IndexNotation.DOT:
            return None
        if self.tensor_dims(target.value) is None or not self.positive_int(target.idx):
            return None
        return f"{self.expr(target.value, 16)}[{self.zero_based(target.idx)}] = {code}"

    def zero_based(self, node):
        """Python's 0-based code for a Lua index proven to be an integer >= 1 (the one shift)."""
        if isinstance(node, ast.Number):
            return str(node.n - 1)
        if isinstance(node, ast.SubOp) and isinstance(node.right, ast.Number):
            return self.zero_based_sub(node.left, node.right.n + 1)
        return f"{self.expr(node, 11)} - 1"

    def zero_based_sub(self, left, amount):
        return f"{self.expr(left, 11)} - {amount}"

    def fast_tensor_method(self, obj, name, nodes, args, in_place=True):
        """``x:name(...)`` on a tensor as PyTorch with Torch7's meaning, for the methods whose 1-based
        arguments are literal or proven positive integers and whose in-place forms are certain
        (``in_place``: PyTorch's in-place methods may change the receiver)."""
        if not nodes and name in NO_ARGUMENT_METHODS:
            return f"{obj}.{NO_ARGUMENT_METHODS[name]}()"
        if name in SHIFTED_METHODS:
            method, shifted = SHIFTED_METHODS[name]
            if len(nodes) < len(shifted) or any(not self.positive_int(nodes[i]) for i in shifted):
                return None
            out = [self.zero_based(n) if i in shifted else a for i, (n, a) in enumerate(zip(nodes, args))]
            return f"{obj}.{method}({', '.join(out)})"
        if not in_place:
            return None
        if name in IN_PLACE_METHODS and tuple(self.kind(n) for n in nodes) in IN_PLACE_METHODS[name][1]:
            return f"{obj}.{IN_PLACE_METHODS[name][0]}({', '.join(args)})"
        return None         # (copy: T7.copy, Torch7's count check and a direct copy for equal shapes)

