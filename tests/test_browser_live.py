"""An open wall screen shows an incident POSTed to the intake API meanwhile, without a page
reload, in real Chromium.

The server runs on a private copy of the demo (the test writes) with the periodic refresh an
hour away, so only the change counter (polled every second here) can bring the incident in. The
incident goes in as a 12345 platform sends it: ``POST /api/v1/incidents`` with the source's key,
at a building with no recent incident near it (so it is not linked as a probable duplicate).
The test waits on what the page reports: the new incident's item appearing, flashing, in the
live list, a mark on the map where it was reported, and the page being the same document it
loaded (a marker set on ``window`` survives).
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import sync_playwright
from sqlalchemy.engine import Engine

from tests.api_client import new_key
from tests.auth import make_account
from tests.browser import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, serving, sign_in
from tests.browser import host as _host
from tests.databases import demo_copy

pytestmark = pytest.mark.browser
_QUIET_PLACE = """
SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM building ORDER BY id) b
WHERE NOT EXISTS (SELECT FROM incident i WHERE i.reported_at > now() - interval '3 days'
                  AND ST_DWithin(i.geom::geography, b.p::geography, 200))
LIMIT 1"""


def _post(url: str, key: str, item: dict[str, object]) -> dict[str, object]:
    body = json.dumps({"items": [item], "crs": "wgs84"}).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    request = urllib.request.Request(url + "api/v1/incidents", data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as answer:
        result: dict[str, object] = json.loads(answer.read())
        return result


@pytest.fixture
def live(cluster, demo_template) -> Iterator[Engine]:
    with demo_copy(cluster, demo_template) as engine:
        yield engine


def _web_env(engine: Engine) -> dict[str, str]:
    url = engine.url
    return {
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "GRIDGOV_WEB_DATABASE_URL": url.set(username="gridgov_app").render_as_string(hide_password=False),
        "GRIDGOV_CHANGE_POLL_SECONDS": "1",
        "GRIDGOV_REFRESH_SECONDS": "3600",
    }


NEW_MARKS = """() => {
    const t = document.querySelector('#m-map .js-plotly-plot').data.find(d => d.name === 'new');
    return t.lon.map((x, i) => [x, t.lat[i]]);
}"""


def test_an_incident_posted_to_the_api_while_the_screen_is_open_appears_without_a_reload(
    settings, live, tmp_path
):
    account = make_account(live, "live_admin", "admin")
    marker = f"实时测试 {uuid.uuid4().hex[:8]}"
    requests, problems = [], []
    with serving(settings, tmp_path, **_web_env(live)) as (url, _log), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN").new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        sign_in(page, url, account, then="monitor")
        page.wait_for_selector("#m-latest li", timeout=60_000)
        assert marker not in page.inner_text("#m-latest")
        page.evaluate("() => { window.__sameDocument = true; }")

        with live.connect() as conn:
            lon, lat = conn.execute(sa.text(_QUIET_PLACE)).one()
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        item = {"source_id": f"LIVE-{marker[-8:]}", "category": "环境卫生", "description": marker, "reported_at": now, "lon": lon, "lat": lat}  # fmt: skip
        answer = _post(url, new_key(live, "live-feed"), item)
        assert [i["outcome"] for i in answer["items"]] == ["inserted"], answer  # type: ignore[union-attr]

        shown = page.wait_for_selector(f"#m-latest li.flash:has-text('{marker}')", timeout=30_000)
        assert shown is not None
        page.wait_for_function(f"() => ({NEW_MARKS})().length > 0", timeout=30_000)
        marked = page.evaluate(NEW_MARKS)  # and marked on the map, where it was reported
        assert len(marked) == 1 and marked[0] == pytest.approx([lon, lat], abs=1e-5), marked
        assert page.evaluate("() => window.__sameDocument === true")  # no reload happened
        browser.close()
    assert requests and not problems, problems
    foreign = sorted({u for u in requests if _host(u) not in LOCAL_HOSTS})
    assert not foreign, foreign
