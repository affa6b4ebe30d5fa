"""Script in the offline HTML exports stays text (issue #16, finding 1).

folium writes a tooltip's text raw inside a JavaScript template literal, where ``html.escape``
leaves `` ` `` and ``${…}`` alone. Every text field of a plan (office, target names, kinds,
addresses, reasons, the title block) and of a coverage map (service points, suggested sites) carries a payload
for each context: ``${…}`` and a backtick for the template literal, ``</script>`` for the script
element, ``<img onerror>`` for HTML, a backslash that would break the literal's syntax. Headless
Chromium opens each export from a file, opens every tooltip, and no script may have run: the
title is unchanged, no flag is set, no element the payload would make exists, the console is
clean, and the payloads show as text.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import sync_playwright

from layers.coverage import Coverage, Demand, Walks
from layers.coverage_export import coverage_html
from layers.export_heading import Heading
from layers.plan import Plan, PlanRequest, Stop, TeamDay
from layers.plan_export import plan_html, plan_print
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

PAYLOADS = (
    "${document.title=/XSS/.source}",
    "`;window.__xss=1;`",
    "</script><script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "\\u{",  # a bad escape: a syntax error if it reached the literal unescaped
)
HOSTILE = "".join(PAYLOADS)
CLEAN_JS = (
    "() => document.title !== 'XSS' && window.__xss === undefined"
    " && document.querySelectorAll('img[src=\"x\"]').length === 0"
)
OPEN_TOOLTIPS_JS = """() => document.querySelectorAll('.leaflet-marker-icon, path.leaflet-interactive')
    .forEach(e => e.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})))"""
TOOLTIP_TEXT_JS = "() => [...document.querySelectorAll('.leaflet-tooltip')].map(t => t.innerText).join('\\n')"


HEADING = Heading(
    HOSTILE, HOSTILE, HOSTILE, HOSTILE, dt.datetime(2026, 6, 10, tzinfo=dt.UTC)
)  # every line a payload


def _plan() -> Plan:
    lon, lat = 113.30, 40.08
    stops = tuple(
        Stop(n, f"{HOSTILE}{n}", HOSTILE, HOSTILE, HOSTILE, 50.0, lon + n / 1000, lat, 100.0) for n in (1, 2)
    )
    line = ((lon, lat), (lon + 0.001, lat), (lon + 0.002, lat), (lon, lat))
    route = TeamDay(dt.date(2026, 6, 11), 1, stops, 400.0, 30.0, line)
    return Plan(PlanRequest(street=1, start=route.day), (HOSTILE, lon, lat), (route,), True, 2)


def _coverage() -> tuple[Coverage, pd.DataFrame, list[tuple[float, float, str, float]]]:
    lonlat = [(113.30, 40.08), (113.31, 40.08)]
    demand = Demand.of([1, 2], lonlat, [10.0, 20.0], [1, 1], [1, 1], [False, False])
    result = Coverage(demand, Walks(np.array([100.0, np.inf]), along_network=False), 500.0)
    points = pd.DataFrame(
        {"id": [1], "name": [HOSTILE], "lon": [113.30], "lat": [40.081], "removed": [False]}
    )
    return result, points, [(113.31, 40.081, HOSTILE, 20.0)]


def _exports(folder: Path) -> dict[str, Path]:
    result, points, suggested = _coverage()
    pages = {
        "plan-map.html": plan_html(_plan(), heading=HEADING),
        "plan-print.html": plan_print(_plan(), heading=HEADING),
        "coverage-map.html": coverage_html(
            result,
            points,
            np.array([[113.305, 40.079]]),
            suggested,
            heading=HEADING,
            subject=HOSTILE,
            summary=HOSTILE,
        ),
    }
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
    return {name: folder / name for name in pages}


def test_no_script_runs_in_any_html_export(tmp_path):
    exports = _exports(tmp_path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, path in exports.items():
            problems: list[str] = []
            page = browser.new_page()
            page.on("console", lambda m, p=problems: p.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e, p=problems: p.append(f"page error: {e}"))
            page.on("dialog", lambda d, p=problems: p.append(f"dialog: {d.message}"))
            page.goto(path.as_uri())
            title = page.title()
            page.evaluate(OPEN_TOOLTIPS_JS)
            shown = page.evaluate(TOOLTIP_TEXT_JS) if "map" in name else page.inner_text("body")
            assert page.evaluate(CLEAN_JS), name
            assert title != "XSS" and page.title() == title, name
            assert problems == [], (name, problems)  # unescaped, a backtick breaks the script
            assert HOSTILE in shown, (name, shown[:500])  # every payload shown as the text it is
            page.close()
        browser.close()
