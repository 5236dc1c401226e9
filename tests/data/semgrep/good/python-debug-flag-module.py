"""Good: a module-level DEBUG flag outside any settings module.  good: python-django-debug-enabled"""

DEBUG = True


def trace(message: str) -> None:
    if DEBUG:
        print(message)
