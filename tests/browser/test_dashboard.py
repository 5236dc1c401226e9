"""The dashboard in a real Chromium against a whole stack (``devforge up``) whose people sign in
through a third-party OIDC issuer (oauth2-mock-server): submit the demo ticket from the form,
watch the timeline grow live, be refused approving one's own migration, approve it as a second
person, then follow the PR link to its diff. Screenshots go to ``test-artifacts/dashboard``."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest
from playwright.async_api import Browser, Page, expect

from shared import registry
from tests.support import gateway as gw
from tests.support.browser import artifact, chromium
from tests.support.crew import demo_repo
from tests.support.fleet import Fleet, fleet

ROOT = Path(__file__).resolve().parents[2]
TICKET = json.loads((ROOT / "demo" / "ticket.json").read_text())
LONG = 120_000  # ms: a whole crew on two loaded cores


@pytest.fixture(scope="module")
async def stack() -> AsyncIterator[tuple[Fleet, str]]:
    with gw.oidc_issuer() as oidc:
        env = {
            "DEVFORGE_OIDC_ISSUER": oidc["issuer"],
            "DEVFORGE_OIDC_AUDIENCE": gw.AUDIENCE,
            "DEVFORGE_OIDC_CLIENT_ID": "devforge-dashboard",
            "DEVFORGE_ROLE_CLAIM": "org_role",
            "DEVFORGE_ADMIN_TOKEN": secrets.token_urlsafe(24),
            "DEVFORGE_QA_GATES": "tests,secrets",
        }
        async with fleet(env) as f:
            # The organisation "acme" of the issuer is this tenant; its repository is the demo's.
            await registry.add_tenant(f.pool, f.bus, "acme", name="Acme", external_id="acme")
            src = demo_repo(f.home / "src" / "acme-shop")
            await registry.add_repo(f.pool, f.bus, "acme", "shop", f"file://{src}", "main")
            yield f, str(f.info["gateway_url"])


async def sign_in(browser: Browser, url: str, who: str) -> Page:
    page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await page.goto(url)
    await page.fill("#login-hint", who)
    await page.click("#signin")  # to the issuer's authorize endpoint and back with a code
    await expect(page.locator("#whoami")).to_have_text(who, timeout=30_000)
    return page


async def test_a_ticket_from_the_form_to_a_reviewed_diff(stack: tuple[Fleet, str]) -> None:
    _, url = stack
    async with chromium() as browser:
        alice = await sign_in(browser, url, "alice")
        await expect(alice.locator(".who .tenant")).to_have_text("acme")
        await alice.screenshot(path=artifact("01-jobs-empty.png"))

        await alice.click("[data-nav=new]")
        await alice.select_option("#ticket-repo", "shop")
        await alice.fill("#ticket-title", TICKET["title"])
        await alice.fill("#ticket-body", TICKET["body"])
        await alice.screenshot(path=artifact("02-new-ticket.png"))
        await alice.click("#ticket-submit")
        await expect(alice.locator("#job-title")).to_have_text(TICKET["title"], timeout=30_000)
        job_id = alice.url.rsplit("/", 1)[1]

        # Live: the page is never reloaded (the marker survives) while the timeline grows.
        await alice.evaluate("window.__stillTheSamePage = true")
        timeline = alice.locator("#timeline > li")
        await expect(alice.locator("[data-event^='plan.awaiting_approval']")).to_be_visible(
            timeout=LONG
        )
        early = await timeline.count()
        assert early >= 3, await alice.locator("#timeline").inner_text()
        await expect(alice.locator("#live-state")).to_have_text("live")
        await alice.screenshot(path=artifact("03-waiting-for-approval.png"), full_page=True)

        # Alice approves her own job's migration: refused by the tenant's policy.
        await alice.click("[data-nav=approvals]")
        card = alice.locator(f"#pending .approval[data-kind=plan]:has(a[href='#/jobs/{job_id}'])")
        await card.locator("[data-action=approve]").click()
        await expect(alice.locator("#flash")).to_contain_text("someone else must approve")
        await expect(card).to_be_visible()
        await alice.screenshot(path=artifact("04-self-approval-refused.png"))

        # Bob, a second approver of the same organisation, approves it.
        bob = await sign_in(browser, url, "bob")
        await bob.click("[data-nav=approvals]")
        theirs = bob.locator(f"#pending .approval[data-kind=plan]:has(a[href='#/jobs/{job_id}'])")
        await expect(theirs).to_contain_text("migration")
        await theirs.locator("[data-action=approve]").click()
        await expect(bob.locator("#flash")).to_contain_text("Approved")
        decided = bob.locator(f"#decided .approval:has(a[href='#/jobs/{job_id}'])")
        await expect(decided).to_contain_text("granted by bob")
        await bob.screenshot(path=artifact("05-approved-by-bob.png"))

        # Back on Alice's job page (same page object, never reloaded): the rest arrives live.
        await alice.goto(f"{url}/#/jobs/{job_id}")
        await alice.evaluate("window.__stillTheSamePage = true")
        await expect(alice.locator("[data-event='pr.opened ok']")).to_be_visible(timeout=LONG)
        assert await alice.evaluate("window.__stillTheSamePage") is True
        assert await timeline.count() > early
        await expect(alice.locator("[data-event='plan.approved ok']")).to_contain_text("bob")
        gates = alice.locator("[data-event='qa.passed ok'] [data-gate]")
        assert await gates.count() == 2
        await expect(alice.locator("[data-event='qa.passed ok'] .fail")).to_have_count(0)
        verdicts = alice.locator("[data-step] [data-verdict=approved]")
        assert await verdicts.count() >= 3
        await expect(alice.locator("#job-status [data-status]")).to_have_text("completed")
        await alice.screenshot(path=artifact("06-timeline-done.png"), full_page=True)

        await alice.click("#timeline-pr")
        await expect(alice.locator("#pr-title")).to_contain_text("#")
        files = alice.locator("#diff [data-file]")
        await expect(files.first).to_be_visible()
        names = await files.evaluate_all("els => els.map(e => e.dataset.file)")
        assert any(n.endswith(".py") for n in names), names
        added = alice.locator("#diff .dl.add")
        assert re.search(r"/health", " ".join(await added.all_inner_texts())), names
        await alice.screenshot(path=artifact("07-pr-diff.png"), full_page=True)

        # The audit log names bob's grant; the jobs list shows the job completed.
        await alice.click("[data-nav=audit]")
        await expect(alice.locator("#audit")).to_contain_text("bob")
        await alice.click("[data-nav=jobs]")
        row = alice.locator(f"#jobs tr[data-job='{job_id}']")
        await expect(row.locator("[data-status]")).to_have_text("completed")
        await alice.select_option("#filter-status", "failed")
        await expect(row).to_have_count(0)


async def test_a_person_of_another_organisation_sees_none_of_it(
    stack: tuple[Fleet, str],
) -> None:
    _, url = stack
    async with chromium() as browser:
        carol = await sign_in(browser, url, "carol")
        await expect(carol.locator(".who .tenant")).to_have_text("globex")
        await expect(carol.locator("#jobs")).to_contain_text("No jobs match.")
        await carol.goto(f"{url}/#/new")
        await expect(carol.locator("#view")).to_contain_text("no repository yet")


async def test_an_unknown_account_is_turned_away_with_a_reason(stack: tuple[Fleet, str]) -> None:
    _, url = stack
    async with chromium() as browser:
        page = await (await browser.new_context()).new_page()
        await page.goto(url)
        await page.fill("#login-hint", "stranger")
        await page.click("#signin")
        await expect(page.locator(".signin .error")).to_contain_text("org_id", timeout=30_000)
        assert await page.evaluate("sessionStorage.getItem('devforge.token')") is None


async def test_the_dashboard_is_served_with_a_strict_content_security_policy(
    stack: tuple[Fleet, str],
) -> None:
    _, url = stack
    async with httpx2.AsyncClient(base_url=url, timeout=30) as c:
        page = await c.get("/")
        config = (await c.get("/dashboard/config.json")).json()
    assert page.status_code == 200 and "/js/main.js" in page.text
    csp = page.headers["content-security-policy"]
    issuer = config["issuer"].rstrip("/")
    origin = issuer[: issuer.index("/", len("http://"))] if issuer.count("/") > 2 else issuer
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert f"connect-src 'self' {origin}" in csp, csp
    assert config["mode"] == "oidc" and config["client_id"] == "devforge-dashboard"
