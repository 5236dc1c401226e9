// Good: JSON parsing, literal evaluation, lookup tables.  good: js-eval-dynamic
const HANDLERS = { sum: (xs) => xs.reduce((a, b) => a + b, 0) };

function parse(body) {
  return JSON.parse(body);
}

function constant() {
  return eval("1 + 2");
}

function callNamed(name, values) {
  return HANDLERS[name](values);
}

const adder = new Function("a", "b", "return a + b");

module.exports = { parse, constant, callNamed, adder };
