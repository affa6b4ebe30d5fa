"""Building map figures from traces that a cache shares between requests (dashboard/figure.py,
dashboard/patching.py): the shared traces are never changed, so concurrent requests cannot meet
one half-built (plotly takes a trace's ``type`` out while it builds and then adopts the trace)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import plotly.graph_objects as go

from dashboard.figure import MapView, map_figure
from dashboard.patching import patch_layers


def _traces() -> list:
    return [
        go.Scattermap(lon=[113.3, 113.31], lat=[40.08, 40.09], mode="markers", name="points"),
        go.Choroplethmap(
            geojson={"type": "FeatureCollection", "features": []}, locations=[], z=[], name="areas"
        ),
    ]


def _unchanged(traces: list, before: list[dict]) -> bool:
    return all(t.parent is None and t.to_plotly_json() == b for t, b in zip(traces, before, strict=True))


def test_a_figure_leaves_the_shared_traces_as_they_were():
    traces = _traces()
    before = [t.to_plotly_json() for t in traces]
    figure = map_figure(traces, view=MapView(113.3, 40.08, zoom=11), tile_url=None, revision="d")
    assert [t.type for t in figure.data] == ["scattermap", "choroplethmap"]
    patch_layers([], ["a"], lambda _key: traces)
    assert _unchanged(traces, before)


def test_many_requests_build_figures_from_the_same_traces_at_once():
    traces = _traces()
    before = [t.to_plotly_json() for t in traces]
    view = MapView(113.3, 40.08, zoom=11)

    def build(_: int) -> list[str]:
        return [t.type for t in map_figure(traces, view=view, tile_url=None, revision="d").data]

    with ThreadPoolExecutor(max_workers=8) as pool:
        kinds = list(pool.map(build, range(400)))
    assert all(k == ["scattermap", "choroplethmap"] for k in kinds)
    assert _unchanged(traces, before)
