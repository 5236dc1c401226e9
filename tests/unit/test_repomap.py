"""The repository map: ranking, budget, safety and languages, on small trees written here."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from shared.crew.repomap import MAX_FILE_BYTES, is_test_path, repo_map
from shared.models import tokens

_ENTRY = re.compile(r"^  \d+: (    )*\S")


def _write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, body in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body)
    return root


def _files(out: str) -> list[str]:
    """The file headers of a map, in order."""
    return [line for line in out.splitlines() if line and not line.startswith(" ")]


def _well_formed(out: str) -> None:
    for line in out.splitlines():
        assert _ENTRY.match(line) or (line and not line[0].isspace()), line


def _project(root: Path) -> Path:
    """``core.py`` used by four modules, an isolated module, a billing module, a focus module."""
    files: dict[str, str | bytes] = {
        "core.py": "class Engine:\n    def start_engine(self):\n        return 1\n",
        "isolated.py": "def lonely_function():\n    return 2\n",
        "billing.py": "def compute_invoice(order):\n    return order\n",
        "focus.py": "def focused_thing():\n    return 3\n",
    }
    for i in range(4):
        files[f"user{i}.py"] = (
            f"from core import Engine\n\ndef use_{i}():\n    return Engine().start_engine()\n"
        )
    return _write(root, files)


def test_focus_file_comes_first(tmp_path: Path) -> None:
    out = repo_map(_project(tmp_path), focus_files=["focus.py"])
    assert _files(out)[0] == "focus.py"
    assert "  1: def focused_thing():" in out
    _well_formed(out)


def test_terms_match_snake_and_camel_case(tmp_path: Path) -> None:
    root = _project(tmp_path)
    out = repo_map(root, terms=["Why does computeInvoice round the total?"])
    assert _files(out)[0] == "billing.py"
    both = repo_map(root, focus_files=["./focus.py"], terms=["COMPUTE_INVOICE"])
    assert _files(both)[:2] == ["focus.py", "billing.py"]


def test_a_file_used_by_many_outranks_an_isolated_one(tmp_path: Path) -> None:
    heads = _files(repo_map(_project(tmp_path)))
    assert heads.index("core.py") < heads.index("isolated.py")
    assert heads[0] == "core.py"


def test_budget_is_respected_and_a_bigger_one_shows_more(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {}
    for i in range(30):
        body = "".join(
            f"def function_number_{i}_{j}(alpha, beta):\n    return alpha + beta\n\n"
            for j in range(10)
        )
        files[f"pkg/module_{i:02}.py"] = body
    root = _write(tmp_path, files)
    outs = {budget: repo_map(root, budget_tokens=budget) for budget in (40, 200, 1000, 100_000)}
    for budget, out in outs.items():
        assert out
        assert tokens.count(out) <= budget
        _well_formed(out)
    sizes = [len(outs[b].splitlines()) for b in (40, 200, 1000, 100_000)]
    assert sizes == sorted(sizes) and len(set(sizes)) == 4
    assert len(outs[100_000].splitlines()) == 30 * 11  # everything, once the budget allows
    assert repo_map(root, budget_tokens=0) == ""
    assert repo_map(root, budget_tokens=3) == ""  # not even one file and one definition


def test_symlinks_are_never_followed(tmp_path: Path) -> None:
    outside = _write(
        tmp_path / "outside",
        {"secret.py": "def outside_secret():\n    pass\n", "pkg/more.py": "class Elsewhere:\n"},
    )
    root = _write(tmp_path / "root", {"real.py": "def inside_function():\n    pass\n"})
    os.symlink(outside / "secret.py", root / "link.py")
    os.symlink(outside / "pkg", root / "linkdir")
    os.symlink(outside, root / "up")
    out = repo_map(root, terms=["outside_secret", "Elsewhere"], budget_tokens=10_000)
    assert "inside_function" in out
    assert "outside_secret" not in out and "Elsewhere" not in out
    assert "link" not in out and "up/" not in out
    # a root with nothing but links maps to nothing
    only_links = tmp_path / "links"
    only_links.mkdir()
    os.symlink(outside / "secret.py", only_links / "secret.py")
    assert repo_map(only_links) == ""


def _with_tests(root: Path) -> Path:
    files: dict[str, str | bytes] = {
        "src/widget.py": "class Widget:\n    def spin(self):\n        return 1\n",
        "src/gadget.py": "def build_gadget():\n    return 2\n",
        "tests/helpers.py": "def make_fixture_data():\n    return {}\n",
        "tests/test_widget.py": (
            "from src.widget import Widget\nfrom tests.helpers import make_fixture_data\n\n"
            "def test_widget_spins():\n    make_fixture_data()\n    assert Widget().spin()\n"
        ),
        "pkg/parser_test.py": "def check_parser_output():\n    pass\n",
        "web/app.spec.ts": "export function describeApp(): void {}\n",
    }
    for i in range(4):
        files[f"tests/test_case_{i}.py"] = (
            "from tests.helpers import make_fixture_data\n\n"
            f"def test_case_{i}():\n    make_fixture_data()\n"
        )
    return _write(root, files)


def test_tests_rank_below_the_implementation(tmp_path: Path) -> None:
    heads = _files(repo_map(_with_tests(tmp_path), budget_tokens=10_000))
    impl = [h for h in heads if not is_test_path(h)]
    tests = [h for h in heads if is_test_path(h)]
    assert impl == ["src/widget.py", "src/gadget.py"]
    assert tests and heads == impl + tests  # helpers.py, used by five tests, still comes later


def test_a_term_or_the_focus_lifts_a_test_file(tmp_path: Path) -> None:
    root = _with_tests(tmp_path)
    assert _files(repo_map(root, terms=["test_widget_spins fails"]))[0] == "tests/test_widget.py"
    assert _files(repo_map(root, terms=["helpers"]))[0] == "tests/helpers.py"
    assert _files(repo_map(root, focus_files=["pkg/parser_test.py"]))[0] == "pkg/parser_test.py"


def test_test_paths() -> None:
    for path in ("tests/a.py", "test_a.py", "a_test.py", "x/a.test.js", "b.spec.ts", "c_test.go"):
        assert is_test_path(path), path
    for path in ("src/a.py", "testing.py", "contest.py", "latest.py"):
        assert not is_test_path(path), path


def test_output_is_deterministic(tmp_path: Path) -> None:
    root = _project(tmp_path)
    for kwargs in ({}, {"terms": ["engine"]}, {"focus_files": ["user2.py"], "budget_tokens": 30}):
        first = repo_map(root, **kwargs)
        assert first == repo_map(root, **kwargs)


def test_methods_show_their_class(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "client.py": (
                "import json\n\n"
                "class Client:\n"
                '    """Talks to the server."""\n\n'
                "    def __init__(self, base):\n"
                "        self.base = base\n\n"
                "    @staticmethod\n"
                "    def send(self, request):\n"
                "        def local_helper():\n"
                "            return request\n"
                "        return local_helper()\n\n"
                "    class Options:\n"
                "        def merge(self, other):\n"
                "            return other\n\n"
                "def connect(url):\n"
                "    return Client(url)\n"
            )
        },
    )
    out = repo_map(root)
    assert out.splitlines() == [
        "client.py",
        "  3: class Client:",
        "  6:     def __init__(self, base):",
        "  10:     def send(self, request):",
        "  15:     class Options:",
        "  16:         def merge(self, other):",
        "  19: def connect(url):",
    ]
    # however tight the budget, a method that is shown comes with its class
    for budget in range(1, 60):
        lines = repo_map(root, terms=["merge"], budget_tokens=budget).splitlines()
        if "  16:         def merge(self, other):" in lines:
            assert "  3: class Client:" in lines and "  15:     class Options:" in lines


def test_javascript_and_typescript_definitions(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "src/shapes.ts": (
                "export interface Shape { area(): number }\n"
                "export class Circle implements Shape {\n"
                "  constructor(private r: number) {}\n"
                "  area(): number {\n    return Math.PI * this.r * this.r;\n  }\n"
                "}\n"
                "export const makeCircle = (r: number): Circle => new Circle(r);\n"
                "type Radius = number;\n"
            ),
            "src/paint.js": (
                'import { makeCircle } from "./shapes";\n'
                "export function paintAll(list) {\n"
                "  const local = () => 1;\n"
                "  return list.map((x) => makeCircle(x).area() + local());\n"
                "}\n"
                "class Painter {\n  paint(shape) {\n    return shape;\n  }\n}\n"
            ),
            "src/view.tsx": "export function View(): JSX.Element { return <div />; }\n",
        },
    )
    out = repo_map(root)
    for line in (
        "  1: export interface Shape { area(): number }",
        "  2: export class Circle implements Shape {",
        "  4:     area(): number {",
        "  8: export const makeCircle = (r: number): Circle => new Circle(r);",
        "  9: type Radius = number;",
        "  2: export function paintAll(list) {",
        "  6: class Painter {",
        "  7:     paint(shape) {",
        "  1: export function View(): JSX.Element { return <div />; }",
    ):
        assert line in out.splitlines(), line
    assert "const local" not in out  # local to a function body
    assert _files(out)[0] == "src/shapes.ts"  # the JS file uses it


def test_go_java_and_rust_definitions(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "server.go": (
                "package main\n\ntype (\n\tServer struct{}\n)\n\n"
                "func (s *Server) Serve() error { return nil }\n"
            ),
            "App.java": "public class App {\n  public int run(int x) { return x; }\n}\n",
            "point.rs": "pub struct Point { x: i32 }\nimpl Point {\n    pub fn new() {}\n}\n",
        },
    )
    lines = repo_map(root).splitlines()
    for line in (
        "  4: Server struct{}",
        "  7: func (s *Server) Serve() error { return nil }",
        "  1: public class App {",
        "  2:     public int run(int x) { return x; }",
        "  2: impl Point {",
        "  3:     pub fn new() {}",
    ):
        assert line in lines, line


def test_unparsable_binary_and_oversized_files_do_not_crash(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "good.py": "def still_mapped():\n    pass\n",
            "broken.py": "def half_written(:\n    class\n",
            "binary.py": b"\x00\x01\x02def hidden_in_binary():\n",
            "latin.py": b"def caf\xe9_name():\n    pass\n",
            "weird.js": "}}}{{{ function (((\n",
            "empty.ts": "",
            "huge.py": "def too_big():\n    pass\n" + "#" * MAX_FILE_BYTES,
            "escape.py": "def shady(): pass  # \x1b[31m\u2028injected\n",
        },
    )
    out = repo_map(root, budget_tokens=10_000)
    assert "def still_mapped():" in out
    assert "hidden_in_binary" not in out and "too_big" not in out
    assert "\x1b" not in out and "\u2028" not in out
    assert "def shady(): pass  #  [31m injected" in out
    _well_formed(out)


def test_skipped_directories_and_nothing_parseable(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "node_modules/lib/index.js": "function vendored() {}\n",
            ".hidden/tool.py": "def hidden(): pass\n",
            "myenv/pyvenv.cfg": "home = /usr/bin\n",
            "myenv/lib/site.py": "def in_venv(): pass\n",
            "build/gen.py": "def built(): pass\n",
            "dist/out.js": "function bundled() {}\n",
            "lib/site-packages/x.py": "def installed(): pass\n",
            "src/__pycache__/m.py": "def cached(): pass\n",
            "README.md": "# def not_code():\n",
            "schema.sql": "CREATE TABLE t (id int);\n",
        },
    )
    assert repo_map(root) == ""
    _write(root, {"src/kept.py": "def kept(): pass\n"})
    assert repo_map(root).splitlines() == ["src/kept.py", "  1: def kept(): pass"]
    assert repo_map(tmp_path / "missing") == ""


@pytest.mark.parametrize("focus", ["focus.py", "./focus.py", "focus.py/"])
def test_focus_paths_are_normalised(tmp_path: Path, focus: str) -> None:
    assert _files(repo_map(_project(tmp_path), focus_files=[focus]))[0] == "focus.py"
