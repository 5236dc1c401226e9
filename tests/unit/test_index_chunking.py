"""Chunking along syntax trees: definitions with their symbols, docstrings and comments;
windows for everything else."""

from __future__ import annotations

from shared.index.chunking import MAX_CHUNK_LINES, WINDOW_LINES, Chunk, chunk_file


def symbols(chunks: list[Chunk]) -> list[tuple[str | None, str, int, int]]:
    return [(c.symbol, c.kind, c.start_line, c.end_line) for c in chunks]


PY = '''"""Module docstring."""
import os


@cache
def load(path: str) -> str:
    """Read a file."""
    return open(path).read()


class Store:
    """Keeps things."""

    limit = 3

    def put(self, key: str) -> None:
        # remember it
        self.key = key

    @property
    def size(self) -> int:
        def inner() -> int:
            return 1

        return inner()
'''


def test_python_functions_classes_and_methods() -> None:
    chunks = chunk_file("pkg/store.py", PY)
    assert symbols(chunks) == [
        (None, "window", 1, 2),
        ("load", "function", 5, 8),
        ("Store", "class", 11, 15),
        ("Store.put", "method", 16, 18),
        ("Store.size", "method", 20, 25),
    ]
    load = chunks[1]
    assert load.text.startswith("@cache\ndef load(path: str) -> str:")
    assert '"""Read a file."""' in load.text  # the docstring travels with the signature
    assert '"""Keeps things."""' in chunks[2].text and "limit = 3" in chunks[2].text
    assert all(c.language == "python" for c in chunks)


def test_embed_text_names_the_place_and_hash_follows_content() -> None:
    (a,) = [c for c in chunk_file("x.py", "def f():\n    return 1\n") if c.symbol == "f"]
    (b,) = [c for c in chunk_file("x.py", "def f():\n    return 2\n") if c.symbol == "f"]
    assert a.embed_text().startswith("x.py f\ndef f():")
    assert a.content_sha != b.content_sha
    assert a.content_sha == chunk_file("x.py", "def f():\n    return 1\n")[0].content_sha


def test_typescript_exports_arrows_classes_and_comments() -> None:
    src = (
        "// adds numbers\n"
        "export function add(a: number, b: number): number { return a + b }\n"
        "export const mul = (a: number, b: number) => a * b;\n"
        "const limit = 3;\n"
        "/** A shape. */\n"
        "export class Shape {\n"
        "  // the area\n"
        "  area(): number { return 0 }\n"
        "}\n"
        "interface Point { x: number }\n"
    )
    got = symbols(chunk_file("src/a.ts", src))
    assert ("add", "function", 1, 2) in got  # the comment above the export is included
    assert ("mul", "function", 3, 3) in got
    assert ("Shape", "class", 5, 6) in got
    assert ("Shape.area", "method", 7, 8) in got
    assert ("Point", "type", 10, 10) in got
    assert not any(sym == "limit" for sym, *_ in got)  # a constant is not a function


def test_javascript_and_tsx() -> None:
    js = "function greet(name) {\n  return `hi ${name}`\n}\nclass A { run() { return 1 } }\n"
    assert [s for s, *_ in symbols(chunk_file("a.js", js))] == ["greet", "A"]  # one-line class
    tsx = "export function App(): JSX.Element {\n  return <div>hi</div>\n}\n"
    assert symbols(chunk_file("App.tsx", tsx))[0][:2] == ("App", "function")


def test_go_functions_methods_and_types() -> None:
    src = (
        "package shop\n\n"
        "// Total sums the prices.\n"
        "func Total(xs []int) int {\n\treturn 0\n}\n\n"
        "type Cart struct {\n\titems []int\n}\n\n"
        "func (c *Cart) Add(x int) {\n\tc.items = append(c.items, x)\n}\n"
    )
    got = symbols(chunk_file("cart.go", src))
    assert ("Total", "function", 3, 6) in got
    assert ("Cart", "type", 8, 10) in got
    assert ("Add", "method", 12, 14) in got


def test_java_classes_and_methods() -> None:
    src = (
        "public class Cart {\n"
        "  private int n;\n"
        "  /** Adds one. */\n"
        "  public void add() { n++; }\n"
        "  public Cart() {}\n"
        "}\n"
    )
    got = symbols(chunk_file("Cart.java", src))
    assert got[:3] == [
        ("Cart", "class", 1, 2),
        ("Cart.add", "method", 3, 4),
        ("Cart.Cart", "method", 5, 5),
    ]


def test_rust_items_and_impl_methods() -> None:
    src = (
        "/// A point.\n"
        "struct P { x: i32 }\n\n"
        "impl P {\n"
        "    /// Makes one.\n"
        "    fn new() -> P { P { x: 1 } }\n"
        "}\n\n"
        "fn main() {}\n"
    )
    got = symbols(chunk_file("lib.rs", src))
    assert ("P", "type", 1, 2) in got
    assert ("P.new", "method", 5, 6) in got
    assert ("main", "function", 9, 9) in got


def test_sql_statements() -> None:
    src = (
        "CREATE TABLE users (id int PRIMARY KEY, email text);\n"
        "-- who bought what\n"
        "CREATE VIEW purchases AS SELECT 1;\n"
        "CREATE INDEX users_email ON users (email);\n"
    )
    got = symbols(chunk_file("db/schema.sql", src))
    assert ("users", "table", 1, 1) in got
    assert ("purchases", "view", 2, 3) in got
    assert [k for _, k, *_ in got].count("index") == 1


def test_other_text_is_windowed_and_blank_windows_dropped() -> None:
    text = "\n".join(f"line {i}" for i in range(1, 101)) + "\n\n\n"
    chunks = chunk_file("docs/guide.md", text)
    assert [(c.start_line, c.end_line) for c in chunks] == [(1, 40), (41, 80), (81, 100)]
    assert all(c.kind == "window" and c.symbol is None for c in chunks)
    assert chunk_file("empty.txt", "") == [] and chunk_file("blank.md", "\n\n  \n") == []
    assert WINDOW_LINES == 40


def test_long_definitions_are_split() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(200))
    chunks = chunk_file("big.py", f"def big():\n{body}\n")
    assert [c.symbol for c in chunks] == ["big", "big", "big"]
    assert max(c.end_line - c.start_line + 1 for c in chunks) == MAX_CHUNK_LINES
    assert chunks[-1].end_line == 201


def test_syntax_errors_still_chunk() -> None:
    chunks = chunk_file("broken.py", "def ok():\n    return 1\n\ndef broken(:\n    pass\n")
    assert chunks and chunks[0].symbol == "ok"
    assert "broken" in "\n".join(c.text for c in chunks)
