// Bad: dynamic code evaluation.
const vm = require("vm");

function calculate(expression) {
  return eval(expression); // expect: js-eval-dynamic
}

function compile(body) {
  return new Function("a", "b", body); // expect: js-eval-dynamic
}

function sandboxed(code, context) {
  return vm.runInNewContext(code, context); // expect: js-eval-dynamic
}

module.exports = { calculate, compile, sandboxed };
