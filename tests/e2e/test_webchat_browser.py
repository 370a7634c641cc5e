"""The demo page and its widget (rasa-webchat over the front door's socket.io) in headless
Chromium (Debian's, driven by Playwright), through the real engine and model.

Covers a conversation with a button click, a reload that keeps the history, clearing the
conversation (on the server too), typed HTML shown literally, keyboard-only use, focus
visibility and contrast; screenshots go to reports/.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from evaluation.stack import Stack
from knowledge.loader import get_knowledge
from knowledge.webchat import get_webchat
from tests.helpers import CHROMIUM

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"
TIMEOUT_MS = 60_000

#: Relative luminance and contrast ratio (WCAG 2.x), computed in the page.
CONTRAST_JS = """(selector) => {
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  const lum = (rgb) => { const [r, g, b] = rgb.match(/\\d+(\\.\\d+)?/g).map(Number);
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b); };
  const background = (el) => { for (; el; el = el.parentElement) {
      const bg = getComputedStyle(el).backgroundColor;
      if (bg && !bg.startsWith('rgba(0, 0, 0, 0)') && bg !== 'transparent') return bg; }
    return 'rgb(255, 255, 255)'; };
  return [...document.querySelectorAll(selector)].map((el) => {
    const a = lum(getComputedStyle(el).color), b = lum(background(el));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="fr-FR")
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    yield opened
    context.close()


def responses(page: Page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator(".rw-response").all_inner_texts()]


def wait_for_responses(page: Page, count: int) -> None:
    page.wait_for_function(
        "(n) => document.querySelectorAll('.rw-response:not(:has(#wave))').length >= n", arg=count, timeout=TIMEOUT_MS
    )


def session_id(page: Page) -> str:
    value = page.evaluate("() => JSON.parse(localStorage.getItem('chat_session') || '{}').session_id")
    assert isinstance(value, str)
    return value


def open_widget(page: Page, stack: Stack) -> None:
    page.goto(stack.url + "/")
    page.click(".rw-launcher")
    wait_for_responses(page, 1)


def test_a_conversation_with_a_button_survives_a_reload_and_can_be_cleared(page: Page, stack: Stack) -> None:
    welcome, starters = get_webchat().welcome, get_webchat().starters
    open_widget(page, stack)
    assert responses(page)[0] == " ".join(welcome.split())
    assert page.locator(".rw-reply").all_inner_texts() == [s.title for s in starters]

    page.click(f".rw-reply:has-text('{starters[0].title}')")  # « Mes droits »
    wait_for_responses(page, 2)
    rights = get_knowledge().get("droit.apercu")
    assert rights is not None
    assert " ".join(rights.long.split())[:60] in responses(page)[1]

    page.fill(".rw-new-message", "c'est quoi un patient partenaire ?")
    page.keyboard.press("Enter")
    wait_for_responses(page, 3)
    partner = get_knowledge().get("role.patient_partenaire")
    assert partner is not None
    assert " ".join(partner.long.split())[:60] in responses(page)[2]
    REPORTS.mkdir(exist_ok=True)
    page.screenshot(path=str(REPORTS / "widget-conversation.png"))

    first_session = session_id(page)
    before = responses(page)
    page.reload()
    page.wait_for_selector(".rw-launcher")
    if not page.locator(".rw-response").count():
        page.click(".rw-launcher")
    wait_for_responses(page, 3)
    assert responses(page) == before  # the history is still there
    assert session_id(page) == first_session
    page.fill(".rw-new-message", "et un représentant des usagers ?")
    page.keyboard.press("Enter")
    wait_for_responses(page, 4)  # the same conversation goes on

    with sqlite3.connect(stack.app_db) as db:
        assert db.execute("SELECT channel FROM chat_sessions WHERE id = ?", (first_session,)).fetchall() == [
            ("webchat",)
        ]
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click(".ps-clear")
    page.wait_for_selector(".rw-launcher")
    if not page.locator(".rw-response").count():
        page.click(".rw-launcher")
    wait_for_responses(page, 1)
    assert responses(page) == [" ".join(welcome.split())]  # a fresh conversation
    assert session_id(page) != first_session
    with sqlite3.connect(stack.app_db) as db:
        assert db.execute("SELECT count(*) FROM chat_sessions WHERE id = ?", (first_session,)).fetchone() == (0,)
    with sqlite3.connect(stack.tracker_db) as db:
        assert db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (first_session,)).fetchone() == (0,)


def test_typed_html_is_shown_literally(page: Page, stack: Stack) -> None:
    open_widget(page, stack)
    attack = '<img src=x onerror="window.__pwned=1"> <b>gras</b>'
    page.fill(".rw-new-message", attack)
    page.keyboard.press("Enter")
    wait_for_responses(page, 2)
    shown = page.locator(".rw-client").all_inner_texts()
    assert any("<img src=x" in text and "<b>gras</b>" in text for text in shown), shown
    assert page.locator(".rw-messages-container img[src='x'], .rw-messages-container b").count() == 0
    assert page.evaluate("() => window.__pwned") is None


def test_keyboard_only_focus_visible_and_contrast(page: Page, stack: Stack) -> None:
    page.goto(stack.url + "/")
    assert page.get_attribute("html", "lang") == "fr"
    page.wait_for_selector(".rw-launcher")
    outlines: dict[str, str] = {}
    for _ in range(30):  # Tab through the page to the launcher
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.className")
        outlines[str(focused)] = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        if "rw-launcher" in str(focused):
            break
    else:
        pytest.fail("the launcher cannot be reached with the keyboard")
    assert page.get_attribute(".rw-launcher", "aria-label")
    page.keyboard.press("Enter")  # open
    wait_for_responses(page, 1)
    assert page.get_attribute(".rw-messages-container", "aria-live") == "polite"
    assert page.get_attribute(".rw-new-message", "aria-label")
    # Tab to the first starter button and press it.
    for _ in range(30):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.className")
        outlines[str(focused)] = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        if "rw-reply" in str(focused):
            break
    else:
        pytest.fail("the starter buttons cannot be reached with the keyboard")
    page.keyboard.press("Enter")
    wait_for_responses(page, 2)
    # Type and send with the keyboard only.
    for _ in range(40):
        if "rw-new-message" in str(page.evaluate("() => document.activeElement.className")):
            break
        page.keyboard.press("Tab")
    else:
        pytest.fail("the message field cannot be reached with the keyboard")
    page.keyboard.type("c'est quoi la personne de confiance ?")
    page.keyboard.press("Enter")
    wait_for_responses(page, 3)
    page.screenshot(path=str(REPORTS / "widget-keyboard.png"))
    visible = {name: style for name, style in outlines.items() if name}
    assert all(style != "none" for style in visible.values()), visible
    ratios = {
        selector: page.evaluate(CONTRAST_JS, selector)
        for selector in (".rw-response", ".rw-client", ".rw-reply", "main p", "main a")
    }
    assert all(r >= 4.5 for values in ratios.values() for r in values), ratios
    # Close with the keyboard: back to the launcher, Enter.
    page.focus(".rw-launcher")
    page.keyboard.press("Enter")
    page.wait_for_selector(".rw-conversation-container", state="detached")
