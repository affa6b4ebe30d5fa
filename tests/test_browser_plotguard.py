"""A graph purged while Plotly still draws it (dashboard/assets/plotguard.js), in headless
Chromium on the real wall screen's map figure: the purge waits for the draw, the page raises
nothing, and the draw's promise does not go on to work on a graph that is gone. Without the guard
a map purged under its draw throws from Plotly's map code (a page left while its map loads)."""

from __future__ import annotations

import pytest

from tests.browser import signed_in, wait_map_idle

pytestmark = pytest.mark.browser

# a page's race: a div of the map's size on the page, and the errors the page raises meanwhile
RACE = """
    const src = document.querySelector('#m-map .js-plotly-plot');
    const race = window.gridgovRace = {errors: [], settled: false};
    const keep = e => race.errors.push(String(e.reason || e.message));
    window.addEventListener('unhandledrejection', keep);
    window.addEventListener('error', keep);
    race.div = document.createElement('div');
    race.div.style.cssText = 'width:600px;height:400px;position:fixed;left:0;top:0';
    document.body.appendChild(race.div);
"""
# a copy of the wall screen's map drawn in full, then drawn again (``how``) and purged at once
START = (
    """async how => {"""
    + RACE
    + """    await Plotly.newPlot(race.div, src.data, src.layout);
    const drawing = how === 'react'
        ? Plotly.react(race.div, {data: src.data, layout: {...src.layout, map: {...src.layout.map, zoom: 12}}})
        : Plotly.restyle(race.div, {'marker.size': 12}, [3]);
    drawing.then(() => { race.settled = true; }, () => { race.settled = true; });
    Plotly.purge(race.div);
    return race.div._fullLayout !== undefined;  // still drawn: the purge waits
}"""
)
PURGED = "() => window.gridgovRace.div._fullLayout === undefined && !window.gridgovRace.div.data"
# another map drawn in full and idle: the first one's map work has run by then
ANOTHER = """async () => {
    const src = document.querySelector('#m-map .js-plotly-plot'), div = document.createElement('div');
    div.style.cssText = 'width:600px;height:400px;position:fixed;left:0;top:0';
    document.body.appendChild(div);
    await Plotly.newPlot(div, src.data, src.layout);
    const map = div._fullLayout.map._subplot.map;
    await new Promise(done => { const idle = () => map.loaded() && !map.isMoving() ? done() : setTimeout(idle, 50); idle(); });
    await Plotly.purge(div);
    div.remove();
    window.gridgovRace.div.remove();
    return {errors: window.gridgovRace.errors, settled: window.gridgovRace.settled};
}"""


def test_a_map_purged_while_it_draws_is_purged_after_the_draw_and_raises_nothing(demo_server, accounts):
    with signed_in(demo_server, accounts["admin"], then="monitor") as page:
        wait_map_idle(page, "#m-map")
        assert page.evaluate("() => !!window.Plotly._gridgovGuarded")
        for how in ("react", "restyle"):  # a new figure, and the wall screen's pulse
            assert page.evaluate(START, how), f"{how}: the purge did not wait for the draw"
            page.wait_for_function(PURGED, timeout=60_000)
            assert page.evaluate(ANOTHER) == {"errors": [], "settled": False}, how


# a copy of the map whose first draw is still running when it is taken off the page unpurged (as
# dcc.Graph leaves a graph that has not plotted yet), with a next figure queued behind that draw
# reaching for the graph's element as dcc.Graph does (its ref is null once unmounted)
UNMOUNTED = (
    """async () => {"""
    + RACE
    + """    let ref = race.div;
    Plotly.newPlot(race.div, src.data, src.layout).then(() => {
        race.settled = true;
        ref.classList.add('dash-graph--pending');
    });
    race.div.remove();
    ref = null;
    return race.div._fullLayout !== undefined;
}"""
)


def test_a_map_taken_off_the_page_during_its_first_draw_ends_with_it_and_raises_nothing(
    demo_server, accounts
):
    """The bar followed while a page's map still draws its first figure (a page error in 3 of 6
    runs before the guard): the draw ends, the graph is purged, and what was queued behind the
    draw never runs on the graph that is gone."""
    with signed_in(demo_server, accounts["admin"], then="monitor") as page:
        wait_map_idle(page, "#m-map")
        assert page.evaluate(UNMOUNTED), "the map was not drawing when taken off"
        page.wait_for_function(PURGED, timeout=60_000)
        assert page.evaluate(ANOTHER) == {"errors": [], "settled": False}
