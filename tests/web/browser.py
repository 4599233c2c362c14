"""Driving Debian's Chromium with Playwright, and checking pages with axe-core.

The browser is the system's `chromium` (or CHROMIUM_PATH), never one that
`playwright install` downloads. A browser that cannot start FAILS the run:
the page suites are never skipped.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Error as PlaywrightError, Page, Playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
# axe-core's impacts the issue forbids; "moderate" and "minor" are reported but do not fail.
FORBIDDEN_IMPACTS = ("serious", "critical")

_axe = Axe()


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is not installed: `make test` installs Debian's `chromium` package "
                    "(apt-get install chromium), or set CHROMIUM_PATH", pytrace=False)
    return path


def launch(playwright: Playwright) -> Browser:
    try:
        return playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                          args=["--no-sandbox", "--disable-dev-shm-usage"])
    except PlaywrightError as error:
        pytest.fail(f"Chromium would not start: {error}", pytrace=False)


def screenshot(page: Page, test_name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', test_name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    results = _axe.run(page)
    return [f"{violation['id']} ({violation['impact']}): {violation['help']} at "
            f"{', '.join(str(node['target']) for node in violation['nodes'][:3])}"
            for violation in results.response["violations"] if violation.get("impact") in FORBIDDEN_IMPACTS]


def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violation on this page, at phone and at desktop width."""
    original = page.viewport_size
    found = {}
    for name, size in WIDTHS.items():
        page.set_viewport_size(size)
        violations = serious_violations(page)
        if violations:
            found[name] = violations
    if original:
        page.set_viewport_size(original)
    assert not found, f"accessibility violations on {page.url}: {found}"
