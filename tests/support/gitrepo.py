"""A small real git repository for index tests: write files, delete them, commit."""

from __future__ import annotations

import subprocess
from pathlib import Path

ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "PATH": "/usr/bin:/bin:/usr/local/bin",
    "HOME": "/nonexistent",
}


class GitRepo:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        res = subprocess.run(
            ["git", "-C", str(self.path), *args],
            capture_output=True,
            text=True,
            env=ENV,
            check=True,
        )
        return res.stdout.strip()

    def write(self, files: dict[str, str]) -> None:
        for rel, text in files.items():
            p = self.path / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)

    def delete(self, *paths: str) -> None:
        for rel in paths:
            (self.path / rel).unlink()

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")


SHOP = {
    "shop/cart.py": '''"""The shopping cart."""


def cart_total(prices: list[float], discount: float = 0.0) -> float:
    """Sum the prices of the items and take off a percentage discount."""
    return sum(prices) * (1 - discount)


class Cart:
    """Items a customer is about to buy."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add_item(self, sku: str) -> None:
        """Put one more product into the cart."""
        self.items.append(sku)
''',
    "shop/mail.py": '''"""Outgoing mail."""


def send_receipt(address: str, order_id: int) -> str:
    """Email the customer a receipt for their order."""
    return f"to {address}: order {order_id}"
''',
    "shop/slug.py": '''def slugify(title: str) -> str:
    """Lower-case a title and join its words with dashes for use in a URL."""
    return "-".join(title.lower().split())
''',
    "web/app.ts": """// Formats a price in euros for display.
export function formatPrice(cents: number): string {
  return (cents / 100).toFixed(2) + " EUR";
}
""",
    "db/schema.sql": "CREATE TABLE orders (id serial PRIMARY KEY, total numeric);\n",
    "README.md": "# Shop\n\nA tiny web shop used by the index tests.\n",
    "package-lock.json": '{"lockfileVersion": 3}\n',
    "config/prod.env.py": 'STRIPE_KEY = "sk_live_' + "4eC39HqLyjWDarjtT1zdp7dc" + '"\n',
}


def diff_of(where: Path, before: dict[str, str], after: dict[str, str]) -> str:
    """The real ``git diff`` that turns the files ``before`` into ``after`` (a new repository at
    ``where``; a file missing from ``after`` is deleted)."""
    repo = GitRepo(where)
    repo.write(before)
    repo.commit("base")
    repo.delete(*(name for name in before if name not in after))
    repo.write(after)
    repo.git("add", "-A")
    res = subprocess.run(  # not ``repo.git``: a diff's trailing blank context lines matter
        ["git", "-C", str(where), "diff", "--cached"],
        capture_output=True,
        text=True,
        env=ENV,
        check=True,
    )
    return res.stdout
