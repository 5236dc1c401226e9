"""Bad: eval/exec of values that are not literals."""


def calculate(expression: str) -> object:
    return eval(expression)  # expect: python-eval-exec-dynamic


def run_snippet(request_body: str, scope: dict[str, object]) -> None:
    exec(request_body, scope)  # expect: python-eval-exec-dynamic


def call_named(name: str) -> object:
    return eval(f"handler_{name}()")  # expect: python-eval-exec-dynamic
