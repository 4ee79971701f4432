"""Lua statements -> Python statements, in the script's order, with its comments and ``# lua N``.

:func:`translate` is the entry point: Lua source in, :class:`Translation` (Python source and the
list of items left to do by hand) out. Parsing is luaparser's (a real Lua 5.3 grammar); what cannot
be translated becomes compilable Python with ``# TODO(migrate): ...`` at that line.
"""
import contextlib
import dataclasses

from antlr4 import CommonTokenStream, InputStream
from antlr4.error.ErrorListener import ErrorListener
from luaparser import ast as luaast
from luaparser import astnodes as ast
from luaparser.builder import BuilderVisitor
from luaparser.parser.LuaLexer import LuaLexer
from luaparser.parser.LuaParser import LuaParser

from compat.migrate import names
from compat.migrate.calls import CallMixin, string_value
from compat.migrate.expressions import ADD, ATOM, TENSORS, ExpressionMixin
from compat.migrate.kinds import KindsMixin
from compat.migrate.resolve import rename_locals
from compat.migrate.scope import (
    Analysis,
    Scope,
    appends_to,
    assigned_names,
    function_locals,
    nested,
    own_nodes,
)

HEADER = ("# Translated from {source} by torchad-migrate: '# lua N' names the Lua line each Python line "
          "comes from.")
DEFAULT_TYPE = "torch.setdefaulttensortype('torch.DoubleTensor')  # Lua's default tensor type"


class LuaSyntaxError(ValueError):
    """Invalid Lua: the message starts with ``file:line:column:``."""


class TranslatorError(RuntimeError):
    """The translator itself failed on valid Lua (raised instead of a TODO item when ``strict``)."""


@dataclasses.dataclass
class Todo:
    line: int
    message: str
    kind: str = "other"     # 'goto', 'require', 'unknown name', 'untranslated', 'internal error', ...


@dataclasses.dataclass
class Translation:
    code: str
    todos: list


class Translator(KindsMixin, ExpressionMixin, CallMixin):

    def __init__(self, tokens, filename, strict=False):
        self.filename = filename
        self.strict = strict
        self.lines = []
        self.depth = 0
        self.imports = []
        self.packages = set()
        self.todos = []
        self.counter = 0
        self.empty_as_list = False
        self.loop_names = []
        self._resolving = set()     # the functions and parameters whose kinds are being worked out
        self.comments = {}
        self.code_lines = set()
        self._read_comments(tokens)

    # ------------------------------------------------------------------ output
    def emit(self, code, line=None, comment=None):
        marker = f"# lua {line}" if line else ""
        if comment and comment.startswith("# ") and not marker:
            marker, comment = comment, None
        trailing = self.comments.pop(line, None) if line in self.code_lines else None
        if trailing:
            marker = (marker + ": " if marker else "# ") + trailing
        if comment:
            marker = (marker + "  " if marker else "") + comment
        self.lines.append("    " * self.depth + code + ("  " + marker if marker else ""))

    def flush_comments(self, before):
        for line in sorted(k for k in self.comments if k < before and k not in self.code_lines):
            for text in self.comments.pop(line).split("\n"):
                self.lines.append("    " * self.depth + ("# " + text if text else "#"))

    def note(self, node, message, kind="other"):
        line = getattr(node, "line", None) or self.current_line
        if self.strict and kind == "untranslated":
            raise TranslatorError(f"{self.filename}:{line}: {message}")
        if Todo(line, message, kind) not in self.todos:
            self.todos.append(Todo(line, message, kind))
        self.pending_todo.append(message)

    def todo(self, node, message, kind="other"):
        self.note(node, message, kind)
        return "None"

    def use_package(self, lua_name):
        self.packages.add(lua_name)

    def fresh_name(self, base):
        self.counter += 1
        return f"_{names.python_name(base)}_{self.counter}" if base == "function" else names.python_name(base)

    @contextlib.contextmanager
    def block(self):
        self.depth += 1
        start = len(self.lines)
        yield
        if all(line.strip().startswith("#") for line in self.lines[start:]):
            self.lines.append("    " * self.depth + "pass")
        self.depth -= 1

    def _read_comments(self, tokens):
        comment_types = (LuaLexer.COMMENT, LuaLexer.LINE_COMMENT)  # the builder may move their channel
        for token in tokens:
            if token.type in comment_types:
                text = token.text[2:]
                if text.startswith("[") and "[" in text[1:]:
                    text = text[text.index("[", 1) + 1:].rsplit("]", 2)[0]
                previous = self.comments.get(token.line)
                self.comments[token.line] = text.strip() if previous is None else previous + " " + text.strip()
            elif token.channel == 0 and token.type != -1:
                self.code_lines.add(token.line)

    # ------------------------------------------------------------------ chunk
    def translate(self, chunk, unset_globals=()):
        self.analysis = Analysis(chunk, self.value_kind)
        self.multi_functions = self.analysis.multi_functions
        self.defined_functions = self.analysis.defined_functions
        self.scope = Scope(None, self.analysis.kinds, function_locals([], chunk.body), is_chunk=True)
        self.prove_kinds(chunk)
        self.search_templates = [t for n in luaast.walk(chunk) if isinstance(n, ast.Assign)
                                 and any(self.dotted(target) == "package.path" for target in n.targets)
                                 for s in luaast.walk(n) if isinstance(s, ast.String)
                                 for t in string_value(s).split(";") if "?" in t]
        self.required = {string_value(n.args[0]) for n in luaast.walk(chunk) if isinstance(n, ast.Call)
                         and self.dotted(n.func) == "require" and n.args and isinstance(n.args[0], ast.String)}
        for name in unset_globals:
            self.emit(f"{names.python_name(name)} = globals().get({name!r})", None,
                      "# a Lua global read before it is set: nil until then")
        if any(isinstance(n, (ast.Varargs, ast.Dots)) for n in own_nodes(chunk.body)):
            self.emit("varargs = tuple(lua.arg)", None, "# Lua's ... in the main chunk: the script's arguments")
        self.block_body(chunk.body.body, top=True)
        self.flush_comments(float("inf"))
        return self.lines

    def value_kind(self, node, name, analysis):
        if isinstance(node, ast.Table) and not node.fields:
            return "table" if name in analysis.records else "list"
        self.scope = Scope(None, {}, ())
        return self.kind(node)

    def block_body(self, statements, top=False):
        for i, node in enumerate(statements):
            self.current_line = node.line
            self.flush_comments(node.line or 0)
            outer, self.pending_todo = self.pending_todo, []
            start = len(self.lines)
            try:
                self.statement(node, last=top and i == len(statements) - 1)
            except (LuaSyntaxError, TranslatorError):
                raise
            except Exception as error:  # noqa: BLE001 (never crash on valid Lua: the statement is left to do by hand)
                if self.strict:
                    raise TranslatorError(f"{self.filename}:{node.line}: the translator failed on this statement "
                                          f"({type(error).__name__}: {error})") from error
                del self.lines[start:]
                self.note(node, f"could not translate this statement ({type(error).__name__}: {error})",
                          "internal error")
            pending, self.pending_todo = self.pending_todo, outer
            if pending:
                todo = "# TODO(migrate): " + "; ".join(dict.fromkeys(pending))
                if len(self.lines) > start:
                    self.lines[start] = self.lines[start] + "  " + todo
                else:
                    self.emit("pass", node.line, todo)

    def statement(self, node, last=False):
        method = getattr(self, "stmt_" + type(node).__name__, None)
        if method is None:
            self.note(node, f"the statement {type(node).__name__} is not translated", "untranslated")
            self.emit("pass", node.line)
            return
        method(node) if not isinstance(node, ast.Return) else method(node, last)

    # ------------------------------------------------------------------ assignments
    def stmt_LocalAssign(self, node):
        self.assign(node)

    def stmt_Assign(self, node):
        self.assign(node)

    def assign(self, node):
        targets, values = node.targets, node.values
        single = len(targets) == 1 and len(values) == 1
        if single and isinstance(targets[0], ast.Name) and isinstance(values[0], ast.Call) \
                and self.dotted(values[0].func) == "require" and values[0].args \
                and isinstance(values[0].args[0], ast.String):
            return self.require_statement(values[0], targets[0].id, node.line)
        if single and isinstance(targets[0], ast.Name) and isinstance(values[0], ast.AnonymousFunction) \
                and (self.scope.is_chunk or self.scope.declaration(targets[0].id) is None):
            self.define(values[0], names.python_name(targets[0].id), node.line)   # f = function ... end
            return
        if not values:                                                           # local a, b
            self.emit(" = ".join(names.python_name(t.id) for t in targets) + " = None", node.line)
            return
        if len(targets) == 1:
            self.store(targets[0], self.rvalue(targets[0], values[0]), node.line, values[0])
            for extra in values[1:]:                                             # evaluated, then dropped
                if isinstance(extra, (ast.Call, ast.Invoke)):
                    self.emit(self.expr(extra), node.line)
            return
        codes = self.value_list(targets, values)
        simple = all(self.plain_target(t) for t in targets)
        if simple:
            lhs = ", ".join(self.target(t) for t in targets)
            rhs = ", ".join(codes)
            self.emit(f"{lhs} = {rhs}", node.line)
            return
        temps = [f"_v{i + 1}" for i in range(len(targets))]
        self.emit(f"{', '.join(temps)} = {', '.join(codes)}", node.line)
        for target, temp in zip(targets, temps):
            self.store(target, temp, node.line)

    def value_list(self, targets, values):
        """Python values for ``targets = values``, adjusted as Lua does: extra values dropped, missing
        ones nil, a call or ``...`` in last place spread over the remaining targets."""
        missing = len(targets) - len(values)
        last = values[-1]
        if missing > 0 and isinstance(last, (ast.Call, ast.Invoke, ast.Varargs, ast.Dots)):
            codes = [self.rvalue(t, v) for t, v in zip(targets, values[:-1])]
            spread = self.multi_value(last, missing + 1)
            if len(values) == 1 and spread.startswith("(*"):
                spread = spread[1:-1]                   # a, b, c = *f(), None
            return codes + [spread if len(values) == 1 else "*" + spread]
        return [self.rvalue(t, v) for t, v in zip(targets, values)] + ["None"] * max(missing, 0)

    def rvalue(self, target, value):
        self.empty_as_list = isinstance(target, ast.Name) and self.scope.kind(target.id) == "list"
        try:
            return self.expr(value)
        finally:
            self.empty_as_list = False

    def multi_value(self, value, count):
        if isinstance(value, (ast.Varargs, ast.Dots)):
            return f"lua.values(varargs, {count})"
        dotted = self.dotted(value.func) if isinstance(value, ast.Call) else None
        library = isinstance(value, ast.Invoke) and self.kind(value.source) == "object" or (
            dotted is not None and dotted.split(".")[0] in ("nn", "optim", "torch", "image", "automation",
                                                              "datamodule", "mpi", "mpinn")
            and dotted[6:] not in names.LUA_TORCH_FUNCTIONS)
        code = self._expr(value)[0]
        known = self.value_count(value)
        if known == count:
            return code
        if known is not None and known < count:
            return "(" + ", ".join([f"*{code}"] + ["None"] * (count - known)) + ")"   # the missing ones: nil
        return code if library else f"lua.values({code}, {count})"

    def plain_target(self, target):
        return isinstance(target, ast.Name) or (isinstance(target, ast.Index) and self.static_key(target))

    def target(self, target):
        if isinstance(target, ast.Name):
            return names.python_name(target.id)
        return f"{self.expr(target.value, ATOM)}.{self.static_key(target)}"

    def store(self, target, code, line, value=None):
        if self.appends(target, value):
            self.emit(f"{self.expr(target.value, ATOM)}.append({code})", line)
        elif self.plain_target(target):
            self.emit(f"{self.target(target)} = {code}", line)
        elif value is not None and self.kind(value) == "number" and self.fast_store(target, code) is not None:
            self.emit(self.fast_store(target, code), line)
        elif isinstance(target, ast.Index) and self.kind(target.value) == "table":
            self.emit(f"{self.expr(target.value, ATOM)}[{self.index_key(target.idx, target.notation)}] = {code}", line)
        elif isinstance(target, ast.Index) and self.kind(target.value) in TENSORS:
            key = self.index_key(target.idx, target.notation)
            self.emit(self.torch7_call("put", [self.expr(target.value), key, code]), line)
        else:
            self.emit(f"lua.setindex({self.expr(target.value)}, {self.index_key(target.idx, target.notation)}, {code})",
                      line)

    def appends(self, target, value):
        """``t[#t + 1] = v`` on a Lua sequence held in a Python list, ``v`` never nil: an append."""
        if value is None or not isinstance(target, ast.Index) or target.notation == ast.IndexNotation.DOT:
            return False
        return appends_to(target) and self.kind(target.value) == "list" \
            and (self.kind(value) in ("number", "str", "bool", "list", "table", "tensor", "object", "function")
                 or isinstance(value, (ast.Number, ast.String, ast.Table, ast.AnonymousFunction)))

    def require_statement(self, call, bound, line):
        module = string_value(call.args[0])
        spec = names.REQUIRES.get(module)
        bound = names.python_name(bound)
        if module in names.REQUIRES and spec is None:
            self.emit(f"{bound} = None", line, f"(require '{module}': PyTorch includes CUDA)")
        elif spec is not None:
            statement, name = spec
            if name == bound:
                self.emit(statement, line)
            elif statement.startswith("from "):
                self.emit(statement.split(" as ")[0] + f" as {bound}", line)
            else:
                self.emit(f"import {statement.split()[1]} as {bound}", line)
        else:
            self.emit(f"{bound} = {self.require_expr(call, 'require')}", line)

    # ------------------------------------------------------------------ calls
    def stmt_Call(self, node):
        dotted = self.dotted(node.func)
        if dotted == "require" and node.args and isinstance(node.args[0], ast.String) \
                and not self.scope.is_local("require"):
            module = string_value(node.args[0])
            if module in names.LUA_STANDARD_MODULES:
                self.emit("pass", node.line, f"(require '{module}': Lua's standard library, in compat.lua)")
                return
            if module in names.REQUIRES:
                spec = names.REQUIRES[module]
                if spec is None:
                    self.emit("pass", node.line, f"(require '{module}': PyTorch includes CUDA)")
                else:
                    self.emit(spec[0], node.line)
                return
        if dotted == "collectgarbage" and not self.scope.is_local(dotted):
            self.emit("pass", node.line, "(collectgarbage: Python frees memory itself)")
            return
        self.emit(self._expr(node)[0], node.line)

    def stmt_Invoke(self, node):
        self.emit(self._expr(node)[0], node.line)

    # ------------------------------------------------------------------ control flow
    def stmt_Do(self, node):
        self.emit("if True:", node.line, "(do ... end)")
        with self.block():
            self.block_body(node.body.body)

    def stmt_While(self, node):
        self.emit(f"while {self.truth(node.test)}:", node.line)
        with self.block(), self.loop(node.body):
            self.block_body(node.body.body)

    def stmt_Repeat(self, node):
        self.emit("while True:", node.line, "(repeat ... until)")
        with self.block(), self.loop(node.body):
            self.block_body(node.body.body)
            self.emit(f"if {self.truth(node.test)}:", node.test.line)
            with self.block():
                self.emit("break")

    def stmt_If(self, node, keyword="if"):
        self.emit(f"{keyword} {self.truth(node.test)}:", node.line)
        with self.block():
            self.block_body(node.body.body)
        orelse = node.orelse
        if isinstance(orelse, (ast.ElseIf, ast.If)):
            self.stmt_If(orelse, "elif")
        elif orelse is not None and orelse.body:
            self.emit("else:")
            with self.block():
                self.block_body(orelse.body)

    def stmt_Fornum(self, node):
        var = names.python_name(node.target.id)
        start, stop = node.start, node.stop
        step = node.step if isinstance(node.step, ast.Node) else None
        constant = [n for n in (start, stop, step) if n is not None]
        if all(isinstance(n, ast.Number) and isinstance(n.n, int) for n in constant):
            s = step.n if step is not None else 1
            bounds = [str(start.n), str(stop.n + (1 if s > 0 else -1))] + ([str(s)] if s != 1 else [])
            iterator = f"range({', '.join(bounds)})"
        elif all(self.is_integer(n) for n in constant) and (step is None or isinstance(step, ast.Number)) \
                and (step is None or step.n != 0):
            # integers: Python's range, the limit made exclusive
            s = step.n if step is not None else 1
            limit = f"{self.expr(stop, ADD)} {'+' if s > 0 else '-'} 1"
            iterator = f"range({', '.join([self.expr(start), limit] + ([str(s)] if s != 1 else []))})"
        elif self.lower_bound(start) >= 1 and self.kind(stop) == "number" and (
                step is None or isinstance(step, ast.Number) and isinstance(step.n, int) and step.n >= 1):
            # counting up from an integer >= 1 to any number: the integers up to int(limit) (trunc
            # is floor for a limit >= 0; below 1 both loops are empty)
            bounds = [self.expr(start), f"int({self.expr(stop)}) + 1"] + ([str(step.n)] if step is not None else [])
            iterator = f"range({', '.join(bounds)})"
        else:
            iterator = f"lua.range({', '.join(self.expr(n) for n in constant)})"
        self.emit(f"for {var} in {iterator}:", node.line)
        with self.block(), self.loop(node.body, [node.target.id]):
            self.block_body(node.body.body)

    def stmt_Forin(self, node):
        targets = ", ".join(names.python_name(t.id) for t in node.targets)
        iters = node.iter
        if len(iters) == 1 and isinstance(iters[0], ast.Call):
            mapped = self.callee(iters[0].func)
            if mapped in ("lua.pairs", "lua.ipairs"):     # (key, value) pairs
                iterator = self._expr(iters[0])[0]
                targets += ", _" if len(node.targets) == 1 else ""
                if len(node.targets) > 2:
                    iterator = f"lua_scope.each({iterator}, {len(node.targets)})"
            elif mapped == "lua.string.gmatch":
                iterator = f"lua_scope.each({self._expr(iters[0])[0]}, {len(node.targets)})"
            else:
                iterator = f"lua_scope.each(lua.iterate({self._expr(iters[0])[0]}), {len(node.targets)})"
        elif len(iters) == 1 and isinstance(iters[0], ast.Invoke) and iters[0].func.id in ("lines", "gmatch"):
            iterator = f"lua_scope.each({self._expr(iters[0])[0]}, {len(node.targets)})"
        else:
            iterator = f"lua_scope.each(lua.iterate({', '.join(self.expr(n) for n in iters)}), {len(node.targets)})"
        self.imports.append(names.SCOPE_IMPORT)
        self.emit(f"for {targets} in {iterator}:", node.line)
        with self.block(), self.loop(node.body, [t.id for t in node.targets]):
            self.block_body(node.body.body)

    def stmt_Break(self, node):
        self.emit("break", node.line)

    def stmt_Goto(self, node):
        if node.label.id == "continue":
            self.emit("continue", node.line)
        else:
            self.note(node, f"goto {node.label.id} has no Python equivalent", "goto")
            self.emit("pass", node.line)

    def stmt_Label(self, node):
        if node.id.id != "continue":
            self.note(node, f"label ::{node.id.id}:: (goto) has no Python equivalent", "goto")
        self.emit("pass", node.line, f"(::{node.id.id}::)")

    def stmt_SemiColon(self, node):
        pass

    def stmt_Return(self, node, last=False):
        if len(node.values) == 1 and not isinstance(node.values[0], (ast.Varargs, ast.Dots)) \
                and not node.values[0].wrapped:
            values = self._expr(node.values[0])[0]        # a call's several values pass on as its tuple
        else:
            codes = self.exprs(node.values)
            # return ...: the tuple of values itself (a lone starred value is no Python expression)
            values = codes[0][1:] if len(codes) == 1 and codes[0].startswith("*") else ", ".join(codes)
        if self.scope.is_chunk:
            if not last:
                self.note(node, "return from the middle of the main chunk", "return")
            self.emit(f"lua_return = {values or 'None'}", node.line, "(the module's value for require)")
            return
        self.emit(f"return {values}".rstrip(), node.line)

    # ------------------------------------------------------------------ functions
    def stmt_Function(self, node):
        self.function_statement(node, node.name, self_param=False)

    def stmt_LocalFunction(self, node):
        self.define(node, names.python_name(node.name.id), node.line)

    def stmt_Method(self, node):
        self.function_statement(node, ast.Index(node.name, node.source), self_param=True)

    def function_statement(self, node, name, self_param):
        if isinstance(name, ast.Name):
            self.define(node, names.python_name(name.id), node.line)
            return
        dotted = self.dotted(name) or "function"
        fname = "_" + dotted.replace(".", "_")
        self.define(node, fname, node.line, self_param=self_param)
        self.store(name, fname, node.line)

    @contextlib.contextmanager
    def loop(self, body, variables=()):
        """Inside a loop body: Lua makes its locals afresh each iteration, so a function made there
        keeps their values of that iteration (the Python function gets them as default values)."""
        self.loop_names.append(set(variables) | function_locals([], body))
        try:
            yield
        finally:
            self.loop_names.pop()

    def define(self, node, fname, line, self_param=False):
        params = self.params(node.args, self_param=self_param, function=node)
        self.hoist(node, fname, params, line, self_param)

    def hoist(self, node, fname, params, line=None, self_param=False):
        self.emit(f"def {fname}({params}):", line or node.line)
        with self.block(), self.function_scope(node, self_param):
            declared = {}
            for name in assigned_names(node.body):
                kind = self.scope.declaration(name)
                if kind:
                    declared.setdefault(kind, []).append(names.python_name(name))
            for kind, found in declared.items():
                self.emit(f"{kind} {', '.join(found)}")
            self.block_body(node.body.body)

    @contextlib.contextmanager
    def function_scope(self, node, self_param=False):
        locals_ = function_locals(node.args, node.body) | ({"self"} if self_param else set())
        saved, self.loop_names = self.loop_names, []
        try:
            with nested(self, Scope(self.scope, self.scope.kinds, locals_)):
                yield
        finally:
            self.loop_names = saved


def translate(source, filename="<lua>", strict=False):
    """Translate Lua source to Python source. Raises :class:`LuaSyntaxError` (``file:line:col: ...``)
    on invalid Lua; what cannot be translated is listed in ``Translation.todos``. With ``strict``, a
    failure of the translator itself raises :class:`TranslatorError` instead of becoming a TODO item."""
    chunk, tokens = parse(source, filename)
    unset_globals = rename_locals(chunk)
    translator = Translator(tokens, filename, strict)
    translator.current_line = 1
    translator.pending_todo = []
    body = translator.translate(chunk, unset_globals)
    head = [HEADER.format(source=filename), "from compat import lua, torch"]
    head += [line for line in dict.fromkeys(translator.imports) if line != "from compat import torch"]
    for lua_name in sorted(translator.packages - translator.required):
        spec = names.REQUIRES.get(lua_name)
        if spec and spec[0] not in head and spec[0] != "from compat import torch":
            head.append(spec[0])
    head.append(DEFAULT_TYPE)              # Lua starts with Double, also where the script changes it later
    return Translation("\n".join(head + [""] + body) + "\n", translator.todos)


class _FirstError(ErrorListener):
    """Stops the lexer or the parser at the first error, as ``file:line:col: syntax error: ...``."""

    def __init__(self, filename):
        self.filename = filename

    def syntaxError(self, recognizer, offending, line, column, message, error):  # noqa: N802 (antlr's name)
        near = getattr(offending, "text", None)
        where = f" near {near!r}" if near and near != "<EOF>" else (" at the end of the file" if near else "")
        raise LuaSyntaxError(f"{self.filename}:{line}:{column + 1}: syntax error: {message}{where}")


def parse(source, filename):
    """luaparser's parse (its Lua grammar and AST builder) on one token stream, which also gives the
    comments: ``(chunk, tokens)``. The first syntax error raises :class:`LuaSyntaxError` naming its
    line and column (1-based)."""
    listener = _FirstError(filename)
    lexer = LuaLexer(InputStream(source))
    lexer.removeErrorListeners()
    lexer.addErrorListener(listener)
    stream = CommonTokenStream(lexer)
    parser = LuaParser(stream)
    parser.removeErrorListeners()
    parser.addErrorListener(listener)
    tree = parser.start_()
    stream.fill()
    return BuilderVisitor(stream).visit(tree), stream.tokens
