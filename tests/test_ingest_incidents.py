"""Ingesting incidents: every format, CRS and header style, against the real PostGIS.

The jobs run on ``ingest_demo``, a private copy of the demo: the shared one stays as loaded.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from geo.crs import metric_transformer
from geo.errors import InputError
from ingest.columns import parse_map_options
from ingest.job import JobOptions, run_file
from ingest.kinds import get_kind
from tests.ingest_files import HEADERS_EN, in_crs, incident_rows, sample_buildings, write

KIND = get_kind("incidents")


def ingest(engine, path, **options):
    return run_file(engine, kind=KIND, path=Path(path), options=JobOptions(**options))


def loaded(engine, source):
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT source_id, ST_X(geom), ST_Y(geom), grid_id, category, status FROM incident WHERE source = :s ORDER BY source_id"
            ),
            {"s": source},
        ).all()


def max_error_m(rows, truth):
    t = metric_transformer()
    got = np.array(t.transform([r[1] for r in rows], [r[2] for r in rows]))
    want = np.array(t.transform(truth.lon.to_numpy(), truth.lat.to_numpy()))
    return float(np.hypot(*(got - want)).max())


@pytest.fixture(scope="module")
def buildings(ingest_demo):
    return sample_buildings(ingest_demo, 40, seed=3)


@pytest.mark.parametrize(
    ("name", "system", "encoding"),
    [
        ("utf8.csv", "wgs84", "utf-8"),
        ("bom.csv", "gcj02", "utf-8-sig"),
        ("gbk.csv", "bd09", "gbk"),
        ("metres.csv", "EPSG:4547", "utf-8"),
        ("sheet.xlsx", "gcj02", None),
        ("points.geojson", "wgs84", None),
        ("points.gpkg", "EPSG:4547", None),
        ("shape.zip", "wgs84", None),
        ("points.parquet", "wgs84", None),
    ],
)
def test_every_format_and_crs_lands_on_the_right_spot(
    ingest_demo, buildings, tmp_path, name, system, encoding
):
    source = f"fmt-{name}"
    rows = incident_rows(buildings, prefix=source)
    path = write(in_crs(rows, system), tmp_path / name, encoding=encoding or "utf-8", system=system)
    vector = path.suffix not in (".csv", ".xlsx")
    result = ingest(ingest_demo, path, source=source, crs=None if vector else system)
    assert (result.read, result.inserted, result.quarantined) == (40, 40, 0)
    got = loaded(ingest_demo, source)
    assert max_error_m(got, buildings) < 0.01
    assert [r[3] for r in got] == buildings.grid_id.tolist()
    assert {r[4] for r in got} == {"environment", "property", "street_order", "safety"}
    assert {r[5] for r in got} == {"closed"}


def test_grid_assignment_matches_postgis(ingest_demo, buildings):
    with ingest_demo.connect() as conn:
        wrong = conn.execute(
            sa.text(
                "SELECT count(*) FROM incident i JOIN grid g ON g.id = i.grid_id "
                "WHERE i.source LIKE 'fmt-%' AND NOT ST_Intersects(g.geom, i.geom)"
            )
        ).scalar_one()
        unassigned = conn.execute(
            sa.text("SELECT count(*) FROM incident WHERE source LIKE 'fmt-%' AND grid_id IS NULL")
        ).scalar_one()
    assert wrong == 0 and unassigned == 0


def test_english_headers_and_a_user_mapping(ingest_demo, buildings, tmp_path):
    rows = incident_rows(buildings, prefix="en")
    english = write(rows, tmp_path / "en.csv", headers=HEADERS_EN)
    assert ingest(ingest_demo, english, source="en", crs="wgs84").inserted == 40
    odd = write(
        rows, tmp_path / "odd.csv", headers={**HEADERS_EN, "source_id": "单号", "reported_at": "时间"}
    )
    with pytest.raises(InputError, match="工单编号"):
        ingest(ingest_demo, odd, source="odd", crs="wgs84")
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\n"时间" = "reported_at"\n', encoding="utf-8")
    given = parse_map_options(["单号=source_id"], mapping)
    result = ingest(ingest_demo, odd, source="odd", crs="wgs84", mapping=given)
    assert result.inserted == 40
    assert "单号 → source_id (given)" in result.columns.describe()


def test_messy_file_loses_nothing_and_reruns_insert_nothing(ingest_demo, buildings, tmp_path):
    rows = incident_rows(buildings, prefix="messy")
    rows.loc[1, "reported_at"] = "yesterday"  # unparseable date
    rows.loc[2, "lon"], rows.loc[2, "lat"] = 113.9, 40.5  # far outside the district
    rows.loc[3, "source_id"] = rows.loc[4, "source_id"]  # the same ticket twice
    rows.loc[5, "source_id"] = ""  # no ticket number
    rows.loc[6, "closed_at"] = "2020-01-01 00:00"  # closed before it was reported
    rows.loc[7, ["lon", "lat"]] = rows.loc[7, ["lat", "lon"]].to_numpy().copy()  # swapped: fixed, not lost
    path = write(rows, tmp_path / "messy.csv")
    first = ingest(ingest_demo, path, source="messy", crs="wgs84")
    assert first.read == first.inserted + first.updated + first.unchanged + first.quarantined == 40
    assert first.quarantined == 5 and first.inserted == 35
    assert first.notes["swapped longitude/latitude fixed"] == 1
    with ingest_demo.connect() as conn:
        reasons = dict(
            conn.execute(
                sa.text("SELECT row_number, reason FROM quarantine WHERE run_id = :r"), {"r": first.run_id}
            ).all()
        )
    assert set(reasons) == {3, 4, 6, 7, 8}  # file lines (header is line 1)
    assert "yesterday" in reasons[3] and "outside the district by" in reasons[4]
    assert "row 5" in reasons[6] and "missing source_id" in reasons[7] and "before" in reasons[8]
    second = ingest(ingest_demo, path, source="messy", crs="wgs84")
    assert (second.inserted, second.updated, second.unchanged, second.quarantined) == (0, 0, 35, 5)
    rows.loc[10, "description"] = "内容已更新"
    changed = ingest(ingest_demo, write(rows, tmp_path / "messy2.csv"), source="messy", crs="wgs84")
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 34)
    assert len(loaded(ingest_demo, "messy")) == 35


def test_a_ticket_repeated_in_a_later_batch_is_quarantined(ingest_demo, buildings, tmp_path):
    rows = incident_rows(buildings, prefix="batches")
    rows.loc[25, "source_id"] = rows.loc[2, "source_id"]  # batch 3 repeats batch 1
    rows.loc[26, "source_id"] = rows.loc[27, "source_id"]  # twice within batch 3
    result = ingest(
        ingest_demo, write(rows, tmp_path / "b.csv"), source="batches", crs="wgs84", batch_size=10
    )
    assert (result.read, result.inserted, result.quarantined) == (40, 38, 2)
    with ingest_demo.connect() as conn:
        reasons = dict(
            conn.execute(
                sa.text("SELECT row_number, reason FROM quarantine WHERE run_id = :r"), {"r": result.run_id}
            ).all()
        )
    assert set(reasons) == {27, 29}
    assert "row 4)" in reasons[27] and "row 28)" in reasons[29]


def test_dry_run_writes_nothing(ingest_demo, buildings, tmp_path):
    path = write(incident_rows(buildings, prefix="dry"), tmp_path / "dry.csv")
    with ingest_demo.connect() as conn:
        runs_before = conn.execute(sa.text("SELECT count(*) FROM ingest_run")).scalar_one()
    result = ingest(ingest_demo, path, source="dry", crs="wgs84", dry_run=True)
    assert result.dry_run and result.inserted == 40 and result.run_id is None
    with ingest_demo.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM ingest_run")).scalar_one() == runs_before
    assert loaded(ingest_demo, "dry") == []


def test_address_only_file_is_geocoded_and_unmatched_rows_say_why(ingest_demo, buildings, tmp_path):
    rows = incident_rows(buildings, prefix="addr").drop(columns=["lon", "lat"])
    rows.loc[0, "address"] = "平城区某某路不存在的地方"
    path = write(rows, tmp_path / "addr.csv")
    from ingest.geocode import geocoder_for

    result = run_file(
        ingest_demo, kind=KIND, path=path, options=JobOptions(source="addr"), geocoder_factory=geocoder_for
    )
    assert result.inserted == 39 and result.quarantined == 1
    with ingest_demo.connect() as conn:
        levels = (
            conn.execute(sa.text("SELECT DISTINCT match_level FROM incident WHERE source = 'addr'"))
            .scalars()
            .all()
        )
        reason = conn.execute(
            sa.text("SELECT reason FROM quarantine WHERE run_id = :r"), {"r": result.run_id}
        ).scalar_one()
    assert levels == ["building"]
    assert "address not matched" in reason
    got = loaded(ingest_demo, "addr")
    assert max_error_m(got, buildings.iloc[1:]) < 0.01


def _near(lon, lat, *, east_m):
    t = metric_transformer()
    x, y = t.transform(lon, lat)
    return t.transform(x + east_m, y, direction="INVERSE")


def test_probable_duplicates_across_sources_are_linked_not_deleted(ingest_demo, buildings, tmp_path):
    (lon0, lat0), (lon1, lat1) = buildings[["lon", "lat"]].to_numpy()[:2]
    t0 = pd.Timestamp("2023-05-10 09:00")

    def rows(specs):  # (source_id, category, hours after t0, base building, metres east)
        out = []
        for sid, category, hours, (lon, lat), east in specs:
            x, y = _near(lon, lat, east_m=east)
            out.append({"source_id": sid, "category": category, "lon": x, "lat": y,
                        "reported_at": (t0 + pd.Timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")})  # fmt: skip
        return pd.DataFrame(out)

    hotline = rows([
        ("a1", "环境卫生", 0, (lon0, lat0), 0),
        ("a2", "环境卫生", 0, (lon1, lat1), 0),
        ("a3", "环境卫生", 1, (lon0, lat0), 10),  # same source as a1: never its duplicate
    ])  # fmt: skip
    app = rows([
        ("b1", "环境卫生", 2, (lon0, lat0), 40),  # 40 m, 2 h later: duplicate of a1
        ("b2", "环境卫生", 2, (lon0, lat0), 60),  # 60 m: too far
        ("b3", "环境卫生", 26, (lon0, lat0), 10),  # 25 h after a3, 26 h after a1: too late
        ("b4", "物业", 3, (lon0, lat0), 10),  # another category
        ("b5", "环境卫生", -3, (lon1, lat1), 20),  # 3 h before a2: a2 becomes its duplicate
    ])  # fmt: skip
    ingest(ingest_demo, write(hotline, tmp_path / "a.csv"), source="dup-hotline", crs="wgs84")
    first = ingest(ingest_demo, write(app, tmp_path / "b.csv"), source="dup-app", crs="wgs84")
    assert first.notes["probable duplicates linked (same category, 50 m, 24 h, other source)"] == 2
    again = ingest(ingest_demo, write(app, tmp_path / "b.csv"), source="dup-app", crs="wgs84")
    assert "probable duplicates linked (same category, 50 m, 24 h, other source)" not in again.notes
    with ingest_demo.connect() as conn:
        links = conn.execute(
            sa.text(
                "SELECT i.source_id, o.source_id FROM incident i LEFT JOIN incident o ON o.id = i.duplicate_of "
                "WHERE i.source IN ('dup-hotline', 'dup-app') ORDER BY 1"
            )
        ).all()
    assert dict(links) == {
        "a1": None,
        "a2": "b5",
        "a3": None,
        "b1": "a1",
        "b2": None,
        "b3": None,
        "b4": None,
        "b5": None,
    }


def test_quoted_cells_keep_their_commas_and_line_breaks_and_rows_keep_their_numbers(
    ingest_demo, buildings, tmp_path
):
    b = buildings.iloc[0]
    text = (
        "工单编号,诉求内容,受理时间,经度,纬度\n"
        f'Q1,"楼道堆物, 影响通行\n第二行",2025-03-01 09:00,{b.lon},{b.lat}\n'
        f"Q2,噪音,不是日期,{b.lon},{b.lat}\n"
    )
    path = tmp_path / "quoted.csv"
    path.write_text(text, encoding="utf-8")
    result = ingest(ingest_demo, path, source="quoted", crs="wgs84")
    assert (result.inserted, result.quarantined) == (1, 1)
    with ingest_demo.connect() as conn:
        description = conn.execute(
            sa.text("SELECT description FROM incident WHERE source = 'quoted'")
        ).scalar_one()
        row = conn.execute(
            sa.text("SELECT row_number FROM quarantine WHERE run_id = :r"), {"r": result.run_id}
        ).scalar_one()
    assert description == "楼道堆物, 影响通行\n第二行" and row == 3  # the header is row 1
