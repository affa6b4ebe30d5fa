"""The results page (/results, #18) in headless Chromium on the demo, served by the real
`gridgov serve`: at 1366×768, 1920×1080 and 3840×2160 an admin sees the running campaigns, the
weekly 探访 round and the table, nothing cut off and the page no wider than the window; the
console stays clean."""

from __future__ import annotations

import pytest
from playwright.sync_api import sync_playwright

from tests.browser import pages_at, save_screenshot, sign_in

pytestmark = pytest.mark.browser
SIZES = ((1366, 768), (1920, 1080), (3840, 2160))
SEEN = """() => {
    const doc = document.documentElement;
    const panels = [...document.querySelectorAll('.res-card, .audit-filters, .res-weekly, .res-cards, .res-totals')];
    return {wide: doc.scrollWidth - doc.clientWidth,
            cut: panels.filter(p => p.scrollWidth > p.clientWidth + 1).map(p => p.className),
            cards: [...document.querySelectorAll('.res-card h3')].map(h => h.innerText),
            weekly: [...document.querySelectorAll('.res-weekly h3')].map(h => h.innerText),
            rows: document.querySelectorAll('#res-table .ag-center-cols-container .ag-row').length,
            total: document.querySelector('.res-totals').innerText};
}"""


def test_an_admin_sees_campaigns_weekly_rounds_and_results_at_every_size(demo_server, accounts):
    url, log = demo_server
    problems: list[str] = []
    with sync_playwright() as pw:
        for width, _height, page in pages_at(pw, SIZES, problems):
            sign_in(page, url, accounts["admin"], then="results")
            page.wait_for_selector("#res-table .ag-row")
            page.wait_for_selector("#res-campaigns .res-card")
            seen = page.evaluate(SEEN)
            assert seen["wide"] <= 0 and not seen["cut"], (width, seen)
            assert seen["cards"] == ["秋冬季安全生产专项行动", "供暖季禁煤专项巡查"], (
                seen
            )  # data/district.toml
            assert seen["weekly"] == ["高龄独居老人探访"] and seen["rows"] > 10 and "合计" in seen["total"], (
                seen
            )
            if width == 1920:
                save_screenshot(page, "results-1920x1080.png", readme="results.png")
    assert not problems, (problems, log.read_text()[-2000:])
