"""The dashboard's Repositories page and GitHub's install flow in a real Chromium: an acme admin
clicks Connect GitHub, the browser goes to GitHub's install page (the stand-in), which sends it
back to the App's setup URL, ``/github/setup``; that page posts the callback to the gateway and
shows what was connected, or why nothing was. One stack for the module: a third-party OIDC
issuer, the GitHub stand-in and a gateway process configured for both (no crew)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import httpx2
import pytest
from playwright.async_api import Browser, Page, expect

from tests.support import gateway as gw
from tests.support import github_standin as gs
from tests.support.browser import artifact, chromium
from tests.support.crew import demo_repo

APP_ID = "4244"
SLUG = "devforge-dash"
# An installation belongs to one tenant for good, and "acme" is shared with other tests: ids
# and repository names are unique per session.
OURS = 300_000 + secrets.randbelow(10**9)  # acme-gh's installation, which ann can access
SPARE = OURS + 1  # another of acme-gh's, which nobody who tries it can access
LATE = OURS + 2  # finished only after signing in
R1, R2, R3, R4 = (f"{n}-{secrets.token_hex(3)}" for n in ("shop", "infra", "site", "docs"))


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    nats_as: Callable[[str], str],
    pg_url: str,
    topology: None,
) -> Iterator[tuple[str, gs.StandIn, dict[str, str]]]:
    root = tmp_path_factory.mktemp("repos-dashboard")
    key_file, public_key = gs.app_key(root / "app-key")
    standin = gs.StandIn(root / "github", APP_ID, public_key)
    server = gs.start(standin)
    src = demo_repo(root / "src")
    for name in (R1, R2, R3, R4):
        standin.add_repo("acme-gh", name, src)
    standin.add_installation(OURS, "acme-gh", [f"acme-gh/{R1}", f"acme-gh/{R2}"])
    standin.add_installation(SPARE, "acme-gh", [f"acme-gh/{R3}"])
    standin.add_installation(LATE, "acme-gh", [f"acme-gh/{R4}"])
    standin.add_user("ann", {OURS, LATE})
    standin.add_user("mallory", set())  # a GitHub user who can access none of them
    home = root / "home"
    home.mkdir()
    try:
        with gw.oidc_issuer() as oidc:
            env = {
                **gw.base_env(home, pg_url),
                "DEVFORGE_NATS_URL": nats_as("gateway"),
                "DEVFORGE_OIDC_ISSUER": oidc["issuer"],
                "DEVFORGE_OIDC_AUDIENCE": gw.AUDIENCE,
                "DEVFORGE_OIDC_CLIENT_ID": "devforge-dashboard",
                "DEVFORGE_ROLE_CLAIM": "org_role",
                "DEVFORGE_ADMIN_TOKEN": secrets.token_urlsafe(24),
                "DEVFORGE_GITHUB_APP_ID": APP_ID,
                "DEVFORGE_GITHUB_PRIVATE_KEY_FILE": str(key_file),
                "DEVFORGE_GITHUB_API_URL": standin.url,
                "DEVFORGE_GITHUB_OAUTH_URL": standin.url,
                "DEVFORGE_GITHUB_APP_SLUG": SLUG,
                "DEVFORGE_GITHUB_CLIENT_ID": standin.client_id,
                "DEVFORGE_GITHUB_CLIENT_SECRET": standin.client_secret,
            }
            with gw.gateway(env, home / "gateway.log") as url:
                standin.setup_url = f"{url}/github/setup"  # the App's settings on GitHub
                yield url, standin, oidc["tokens"]
    finally:
        server.shutdown()
    assert standin.errors == [], "requests or responses that GitHub does not allow"


async def sign_in(browser: Browser, url: str, who: str, at: str = "/") -> Page:
    page = await (await browser.new_context(viewport={"width": 1280, "height": 860})).new_page()
    await page.goto(url + at)
    await page.fill("#login-hint", who)
    await page.click("#signin")  # to the issuer's authorize endpoint and back with a code
    await expect(page.locator("#whoami")).to_have_text(who, timeout=30_000)
    return page


async def _owner(pool: asyncpg.Pool[Any], installation_id: int) -> str | None:
    found = await pool.fetchval(
        "SELECT tenant_id FROM github_installations WHERE installation_id = $1", installation_id
    )
    return None if found is None else str(found)


INSTALL_PAGE = ("GET", f"/apps/{SLUG}/installations/new", 302)


async def test_a_github_user_who_cannot_access_the_installation_connects_nothing(
    stack: tuple[str, gs.StandIn, dict[str, str]], pool: asyncpg.Pool[Any]
) -> None:
    url, standin, _ = stack
    async with chromium() as browser:
        # An approver sees the repositories but cannot connect any.
        alice = await sign_in(browser, url, "alice")
        await alice.click("[data-nav=repos]")
        await expect(alice.locator("h1")).to_have_text("Repositories")
        await expect(alice.locator("#view")).to_contain_text("An admin of your organisation")
        await expect(alice.locator("#connect-github")).to_have_count(0)

        # Mallory is signed in on GitHub when dave's browser reaches the install page.
        standin.install_in_browser("mallory", SPARE)
        codes = len(standin.used_codes)
        dave = await sign_in(browser, url, "dave")
        await dave.click("[data-nav=repos]")
        await dave.click("#connect-github")
        error = dave.locator("#setup-error")
        await expect(error).to_contain_text(
            f"cannot access installation {SPARE}: nothing was connected", timeout=30_000
        )
        await expect(dave.locator("#setup h1")).to_have_text("GitHub was not connected")
        await expect(dave).to_have_url(f"{url}/github/setup")  # the code left the address bar
        await dave.screenshot(path=artifact("repos-01-github-refused.png"))
        assert INSTALL_PAGE in standin.calls
        assert len(standin.used_codes) == codes + 1  # GitHub was asked about mallory's code
        assert await _owner(pool, SPARE) is None

        await dave.click("#back-to-repos")
        await expect(dave.locator("h1")).to_have_text("Repositories")
        await expect(dave.locator(f"[data-repo='{R3}']")).to_have_count(0)
        assert await dave.evaluate("sessionStorage.getItem('devforge.github.setup')") is None


async def test_an_admin_connects_github_and_sees_its_repositories(
    stack: tuple[str, gs.StandIn, dict[str, str]], pool: asyncpg.Pool[Any]
) -> None:
    url, standin, _ = stack
    standin.install_in_browser("ann", OURS)
    async with chromium() as browser:
        dave = await sign_in(browser, url, "dave")
        await dave.click("[data-nav=repos]")
        await expect(dave.locator("#connect-github")).to_be_visible()
        await expect(dave.locator(f"[data-repo='{R1}']")).to_have_count(0)
        await dave.screenshot(path=artifact("repos-02-before-connect.png"))

        await dave.click("#connect-github")
        connected = dave.locator("#connected [data-repo]")
        await expect(connected).to_have_count(2, timeout=30_000)
        await expect(dave.locator("#setup h1")).to_have_text("GitHub connected")
        await expect(dave.locator("#setup")).to_contain_text(f"Installation {OURS} of acme-gh")
        names = await connected.evaluate_all("els => els.map(e => e.dataset.repo)")
        assert sorted(names) == sorted([R1, R2])
        await expect(dave).to_have_url(f"{url}/github/setup")
        await dave.screenshot(path=artifact("repos-03-github-connected.png"))
        assert await _owner(pool, OURS) == "acme"

        await dave.click("#back-to-repos")
        for name in (R1, R2):
            row = dave.locator(f"#repos tr[data-repo='{name}']")
            await expect(row).to_contain_text(standin.clone_url(f"acme-gh/{name}"))
        await dave.screenshot(path=artifact("repos-04-repositories.png"))

        # The same callback again (a copied link, say) is refused: its state is spent.
        answer = await dave.goto(standin.redirects[-1])
        assert answer is not None
        csp = await answer.header_value("content-security-policy")
        assert csp is not None and "script-src 'self';" in csp and "style-src 'self';" in csp
        await expect(dave.locator("#setup-error")).to_contain_text("already used")
        await expect(dave).to_have_url(f"{url}/github/setup")


async def test_a_callback_before_sign_in_is_finished_after_it(
    stack: tuple[str, gs.StandIn, dict[str, str]], pool: asyncpg.Pool[Any]
) -> None:
    url, standin, tokens = stack
    # Dave started from another tab (its state is his); this tab is not signed in yet.
    r = httpx2.post(
        f"{url}/v1/github/install-url",
        headers={"Authorization": f"Bearer {tokens['dave_acme_admin']}"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    standin.install_in_browser("ann", LATE)
    async with chromium() as browser:
        page = await (await browser.new_context()).new_page()
        await page.goto(r.json()["url"])
        await expect(page.locator("#setup-signin")).to_contain_text("not signed in")
        await expect(page).to_have_url(f"{url}/github/setup")
        await page.screenshot(path=artifact("repos-05-sign-in-to-finish.png"))
        assert await _owner(pool, LATE) is None

        await page.click("#signin")
        await page.fill("#login-hint", "dave")
        await page.click("#signin")
        await expect(page.locator("#whoami")).to_have_text("dave", timeout=30_000)
        await page.click("#finish-setup")
        await expect(page.locator(f"#connected [data-repo='{R4}']")).to_be_visible()
        assert await _owner(pool, LATE) == "acme"
        await page.click("#back-to-repos")
        await expect(page.locator(f"#repos tr[data-repo='{R4}']")).to_be_visible()
        await expect(page.locator("#setup-pending")).to_have_count(0)
