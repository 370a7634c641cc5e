"""The staff glossary in headless Chromium (Debian's, driven by Playwright): every role is
listed, the search box filters as you type, the roles table has one row per role, the print
layout hides the search box, and the page works under a strict Content-Security-Policy
(no inline script or style). A screenshot goes to reports/.

The glossary needs neither the engine nor a trained model: the front door runs alone with
uvicorn in a thread, its engine faked as in tests/api.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Route, expect, sync_playwright

from server.settings import Settings
from tests.api.conftest import FakeEngine, fake_app
from tests.helpers import CHROMIUM, TOKEN
from tests.live_server import serve

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "reports" / "glossaire.png"
PRINT_SCREENSHOT = ROOT / "reports" / "glossaire-impression.png"
PDF = ROOT / "reports" / "glossaire.pdf"
#: What the front door will send; the page must not need 'unsafe-inline'.
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The front door on a free local port, with a temporary database and a fake engine."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path_factory.mktemp('glossaire') / 'app.db'}",
        engine_url="http://127.0.0.1:5005",
        action_server_url="http://127.0.0.1:5055",
        engine_token=TOKEN,
    )
    with serve(fake_app(settings, FakeEngine())) as url:
        yield url


def _with_csp(route: Route) -> None:
    response = route.fetch()
    route.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})


def _collect_csp_violation(violations: list[str], text: str) -> None:
    if "Content Security Policy" in text:
        violations.append(text)


def _visible_ids(page: Page) -> list[str]:
    ids: list[str] = page.eval_on_selector_all(
        "article.entry", "(nodes) => nodes.filter((n) => n.offsetParent !== null).map((n) => n.dataset.id)"
    )
    return ids


def test_the_glossary_page_lists_filters_compares_and_prints(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as api:
        items = api.get("/api/glossaire").json()
        roles = api.get("/api/glossaire/roles/comparaison").json()
        mediateur = [item["id"] for item in api.get("/api/glossaire", params={"q": "mediateur"}).json()]
    role_items = [item for item in items if item["id"].startswith("role.")]
    assert len(role_items) >= 10 and len(roles) == len(role_items)
    assert "role.mediateur_sante_pair" in mediateur and len(mediateur) < len(items)

    csp_violations: list[str] = []
    page_errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="fr-FR")
            page.on("console", lambda msg: _collect_csp_violation(csp_violations, msg.text))
            page.on("pageerror", lambda exc: page_errors.append(str(exc)))
            page.route(f"{base_url}/glossaire", _with_csp)
            first = page.goto(f"{base_url}/glossaire")
            assert first is not None and first.status == 200
            page.wait_for_selector("body[data-ready=true]")

            # Every role, with its title, is visible; so is every other entry.
            for item in role_items:
                title = page.locator(f'article.entry[data-id="{item["id"]}"] h4')
                expect(title).to_be_visible()
                expect(title).to_have_text(item["title"])
            assert _visible_ids(page) == [item["id"] for item in items]
            expect(page.locator("#count")).to_have_text(f"{len(items)} définitions")

            # The search box filters as you type, accents and case aside.
            page.locator("#q").press_sequentially("Mediateur", delay=30)
            expect(page.locator("article.entry:visible")).to_have_count(len(mediateur))
            assert _visible_ids(page) == mediateur
            expect(page.locator('article.entry[data-id="role.patient_expert"]')).to_be_hidden()
            page.locator("#q").fill("zzzz introuvable")
            expect(page.locator("#empty")).to_be_visible()
            expect(page.locator("article.entry:visible")).to_have_count(0)
            page.locator("#q").fill("")
            expect(page.locator("article.entry:visible")).to_have_count(len(items))

            # The comparison table: one row per role, one column per profile field.
            rows = page.locator("#roles-table tbody tr")
            expect(rows).to_have_count(len(roles))
            expect(page.locator("#roles-table tbody th")).to_have_text([role["title"] for role in roles])
            expect(page.locator("#roles-table thead th")).to_have_count(7)
            first_row = rows.first.locator("td")
            expect(first_row).to_have_count(6)
            expect(first_row.first).to_have_text(roles[0]["profile"]["who"])

            page.screenshot(path=_ready(SCREENSHOT), full_page=True)

            # Print: no search box, no navigation, black on white, rows kept whole.
            page.emulate_media(media="print")
            expect(page.locator("#q")).to_be_hidden()
            expect(page.locator("nav")).to_be_hidden()
            expect(page.locator('article.entry[data-id="role.patient_partenaire"]')).to_be_visible()
            printed = page.evaluate(
                """() => {
                    const style = (selector) => getComputedStyle(document.querySelector(selector));
                    return {
                        row: style('#roles-table tbody tr').breakInside,
                        entry: style('article.entry').breakInside,
                        color: style('body').color,
                        background: style('body').backgroundColor,
                    };
                }"""
            )
            black_on_white = {"color": "rgb(0, 0, 0)", "background": "rgb(255, 255, 255)"}
            assert printed == {"row": "avoid", "entry": "avoid", **black_on_white}
            page.screenshot(path=_ready(PRINT_SCREENSHOT), full_page=True)
            page.pdf(path=_ready(PDF), prefer_css_page_size=True)  # @page: A4, the roles table landscape
        finally:
            browser.close()
    assert not csp_violations, csp_violations
    assert not page_errors, page_errors
    assert SCREENSHOT.stat().st_size > 10_000
    assert PDF.read_bytes().startswith(b"%PDF") and PDF.stat().st_size > 10_000


def _ready(path: Path) -> str:
    path.parent.mkdir(exist_ok=True)
    return str(path)
