"""Indexing real git repositories into the real PostgreSQL with the real model: incremental,
idempotent, deletions, skipped files, cache, and a search that stays inside its tenant."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import pytest

from shared.index.catalog import Catalog
from shared.index.embedder import Embedder
from shared.index.indexer import Indexer
from shared.index.pgvector_store import PgVectorStore
from shared.index.search import Searcher
from shared.registry import add_tenant
from tests.support.gitrepo import SHOP, GitRepo


@pytest.fixture
def parts(pool: asyncpg.Pool[Any], embedder: Embedder) -> tuple[Indexer, Searcher, Catalog]:
    catalog = Catalog(pool)
    store = PgVectorStore(pool)
    return Indexer(catalog, store, embedder, 512_000), Searcher(catalog, store, embedder), catalog


@pytest.fixture
async def shop(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "shop")
    repo.write(SHOP)
    repo.commit("initial")
    return repo


async def snapshot(pool: asyncpg.Pool[Any], tenant: str) -> list[tuple[Any, ...]]:
    rows = await pool.fetch(
        "SELECT c.id, c.path, c.start_line, c.end_line, c.symbol, v.embedding::text "
        "FROM code_chunks c JOIN code_vectors v ON v.chunk_id = c.id "
        "WHERE c.tenant_id = $1 ORDER BY c.id",
        tenant,
    )
    return [tuple(r) for r in rows]


async def test_index_then_search_finds_the_function(
    registered: str, shop: GitRepo, parts: tuple[Indexer, Searcher, Catalog]
) -> None:
    indexer, searcher, catalog = parts
    report = await indexer.index(registered, "shop", shop.path)
    assert report.full and not report.unchanged
    assert report.skipped == {"lock file": 1, "secrets": 1}
    paths = {
        r["path"]
        for r in await catalog.pool.fetch(
            "SELECT DISTINCT path FROM code_chunks WHERE tenant_id = $1", registered
        )
    }
    assert paths == {
        "shop/cart.py",
        "shop/mail.py",
        "shop/slug.py",
        "web/app.ts",
        "db/schema.sql",
        "README.md",
    }
    hits = await searcher.search(
        registered, "email the buyer a confirmation of what they ordered", 3
    )
    assert hits[0].path == "shop/mail.py" and hits[0].symbol == "send_receipt"
    assert (hits[0].start_line, hits[0].end_line) == (4, 6)
    hits = await searcher.search(registered, "show an amount of money as text", 3)
    assert hits[0].symbol == "formatPrice"
    for mode in ("vector", "keyword"):
        got = await searcher.search(registered, "put a product in the shopping cart", 3, mode=mode)
        assert "Cart.add_item" in [h.symbol for h in got], mode


async def test_same_commit_twice_changes_nothing(
    registered: str,
    shop: GitRepo,
    parts: tuple[Indexer, Searcher, Catalog],
    pool: asyncpg.Pool[Any],
) -> None:
    indexer, _, catalog = parts
    first = await indexer.index(registered, "shop", shop.path)
    before = await snapshot(pool, registered)
    again = await indexer.index(registered, "shop", shop.path)
    assert again.unchanged and again.chunks == first.chunks and again.embedded == 0
    assert await snapshot(pool, registered) == before
    # Even a forced full pass (the state row lost) adds, removes and embeds nothing.
    await pool.execute("DELETE FROM code_index_state WHERE tenant_id = $1", registered)
    full = await indexer.index(registered, "shop", shop.path)
    assert full.full and (full.chunks_added, full.chunks_removed, full.embedded) == (0, 0, 0)
    assert await snapshot(pool, registered) == before
    assert (await catalog.state(registered, "shop")) is not None


async def test_a_push_reindexes_only_what_changed_and_deletions_remove_chunks(
    registered: str,
    shop: GitRepo,
    parts: tuple[Indexer, Searcher, Catalog],
    pool: asyncpg.Pool[Any],
) -> None:
    indexer, searcher, catalog = parts
    await indexer.index(registered, "shop", shop.path)
    cart_ids = await catalog.ids_of_paths(registered, "shop", ["shop/cart.py"])
    shop.write({"shop/slug.py": SHOP["shop/slug.py"].replace("dashes", "hyphens")})
    shop.delete("shop/mail.py")
    commit = shop.commit("edit slug, drop mail")
    report = await indexer.index(registered, "shop", shop.path)
    assert report.commit == commit and not report.full
    assert report.files_read == 1  # only slug.py was read: cart.py, app.ts... were not
    assert report.embedded == 1 and report.chunks_added == 1
    assert report.chunks_removed == 3  # the old slugify; mail.py's docstring and function
    assert await catalog.ids_of_paths(registered, "shop", ["shop/mail.py"]) == []
    assert await catalog.ids_of_paths(registered, "shop", ["shop/cart.py"]) == cart_ids
    n = await pool.fetchval(
        "SELECT count(*) FROM code_vectors WHERE tenant_id = $1 AND path = 'shop/mail.py'",
        registered,
    )
    assert n == 0
    hits = await searcher.search(registered, "email the customer a receipt", 5)
    assert all(h.path != "shop/mail.py" for h in hits)
    # Reverting brings back content embedded before: from the cache, not the model.
    shop.write({"shop/mail.py": SHOP["shop/mail.py"]})
    shop.commit("bring mail back")
    back = await indexer.index(registered, "shop", shop.path)
    assert back.embedded == 0 and back.cached >= 1 and back.chunks_added >= 1


async def test_search_never_crosses_tenants(
    pool: asyncpg.Pool[Any],
    tenant: str,
    shop: GitRepo,
    parts: tuple[Indexer, Searcher, Catalog],
    tmp_path: Path,
) -> None:
    indexer, searcher, _ = parts
    other = f"{tenant}-b"
    await add_tenant(pool, None, tenant)
    await add_tenant(pool, None, other)
    blog = GitRepo(tmp_path / "blog")
    blog.write(
        {
            "blog/feed.py": "def rss_feed(posts: list[str]) -> str:\n"
            '    """Build an RSS feed."""\n'
            '    return "".join(posts)\n'
        }
    )
    blog.commit()
    await indexer.index(tenant, "shop", shop.path)
    await indexer.index(other, "blog", blog.path)
    for mode in ("hybrid", "vector", "keyword"):
        mine = await searcher.search(tenant, "build an rss feed of blog posts", 10, mode=mode)
        assert all(h.repo == "shop" for h in mine), mode
        theirs = await searcher.search(other, "email a receipt for the cart total", 10, mode=mode)
        assert all(h.repo == "blog" for h in theirs), mode
    assert (await searcher.search(other, "rss feed", 1))[0].symbol == "rss_feed"


async def test_repo_filter_and_history_rewrite(
    registered: str, shop: GitRepo, parts: tuple[Indexer, Searcher, Catalog], tmp_path: Path
) -> None:
    indexer, searcher, catalog = parts
    await indexer.index(registered, "shop", shop.path)
    fresh = GitRepo(tmp_path / "rewritten")  # same name, unrelated history: a full pass
    fresh.write({"only.py": "def only_function():\n    return 42\n"})
    fresh.commit()
    report = await indexer.index(registered, "shop", fresh.path)
    assert report.full
    assert await catalog.totals(registered, "shop") == (1, 1)
    hits = await searcher.search(registered, "only function", 5, repo="shop")
    assert [h.symbol for h in hits] == ["only_function"]
    assert await searcher.search(registered, "only function", 5, repo="nope") == []


async def test_keywords_meet_split_identifiers_with_the_tenants_own_statistics(
    pool: asyncpg.Pool[Any],
    tenant: str,
    parts: tuple[Indexer, Searcher, Catalog],
    tmp_path: Path,
) -> None:
    """BM25 over code's words: prose meets camelCase and snake_case names; another tenant's
    corpus changes nothing in this one's scores (its statistics are its own); a deleted file's
    terms go with it."""
    indexer, searcher, catalog = parts
    other = f"{tenant}-z"
    await add_tenant(pool, None, tenant)
    await add_tenant(pool, None, other)
    lib = GitRepo(tmp_path / "lib")
    lib.write(
        {
            "lib/times.py": "def parseTimeDelta(text):\n    return text\n",
            "lib/sizes.py": "def human_readable_size(n):\n    return str(n)\n",
        }
    )
    lib.commit()
    await indexer.index(tenant, "lib", lib.path)
    query = "parsing a time delta"
    (first,) = await catalog.keyword(tenant, query, 1)
    hits = await searcher.search(tenant, query, 1, mode="keyword")
    assert hits[0].symbol == "parseTimeDelta"
    sizes = await searcher.search(tenant, "sizes readable by a human", 1, mode="keyword")
    assert sizes[0].symbol == "human_readable_size"
    noise = GitRepo(tmp_path / "noise")
    noise.write({f"n/m{i}.py": f"def time_{i}(delta):\n    return delta\n" for i in range(30)})
    noise.commit()
    await indexer.index(other, "noise", noise.path)
    assert await catalog.keyword(tenant, query, 1) == [first]
    lib.delete("lib/times.py")
    lib.commit("gone")
    await indexer.index(tenant, "lib", lib.path)
    assert [h.symbol for h in await searcher.search(tenant, query, 5, mode="keyword")] == []
    left = await pool.fetchval(
        "SELECT count(*) FROM code_terms WHERE tenant_id = $1 AND term = 'parsetimedelta'", tenant
    )
    assert left == 0


async def test_implementation_comes_before_its_tests_unless_the_query_asks_for_tests(
    registered: str, parts: tuple[Indexer, Searcher, Catalog], tmp_path: Path
) -> None:
    indexer, searcher, _ = parts
    repo = GitRepo(tmp_path / "slugs")
    repo.write(
        {
            "pkg/slug.py": "def slugify(title):\n    return title.lower().replace(' ', '-')\n",
            "tests/test_slug.py": "from pkg.slug import slugify\n\n\n"
            "def test_slugify_turns_a_title_into_a_slug():\n"
            "    assert slugify('A Title') == 'a-title'  # slugify a title into a url slug\n",
        }
    )
    repo.commit()
    await indexer.index(registered, "slugs", repo.path)
    for mode in ("hybrid", "vector", "keyword"):
        code = await searcher.search(registered, "turn a title into a url slug", 2, mode=mode)
        assert [h.path for h in code] == ["pkg/slug.py", "tests/test_slug.py"], mode
        tests = await searcher.search(registered, "the test of turning a title into a slug", 1)
        assert tests[0].path == "tests/test_slug.py", mode


async def test_odd_queries_get_an_answer_not_a_crash(
    registered: str, shop: GitRepo, parts: tuple[Indexer, Searcher, Catalog]
) -> None:
    indexer, searcher, catalog = parts
    await indexer.index(registered, "shop", shop.path)
    long = " ".join(f"word{i} cart" for i in range(2000))  # 2,000 distinct terms
    for mode in ("hybrid", "vector", "keyword"):
        assert len(await searcher.search(registered, long, 3, mode=mode)) <= 3
        other_script = await searcher.search(registered, "カートに商品を追加する", 3, mode=mode)
        assert len(other_script) <= 3
    assert await catalog.keyword(registered, "の が は", 5) == []  # no terms at all: no hits
    assert await catalog.keyword(registered, "", 5) == []
