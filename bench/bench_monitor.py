"""Wall-screen benchmark with 1,000,000 incidents: page data, callbacks, payloads, browser.

Run on demand (never in the test suite):  .venv/bin/python -m bench.bench_monitor [--rows 1000000]

Uses its own database, ``gridgov_bench_monitor`` (demo district plus ``--rows`` generated
incidents over the past year with full lifecycles, made in SQL from the demo's buildings). Prints
server-side times (cold page data; p50/p95 of filter, drill-down and refresh callbacks through
Dash's HTTP interface), payload sizes, the time until the page is interactive in headless
Chromium, and the ratio against a naive map that ships every incident in the window as a point.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

import plotly.graph_objects as go
import sqlalchemy as sa

from bench.bench_ingest import bench_engine
from dashboard.app import create_app
from dashboard.callback_request import PATH, callback_body
from dashboard.identity import IdentityCache
from dashboard.monitor import layout as L
from dashboard.monitor import page as monitor_page
from dashboard.monitor.callbacks import UPDATE_OUTPUTS
from dashboard.monitor.views import MonitorCache
from geo import partitions
from geo.district_names import DistrictNames
from geo.settings import Settings
from geo.vocabulary import Vocabulary
from layers.kpis import KPIS
from tests.auth import client_for, ensure_account
from tests.test_browser import sign_in

DB = "gridgov_bench_monitor"
# the wall screen's map fitted to the district (dashboard/assets/mapfit.js), then done drawing
_MAP = "document.querySelector('#m-map .js-plotly-plot')?._fullLayout?.map?._subplot?.map"
_FITTED = "() => !!document.querySelector('#m-map .js-plotly-plot')?._gridgovFit"
_IDLE = f"() => {{ const map = {_MAP}; return !!map && map.loaded() && !map.isMoving(); }}"
SOURCE = "bench-monitor"
# a year of incidents at buildings weighted by residents, with lifecycles and SLA-like deadlines
_FILL = """
INSERT INTO incident (source, source_id, category, reported_at, registered_at, dispatched_at, handled_at,
                      closed_at, deadline_at, rework_count, street_id, community_id, grid_id, geom)
SELECT :src, 'M' || n, (ARRAY['environment','advertising','construction','emergency','street_order','property',
        'safety','dispute','help','other'])[1 + (n * 7919) % 10],
       t, t + interval '20 minutes', t + interval '1 hour',
       CASE WHEN t + (n % 97 + 1) * interval '1 hour' < now() THEN t + (n % 97 + 1) * interval '1 hour' END,
       CASE WHEN t + (n % 97 + 6) * interval '1 hour' < now() AND n % 41 <> 0
            THEN t + (n % 97 + 6) * interval '1 hour' END,
       t + (24 + (n % 5) * 24) * interval '1 hour', (n % 29 = 0)::int,
       b.street_id, b.community_id, b.grid_id, ST_PointOnSurface(b.geom)
FROM (SELECT n, now() - (n % 525600) * interval '1 minute' - (n % 13) * interval '1 second' AS t,
             1 + (n * 104729) % :buildings AS bn FROM generate_series(1::bigint, :rows) n) g
JOIN (SELECT row_number() OVER (ORDER BY b.id) AS bn, b.geom, b.grid_id, g.community_id, c.street_id
      FROM building b JOIN grid g ON g.id = b.grid_id JOIN community c ON c.id = g.community_id) b USING (bn)
ORDER BY g.t  -- stored in the order they arrive, as ingest jobs do
"""


def fill(engine: sa.engine.Engine, rows: int) -> None:
    with engine.connect() as conn:
        have = conn.execute(
            sa.text("SELECT count(*) FROM incident WHERE source = :s"), {"s": SOURCE}
        ).scalar_one()
    if have == rows:
        return
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM incident WHERE source = :s"), {"s": SOURCE})
        partitions.ensure(conn, SOURCE)
        buildings = conn.execute(sa.text("SELECT count(*) FROM building")).scalar_one()
        conn.execute(sa.text(_FILL), {"src": SOURCE, "rows": rows, "buildings": buildings})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE incident"))
    print(f"generated {rows:,} incidents in {time.perf_counter() - started:.0f} s")


def _post(client, outputs, inputs, state, changed):
    body = callback_body(outputs, inputs, state, changed=changed)
    started = time.perf_counter()
    response = client.post(PATH, json=body)
    return time.perf_counter() - started, response


def update(client, *, drill, view, hashes, mode="heat", cats=(), window=30):
    inputs = [
        (L.DRILL, "data", drill), (L.WINDOW, "value", window), (L.CATEGORY, "value", list(cats)),
        (L.SOURCE, "value", []), (L.STATUS, "value", []), (L.MODE, "value", mode), (L.REFRESH, "n_intervals", 1),
        (L.CHANGES, "data", ""),
    ]  # fmt: skip
    state = [
        (L.LANG, "data", "zh"),
        (L.HASHES, "data", hashes),
        (L.VIEW, "data", view),
        (L.SEEN, "data", None),
        (L.CASE.point, "data", None),
        (L.SHOWN, "data", None),
    ]
    seconds, response = _post(client, UPDATE_OUTPUTS, inputs, state, f"{L.REFRESH}.n_intervals")
    assert response.status_code == 200, response.text[:500]
    return seconds, len(response.data), response.get_json()["response"]


def _stats(name: str, samples: list[tuple[float, int]]) -> None:
    times = sorted(s for s, _ in samples)
    p95 = times[max(0, round(0.95 * len(times)) - 1)]
    size = max(b for _, b in samples)
    print(
        f"  {name}: p50 {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, payload ≤ {size / 1024:.0f} KB"
    )


def callbacks(engine: sa.engine.Engine, repeats: int) -> None:
    app = create_app(Settings.from_env(), engine)
    client = client_for(app.server, ensure_account(engine, "bench", "admin"))  # every route needs a login
    district = {"level": "district", "id": None}
    with engine.connect() as conn:
        street = conn.execute(
            sa.text("SELECT id FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 1")
        ).scalar_one()
        community = conn.execute(
            sa.text("SELECT id FROM community WHERE street_id = :s LIMIT 1"), {"s": street}
        ).scalar_one()
    _, _, first = update(client, drill=district, view="", hashes={})
    view, hashes = first[L.VIEW]["data"], first[L.HASHES]["data"]
    cases = {
        "refresh, nothing changed": lambda: update(client, drill=district, view=view, hashes=hashes),
        "filter: one category (map patched)": lambda: update(client, drill=district, view=view, hashes=hashes, cats=["property"]),
        "window: 365 days": lambda: update(client, drill=district, view=view, hashes=hashes, window=365),
        "drill: a street": lambda: update(client, drill={"level": "street", "id": street}, view=view, hashes=hashes),
        "drill: a community": lambda: update(client, drill={"level": "community", "id": community}, view=view, hashes=hashes),
        "map: hotspots (Gi*)": lambda: update(client, drill=district, view=view, hashes=hashes, mode="hotspot"),
    }  # fmt: skip
    print(f"callbacks, server side ({repeats} runs each):")
    for name, call in cases.items():
        _stats(name, [call()[:2] for _ in range(repeats)])


def cold_page(engine: sa.engine.Engine) -> float:
    started = time.perf_counter()
    settings = Settings.from_env()
    vocabulary = Vocabulary.from_file(settings.district_file)
    identity = IdentityCache(engine, DistrictNames.from_file(settings.district_file)).get()
    component = monitor_page.build(
        engine, settings, MonitorCache(), query={}, vocabulary=vocabulary, identity=identity
    )
    payload = len(json.dumps(component.to_plotly_json(), cls=__import__("plotly").utils.PlotlyJSONEncoder))
    seconds = time.perf_counter() - started
    warm = MonitorCache()
    with engine.connect() as conn:
        warm.weights(conn)
        warm.facts(conn)
    started = time.perf_counter()
    monitor_page.build(engine, settings, warm, query={}, vocabulary=vocabulary, identity=identity)
    print(
        f"page data for a page load: {(time.perf_counter() - started) * 1000:.0f} ms in a running (warmed) server; "
        f"{seconds * 1000:.0f} ms in a new process (loads the incident facts and grid weights first); page JSON {payload / 1024:.0f} KB"
    )
    return seconds


def naive(engine: sa.engine.Engine) -> None:
    """What a first version would do: every incident of the window to the browser as a point."""
    started = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT ST_X(geom), ST_Y(geom), category FROM incident WHERE reported_at >= now() - interval '30 days'"
        )).all()  # fmt: skip
    fig = go.Figure(
        go.Scattermap(
            lon=[r[0] for r in rows], lat=[r[1] for r in rows], text=[r[2] for r in rows], mode="markers"
        )
    )
    size = len(fig.to_json())
    print(
        f"naive map (every incident of 30 days as a point): {len(rows):,} points, {(time.perf_counter() - started) * 1000:.0f} ms, {size / 1024:.0f} KB"
    )


def browser(engine: sa.engine.Engine) -> None:
    """`gridgov serve` on this database; time until headless Chromium shows the map, idle."""
    from playwright.sync_api import sync_playwright

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    env = {**os.environ, "DATABASE_URL": url}
    server = subprocess.Popen([sys.executable, "-m", "gridgov", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
            )
            page = chromium.new_context(viewport={"width": 1920, "height": 1080}).new_page()
            sign_in(page, f"http://127.0.0.1:{port}/", ensure_account(engine, "bench", "admin"))
            for attempt in ("first", "second"):
                started = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}/monitor")
                page.wait_for_selector("#m-map .maplibregl-canvas", timeout=60_000)
                page.wait_for_function(
                    f"() => document.querySelectorAll('.kpi-value').length === {len(KPIS)}"
                )
                interactive = time.perf_counter() - started
                page.wait_for_function(_FITTED, timeout=60_000)
                fitted = time.perf_counter() - started
                page.wait_for_function(_IDLE, timeout=60_000)
                print(
                    f"headless Chromium at 1920×1080, {attempt} load: tiles and map shown {interactive:.2f} s,"
                    f" map fitted {fitted:.2f} s, map idle {time.perf_counter() - started:.2f} s"
                )
            chromium.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    engine = bench_engine(DB)
    fill(engine, args.rows)
    with engine.connect() as conn:
        print(
            f"incidents in the database: {conn.execute(sa.text('SELECT count(*) FROM incident')).scalar_one():,}"
        )
    cold_page(engine)
    callbacks(engine, args.repeats)
    naive(engine)
    browser(engine)


if __name__ == "__main__":
    main()
