"""The Content-Security-Policy in a real browser: headless Chromium (Debian's, driven by Playwright)
loads the demo page (and talks through the widget), the glossary and the back office (signed out,
then signed in, statistics drawn) from a live front door with a faked engine, and records every
``securitypolicyviolation`` event and CSP console error.  None is allowed but one, on purpose: the
widget's bundle (rasa-webchat, unmodified) ``@import``s the Inter font from Google Fonts in the
styles it injects; ``style-src`` blocks it, so no visitor's address goes to Google (the widget
falls back to the page's font), and the test checks that no request left for another host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, sync_playwright

from server.settings import Settings
from store.models import StaffRole
from tests.api.conftest import FakeEngine, fake_app
from tests.api.test_admin import PASSWORD, add_user
from tests.helpers import CHROMIUM, TOKEN
from tests.live_server import serve

pytestmark = pytest.mark.e2e

#: An image address the policy refuses (img-src 'self' data:): the last violation of a page.
SENTINEL = "https://csp-sentinel.invalid/"
#: The one violation expected: the widget's @import of Google Fonts, blocked on purpose.
GOOGLE_FONTS = "https://fonts.googleapis.com/"
#: Registered before any script of the page runs: keeps every CSP violation the document reports.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push({directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile, sample: e.sample});
}, true);
"""


@pytest.fixture
def live(tmp_path: Path, tracker_db: Path) -> Iterator[tuple[str, Settings]]:
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


def violations(page: Page, console: list[str]) -> list[Any]:
    """The page's CSP violations and CSP console errors, but the expected Google Fonts one."""
    # Violation events are dispatched asynchronously, in order: a last, known violation (an image from a
    # host the policy refuses) marks the moment every earlier one has been recorded.
    page.evaluate(f"() => {{ const i = new Image(); i.src = '{SENTINEL}'; }}")
    page.wait_for_function(f"() => window.__csp.some((v) => (v.blocked || '').startsWith('{SENTINEL}'))")
    recorded: list[dict[str, Any]] = [
        v for v in page.evaluate("() => window.__csp") if not (v["blocked"] or "").startswith(SENTINEL)
    ]
    unexpected: list[Any] = [
        v for v in recorded if not (v["directive"] == "style-src-elem" and v["blocked"].startswith(GOOGLE_FONTS))
    ]
    csp_console = [text for text in console if "Content Security Policy" in text or "Content-Security" in text]
    return unexpected + [text for text in csp_console if GOOGLE_FONTS not in text and SENTINEL not in text]


def script_violations(page: Page) -> list[Any]:
    return [v for v in page.evaluate("() => window.__csp") if v["directive"].startswith("script-src")]


def test_no_page_breaks_the_content_security_policy(live: tuple[str, Settings]) -> None:
    url, settings = live
    add_user(settings, "csp.manager", StaffRole.GESTIONNAIRE)
    found: dict[str, list[Any]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = browser.new_context()
            context.add_init_script(RECORD_VIOLATIONS)
            page = context.new_page()
            page.set_default_timeout(30_000)
            console: list[str] = []

            def keep(message: ConsoleMessage) -> None:
                if message.type in ("error", "warning"):
                    console.append(message.text)

            page.on("console", keep)
            elsewhere: list[str] = []
            # Chromium reports a request CSP blocked as failed: only those that got an answer count.
            page.on("requestfinished", lambda r: None if r.url.startswith(url) else elsewhere.append(r.url))
            scripts: list[Any] = []

            # The demo page: the widget loads, injects its styles, opens its socket and shows a conversation.
            response = page.goto(url + "/")
            assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
            page.click(".rw-launcher")
            page.wait_for_selector(".rw-reply")
            page.fill(".rw-new-message", "c'est quoi un patient partenaire ?")
            page.keyboard.press("Enter")
            page.wait_for_function("() => document.querySelectorAll('.rw-response').length >= 2")
            injected_styles = page.evaluate("() => document.querySelectorAll('style').length")
            found["/"] = violations(page, console)
            scripts += script_violations(page)

            console.clear()
            page.goto(url + "/glossaire")
            page.wait_for_selector("table, ul, dl")
            page.fill("input[type=search]", "mediateur")
            found["/glossaire"] = violations(page, console)
            scripts += script_violations(page)

            console.clear()
            page.goto(url + "/confidentialite")
            found["/confidentialite"] = violations(page, console)

            console.clear()
            page.goto(url + "/admin")
            page.fill("#username", "csp.manager")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("#who:has-text('csp.manager')")
            page.click("nav button[data-view=stats]")
            page.wait_for_selector("canvas[data-chart=questions_per_topic]")
            found["/admin"] = violations(page, console)
            scripts += script_violations(page)
        finally:
            browser.close()
    assert injected_styles > 0  # the widget's run-time <style> elements (allowed by style-src)
    assert scripts == []
    assert found == {"/": [], "/glossaire": [], "/confidentialite": [], "/admin": []}
    assert elsewhere == []  # nothing fetched from another host (Google Fonts blocked)
