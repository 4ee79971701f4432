"""What the translator learns before emitting: the kind of each name (list, table, tensor...), the
locals of each function, and the script's functions that return several values."""
import contextlib

from luaparser import astnodes as ast
from luaparser.ast import walk

from compat.migrate import names


class Scope:
    """The Lua locals of one function (or of the chunk), inside its enclosing scopes."""

    def __init__(self, parent, kinds, locals_=(), is_chunk=False):
        self.parent = parent
        self.kinds = kinds
        self.locals = set(locals_)
        self.is_chunk = is_chunk

    def is_local(self, name):
        scope = self
        while scope is not None:
            if name in scope.locals:
                return True
            scope = scope.parent
        return False

    def kind(self, name):
        return self.kinds.get(name)

    def declaration(self, name):
        """'global' or 'nonlocal' for a name assigned in this function, None when it is its own."""
        if self.is_chunk or name in self.locals:
            return None
        scope = self.parent
        while scope is not None and not scope.is_chunk:
            if name in scope.locals:
                return "nonlocal"
            scope = scope.parent
        return "global"


def own_nodes(block):
    """The nodes of a block, not descending into nested functions."""
    stack = list(reversed(block.body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.Function, ast.LocalFunction, ast.Method, ast.AnonymousFunction)):
            continue
        for value in vars(node).values():
            children = value if isinstance(value, list) else [value]
            for child in reversed(children):
                if isinstance(child, ast.Node):
                    stack.append(child)


def function_locals(args, body):
    """Names a Lua function declares: parameters, ``local``, loop variables, local functions."""
    found = {a.id for a in args if isinstance(a, ast.Name)}
    for node in own_nodes(body):
        if isinstance(node, ast.LocalAssign):
            found.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.LocalFunction):
            found.add(node.name.id)
        elif isinstance(node, ast.Fornum):
            found.add(node.target.id)
        elif isinstance(node, ast.Forin):
            found.update(t.id for t in node.targets)
    return found


def assigned_names(body):
    """Names a function assigns (its own statements only)."""
    found = []
    for node in own_nodes(body):
        if isinstance(node, ast.Assign) and not isinstance(node, ast.LocalAssign):
            found.extend(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.Function) and isinstance(node.name, ast.Name):
            found.append(node.name.id)
    return list(dict.fromkeys(found))


# Expressions that are never nil.
_NEVER_NIL = (ast.Number, ast.String, ast.Table, ast.TrueExpr, ast.FalseExpr, ast.AnonymousFunction, ast.Concat)


def appends_to(target):
    """Whether ``target`` is ``t[#t + 1]`` for a name ``t`` (the slot after a sequence's last)."""
    key = getattr(target, "idx", None)
    return isinstance(target, ast.Index) and isinstance(target.value, ast.Name) and isinstance(key, ast.AddOp) \
        and isinstance(key.right, ast.Number) and key.right.n == 1 and isinstance(key.left, ast.ULengthOP) \
        and isinstance(key.left.operand, ast.Name) and key.left.operand.id == target.value.id


def string_value(node):
    """The text of a Lua string literal."""
    return node.s.decode("utf-8", "replace") if isinstance(node.s, bytes) else str(node.s)


def _field_key(target):
    """The field name that ``t.name = v`` or ``t['name'] = v`` assigns, else None."""
    if not isinstance(target, ast.Index):
        return None
    if target.notation == ast.IndexNotation.DOT:
        return target.idx.id
    return string_value(target.idx) if isinstance(target.idx, ast.String) else None


def dotted_name(node):
    """'a.b.c' for a chain of names and dotted fields, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Index) and node.notation == ast.IndexNotation.DOT:
        head = dotted_name(node.value)
        return None if head is None else head + "." + node.idx.id
    return None


def _method_or_function(node):
    """The name of ``x:name(...)`` or ``torch.name(...)``, else None."""
    if isinstance(node, ast.Invoke):
        return node.func.id
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Index) and isinstance(node.func.value, ast.Name) \
            and node.func.value.id == "torch" and node.func.notation == ast.IndexNotation.DOT:
        return node.func.idx.id
    return None


class Spread:
    """The value at ``position`` of a call spread over several names (``m, i = x:max(1)``,
    ``images, labels = load(...)``)."""
    __slots__ = ("call", "position")

    def __init__(self, call, position):
        self.call = call
        self.position = position


class Analysis:
    """Kinds of names, functions with several results, names used as records (``t.x``)."""

    def __init__(self, chunk, kind_of):
        self.records = set()
        self.classes = set()      # nn.X made by torch.class in this file
        self.multi_functions = set()
        self.defined_functions = set()
        self.param_nodes = {}
        assignments = []
        for node in walk(chunk):
            if isinstance(node, ast.Index) and isinstance(node.value, ast.Name) and (
                    node.notation == ast.IndexNotation.DOT or isinstance(node.idx, ast.String)):
                self.records.add(node.value.id)
            if isinstance(node, ast.Call) and self._is_torch_class(node):
                self.classes.add(string_value(node.args[0]))
            if isinstance(node, ast.Method) and isinstance(node.source, ast.Name):
                self.records.add(node.source.id)  # function t:m() makes t a record
            if isinstance(node, ast.Function) and isinstance(node.name, ast.Index) \
                    and isinstance(node.name.value, ast.Name):
                self.records.add(node.name.value.id)
            if isinstance(node, (ast.Function, ast.LocalFunction)) and isinstance(node.name, ast.Name):
                self.defined_functions.add(node.name.id)
                assignments.append((node.name.id, "function"))
                if any(isinstance(n, ast.Return) and (len(n.values) > 1 or n.values and isinstance(
                        n.values[-1], (ast.Varargs, ast.Dots))) for n in own_nodes(node.body)):
                    self.multi_functions.add(node.name.id)
            elif isinstance(node, ast.Assign):
                self._assignments(node, assignments)
            elif isinstance(node, (ast.Fornum, ast.Forin)):
                targets = [node.target] if isinstance(node, ast.Fornum) else node.targets
                assignments.extend((t.id, "number" if isinstance(node, ast.Fornum) else None) for t in targets)
            if isinstance(node, (ast.Function, ast.LocalFunction, ast.Method, ast.AnonymousFunction)):
                # a parameter is its function's own: its reads are marked node by node (the kind its
                # callers pass, or none), so that a global of the same name keeps its kind
                params = {a.id: i for i, a in enumerate(node.args) if isinstance(a, ast.Name)}
                name = node.name.id if isinstance(node, (ast.Function, ast.LocalFunction)) \
                    and isinstance(node.name, ast.Name) else None
                assigned = {t.id for n in walk(node.body) if isinstance(n, (ast.Assign, ast.LocalAssign))
                            for t in n.targets if isinstance(t, ast.Name)}
                for n in walk(node.body):
                    if isinstance(n, ast.Name) and n.id in params:
                        # (function name, position) of a parameter the body never reassigns, else None
                        self.param_nodes[id(n)] = (name, params[n.id]) if name and n.id not in assigned else None
        self.assignments = assignments
        self.assigned = {name for name, _ in assignments} | {"self"}
        self.field_assignments, self.nn_parents = self._fields(chunk)
        self.function_nodes = self._functions_defined_once(chunk, assignments, self.field_assignments)
        self.call_sites = self._direct_calls(chunk, self.function_nodes)
        self.literal_lengths = self._literal_lengths(chunk, assignments)
        self.kinds = {}
        seen = {}
        for name, value in assignments:
            kind = value if value is None or isinstance(value, (str, Spread)) else kind_of(value, name, self)
            seen.setdefault(name, set()).add(kind)
            self.kinds[name] = kind if seen[name] == {kind} else None
        self.kinds = {k: v for k, v in self.kinds.items() if v is not None}

    @staticmethod
    def _functions_defined_once(chunk, assignments, fields):
        """name -> Function node, for the names bound to one ``function`` statement and nothing else;
        ``t.name`` -> Method node for ``function t:name()`` when no statement assigns a ``.name`` field."""
        found = {}
        for node in walk(chunk):
            if isinstance(node, (ast.Function, ast.LocalFunction)) and isinstance(node.name, ast.Name):
                found.setdefault(node.name.id, []).append(node)
            elif isinstance(node, ast.Method) and isinstance(node.source, ast.Name) and node.name.id not in fields:
                found.setdefault(f"{node.source.id}.{node.name.id}", []).append(node)
        return {name: nodes[0] for name, nodes in found.items()
                if len(nodes) == 1 and all(value == "function" for n, value in assignments if n == name)}

    @staticmethod
    def _direct_calls(chunk, functions):
        """function name -> its call nodes, for the functions of this file only ever called by name
        (never passed, stored or returned as a value): their parameters are what the calls pass."""
        calls = {name: [] for name in functions if "." not in name}
        called = set()
        for node in walk(chunk):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in calls:
                calls[node.func.id].append(node)
                called.add(id(node.func))
            elif isinstance(node, (ast.Function, ast.LocalFunction)) and isinstance(node.name, ast.Name):
                called.add(id(node.name))
        for node in walk(chunk):
            if isinstance(node, ast.Name) and node.id in calls and id(node) not in called:
                calls.pop(node.id)                  # used as a value: any caller may pass anything
        return calls

    def _fields(self, chunk):
        """(field name -> the values assigned to ``x.field`` anywhere, the parents of this file's
        ``torch.class`` classes)."""
        fields, parents = {}, set()
        self.method_names = {node.name.id for node in walk(chunk) if isinstance(node, ast.Method)}
        for node in walk(chunk):
            if isinstance(node, ast.Assign):
                for i, target in enumerate(node.targets):
                    key = _field_key(target)
                    if key is not None:
                        value = node.values[i] if i < len(node.values) and len(node.targets) <= len(node.values) \
                            else None
                        fields.setdefault(key, []).append(value)
            if isinstance(node, ast.Table):
                for field in node.fields:
                    if field.key is not None and isinstance(field.key, ast.Name) and not field.between_brackets:
                        fields.setdefault(field.key.id, []).append(field.value)      # {data = ...}
                    elif isinstance(field.key, ast.String):
                        fields.setdefault(string_value(field.key), []).append(field.value)  # {['data'] = ...}
            if isinstance(node, ast.Call) and self._is_torch_class(node):
                parent = node.args[1] if len(node.args) > 1 else None
                parents.add(string_value(parent) if isinstance(parent, ast.String) else None)
        return fields, parents

    @staticmethod
    def _is_torch_class(call):
        func = call.func
        return isinstance(func, ast.Index) and getattr(func.value, "id", None) == "torch" \
            and getattr(func.idx, "id", None) == "class" and call.args and isinstance(call.args[0], ast.String)

    @staticmethod
    def _literal_lengths(chunk, assignments):
        """Names assigned once, from a sequence literal, that no statement shrinks: name -> length."""
        counts = {}
        for name, _value in assignments:
            counts[name] = counts.get(name, 0) + 1
        lengths = {name: len(value.fields) for name, value in assignments
                   if counts[name] == 1 and isinstance(value, ast.Table) and value.fields
                   and all(f.key is None for f in value.fields)
                   and not isinstance(value.fields[-1].value, (ast.Call, ast.Invoke, ast.Varargs, ast.Dots))}
        for node in walk(chunk):
            if isinstance(node, ast.Assign):
                for i, target in enumerate(node.targets):
                    grows = appends_to(target) and len(node.values) == len(node.targets) \
                        and isinstance(node.values[i], _NEVER_NIL)      # t[#t + 1] = literal
                    if isinstance(target, ast.Index) and isinstance(target.value, ast.Name) and not grows:
                        lengths.pop(target.value.id, None)
            elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name) \
                    and isinstance(node.func, ast.Index) and getattr(node.func.value, "id", None) == "table" \
                    and not (getattr(node.func.idx, "id", None) == "insert" and len(node.args) == 2
                             and isinstance(node.args[1], _NEVER_NIL)):
                lengths.pop(node.args[0].id, None)
        return lengths       # (appends of values that are never nil only lengthen a sequence)

    @staticmethod
    def _assignments(node, out):
        targets = [t for t in node.targets]
        values = list(node.values)
        for i, target in enumerate(targets):
            if not isinstance(target, ast.Name):
                continue
            if i < len(values) and not (i == len(values) - 1 and len(targets) > len(values)):
                out.append((target.id, values[i]))
            elif values and isinstance(values[-1], ast.Invoke) and values[-1].func.id in names.TENSOR_PAIR_METHODS:
                out.append((target.id, "tensor"))
            elif values and i <= len(values) and _method_or_function(values[-1]) in names.TENSOR_TWO_RESULTS:
                out.append((target.id, Spread(values[-1], i - len(values) + 1)))
            elif values and isinstance(values[-1], ast.Call) and (
                    isinstance(values[-1].func, ast.Name) or dotted_name(values[-1].func) in names.LIBRARY_RESULTS):
                out.append((target.id, Spread(values[-1], i - len(values) + 1)))      # f() of this file
            else:
                out.append((target.id, None))


@contextlib.contextmanager
def nested(translator, scope):
    saved = translator.scope
    translator.scope = scope
    try:
        yield scope
    finally:
        translator.scope = saved
