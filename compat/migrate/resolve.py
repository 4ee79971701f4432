"""Lua's scoping carried over to Python by renaming locals before translation.

Lua gives every ``local``, every loop variable and every parameter its own variable, visible from
the statement after its declaration to the end of its block; Python has one namespace per function
(and a ``for`` variable outlives its loop). :func:`rename_locals` resolves every name of a chunk to
the declaration it means and gives a declaration a fresh name (``x_2``) where keeping its Lua name
would make Python confuse two variables:

- another local of the same Python function with that name, declared in an enclosing block, is
  still visible (shadowing: ``local x = 32; do local x = x + 1 end``, nested ``for i`` loops), or
  one was captured by a closure made earlier (a redeclaration in the same block otherwise keeps
  the name: the earlier local cannot be reached any more);
- the Python function also reads that name as something else: a global, or a local of an enclosing
  function (``for i = 1, 3 do end print(i)`` at the top level prints the global ``i``).

The Name nodes are renamed in place; table keys (``t.x``, ``{x = 1}``) and method names are not
names and are left alone. ``self`` keeps its name (its function's scope owns it).
"""
from luaparser import astnodes as ast

_FUNCTIONS = (ast.Function, ast.LocalFunction, ast.Method, ast.AnonymousFunction)


class _Binding:
    __slots__ = ("name", "nodes", "scope", "conflicts", "captured", "python")

    def __init__(self, name, scope, conflicts):
        self.name = name
        self.nodes = []
        self.scope = scope
        self.conflicts = conflicts
        self.captured = False
        self.python = name


class _FunctionScope:
    __slots__ = ("parent", "bindings", "outer")

    def __init__(self, parent):
        self.parent = parent
        self.bindings = []
        self.outer = set()      # bindings of enclosing functions and global names read in here


class _Resolver:

    def __init__(self):
        self.frames = []        # (function scope, {lua name: binding}) innermost last
        self.scopes = []        # every function scope, outermost first
        self.ids = set()        # every name spelled in the chunk
        self.statement_index = 0    # of the main chunk's statement being walked
        self.depth = 0              # blocks and functions around it (0: directly in the main chunk)
        self.global_reads = {}      # global name -> index of its first read outside functions
        self.global_writes = {}     # global name -> index of its first write directly in the main chunk
        self.written = set()        # globals assigned anywhere

    # ------------------------------------------------------------------ scopes
    def open_function(self):
        parent = self.frames[-1][0] if self.frames else None
        scope = _FunctionScope(parent)
        self.scopes.append(scope)
        self.frames.append((scope, {}))
        return scope

    def open_block(self):
        self.frames.append((self.frames[-1][0], {}))

    def close(self):
        self.frames.pop()

    def declare(self, node, name=None):
        scope = self.frames[-1][0]
        name = node.id if node is not None else name
        # an earlier local of the same block is out of reach once redeclared: its name may be reused
        visible = [b for s, block in self.frames[:-1] if s is scope for b in block.values()]
        captured = [b for b in scope.bindings if b.captured]
        binding = _Binding(name, scope, visible + captured)
        if node is not None:
            binding.nodes.append(node)
            self.ids.add(name)
        scope.bindings.append(binding)
        self.frames[-1][1][name] = binding
        return binding

    def refer(self, node, write=False):
        self.ids.add(node.id)
        scope = self.frames[-1][0]
        for owner, block in reversed(self.frames):
            binding = block.get(node.id)
            if binding is not None:
                binding.nodes.append(node)
                if owner is not scope:
                    binding.captured = True
                    inner = scope
                    while inner is not owner:
                        inner.outer.add(binding)
                        inner = inner.parent
                return
        inner = scope
        while inner is not None:
            inner.outer.add(node.id)
            inner = inner.parent
        if write:
            self.written.add(node.id)
            if self.depth == 1:
                self.global_writes.setdefault(node.id, self.statement_index)
        elif self.frames[-1][0].parent is None:
            self.global_reads.setdefault(node.id, self.statement_index)

    # ------------------------------------------------------------------ walking
    def block(self, block, before=None):
        self.open_block()
        if before is not None:
            before()
        self.depth += 1
        for statement in block.body:
            if self.depth == 1:
                self.statement_index += 1
            self.statement(statement)
        self.depth -= 1

    def statement(self, node):
        if isinstance(node, ast.LocalAssign):
            self.exprs(node.values)
            for target in node.targets:
                self.declare(target)
        elif isinstance(node, ast.Assign):
            self.exprs(node.values)
            for target in node.targets:
                self.refer(target, write=True) if isinstance(target, ast.Name) else self.expr(target)
        elif isinstance(node, ast.LocalFunction):
            self.declare(node.name)
            self.function(node)
        elif isinstance(node, ast.Function):
            self.refer(node.name, write=True) if isinstance(node.name, ast.Name) else self.expr(node.name)
            self.function(node)
        elif isinstance(node, ast.Method):
            self.expr(node.source)
            self.function(node, self_param=True)
        elif isinstance(node, ast.Fornum):
            step = node.step if isinstance(node.step, ast.Node) else None
            self.exprs([node.start, node.stop] + ([step] if step is not None else []))
            self.block(node.body, lambda: self.declare(node.target))
            self.close()
        elif isinstance(node, ast.Forin):
            self.exprs(node.iter)
            self.block(node.body, lambda: [self.declare(t) for t in node.targets])
            self.close()
        elif isinstance(node, ast.While):
            self.expr(node.test)
            self.block(node.body)
            self.close()
        elif isinstance(node, ast.Repeat):
            self.block(node.body)
            self.expr(node.test)        # the condition sees the body's locals
            self.close()
        elif isinstance(node, ast.Do):
            self.block(node.body)
            self.close()
        elif isinstance(node, (ast.If, ast.ElseIf)):
            self.expr(node.test)
            self.block(node.body)
            self.close()
            if isinstance(node.orelse, (ast.If, ast.ElseIf)):
                self.statement(node.orelse)
            elif isinstance(node.orelse, ast.Block):
                self.block(node.orelse)
                self.close()
        elif isinstance(node, ast.Return):
            self.exprs(node.values)
        elif isinstance(node, (ast.Call, ast.Invoke)):
            self.expr(node)
        # Break, Goto, Label, SemiColon: no names

    def function(self, node, self_param=False):
        self.open_function()

        def parameters():           # in the body's block: ``local x = x or 1`` may keep the name x
            if self_param:
                self.declare(None, "self")
            for arg in getattr(node, "args", ()):
                if isinstance(arg, ast.Name):
                    self.declare(arg)
        depth, self.depth = self.depth, (0 if isinstance(node, ast.Chunk) else self.depth + 1)
        self.block(node.body, parameters)
        self.depth = depth
        self.close()
        self.close()

    def exprs(self, nodes):
        for node in nodes:
            self.expr(node)

    def expr(self, node):
        if isinstance(node, ast.Name):
            self.refer(node)
        elif isinstance(node, ast.Index):
            self.expr(node.value)
            if node.notation != ast.IndexNotation.DOT:
                self.expr(node.idx)
        elif isinstance(node, ast.Call):
            self.expr(node.func)
            self.exprs(node.args)
        elif isinstance(node, ast.Invoke):
            self.expr(node.source)
            self.exprs(node.args)
        elif isinstance(node, ast.AnonymousFunction):
            self.function(node)
        elif isinstance(node, ast.Table):
            for field in node.fields:
                if field.key is not None and (field.between_brackets or not isinstance(field.key, ast.Name)):
                    self.expr(field.key)
                self.expr(field.value)
        elif isinstance(node, ast.Node):
            for attribute in ("left", "right", "operand"):
                child = getattr(node, attribute, None)
                if isinstance(child, ast.Node):
                    self.expr(child)

    # ------------------------------------------------------------------ naming
    def assign_names(self):
        taken = set(self.ids)
        for scope in self.scopes:
            reserved = {b.python if isinstance(b, _Binding) else b for b in scope.outer}
            for binding in scope.bindings:
                if binding.name == "self":
                    continue
                clashing = reserved | {b.python for b in binding.conflicts}
                if binding.name in clashing:
                    binding.python = _fresh(binding.name, taken | clashing)
                    taken.add(binding.python)
                for node in binding.nodes:
                    node.id = binding.python

    def unset_globals(self):
        """Globals the file sets and reads that may be read before they are set: those not set by a
        statement directly in the main chunk before any read outside functions."""
        found = []
        for name in sorted(self.written):
            written = self.global_writes.get(name)
            read = self.global_reads.get(name)
            if written is None or (read is not None and read <= written):
                found.append(name)
        return found


def _fresh(name, taken):
    k = 2
    while f"{name}_{k}" in taken:
        k += 1
    return f"{name}_{k}"


def rename_locals(chunk):
    """Rename, in place, the locals of ``chunk`` that Python would confuse (see the module doc).
    Returns the globals that the translated module must bind to nil (or the value another file
    gave them) before its first statement, as Lua reads an unset global as nil."""
    resolver = _Resolver()
    resolver.function(chunk)
    resolver.assign_names()
    return resolver.unset_globals()
