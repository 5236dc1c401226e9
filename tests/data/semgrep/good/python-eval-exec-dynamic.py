"""Good: literal evaluation, safe parsing and method calls named eval.  good: python-eval-exec-dynamic"""

import ast
import json

HANDLERS = {"sum": sum, "max": max}


def calculate(expression: str) -> object:
    return ast.literal_eval(expression)


def parse(body: str) -> object:
    return json.loads(body)


def constant() -> object:
    return eval("1 + 2")


def call_named(name: str, values: list[int]) -> object:
    return HANDLERS[name](values)


class Model:
    def eval(self) -> "Model":
        return self


Model().eval()
