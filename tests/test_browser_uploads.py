"""The upload page in headless Chromium against the real `gridgov serve`, on a database of its
own holding the small district's boundaries: an admin uploads a CSV, sees the dry run (the
columns chosen, the counts, the quarantine's reasons with their rows, written as text), confirms,
sees the load's counts and downloads the quarantined rows as Excel; everything is audited and
the console stays clean. A planner opening /data sees no upload form."""

from __future__ import annotations

import pandas as pd
import pytest
from playwright.sync_api import sync_playwright

from tests.auth import make_account
from tests.browser import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, host, save_screenshot, serving, sign_in
from tests.databases import fresh_database
from tests.sql import all_rows, one
from tests.watch_jobs import csv_text, incidents

pytestmark = pytest.mark.browser
N = 30
XSS = '<img src=x onerror="window.__xss=1">'


@pytest.fixture
def served(settings, cluster, small_district, tmp_path):
    with fresh_database(cluster, template=small_district) as engine:  # its boundaries, loaded once
        admin = make_account(engine, "data_admin", "admin")
        planner = make_account(engine, "data_planner", "planner")
        url = engine.url.render_as_string(hide_password=False)
        with serving(settings, tmp_path, DATABASE_URL=url) as (base, log):
            yield engine, base, log, admin, planner


def _file(tmp_path):
    frame = incidents("web", N)
    frame.loc[0, "受理时间"] = XSS
    frame.loc[1, "受理时间"] = "2026-13-40 99:00:00"
    path = tmp_path / "热线导出.csv"
    path.write_text(csv_text(frame), encoding="utf-8")
    return path


def _watch(context, page, requests, problems):
    context.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)


def test_upload_dry_run_confirm_and_download_the_quarantine(served, tmp_path):
    engine, url, log, admin, planner = served
    path = _file(tmp_path)
    requests, problems = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1600, "height": 1000}, locale="zh-CN", accept_downloads=True
        )
        page = context.new_page()
        _watch(context, page, requests, problems)
        sign_in(page, url, admin, then="data")
        page.wait_for_selector("#data-upload")
        page.wait_for_load_state("networkidle")
        page.set_input_files("#data-upload input[type=file]", str(path))
        page.wait_for_selector("#data-file-note b, #data-file-note .data-error", timeout=60_000)
        assert page.inner_text("#data-file-note b") == path.name, page.inner_text("#data-file-note")
        page.get_by_label("WGS-84 (GPS)").check()
        page.fill("#data-source", "web-upload")
        page.click("#data-dry-run")
        page.wait_for_selector("#data-report h2", timeout=60_000)
        report = page.inner_text("#data-report")
        assert "试运行" in report and "工单编号" in report and XSS in report, report
        counts = page.inner_text("#data-report .data-counts")
        assert f"{N}" in counts and f"{N - 2}" in counts and "2" in counts, counts
        assert one(engine, "SELECT count(*) FROM incident WHERE source = 'web-upload'") == 0
        page.click("#data-confirm")
        page.wait_for_selector("#data-result h2", timeout=60_000)
        result = page.inner_text("#data-result")
        run = one(engine, "SELECT max(id) FROM ingest_run WHERE source = 'web-upload' AND status = 'done'")
        assert f"第 {run} 次运行" in result, result
        assert one(engine, "SELECT count(*) FROM incident WHERE source = 'web-upload'") == N - 2
        page.wait_for_selector("#data-export:not([disabled])")
        with page.expect_download() as download:
            page.click("#data-export")
        saved = tmp_path / "quarantine.xlsx"
        download.value.save_as(saved)
        assert page.evaluate("() => window.__xss") is None
        save_screenshot(page, "data-upload.png", readme="data-upload.png")

        other = browser.new_context(locale="zh-CN").new_page()
        sign_in(other, url, planner, then="data")
        other.wait_for_selector(".not-found")
        assert "无权访问" in other.inner_text("body") and not other.query_selector("#data-upload")
        browser.close()
    sheet = pd.read_excel(saved, dtype=str)
    assert len(sheet) == 2 and sorted(sheet["受理时间"]) == sorted([XSS, "2026-13-40 99:00:00"])
    actions = [
        r[0] for r in all_rows(engine, "SELECT action FROM audit_log WHERE action LIKE 'data.%' ORDER BY id")
    ]
    assert actions == ["data.upload", "data.dry_run", "data.load", "data.export"], actions
    assert requests and not problems, problems
    assert not [u for u in requests if host(u) not in LOCAL_HOSTS]
    server_log = log.read_text(errors="replace")
    assert "Traceback" not in server_log, server_log[-3000:]
