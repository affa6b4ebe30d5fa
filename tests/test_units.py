"""The district's current units (layers/units.py), checked against SQL written here on the demo:
code order, a street's communities and a community's grids, an id filter, retired units left out
(a street retired inside a transaction that is rolled back), grids named by number and worker."""

from __future__ import annotations

import sqlalchemy as sa

from layers.units import current_units, unit_names
from tests.sql import all_rows


def test_current_units_are_the_current_rows_in_code_order(demo):
    streets = all_rows(demo, "SELECT id, code, name FROM street WHERE valid_to IS NULL ORDER BY code, id")
    with demo.connect() as conn:
        shown = current_units(conn, "street")
        assert [(u.unit_id, u.code, u.name) for u in shown] == [tuple(r) for r in streets]
        assert unit_names(conn, "street") == {r[0]: r[2] for r in streets}
        two = {streets[0][0], streets[-1][0], -1}  # an id that is no street is no unit
        assert [u.unit_id for u in current_units(conn, "street", among=two)] == [
            streets[0][0],
            streets[-1][0],
        ]
        assert current_units(conn, "street", among=()) == []


def test_within_a_unit_and_grids_named_by_number_and_worker(demo):
    street = all_rows(demo, "SELECT id FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 1")[0][0]
    mine = all_rows(
        demo, "SELECT id FROM community WHERE valid_to IS NULL AND street_id = :s ORDER BY code, id", s=street
    )
    grids = all_rows(
        demo,
        "SELECT g.id, g.code, g.worker_name FROM grid g JOIN community c ON c.id = g.community_id "
        "WHERE g.valid_to IS NULL AND c.street_id = :s ORDER BY g.code, g.id LIMIT 1",
        s=street,
    )
    with demo.connect() as conn:
        assert [u.unit_id for u in current_units(conn, "community", within=street)] == [r[0] for r in mine]
        grid_id, code, worker = grids[0]
        community = all_rows(demo, "SELECT community_id FROM grid WHERE id = :g", g=grid_id)[0][0]
        named = {u.unit_id: u.name for u in current_units(conn, "grid", within=community)}
    expected = (code[-3:] if len(code) == 15 and code.isdigit() else code) + (f" · {worker.strip()}" if worker and worker.strip() else "")  # fmt: skip
    assert named[grid_id] == expected


def test_a_retired_unit_is_not_current(demo):
    with demo.connect() as conn:
        trans = conn.begin()
        try:
            before = current_units(conn, "street")
            gone = before[0].unit_id
            conn.execute(sa.text("UPDATE street SET valid_to = now() WHERE id = :s"), {"s": gone})
            assert [u.unit_id for u in current_units(conn, "street")] == [u.unit_id for u in before[1:]]
            assert gone not in unit_names(conn, "street")
        finally:
            trans.rollback()


def test_a_units_own_outline_holds_the_unit_and_none_for_the_district_or_a_unit_gone(demo):
    from shapely.geometry import Point, shape

    from layers.drill import Drill, outline_of

    street, x, y = all_rows(
        demo, "SELECT id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 1"
    )[0]  # fmt: skip
    with demo.connect() as conn:
        own = outline_of(conn, Drill("street", street), tolerance_m=2.0)
        assert own is not None and own.unit_id == street
        assert shape(own.geometry).buffer(1e-5).contains(Point(x, y)) and shape(own.geometry).contains(
            Point(own.lon, own.lat)
        )
        assert outline_of(conn, Drill()) is None and outline_of(conn, Drill("street", -1)) is None
