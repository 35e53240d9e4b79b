"""The HTML report in a real browser: headless Chromium (Debian package ``chromium``)
opens ``index.html`` from disk; the page must render without console errors or failed
requests, every chart image must load, and a screenshot is saved.

Outside CI the test skips, saying why, when Chromium or the ``playwright`` package is
missing; with ``BACKORDER_REQUIRE_BROWSER`` or ``CI`` set (``.ci/run`` sets both) it
fails instead. ``BACKORDER_ARTIFACTS=<folder>`` also copies the screenshot there.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from backorder_analytics.report import build_report, load_config, read_configured_dataset

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _required() -> bool:
    return bool(os.environ.get("BACKORDER_REQUIRE_BROWSER") or os.environ.get("CI"))


def _missing(reason: str):
    if _required():
        pytest.fail(f"{reason} (BACKORDER_REQUIRE_BROWSER or CI is set, so this fails "
                    "instead of skipping)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or ("/usr/bin/chromium"
                                        if Path("/usr/bin/chromium").exists() else None)
    if path is None:
        _missing("Chromium not found: install the Debian package 'chromium' "
                 "(apt-get install chromium); .ci/run does this in CI")
    return path


@pytest.fixture(scope="module")
def sync_playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the Python package 'playwright' is missing: pip install -e '.[dev]' "
                 "(no 'playwright install' needed: the test drives the system Chromium)")
    return sync_playwright


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The example data's report with data/planning.toml; for speed fewer replications
    and one forecast model (``make demo`` runs the full settings)."""
    config = load_config(REPO / "data" / "planning.toml")
    config = replace(config, report=replace(config.report, n_reps=20, outputs=("html",)),
                     forecast=replace(config.forecast, model="ses"))
    out = tmp_path_factory.mktemp("browser") / "report"
    return build_report(read_configured_dataset(config), out, config, progress=False)


def render(chromium, sync_playwright, report: Path, shot: Path) -> dict:
    """Open ``report`` in headless Chromium: errors, failed requests, title, images,
    section titles, sideways overflow; a full-page screenshot to ``shot``."""
    out: dict = {"console_errors": [], "page_errors": [], "failed": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: out["console_errors"].append(m.text)
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: out["page_errors"].append(str(e)))
            page.on("requestfailed",
                    lambda r: out["failed"].append(f"{r.url[:80]}: {r.failure}"))
            page.goto(report.as_uri(), wait_until="load")
            out["title"] = page.title()
            out["images"] = page.evaluate(
                "Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete,"
                " width: i.naturalWidth, height: i.naturalHeight,"
                " data: i.src.startsWith('data:image/png;base64,')}))")
            out["sections"] = page.evaluate(
                "Array.from(document.querySelectorAll('section h2')).map(h => h.textContent)")
            out["overflow"] = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    out["broken"] = [i["alt"] for i in out["images"] if not (
        i["complete"] and i["width"] > 0 and i["height"] > 0 and i["data"])]
    return out


def keep(shot: Path, name: str) -> None:
    artifacts = os.environ.get("BACKORDER_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(artifacts) / name)


@pytest.mark.slow
def test_report_renders_in_chromium(chromium, sync_playwright, report, tmp_path):
    shot = tmp_path / "report.png"
    seen = render(chromium, sync_playwright, report, shot)
    assert seen["console_errors"] == []
    assert seen["page_errors"] == []
    assert seen["failed"] == []
    assert seen["title"] == "Backorder report: example data"
    assert len(seen["images"]) >= 10
    assert seen["broken"] == []
    assert seen["sections"][:4] == ["Today", "Overview", "Data health", "Alerts"]
    assert "Lead times" in seen["sections"]
    assert seen["overflow"] <= 0                       # no sideways scrolling of the page
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep(shot, "report.png")


@pytest.mark.slow
def test_sales_only_report_of_500_skus_renders(chromium, sync_playwright, tmp_path):
    """Orders alone, 500 SKUs: the report renders, its charts load, Today comes first
    and says what it gives with sales only."""
    import backorder_analytics as ba

    full = ba.example_dataset(seed=1, n_skus=500, days=365)
    sales = ba.Dataset(orders=full.orders[["order_id", "line_id", "sku", "quantity",
                                           "order_date"]])
    config = {"title": "Sales only", "supply": {"lead_time_days": 7},
              "forecast": {"model": "ses"}, "report": {"n_reps": 20, "outputs": ["html"]}}
    report = build_report(sales, tmp_path / "report", config, progress=False)
    shot = tmp_path / "sales_only.png"
    seen = render(chromium, sync_playwright, report, shot)
    assert seen["console_errors"] == []
    assert seen["page_errors"] == []
    assert seen["broken"] == []
    assert len(seen["images"]) >= 5                    # forecast, classes, safety stock…
    assert seen["sections"][0] == "Today"
    assert seen["overflow"] <= 0
    page = report.read_text(encoding="utf-8")
    assert "Sales only: 500 SKUs forecast and stocked" in page
    keep(shot, "sales_only.png")
