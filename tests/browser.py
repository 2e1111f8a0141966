"""Headless Chromium for the browser tests (dashboard, report).

Uses Debian's ``chromium`` (``make test`` installs it with apt-get) driven
by Playwright's Python client; Playwright's own browser download is never
used. Screenshots go to ``test-artifacts/`` (kept by CI, ignored by git).

    from browser import chromium_page, ARTIFACTS
    with chromium_page() as page:
        page.goto(url); page.screenshot(path=ARTIFACTS / "x.png")
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# the flags that keep Chromium quiet on a machine without internet access
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@contextlib.contextmanager
def chromium_page(width: int = 1400, height: int = 1000) -> Iterator:
    """A fresh Playwright page in headless Debian Chromium, closed afterwards."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: run `make browser` (apt-get install chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qsim-chromium-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height})
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
