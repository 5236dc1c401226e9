"""Inline JavaScript (``node -e CODE``, ``node -p CODE``) the sandbox can hold without a person.
Pure.

The sandbox already has no network, writes only in the worktree and keeps ``.git`` read-only;
running the repository's own code is what its tests do anyway. JavaScript reaches everything
through a few doors: ``require`` / ``import`` of a built-in module (files, processes, sockets,
the module loader itself), ``process`` (bindings, signals, native add-ons), the global object,
and the ``Function`` constructor that any function's ``.constructor`` hands out. ``assess``
parses the code (tree-sitter-javascript) and lets it run only when every door it uses is on an
allowlist: syntax it knows, names that are harmless globals (``console``, ``JSON``, ``Math``
...) or declared in the code, modules that only compute (``assert``, ``util``, ``path`` ...) or
sit beneath the worktree (``require('./src/calc')``), and the reading corners of ``process``
(``argv``, ``env.NAME``, ``platform`` ...). A computed key (``obj[k]``) is allowed only when it
is a literal or a number, so ``'constr' + 'uctor'`` cannot be spelt at run time.

Anything else comes back as a one-line reason; a reproduction such as
``node -e "console.log(require('./src/calc').add(2, 3))"`` runs at once.
"""

from __future__ import annotations

import re

import tree_sitter

from shared.index.languages import parser
from shared.policy._cmd_base import SECRET_VAR

__all__ = ["assess"]

MAX_CODE = 4000
# Built-in modules that only compute: no files, processes, sockets, workers or loader hooks.
ALLOWED_MODULES = frozenset(
    {"assert", "assert/strict", "util", "util/types", "path", "path/posix", "path/win32", "url",
     "querystring", "string_decoder", "events", "buffer"}
)  # fmt: skip
# Globals a script may use as they are (``node -e`` also exposes the allowed modules by name).
SAFE_GLOBALS = frozenset(
    {"AggregateError", "Array", "ArrayBuffer", "BigInt", "BigInt64Array", "BigUint64Array",
     "Boolean", "Buffer", "DataView", "Date", "Error", "EvalError", "FinalizationRegistry",
     "Float32Array", "Float64Array", "Infinity", "Int16Array", "Int32Array", "Int8Array", "Intl",
     "JSON", "Map", "Math", "NaN", "Number", "Object", "Promise", "RangeError", "ReferenceError",
     "RegExp", "Set", "String", "Symbol", "SyntaxError", "TextDecoder", "TextEncoder",
     "TypeError", "URIError", "URL", "URLSearchParams", "Uint16Array", "Uint32Array",
     "Uint8Array", "Uint8ClampedArray", "WeakMap", "WeakRef", "WeakSet", "AbortController",
     "AbortSignal", "Event", "EventTarget", "__dirname", "__filename", "arguments", "atob",
     "btoa", "clearImmediate", "clearInterval", "clearTimeout", "console", "decodeURI",
     "decodeURIComponent", "encodeURI", "encodeURIComponent", "escape", "isFinite", "isNaN",
     "parseFloat", "parseInt", "performance", "queueMicrotask", "setImmediate", "setInterval",
     "setTimeout", "structuredClone", "undefined", "unescape", "assert", "util", "path", "url",
     "querystring", "string_decoder", "events", "buffer"}
)  # fmt: skip
# Every other global a Node process has (or a newer one may have): held even when the code
# declares the name, since the analysis is not scoped and ``var fs;`` keeps the global's value.
HELD_GLOBALS = frozenset(
    {"globalThis", "global", "window", "self", "eval", "Function", "Reflect", "Proxy",
     "WebAssembly", "fetch", "XMLHttpRequest", "WebSocket", "EventSource", "navigator",
     "Navigator", "localStorage", "sessionStorage", "caches", "importScripts", "Deno", "Bun",
     "require", "module", "exports", "process", "Worker", "SharedWorker", "BroadcastChannel",
     "MessageChannel", "MessagePort", "MessageEvent", "Atomics", "SharedArrayBuffer", "Request",
     "Response", "Headers", "FormData", "Blob", "File", "crypto", "Crypto", "CryptoKey",
     "SubtleCrypto", "async_hooks", "child_process", "cluster", "constants", "dgram",
     "diagnostics_channel", "dns", "domain", "fs", "http", "http2", "https", "inspector", "net",
     "os", "perf_hooks", "punycode", "readline", "repl", "stream", "sys", "timers", "tls",
     "trace_events", "tty", "v8", "vm", "wasi", "worker_threads", "zlib"}
)  # fmt: skip
# Property names that lead to the Function constructor, the loader, process internals or
# reflection over hidden properties, whatever object they hang on.
HELD_PROPERTIES = frozenset(
    {"constructor", "prototype", "caller", "callee", "arguments", "mainModule", "binding",
     "_linkedBinding", "dlopen", "_load", "_resolveFilename", "_compile", "require", "process",
     "module", "global", "globalThis", "eval", "Function", "prepareStackTrace",
     "getOwnPropertyDescriptor", "getOwnPropertyDescriptors", "getPrototypeOf",
     "setPrototypeOf", "defineProperty", "defineProperties", "execSync", "execFileSync",
     "spawn", "spawnSync", "execFile", "fork"}
)  # fmt: skip
# The corners of ``process`` that only read or print; the calls must be calls.
PROCESS_VALUES = frozenset({"argv", "version", "versions", "platform", "arch", "exitCode"})
PROCESS_CALLS = frozenset(
    {("stdout", "write"), ("stderr", "write"), ("exit",), ("cwd",), ("uptime",),
     ("memoryUsage",), ("nextTick",), ("hrtime",), ("hrtime", "bigint")}
)  # fmt: skip
TIMERS = frozenset({"setTimeout", "setInterval", "setImmediate"})
# Syntax the checks below understand; anything else (with, JSX, export, decorators, HTML-like
# comments, using) is held rather than guessed at.
ALLOWED_NODES = frozenset(
    {"program", "hash_bang_line", "comment", "expression_statement", "empty_statement",
     "statement_block", "lexical_declaration", "variable_declaration", "variable_declarator",
     "if_statement", "else_clause", "for_statement", "for_in_statement", "while_statement",
     "do_statement", "break_statement", "continue_statement", "return_statement",
     "throw_statement", "try_statement", "catch_clause", "finally_clause", "switch_statement",
     "switch_body", "switch_case", "switch_default", "labeled_statement", "statement_identifier",
     "debugger_statement", "identifier", "property_identifier", "private_property_identifier",
     "shorthand_property_identifier", "shorthand_property_identifier_pattern", "number",
     "string", "string_fragment", "escape_sequence", "template_string", "template_substitution",
     "regex", "regex_pattern", "regex_flags", "true", "false", "null", "undefined", "this",
     "super", "call_expression", "new_expression", "arguments", "member_expression",
     "subscript_expression", "optional_chain", "binary_expression", "unary_expression",
     "update_expression", "ternary_expression", "assignment_expression",
     "augmented_assignment_expression", "parenthesized_expression", "sequence_expression",
     "spread_element", "await_expression", "yield_expression", "array", "object", "pair",
     "computed_property_name", "method_definition", "arrow_function", "function_expression",
     "function_declaration", "generator_function", "generator_function_declaration",
     "formal_parameters", "assignment_pattern", "object_pattern", "array_pattern",
     "pair_pattern", "rest_pattern", "object_assignment_pattern", "class_declaration", "class",
     "class_body", "class_heritage", "field_definition", "class_static_block",
     "import_statement", "import_clause", "named_imports", "import_specifier",
     "namespace_import", "import", "meta_property"}
)  # fmt: skip
_FUNCTIONS = frozenset(
    {"function_expression", "function_declaration", "generator_function",
     "generator_function_declaration"}
)  # fmt: skip
_NAMED = frozenset(_FUNCTIONS | {"variable_declarator", "class_declaration", "class"})
_PATTERNS = frozenset({"formal_parameters", "array_pattern", "rest_pattern", "import_clause"})
_PATTERNS |= {"namespace_import", "import_specifier"}
_NUMERIC_OPS = frozenset({"-", "*", "/", "%", "**", "|", "&", "^", "<<", ">>", ">>>"})
_NUMERIC_OPS |= {"<", ">", "<=", ">=", "==", "===", "!=", "!==", "in", "instanceof"}
# Held names must not hide in a comment or regex literal: should V8 read one of those as code
# where tree-sitter does not, the name would escape the checks.
_HIDDEN_WORDS = "|".join(sorted(HELD_GLOBALS | HELD_PROPERTIES | {"import", "this"}))
_HIDDEN = re.compile(rf"\b(?:{_HIDDEN_WORDS})\b")
# V8 reads these as comments in scripts (HTML-like comments); tree-sitter may read code there.
_HTML_COMMENT = re.compile(r"<!--|-->")
_NUMERIC = object()  # a write whose value is known to be a number

Node = tree_sitter.Node


def assess(code: str) -> str | None:
    """None when ``code`` may run without a person; else why it is held."""
    if len(code) > MAX_CODE:
        return f"inline code longer than {MAX_CODE} characters"
    if _HTML_COMMENT.search(code):
        return "inline code with an HTML-like comment marker (<!-- or -->)"
    root = parser("javascript").parse(code.encode("utf-8", "surrogatepass")).root_node
    if root.has_error:
        return "inline code that does not parse as JavaScript"
    nodes = _walk(root)
    try:
        check = _Check(nodes)
        for node in nodes:
            reason = check.held(node)
            if reason is not None:
                return reason
    except RecursionError:
        return "inline code nested too deeply to check"
    return None


def _walk(root: Node) -> list[Node]:
    """Named nodes in source order."""
    out: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_named:
            out.append(node)
        stack.extend(reversed(node.children))
    return out


def _text(node: Node | None) -> str:
    return "" if node is None or node.text is None else node.text.decode("utf-8", "replace")


def _is(parent: Node | None, field: str, node: Node) -> bool:
    return parent is not None and node in parent.children_by_field_name(field)


def _literal(node: Node | None) -> str | None:
    """The value of a plain string (or substitution-free template); None if computed/escaped."""
    if node is None or node.type not in ("string", "template_string"):
        return None
    text = _text(node)
    if "\\" in text or any(c.type == "template_substitution" for c in node.named_children):
        return None
    return text[1:-1]


def _property(name: str) -> str | None:
    if "\\" in name:
        return "it spells a property name with escapes"
    if name in HELD_PROPERTIES or name.startswith("__"):
        return f"it reaches for .{name}"
    return None


def _module(spec: str | None) -> str | None:
    """Why loading module ``spec`` is held: only pure built-ins and files beneath the worktree."""
    if spec is None:
        return "it loads a module named by a computed string"
    if spec.removeprefix("node:") in ALLOWED_MODULES:
        return None
    parts = spec.split("/")
    if spec.startswith("./") and ".." not in parts and "node_modules" not in parts:
        return None if not spec.endswith(".node") else f"it loads native add-on {spec}"
    return f"it loads module {spec}"


def _call_args(node: Node) -> list[Node] | None:
    """The arguments of the call whose callee is ``node``; None when ``node`` is not called."""
    call = node.parent
    if call is None or call.type != "call_expression" or not _is(call, "function", node):
        return None
    args = call.child_by_field_name("arguments")
    return [] if args is None or args.type != "arguments" else args.named_children


def _written(node: Node) -> bool:
    """``node`` is assigned, updated or deleted."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type in ("assignment_expression", "augmented_assignment_expression"):
        return _is(parent, "left", node)
    return parent.type == "update_expression" or _deletes(parent)


def _deletes(node: Node) -> bool:
    return (
        node.type == "unary_expression" and _text(node.child_by_field_name("operator")) == "delete"
    )


def _write(node: Node) -> tuple[bool, object | None] | None:
    """For a name in a write position: (whether it declares, the value written or None when its
    type is unknown); None when the name is only read."""
    parent = node.parent
    if node.type == "shorthand_property_identifier_pattern" or parent is None:
        return True, None  # const {a} = obj
    t = parent.type
    if t == "variable_declarator" and _is(parent, "name", node):
        return True, parent.child_by_field_name("value") or _NUMERIC  # let i; is undefined
    if t == "assignment_expression" and _is(parent, "left", node):
        return False, parent.child_by_field_name("right")
    if t == "augmented_assignment_expression" and _is(parent, "left", node):
        op = _text(parent.child_by_field_name("operator"))
        right = parent.child_by_field_name("right")
        return False, right if op in ("+=", "||=", "&&=", "??=") else _NUMERIC
    if t == "update_expression":
        return False, _NUMERIC
    binds = (
        (t in _NAMED and _is(parent, "name", node))  # function / class names
        or t in _PATTERNS  # parameters, destructuring, import bindings
        or _is(parent, "parameter", node)  # x => ..., catch (e)
        or (t in ("for_in_statement", "assignment_pattern") and _is(parent, "left", node))
        or (t == "pair_pattern" and _is(parent, "value", node))
    )
    return (True, None) if binds else None


class _Check:
    """Facts about the whole snippet (declared names, numeric variables) and the per-node rule."""

    def __init__(self, nodes: list[Node]) -> None:
        self.declared: set[str] = set()
        self.writes: dict[str, list[object | None]] = {}
        for node in nodes:
            if node.type in ("identifier", "shorthand_property_identifier_pattern"):
                write = _write(node)
                if write is not None:
                    if write[0]:
                        self.declared.add(_text(node))
                    self.writes.setdefault(_text(node), []).append(write[1])

    def numeric(self, node: Node | None, seen: frozenset[str] = frozenset()) -> bool:
        """``node`` always evaluates to a number (or a boolean): it cannot spell a property."""
        if node is None:
            return False
        t = node.type
        if t in ("number", "update_expression", "true", "false"):
            return True
        if t == "parenthesized_expression":
            return len(node.named_children) == 1 and self.numeric(node.named_children[0], seen)
        if t == "unary_expression":
            return _text(node.child_by_field_name("operator")) in ("-", "+", "~", "!")
        if t == "binary_expression":
            op = _text(node.child_by_field_name("operator"))
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            return op in _NUMERIC_OPS or (
                op == "+" and self.numeric(left, seen) and self.numeric(right, seen)
            )
        if t == "ternary_expression":
            return self.numeric(node.child_by_field_name("consequence"), seen) and self.numeric(
                node.child_by_field_name("alternative"), seen
            )
        if t != "identifier":
            return False
        name = _text(node)
        if name in seen:
            return True
        if name not in self.declared:
            return False
        return all(
            w is _NUMERIC or (isinstance(w, Node) and self.numeric(w, seen | {name}))
            for w in self.writes[name]
        )

    def held(self, node: Node) -> str | None:
        t = node.type
        if t not in ALLOWED_NODES:
            return f"it uses {t.replace('_', ' ')}"
        if t in ("identifier", "shorthand_property_identifier"):
            return self._name(node)
        if t == "property_identifier":
            return self._member_name(node)
        if t == "shorthand_property_identifier_pattern":  # const {constructor} = f
            return _property(_text(node))
        if t == "subscript_expression":
            return self._key(node.child_by_field_name("index"))
        if t == "computed_property_name" and node.parent is not None:
            if node.parent.type == "pair_pattern":  # const {[k]: v} = obj reads obj[k]
                return self._key(node.named_children[0] if node.named_children else None)
        elif t == "pair":
            key = node.child_by_field_name("key")
            if key is not None and (_literal(key) or _text(key)) == "__proto__":
                return "it sets __proto__"
        elif t == "this":
            return _this(node)
        elif t == "import_statement":
            return _module(_literal(node.child_by_field_name("source")))
        elif t == "import":  # import('x')
            args = _call_args(node)
            return _module(_literal(args[0]) if args and len(args) == 1 else None)
        elif t == "meta_property" and _text(node).startswith("import"):
            return "it uses import.meta"
        elif t in ("comment", "regex"):
            word = _HIDDEN.search(_text(node))
            return None if word is None else f"it hides {word.group()} in a {t}"
        elif t in ("assignment_expression", "augmented_assignment_expression"):
            return self._target(node.child_by_field_name("left"))
        elif t == "update_expression" or _deletes(node):
            return self._target(node.child_by_field_name("argument"))
        return None

    def _name(self, node: Node) -> str | None:
        name = _text(node)
        if "\\" in name:
            return "it spells an identifier with escapes"
        if name == "require":
            args = _call_args(node)
            if args is None:
                return "it uses require other than calling it"
            return _module(_literal(args[0]) if len(args) == 1 else None)
        if name == "process":
            return _process(node)
        if name in HELD_GLOBALS:
            return f"it names {name}"
        if name in TIMERS:
            args = _call_args(node)
            callback = ("arrow_function", "function_expression", "identifier", "member_expression")
            if args and args[0].type not in callback:
                return f"it passes code to {name} that is not a function"
        if name in SAFE_GLOBALS or name in self.declared:
            return None
        return f"it names {name}, which is neither declared nor a harmless global"

    def _member_name(self, node: Node) -> str | None:
        parent, name = node.parent, _text(node)
        if parent is None or parent.type not in ("member_expression", "pair_pattern"):
            return None if "\\" not in name else "it spells a property name with escapes"
        if parent.type == "member_expression" and name == "prototype":
            outer = parent.parent  # X.prototype.method is fine; X.prototype itself is not
            if (
                outer is not None
                and outer.type == "member_expression"
                and _is(outer, "object", parent)
            ):
                return None if not _written(outer) else "it changes a prototype"
            return "it handles a prototype object"
        obj = parent.child_by_field_name("object")
        if name.startswith("_") and obj is not None and _text(obj) in SAFE_GLOBALS:
            return f"it reaches into {_text(obj)}.{name}"
        return _property(name)

    def _key(self, key: Node | None) -> str | None:
        if key is not None and key.type in ("string", "template_string"):
            name = _literal(key)
            return "it indexes with a computed string" if name is None else _property(name)
        symbol = key is not None and key.type == "member_expression"
        symbol = symbol and "Symbol" not in self.declared
        if symbol and key is not None and _text(key.child_by_field_name("object")) == "Symbol":
            return None  # obj[Symbol.iterator]
        return None if self.numeric(key) else "it indexes with a computed key"

    def _target(self, target: Node | None) -> str | None:
        """Writes to built-ins (``Math.max = ...``, ``Object.prototype.x = ...``) are held."""
        root = target
        while root is not None and root.type in ("member_expression", "subscript_expression"):
            root = root.child_by_field_name("object")
        name = _text(root)
        member = root is not None and root is not target and root.type == "identifier"
        if member and name in SAFE_GLOBALS and name not in self.declared:
            return f"it changes the built-in {name}"
        return None


def _process(node: Node) -> str | None:
    """``process`` only as ``process.argv``, ``process.env.NAME`` or another reading corner."""
    names: list[str] = []
    levels: list[Node] = []
    top = node
    while len(names) < 3 and top.parent is not None:
        parent = top.parent
        if parent.type == "member_expression" and _is(parent, "object", top):
            names.append(_text(parent.child_by_field_name("property")))
        elif parent.type == "subscript_expression" and _is(parent, "object", top):
            key = _literal(parent.child_by_field_name("index"))
            if key is None:
                break
            names.append(key)
        else:
            break
        levels.append(parent)
        top = parent
    if names and names[0] in PROCESS_VALUES:
        return None
    if names[:1] == ["env"] and len(names) > 1:
        if SECRET_VAR.search(names[1]):
            return f"it reads secret-looking process.env.{names[1]}"
        return "it changes process.env" if _written(levels[1]) else None
    for n in (2, 1):
        if len(names) >= n and tuple(names[:n]) in PROCESS_CALLS:
            called = _call_args(levels[n - 1]) is not None
            return None if called else f"it uses process.{'.'.join(names[:n])} without calling it"
    return f"it uses process.{names[0]}" if names else "it uses process"


def _this(node: Node) -> str | None:
    """``this`` is the global object in sloppy code; only class code (strict) may use it."""
    came_from, current = node, node.parent
    while current is not None:
        t = current.type
        if t == "computed_property_name" and current.parent is not None:
            # A computed key is evaluated around its object or class, not inside it.
            around = current.parent.parent
            if around is not None and around.type == "class_body":
                around = around.parent
            came_from, current = current, around.parent if around is not None else None
            continue
        if t in ("class", "class_declaration") and came_from.type == "class_body":
            return None  # field initialisers and static blocks
        if t in _FUNCTIONS or t == "method_definition":
            return None if _in_class(current) else "it uses this outside a class"
        came_from, current = current, current.parent
    return "it uses this outside a class (the global object)"


def _in_class(node: Node) -> bool:
    current = node.parent
    while current is not None:
        if current.type in ("class", "class_declaration"):
            return True
        current = current.parent
    return False
