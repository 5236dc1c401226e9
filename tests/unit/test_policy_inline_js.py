"""Inline JavaScript the guard lets run at once, and what it holds for a person (pure), both on
``inline_js.assess`` and through the command judge (``node -e`` / ``node -p``)."""

from __future__ import annotations

import shlex

import pytest

from shared.policy.commands import assess_command
from shared.policy.inline_js import assess

ALLOWED = [
    "console.log(1 + 2 * 3)",
    "console.log(require('./lib/x.js').add(2, 3))",
    "const calc = require('./src/calc'); console.log(calc.add(2, 3))",
    "console.log(JSON.parse('{\"a\": [1, 2]}').a.length)",
    "require('assert').strictEqual(1 + 1, 2)",
    "const { deepStrictEqual } = require('node:assert'); deepStrictEqual([1], [1])",
    "const path = require('path'); console.log(path.join('src', 'a.js'))",
    "const a = [3, 1, 2]; for (let i = 0; i < a.length; i++) console.log(a[i], a[a.length - 1])",
    "console.log(process.argv.slice(2), process.env.HOME, process.version, process.platform)",
    "process.stdout.write(String(42) + '\\n')",
    "class P { constructor(x) { this.x = x } get twice() { return this.x * 2 } }"
    "; console.log(new P(2).twice)",
    "Promise.resolve(2).then((v) => console.log(v)); setTimeout(() => console.log('done'), 1)",
    "import('./src/mod.mjs').then((m) => console.log(m.default))",
    "console.log(Array.prototype.slice.call([1, 2, 3], 1), [1, 2][Symbol.iterator])",
]


@pytest.mark.parametrize("code", ALLOWED)
def test_reproductions_run_at_once(code: str) -> None:
    assert assess(code) is None


HELD = [
    ("require('child_process').execSync('id')", "loads module child_process"),
    ("require('fs').rmSync('x', { recursive: true })", "loads module fs"),
    ("require('node:net').connect(80)", "loads module node:net"),
    ("require('os').homedir()", "loads module os"),
    ("require('../other/repo.js')", "loads module ../other/repo.js"),
    ("require('/etc/passwd')", "loads module /etc/passwd"),
    ("require('./node_modules/rimraf').sync('.')", "node_modules/rimraf"),
    ("require('lodash')", "loads module lodash"),
    ("require('child_'+'process')", "computed string"),
    ("const m = 'fs'; require(m)", "computed string"),
    ("require('f\\x73')", "computed string"),
    ("const r = require; r('fs')", "require other than calling it"),
    ("import('fs').then((m) => m.rmSync('x'))", "loads module fs"),
    ("import { execSync } from 'child_process'", "loads module child_process"),
    ("console.log(import.meta.url)", "import.meta"),
    ("global['req'+'uire']('fs')", "computed key"),
    ("globalThis.process.exit()", "names globalThis"),
    ("var global; global.require('fs')", "names global"),
    ("this.constructor.constructor('return process')()", "this outside a class"),
    ("[].constructor.constructor('return process')()", ".constructor"),
    ("(() => 0)['constructor']('return 1')()", ".constructor"),
    ("const k = 'constr' + 'uctor'; (() => 0)[k][k]('return process')()", "computed key"),
    ("const { constructor: F } = () => 0; F('return 1')()", ".constructor"),
    ("({}).__proto__.polluted = 1", ".__proto__"),
    ("Object.prototype.polluted = 1", "built-in Object"),
    ("process.binding('fs')", "process.binding"),
    ("process['binding']('spawn_sync')", ".binding"),
    ("process.mainModule.require('fs')", "process.mainModule"),
    ("process.kill(process.ppid)", "process.kill"),
    ("console.log(process.env)", "process.env"),
    ("console.log(process.env.GITHUB_TOKEN)", "secret-looking process.env.GITHUB_TOKEN"),
    ("eval('1 + 1')", "names eval"),
    ("new Function('return process')()", "names Function"),
    ("Reflect.get(Object, 'x')", "names Reflect"),
    ("new Proxy({}, {})", "names Proxy"),
    ("WebAssembly.compile(new Uint8Array(8))", "names WebAssembly"),
    ("fetch('http://example.com')", "names fetch"),
    ("new XMLHttpRequest()", "names XMLHttpRequest"),
    ("new WebSocket('ws://example.com')", "names WebSocket"),
    ("setTimeout('console.log(1)', 0)", "setTimeout that is not a function"),
    ("module.constructor._load('fs')", "names module"),
    ("fs.writeFileSync('x', 'y')", "names fs"),
    ("with (o) { constructor('x') }", "with statement"),
    ("\\u0065val('1')", "identifier with escapes"),
    ("Error.prepareStackTrace = (e, s) => s", "built-in Error"),
    ("console.log(1) // require('fs')", "hides require in a comment"),
    ("function (", "does not parse"),
    ("console.log(1", "does not parse"),
    ("console.log(1);\n" * 300, "longer than"),
]


@pytest.mark.parametrize(("code", "why"), HELD)
def test_the_rest_is_held_with_the_reason(code: str, why: str) -> None:
    reason = assess(code)
    assert reason is not None and why in reason, reason


@pytest.mark.parametrize(
    "command",
    [
        "node -e " + shlex.quote(ALLOWED[0]),
        "node -e " + shlex.quote(ALLOWED[1]),
        "node --eval " + shlex.quote(ALLOWED[3]),
        "nodejs -e " + shlex.quote(ALLOWED[4]),
        'node -p "1+2"',
        'node --print "1+2"',
        'node -pe "[1, 2].length"',
        "node --eval='console.log(1)'",
        'node --no-warnings -e "console.log(1)"',
        "node -e 'console.log(1)' > out.txt",
    ],
)
def test_node_inline_code_runs_at_once(command: str) -> None:
    v = assess_command(command)
    assert v.verdict == "allow", (command, v)


@pytest.mark.parametrize(
    "command",
    [
        "node -p " + shlex.quote("require('child_process').execSync('id').toString()"),
        "node -pe " + shlex.quote("require('child_process').execSync('id').toString()"),
        "node --eval=" + shlex.quote("require('fs').rmSync('x')"),
        'node -e "$CODE"',
        'node --eval="$CODE"',
        "node -e",
        "node -e 'console.log(1)' -r ./evil.js",
        "node -e 'console.log(1)' --import ./evil.mjs",
        "node -e 'console.log(1)' script.js",
        "node -e 'console.log(1)' -e 'require(\"fs\")'",
        "node -r ./evil.js -e 'console.log(1)'",
        "node --import ./evil.mjs -e 'console.log(1)'",
        "node -p -e 'console.log(1)'",
    ],
)
def test_node_inline_code_is_held(command: str) -> None:
    v = assess_command(command)
    assert v.verdict != "allow", (command, v)


@pytest.mark.parametrize(("code", "why"), HELD)
def test_node_e_holds_the_same_code_for_a_person(code: str, why: str) -> None:
    v = assess_command("node -e " + shlex.quote(code))
    assert v.verdict == "needs_approval", v
    assert v.rule_ids == ["command.inline_code"] and why in v.reasons[0], v
