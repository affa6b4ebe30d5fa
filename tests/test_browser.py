"""The real `gridgov serve` (gunicorn) on the demo district, driven by headless Chromium.

Checks that the Pingcheng map renders, that nothing is fetched from any host but the server
itself (no CDN, no public glyph or tile server) and that the console stays free of errors,
also after a layer is switched on (a Dash Patch of the figure). Leaves a 1920×1080 screenshot
in tests/artifacts/ (and in docs/screenshot.png with UPDATE_README_SCREENSHOT=1).
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
TRACES_JS = (
    "() => document.querySelector('#map .js-plotly-plot')._fullData.map(t => [t.type, t.name, t.mode || ''])"
)
MAP_IDLE_JS = """() => new Promise(resolve => {
    const map = document.querySelector('#map .js-plotly-plot')._fullLayout.map._subplot.map;
    if (map.loaded() && !map.isMoving()) resolve(true); else map.once('idle', () => resolve(true));
})"""
MAP_READY_JS = """() => {
    const gd = document.querySelector('#map .js-plotly-plot');
    return !!(gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot);
}"""

pytestmark = pytest.mark.browser


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_http(url, server, log, timeout=90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gridgov serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:  # the login page: the server is up
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"gridgov serve did not answer within {timeout:.0f} s:\n{log.read_text()}")


@contextlib.contextmanager
def serving(settings, tmp_path, **env_extra):
    """`python -m gridgov serve` on a free port against the test cluster's demo database."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["GRIDGOV_DATA_DIR"] = str(settings.data_dir)
    env.update(env_extra)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gridgov", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_http(url + "login", proc, log)
        yield url, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def server(settings, demo, accounts, tmp_path):
    with serving(settings, tmp_path) as running:
        yield running


def sign_in(page, url, account, *, then=""):
    """Log in through the real login form, landing on ``url + then``."""
    page.goto(f"{url}login?next=/{then}")
    page.fill("#username", account[0])
    page.fill("#password", account[1])
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login" not in page.url, page.inner_text("body")


def _host(url):
    """The host a request goes to; a blob: URL belongs to the origin inside it."""
    parts = urlsplit(url)
    if parts.scheme == "blob":
        return urlsplit(parts.path).hostname
    if parts.scheme == "data":
        return "127.0.0.1"
    return parts.hostname


def save_screenshot(page, name="dashboard-1920x1080.png", *, readme="screenshot.png"):
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n", encoding="utf-8")
    shot = ARTIFACTS / name
    page.screenshot(path=str(shot))
    if os.environ.get("UPDATE_README_SCREENSHOT"):  # a test run leaves the work tree clean otherwise
        shutil.copyfile(shot, ROOT / "docs" / readme)
    return shot


def _wait_for_map(page, console, log):
    try:
        page.wait_for_selector("#map .maplibregl-canvas", timeout=60_000)
        page.wait_for_function(MAP_READY_JS, timeout=60_000)
        page.evaluate(MAP_IDLE_JS)
    except PlaywrightError as exc:
        body = page.evaluate("() => document.body.innerHTML.slice(0, 3000)")
        server_log = log.read_text(errors="replace")[-3000:]
        pytest.fail(f"the map did not render: {exc}\nconsole: {console}\npage: {body}\nserver: {server_log}")


def test_the_dashboard_renders_pingcheng_offline_without_errors(server, accounts):
    url, log = server
    requests, problems, console = [], [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
        sign_in(page, url, accounts["planner"], then="map")
        _wait_for_map(page, console, log)

        assert page.title() == "平城区网格治理"
        assert "平城区网格治理" in page.inner_text("header")
        assert "合成" in page.inner_text("#demo-note") and "真实" in page.inner_text("#demo-note")
        traces = page.evaluate(TRACES_JS)
        street_traces = [t for t in traces if t[1] == "街道"]
        assert {t[0] for t in traces} <= {"scattermap", "densitymap", "choroplethmap"}
        assert ["scattermap", "街道", "lines"] in street_traces and ["densitymap", "事件密度", ""] in traces
        assert (
            page.evaluate(
                "() => document.querySelector('#map .js-plotly-plot')._fullData.find("
                "t => t.name === '街道' && t.mode.includes('text')).text.length"
            )
            == 18
        )
        save_screenshot(page)

        with page.expect_response(lambda r: "_dash-update-component" in r.url):
            page.get_by_text("楼栋", exact=True).click()
        page.wait_for_function(
            "() => document.querySelector('#map .js-plotly-plot')._fullData.some(t => t.name === '楼栋')",
            timeout=30_000,
        )
        page.evaluate(MAP_IDLE_JS)
        assert [t[1] for t in page.evaluate(TRACES_JS)][:2] == ["事件密度", "楼栋"]
        browser.close()

    assert requests and not problems, problems
    foreign = sorted({url for url in requests if _host(url) not in LOCAL_HOSTS})
    assert not foreign, foreign
