"""The back office in headless Chromium (Debian's, driven by Playwright): sign in, the
statistics page draws its charts (non-empty canvases), a screenshot goes to reports/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import sync_playwright

from evaluation.stack import Stack
from tests.helpers import CHROMIUM

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "reports" / "admin-statistiques.png"
PASSWORD = "une phrase de passe assez longue"


def test_the_statistics_page_draws_its_charts(stack: Stack) -> None:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{stack.app_db}", ADMIN_PASSWORD=PASSWORD)
    created = subprocess.run(
        [sys.executable, "-m", "server.admin_cli", "chloe.stats", "--role", "gestionnaire"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert created.returncode == 0 or "already exists" in created.stderr, created.stderr
    with httpx.Client(timeout=60) as client:
        for text in ("c'est quoi un patient partenaire ?", "et la CDU ?", "je veux faire une réclamation"):
            stack.chat(client, text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1600})
            first = page.goto(f"{stack.url}/admin")
            assert first is not None and first.status == 401  # the sign-in form, no data
            page.fill("#username", "chloe.stats")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("#who:has-text('chloe.stats')")
            page.click("nav button[data-view=stats]")
            page.wait_for_selector("canvas[data-chart=questions_per_topic]")
            page.wait_for_timeout(300)
            drawn = page.evaluate(
                """() => [...document.querySelectorAll('canvas[data-chart]')].map((canvas) => {
                    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                    let painted = 0;
                    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
                    return [canvas.dataset.chart, painted];
                })"""
            )
            SCREENSHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    charts = dict(drawn)
    assert set(charts) == {
        "questions_per_topic",
        "questions_per_day",
        "questions_per_channel",
        "registrations_per_week",
        "tickets_per_service",
    }
    assert charts["questions_per_topic"] > 1000 and charts["questions_per_channel"] > 1000, charts
    assert SCREENSHOT.stat().st_size > 10_000
