"""Accessibility, checked by a real checker: axe-core (npm, pinned in package-lock.json) in headless Chromium.

The demo page with the widget closed, then open after a conversation; the
glossary; the back office (sign-in form, then signed in): at 1280 px and at
320 px wide.  Any WCAG 2.0/2.1 A or AA violation fails, listed by rule and element.
The front door runs with a faked engine: what is checked is the pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright

from server.settings import Settings
from store.models import StaffRole
from tests.api.conftest import FakeEngine, fake_app
from tests.api.test_admin import PASSWORD, add_user
from tests.helpers import CHROMIUM, TOKEN
from tests.live_server import serve

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: (width, height): a desktop, and the smallest phone (WCAG 1.4.10 reflow: 320 CSS px).
SIZES = ((1280, 900), (320, 568))


@pytest.fixture
def live(tmp_path: Path, tracker_db: Path) -> Iterator[tuple[str, Settings]]:
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `make setup` (npm ci)")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        tracker_url=f"sqlite:///{tracker_db}",
        engine_token=TOKEN,  # type: ignore[arg-type]
    )
    fake = FakeEngine()
    fake.reply = lambda body: {
        "messages": [{"text": "Un **patient partenaire** est…", "buttons": [{"title": "Oui", "payload": "/affirm"}]}],
        "state": {"slots": {}, "slots_set": {"topic": "role.patient_partenaire"}, "actions": []},
    }
    with serve(fake_app(settings, fake)) as url:
        yield url, settings


def axe_violations(page: Page) -> list[str]:
    """Run axe-core on the page; one line per violation and element."""
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_A_AA
    )
    assert len(result["passes"]) >= 10, "axe-core checked (almost) nothing"  # the checker really ran
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']}"
        for violation in result["violations"]
        for node in violation["nodes"]
    ]


def test_the_pages_have_no_wcag_a_or_aa_violation(live: tuple[str, Settings]) -> None:
    url, settings = live
    add_user(settings, "axe.manager", StaffRole.GESTIONNAIRE)
    found: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            for width, height in SIZES:
                # bypass_csp: the checker is injected as a script; the policy itself is tested elsewhere.
                page = browser.new_page(viewport={"width": width, "height": height}, bypass_csp=True)
                page.set_default_timeout(30_000)
                page.goto(url + "/")
                page.wait_for_selector(".rw-launcher")
                found[f"/ closed {width}"] = axe_violations(page)
                page.click(".rw-launcher")
                page.wait_for_selector(".rw-reply")
                for turn, text in enumerate(("c'est quoi un patient partenaire ?", "et un patient expert ?"), 2):
                    page.fill(".rw-new-message", text)
                    page.keyboard.press("Enter")  # a conversation long enough for the list to scroll
                    page.wait_for_function(f"() => document.querySelectorAll('.rw-response').length >= {turn}")
                found[f"/ open {width}"] = axe_violations(page)
                page.goto(url + "/glossaire")
                page.wait_for_selector("input[type=search]")
                found[f"/glossaire {width}"] = axe_violations(page)
                page.goto(url + "/admin")
                page.wait_for_selector("#username")
                found[f"/admin sign-in {width}"] = axe_violations(page)
                page.fill("#username", "axe.manager")
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_selector("#who:has-text('axe.manager')")
                found[f"/admin {width}"] = axe_violations(page)
                page.close()
        finally:
            browser.close()
    assert {where: v for where, v in found.items() if v} == {}
