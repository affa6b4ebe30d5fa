"""The work pages' date pickers in Chinese (dashboard/dates.py and the date-fns zh-CN locale
served from assets/vendor), in headless Chromium at 1366×768 on the real `gridgov serve`: the
audit page's range opens on two months headed like 2026年12月 and the planning page's start
date on one, each with weeks from 一 (Monday) to 日, the calendar wholly inside the window."""

from __future__ import annotations

import re

import pytest

from tests.browser import signed_in

pytestmark = pytest.mark.browser
CALENDAR = """() => {
    const box = document.querySelector('.dash-datepicker-content').getBoundingClientRect();
    const months = [...document.querySelectorAll('.dash-datepicker-calendar-month-header')].map(e => e.innerText.trim());
    const words = document.querySelector('.dash-datepicker-calendar').innerText.split(/\\s+/);
    return {months, days: words.filter(w => /^[一二三四五六日]$/.test(w)).slice(0, 7),
            inside: box.left >= 0 && box.top >= 0 && box.right <= innerWidth && box.bottom <= innerHeight};
}"""


@pytest.mark.parametrize(
    ("path", "loaded", "picker"),
    [("audit", "#audit-table tr", "#audit-dates"), ("inspections", "#ins-grid .ag-row", "#ins-start")],
)
def test_a_date_picker_opens_in_chinese_from_monday_inside_the_window(
    demo_server, accounts, path, loaded, picker
):
    with signed_in(demo_server, accounts["admin"], then=path, size=(1366, 768)) as page:
        page.wait_for_selector(loaded)  # the page's first callbacks have drawn it
        page.click(picker)
        page.wait_for_selector(".dash-datepicker-calendar")
        shown = page.evaluate(CALENDAR)
        assert all(re.fullmatch(r"\d{4}年\d{1,2}月", m) for m in shown["months"]), shown  # a range: two
        assert len(shown["months"]) == (2 if path == "audit" else 0), shown  # one month: no heading
        assert shown["days"] == list("一二三四五六日") and shown["inside"], shown
