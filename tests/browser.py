"""Helpers for the browser tests: the real `gridgov serve` on a free port, headless Chromium's
path and flags, logging in through the real form, waiting for the map, screenshots."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from dashboard.server import LISTENING

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
# polled, not a promise on the map's 'idle' event: a new figure can replace the map before it fires
MAP_IDLE_JS = """sel => {
    const gd = [...document.querySelectorAll((sel || '') + ' .js-plotly-plot')].find(g => g._fullLayout && g._fullLayout.map);
    const map = gd && gd._fullLayout.map._subplot && gd._fullLayout.map._subplot.map;
    return !!map && map.loaded() && !map.isMoving();
}"""
MAP_READY_JS = """() => {
    const gd = document.querySelector('#map .js-plotly-plot');
    return !!(gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot);
}"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


READY = LISTENING.encode()  # a worker's socket is bound: requests queue for it
START_LIMIT = 90.0


def _copy_lines(pipe, log: Path, ready: threading.Event) -> None:
    """Copy the server's output into ``log`` line by line; set ``ready`` when it says it listens
    (or when it ends, so the waiter looks at why)."""
    with pipe, log.open("wb") as out:
        for line in pipe:
            out.write(line)
            out.flush()
            if READY in line:
                ready.set()
    ready.set()


def _wait_until_serving(url, server, log, ready: threading.Event):
    """Wait for the server to report its socket bound, then for its first answer (one request,
    which waits for a worker): no polling."""
    if not ready.wait(START_LIMIT) or server.poll() is not None:
        pytest.fail(f"gridgov serve did not start listening (exit {server.poll()}):\n{log.read_text()}")
    with urllib.request.urlopen(url, timeout=START_LIMIT) as response:
        assert response.status == 200, log.read_text()


@contextlib.contextmanager
def serving(settings, tmp_path, **env_extra):
    """`python -m gridgov serve` on a free port against the test cluster's demo database."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["GRIDGOV_DATA_DIR"] = str(settings.data_dir)
    # the wall screen's change counter polls only in the tests about it (test_browser_live.py):
    # elsewhere a poll in flight when a test navigates away would be aborted (a failed request)
    env["GRIDGOV_CHANGE_POLL_SECONDS"] = "3600"
    env.update(env_extra)
    url = f"http://127.0.0.1:{port}/"
    with started_server(env, port=port, log=tmp_path / "serve.log"):
        yield url, tmp_path / "serve.log"


@contextlib.contextmanager
def started_server(env, *, port: int, log: Path, new_session: bool = False):
    """`python -m gridgov serve --port PORT` with ``env``, its output copied into ``log``; yields
    the process once it answers. Stopped on the way out if the caller has not stopped it (in a
    process group of its own with ``new_session``, so a kill reaches its workers)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridgov", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=new_session,
    )
    ready = threading.Event()
    copier = threading.Thread(target=_copy_lines, args=(proc.stdout, log, ready), daemon=True)
    copier.start()
    try:
        _wait_until_serving(f"http://127.0.0.1:{port}/login", proc, log, ready)
        yield proc
    finally:
        if proc.poll() is None and new_session:
            os.killpg(proc.pid, signal.SIGTERM)
        elif proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        copier.join(timeout=30)


def collect_problems(page, problems: list[str]) -> None:
    """Keep the page's console errors and uncaught exceptions in ``problems``."""
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))


def pages_at(pw, sizes, problems: list[str], *, locale="zh-CN"):
    """A fresh page (own context, own cookies) per viewport size in ``sizes``, in one headless
    Chromium: yields (width, height, page), its console problems collected in ``problems``."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        for width, height in sizes:
            context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
            page = context.new_page()
            collect_problems(page, problems)
            yield width, height, page
            context.close()
    finally:
        browser.close()


@contextlib.contextmanager
def signed_in(server, account, *, then="", size=(1920, 1080)):
    """One page in headless Chromium at ``size``, signed in as ``account`` on ``server`` (URL,
    log) and landed on ``then``; its console must stay clean (checked on the way out)."""
    url, log = server
    problems: list[str] = []
    with sync_playwright() as pw:
        for _width, _height, page in pages_at(pw, (size,), problems):
            sign_in(page, url, account, then=then)
            yield page
    assert not problems, (problems, log.read_text()[-2000:])


def sign_in(page, url, account, *, then=""):
    """Log in through the real login form, landing on ``url + then``."""
    page.goto(f"{url}login?next=/{then}")
    page.fill("#username", account[0])
    page.fill("#password", account[1])
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login" not in page.url, page.inner_text("body")


def host(url):
    """The host a request goes to; a blob: URL belongs to the origin inside it."""
    parts = urlsplit(url)
    if parts.scheme == "blob":
        return urlsplit(parts.path).hostname
    if parts.scheme == "data":
        return "127.0.0.1"
    return parts.hostname


def save_screenshot(page, name="dashboard-1920x1080.png", *, readme: str | None = None):
    """The page as shown, in tests/artifacts/``name``; with UPDATE_README_SCREENSHOT set, also
    docs/``readme`` when the README shows that picture (a test run leaves the tree clean otherwise)."""
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n", encoding="utf-8")
    shot = ARTIFACTS / name
    page.screenshot(path=str(shot))
    shown = readme and f"(docs/{readme})" in (ROOT / "README.md").read_text(encoding="utf-8")
    if os.environ.get("UPDATE_README_SCREENSHOT") and shown:
        shutil.copyfile(shot, ROOT / "docs" / str(readme))
    return shot


def wait_map_idle(page, selector=""):
    """Until the (first) map inside ``selector`` has drawn what it was given and stands still."""
    page.wait_for_function(MAP_IDLE_JS, arg=selector, timeout=60_000)


def wait_for_map(page, console, log):
    try:
        page.wait_for_selector("#map .maplibregl-canvas", timeout=60_000)
        page.wait_for_function(MAP_READY_JS, timeout=60_000)
        wait_map_idle(page, "#map")
    except PlaywrightError as exc:
        body = page.evaluate("() => document.body.innerHTML.slice(0, 3000)")
        server_log = log.read_text(errors="replace")[-3000:]
        pytest.fail(f"the map did not render: {exc}\nconsole: {console}\npage: {body}\nserver: {server_log}")
