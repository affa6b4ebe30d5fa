"""Script in free text stays text (issue #7): incident descriptions and addresses, a target's
name and address, a visit's inspector and notes carry ``<script>`` and ``<img onerror>``;
the wall screen, the planning page, its grid and map, and the HTML, print and Excel exports
show them as text and never run them (the CSP would also block them: the console must stay
clean, and the DOM must hold no element the payload would have made)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from ingest.job import JobOptions, run_file
from ingest.kinds import get_kind
from layers.visits import VisitRecord, record_visit
from tests.browser import CHROMIUM, CHROMIUM_ARGS, sign_in
from tests.sql import remove_marked

pytestmark = pytest.mark.browser
SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=1">'
RAN_JS = "() => window.__xss === undefined && document.querySelectorAll('img[src=\"x\"]').length === 0"
SHOWN_JS = "text => document.body.innerText.includes(text)"


@pytest.fixture
def hostile(demo, accounts, tmp_path):
    """Hostile rows in the street leader's street; removed afterwards."""
    with demo.begin() as conn:
        street = conn.execute(sa.text("SELECT min(code) FROM street WHERE valid_to IS NULL")).scalar_one()
        target, lon, lat = conn.execute(
            sa.text("INSERT INTO inspection_target (source, source_id, kind, name, address, risk_level, "
                    "interval_days, attributes, street_id, community_id, grid_id, geom) "
                    "SELECT 'xss', 'T1', t.kind, :name, :address, 3, 1, t.attributes, t.street_id, "
                    "t.community_id, t.grid_id, t.geom FROM inspection_target t JOIN street s "
                    "ON s.id = t.street_id WHERE s.code = :street ORDER BY t.id LIMIT 1 "
                    "RETURNING id, ST_X(geom), ST_Y(geom)"),
            {"name": f"{IMG}{SCRIPT}", "address": SCRIPT, "street": street},
        ).one()  # fmt: skip
        visit = VisitRecord(target, dt.datetime.now(dt.UTC) - dt.timedelta(days=40), "hazard", IMG, SCRIPT)
        record_visit(conn, visit, recheck_days=1)
    path = tmp_path / "xss.csv"
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["工单编号", "诉求内容", "事发地址", "受理时间", "经度", "纬度"])
        for i, text in enumerate((SCRIPT, IMG)):
            out.writerow(
                [
                    f"X{i}",
                    f"{text} 楼道堆物",
                    IMG,
                    f"{now - dt.timedelta(minutes=i):%Y-%m-%d %H:%M:%S}",
                    lon,
                    lat,
                ]
            )
    run_file(demo, kind=get_kind("incidents"), path=path, options=JobOptions(source="xss", crs="wgs84"))
    yield target
    remove_marked(demo, source="xss", target=target)


def _check_export(page, button, folder: Path, name: str) -> str:
    with page.expect_download() as download:
        page.click(button)
    saved = folder / name
    download.value.save_as(saved)
    return saved.read_text(encoding="utf-8") if name.endswith(".html") else ""


def test_script_in_free_text_is_shown_as_text_and_never_runs(demo_server, accounts, hostile, tmp_path):
    """On the session's server (conftest.demo_server), running since before the hostile rows were
    written: they reach the pages as any new data does."""
    problems = []
    url, _log = demo_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 1100}, accept_downloads=True)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("dialog", lambda d: problems.append(f"dialog: {d.message}"))
        sign_in(page, url, accounts["admin"], then="monitor")
        page.wait_for_function(
            SHOWN_JS, arg=f"{SCRIPT} 楼道堆物", timeout=60_000
        )  # the latest-incidents feed
        page.wait_for_function(SHOWN_JS, arg=f"{IMG} 楼道堆物", timeout=10_000)
        assert page.evaluate(RAN_JS)

        page.goto(f"{url}map")  # the layer map and its hover texts
        page.wait_for_selector("#map .js-plotly-plot", timeout=60_000)
        page.hover("#map .js-plotly-plot")
        assert page.evaluate(RAN_JS)

        page.goto(f"{url}inspections")
        page.wait_for_function(SHOWN_JS, arg=f"{IMG}{SCRIPT}", timeout=60_000)  # the register, with the page
        page.click("#ins-plan")
        page.wait_for_selector("#ins-summary .ins-days", timeout=60_000)  # the plan, its stops listed
        page.hover("#ins-map .js-plotly-plot")
        assert page.evaluate(RAN_JS)
        exported = _check_export(page, "#ins-export-html", tmp_path, "plan.html")
        printed = _check_export(page, "#ins-export-print", tmp_path, "print.html")
        _check_export(page, "#ins-export-xlsx", tmp_path, "plan.xlsx")
        for text in (exported, printed):
            assert "&lt;img src=x onerror=" in text and IMG not in text and SCRIPT not in text
        page.goto((tmp_path / "plan.html").as_uri())  # the offline map, every popup opened
        page.evaluate("() => document.querySelectorAll('.leaflet-marker-icon, path.leaflet-interactive')"
                      ".forEach(e => e.dispatchEvent(new MouseEvent('click', {bubbles: true})))")  # fmt: skip
        assert page.evaluate(RAN_JS)
        browser.close()
    book = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    cells = [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert f"{IMG}{SCRIPT}" in cells  # in Excel the name is the same text, as a plain string
    assert problems == [], problems
