"""Invariants of the Pingcheng demo district, checked with SQL on the loaded database."""

import csv
from pathlib import Path

from ingest.demo import load_demo
from tests.sql import all_rows, one

DIVISIONS = Path(__file__).resolve().parents[1] / "data" / "pingcheng_divisions.csv"


def _official(kind):
    with DIVISIONS.open(encoding="utf-8") as fh:
        return {(r["code"], r["name"]) for r in csv.DictReader(fh) if r["kind"] == kind}


def test_real_codes_and_names(demo):
    assert set(all_rows(demo, "SELECT code, name FROM street")) == _official("street")
    for kind, n in (("community", 155), ("village", 47)):
        got = set(all_rows(demo, "SELECT code, name FROM community WHERE kind = :k", k=kind))
        assert len(got) == n
        assert got == _official(kind)


def test_every_community_sits_in_the_street_its_code_says(demo):
    assert (
        one(
            demo,
            "SELECT count(*) FROM community c JOIN street s ON s.id = c.street_id "
            "WHERE left(c.code, 9) <> left(s.code, 9)",
        )
        == 0
    )


def test_grid_codes_are_15_digits_of_county_street_community_sequence(demo):
    bad = one(
        demo,
        """
        SELECT count(*) FROM grid g JOIN community c ON c.id = g.community_id JOIN street s ON s.id = c.street_id
        WHERE g.code !~ '^[0-9]{15}$' OR left(g.code, 6) <> '140213'
           OR substr(g.code, 7, 3) <> substr(s.code, 7, 3) OR substr(g.code, 10, 3) <> substr(c.code, 10, 3)""",
    )
    assert bad == 0


def test_streets_partition_the_district(demo):
    district = one(demo, "SELECT ST_Area(ST_Transform(geom, 4547)) FROM district")
    streets = one(demo, "SELECT sum(ST_Area(ST_Transform(geom, 4547))) FROM street")
    union = one(demo, "SELECT ST_Area(ST_Transform(ST_Union(geom), 4547)) FROM street")
    assert abs(district - streets) < 1.0 and abs(district - union) < 1.0
    assert 200e6 < district < 260e6  # Pingcheng is ~230 km²


def test_every_grid_lies_in_exactly_one_community(demo):
    counts = all_rows(
        demo,
        """
        SELECT g.id, count(c.id) FILTER (WHERE ST_Area(ST_Intersection(ST_Transform(g.geom, 4547),
                                                                         ST_Transform(c.geom, 4547))) > 1)
        FROM grid g JOIN community c ON ST_Intersects(g.geom, c.geom) GROUP BY g.id""",
    )
    assert len(counts) == one(demo, "SELECT count(*) FROM grid")
    assert {n for _, n in counts} == {1}
    assert (
        one(
            demo,
            "SELECT count(*) FROM grid g JOIN community c ON c.id = g.community_id "
            "WHERE NOT ST_CoveredBy(g.geom, c.geom)",
        )
        == 0
    )


def test_grids_tile_their_community_with_gaps_and_overlaps_under_1_m2(demo):
    rows = all_rows(
        demo,
        """
        WITH u AS (SELECT community_id, ST_Union(geom) AS geom, sum(ST_Area(ST_Transform(geom, 4547))) AS parts
                   FROM grid GROUP BY community_id)
        SELECT ST_Area(ST_Transform(ST_SymDifference(c.geom, u.geom), 4547)),
               u.parts - ST_Area(ST_Transform(u.geom, 4547))
        FROM community c JOIN u ON u.community_id = c.id""",
    )
    assert len(rows) == 202
    assert max(gap for gap, _ in rows) < 1.0
    assert max(overlap for _, overlap in rows) < 1.0


def test_grids_hold_a_few_hundred_households(demo):
    lo, median, hi = all_rows(
        demo,
        "SELECT min(households), percentile_cont(0.5) WITHIN GROUP (ORDER BY households), "
        "max(households) FROM grid WHERE households > 0",
    )[0]
    assert lo >= 50 and 200 <= median <= 400 and hi <= 500


def test_every_building_is_in_exactly_one_grid_and_it_is_its_grid(demo):
    rows = all_rows(
        demo,
        """
        SELECT b.id, count(g.id), bool_and(g.id = b.grid_id)
        FROM building b JOIN grid g ON ST_Within(b.geom, g.geom) GROUP BY b.id""",
    )
    assert len(rows) == one(demo, "SELECT count(*) FROM building") >= 20_000
    assert all(n == 1 and same for _, n, same in rows)


def test_grid_household_totals_match_their_buildings(demo):
    assert (
        one(
            demo,
            """
        SELECT count(*) FROM grid g LEFT JOIN (SELECT grid_id, sum(households) h FROM building GROUP BY 1) b
        ON b.grid_id = g.id WHERE g.households <> coalesce(b.h, 0)""",
        )
        == 0
    )


def test_incidents_are_many_inside_the_district_and_in_their_grid(demo):
    assert one(demo, "SELECT count(*) FROM incident") >= 50_000
    assert one(demo, "SELECT count(*) FROM incident i, district d WHERE NOT ST_Within(i.geom, d.geom)") == 0
    assert (
        one(
            demo,
            "SELECT count(*) FROM incident i JOIN grid g ON g.id = i.grid_id "
            "WHERE NOT ST_Within(i.geom, g.geom)",
        )
        == 0
    )


def test_incidents_have_lifecycles_rhythm_and_overdue_work(demo):
    span = one(demo, "SELECT max(reported_at) - min(reported_at) FROM incident")
    assert span.days >= 700
    statuses = dict(all_rows(demo, "SELECT status, count(*) FROM incident GROUP BY 1"))
    assert statuses["closed"] > 40_000 and statuses.get("dispatched", 0) > 0
    assert one(demo, "SELECT count(*) FROM incident WHERE closed_at IS NULL AND deadline_at < now()") > 0
    weekday, weekend = all_rows(
        demo,
        """
        SELECT (avg(n) FILTER (WHERE dow BETWEEN 1 AND 5))::float8, (avg(n) FILTER (WHERE dow IN (0, 6)))::float8
        FROM (SELECT extract(dow FROM reported_at AT TIME ZONE 'Asia/Shanghai') dow,
                     date(reported_at AT TIME ZONE 'Asia/Shanghai') d, count(*) n FROM incident
              WHERE source IN ('12345', 'mailbox', 'miniprogram', 'grid_worker')  -- not other tests' rows
              GROUP BY 1, 2) x""",
    )[0]
    assert weekday > 1.2 * weekend
    assert one(demo, "SELECT count(DISTINCT category) FROM incident") >= 8
    assert (
        one(demo, "SELECT count(*) FROM incident WHERE registered_at < reported_at OR closed_at < handled_at")
        == 0
    )


def test_mini_program_reports_keep_their_gcj02_coordinates(demo):
    rows = all_rows(
        demo, "SELECT raw_x, raw_y, ST_X(geom), ST_Y(geom) FROM incident WHERE raw_crs = 'gcj02' LIMIT 500"
    )
    from geo.crs import gcj02_to_wgs84

    lon, lat = gcj02_to_wgs84([r[0] for r in rows], [r[1] for r in rows])
    assert max(abs(lon - [r[2] for r in rows])) < 1e-5 and max(abs(lat - [r[3] for r in rows])) < 1e-5


def test_the_employment_points_are_one_per_listed_unit_and_none_invented(demo):
    """Seed 004: a point in each of 18 streets, 155 communities and 48 villages (221); the 2023
    code list has 47 villages, so the demo has 220, each in its own unit, and no other."""
    levels = dict(
        all_rows(demo, "SELECT level, count(*) FROM service_point WHERE kind = 'employment' GROUP BY 1")
    )
    units = dict(all_rows(demo, "SELECT kind, count(*) FROM community WHERE valid_to IS NULL GROUP BY 1"))
    streets = one(demo, "SELECT count(*) FROM street WHERE valid_to IS NULL")
    assert levels == {"street": streets, "community": units["community"], "village": units["village"]}
    assert (streets, units["community"], units["village"]) == (18, 155, 47)
    own = one(
        demo,
        "SELECT count(DISTINCT community_id) FROM service_point WHERE kind = 'employment' AND level <> 'street'",
    )
    assert own == units["community"] + units["village"]  # one in each, none twice
    assert one(demo, "SELECT count(DISTINCT kind) FROM service_point") >= 5


def test_inspection_targets_of_every_kind_with_past_findings(demo):
    from geo.inspection_kinds import INSPECTION_KINDS

    kinds = set(all_rows(demo, "SELECT DISTINCT kind FROM inspection_target"))
    assert {k for (k,) in kinds} == set(INSPECTION_KINDS)
    assert (
        one(demo, "SELECT count(*) FROM inspection WHERE NOT passed AND jsonb_array_length(findings) > 0")
        > 100
    )


def test_road_network_is_one_connected_walkable_graph(demo):
    nodes = one(
        demo,
        "SELECT count(DISTINCT n) FROM (SELECT source_node n FROM road_segment UNION SELECT target_node FROM road_segment) x",
    )
    components = one(
        demo,
        "SELECT count(DISTINCT component) FROM pgr_connectedComponents("
        "'SELECT id, source_node AS source, target_node AS target, length_m AS cost, length_m AS reverse_cost FROM road_segment')",
    )
    assert nodes > 20_000 and components == 1


def test_loading_twice_adds_nothing(demo):
    before = one(demo, "SELECT count(*) FROM incident") + one(demo, "SELECT count(*) FROM building")
    message = load_demo(demo)
    assert "already loaded" in message
    assert one(demo, "SELECT count(*) FROM incident") + one(demo, "SELECT count(*) FROM building") == before
    assert one(demo, "SELECT count(*) FROM ingest_run WHERE kind = 'demo'") == 1


def test_recent_hotline_cases_carry_their_lifecycle_steps(demo):
    """The 12345 cases of the last 90 days come with 派遣/签收/办结/回访/结案 steps: all loaded,
    adding signed_at, department and the callback, and agreeing with the times the file gave."""
    run = all_rows(demo, "SELECT n_read, n_quarantined FROM ingest_run WHERE kind = 'incident-events'")
    assert len(run) == 1 and run[0][0] > 5_000 and run[0][1] == 0
    assert one(demo, "SELECT count(DISTINCT incident_id) FROM incident_event") > 1_000
    assert one(demo, "SELECT count(*) FROM incident WHERE signed_at IS NOT NULL AND source <> '12345'") == 0
    assert one(demo, "SELECT count(DISTINCT department) FROM incident WHERE department IS NOT NULL") >= 5
    assert one(demo, "SELECT count(*) FROM incident WHERE satisfaction IS NOT NULL") > 1_000
    handled = """SELECT count(*) FROM incident i JOIN incident_event e ON e.incident_id = i.id
                 AND e.incident_source = i.source AND e.kind = 'handled' WHERE e.at <> i.handled_at"""
    assert one(demo, handled) == 0
