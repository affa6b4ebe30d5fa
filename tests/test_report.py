"""周报 / 月报 (#19): the periods compared (环比, 同比), the indicators against them on hand-built
incidents worked out by hand, and `gridgov report` run as a user runs it on a district the demo
never saw, its Word file read back with python-docx and its numbers compared with SQL written here."""

from __future__ import annotations

import datetime as dt
import subprocess

import docx
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from geo import partitions
from geo.errors import InputError
from geo.inspection_kinds import INSPECTION_KINDS
from geo.service_types import SERVICE_TYPES
from layers.report_period import ReportPeriod, days, last_month, last_week, month, week_of
from tests.cli import assert_one_line_error, gridgov
from tests.databases import fresh_database
from tests.small_district import STREETS, load_sites
from tests.sql import all_rows, one

CST = dt.timezone(dt.timedelta(hours=8))


def test_the_periods_a_report_is_compared_with():
    nov = month("2026-11")
    assert (nov.start, nov.end, nov.label()) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30), "2026年11月")
    assert (nov.previous().start, nov.previous().end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert (nov.last_year().start, nov.last_year().end) == (dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    march = month("2025-03")
    assert march.previous().end == dt.date(2025, 2, 28) and month("2024-03").previous().end == dt.date(
        2024, 2, 29
    )
    week = week_of(dt.date(2026, 11, 25))  # a Wednesday
    assert (week.start, week.end) == (dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    assert week.previous().start == dt.date(2026, 11, 16) and week.label().startswith("2026年第48周")
    leap = days("2024-02-20", "2024-02-29")
    assert (leap.previous().start, leap.previous().end) == (dt.date(2024, 2, 10), dt.date(2024, 2, 19))
    assert leap.last_year().end == dt.date(2023, 2, 28)
    assert last_month(dt.date(2026, 1, 5)) == month("2025-12") and last_week(dt.date(2026, 12, 5)).start == dt.date(2026, 11, 23)  # fmt: skip
    for bad in (
        lambda: month("2026-13"),
        lambda: month("November"),
        lambda: days("2026-11-05", "2026-11-01"),
    ):
        with pytest.raises(InputError):
            bad()
    assert ReportPeriod(dt.date(2026, 11, 1), dt.date(2026, 11, 1)).days == 1


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=CST)


# ticket, street (0 or 1 of STREETS), category, reported, deadline, closed (None: still open)
CASES = (
    ("N1", 0, "environment", "2026-11-03", "2026-11-05", "2026-11-04"),  # on time
    ("N2", 0, "environment", "2026-11-10", "2026-11-12", "2026-11-14"),  # late
    ("N3", 1, "property", "2026-11-20", "2026-11-22", None),  # overdue at the end of November
    ("O1", 0, "environment", "2026-10-05", "2026-10-07", "2026-10-06"),
    ("O2", 1, "property", "2026-10-15", "2026-10-17", "2026-10-16"),
    ("Y1", 0, "environment", "2025-11-02", "2025-11-04", "2025-11-03"),
    ("Y2", 0, "environment", "2025-11-05", "2025-11-07", "2025-11-06"),
    ("Y3", 1, "property", "2025-11-08", "2025-11-10", "2025-11-20"),
    ("Y4", 1, "property", "2025-11-09", "2025-11-11", None),  # still open, overdue since 2025
)


@pytest.fixture(scope="module")
def town(cluster, small_district, tmp_path_factory):
    """The small district with CASES (hand-inserted, as a 12345 export would have them) and its
    buildings, service points and inspection targets (tests/small_district.py; no roads)."""
    with fresh_database(cluster, template=small_district) as engine:
        load_sites(engine, tmp_path_factory.mktemp("town"))
        with engine.begin() as conn:
            partitions.ensure(conn, "hand")
            ids = dict(conn.execute(sa.text("SELECT code, id FROM street")).all())
            for ticket, s, category, reported, due, closed in CASES:
                conn.execute(
                    sa.text("INSERT INTO incident (source, source_id, category, reported_at, registered_at, deadline_at, "
                            "handled_at, closed_at, rework_count, street_id, geom) VALUES ('hand', :t, :c, :r, :r, :d, :x, :x, 0, "
                            ":s, ST_SetSRID(ST_MakePoint(116.46, 39.92), 4326))"),
                    {"t": ticket, "c": category, "r": at(reported), "d": at(due), "x": at(closed) if closed else None,
                     "s": ids[STREETS[s][0]]},
                )  # fmt: skip
        yield engine


def _url(engine) -> dict[str, str]:
    return {"DATABASE_URL": engine.url.render_as_string(hide_password=False)}


def _rows(table) -> dict[str, list[str]]:
    return {r.cells[0].text: [c.text for c in r.cells[1:]] for r in table.rows}


def test_a_monthly_report_in_word_holds_the_numbers_against_last_month_and_last_year(town, tmp_path):
    out = tmp_path / "月报.docx"
    result = gridgov("report", "monthly", "--period", "2026-11", "--out", str(out), env=_url(town))
    assert result.returncode == 0, result.stderr
    doc = docx.Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "月报" in text and "2026年11月" in text and "测试区" in text
    kpis = _rows(doc.tables[0])
    assert kpis["指标"] == ["本期", "上期", "环比", "去年同期", "同比"]
    assert kpis["受理量"] == ["3", "2", "+50.0%", "4", "-25.0%"]  # by hand: N1-3; O1-2; Y1-4
    # due in the month: N1 N2 N3 (on time: N1); O1 O2 (both); Y1-Y4 (Y1 Y2)
    assert kpis["按期办结率"] == ["33.3%", "100.0%", "-66.7个百分点", "50.0%", "-16.7个百分点"]
    assert kpis["期末超期未办结"][0] == "2"  # N3, and Y4 still open since 2025
    november = {"since": at("2026-11-01", 0), "until": at("2026-12-01", 0)}
    sql = one(
        town, "SELECT count(*) FROM incident WHERE reported_at >= :since AND reported_at < :until", **november
    )
    assert kpis["受理量"][0] == str(sql)
    overdue, _soon = [t for t in doc.tables if t.rows[0].cells[0].text == "工单编号"]  # 超期未办结, 临期
    assert [r.cells[0].text for r in overdue.rows[1:]] == ["Y4", "N3"]  # the longest overdue first
    assert "2026年11月共受理诉求3件，环比上升50.0%，同比下降25.0%。" in text
    images = [r.target_part.blob for r in doc.part.rels.values() if "image" in r.reltype]
    assert len(images) == 4 and all(
        i.startswith(b"\x89PNG") for i in images
    )  # trend, streets, heat, hotspots
    assert "图1 每日受理量（本期与上期）" in text and "图2 各街道受理量" in text
    header = overdue.rows[0]._tr.trPr
    assert header is not None and header.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader") is not None  # fmt: skip
    # the categories and the streets, each number against SQL written here
    (categories,) = [t for t in doc.tables if t.rows[0].cells[0].text == "类别"]
    october = {"since": at("2026-10-01", 0), "until": at("2026-11-01", 0)}
    names = {"environment": "市容环境", "property": "物业管理"}
    for key, name in names.items():
        this, last = (one(town, "SELECT count(*) FROM incident WHERE category = :c AND reported_at >= :since "
                                "AND reported_at < :until", c=key, **p) for p in (november, october))  # fmt: skip
        assert _rows(categories)[name] == [str(this), str(last)], name
    (streets,) = [t for t in doc.tables if [c.text for c in t.rows[0].cells[:2]] == ["街道", "受理量"]]
    for code, name in STREETS:
        count = one(town, "SELECT count(*) FROM incident i JOIN street s ON s.id = i.street_id WHERE s.code = :code "
                          "AND i.reported_at >= :since AND i.reported_at < :until", code=code, **november)  # fmt: skip
        assert _rows(streets)[name][0] == str(count), name


def test_a_streets_weekly_report_in_excel_and_clear_errors(town, tmp_path):
    out = tmp_path / "周报.xlsx"
    result = gridgov("report", "weekly", "--period", "2026-11-18", "--street", STREETS[1][1], "--out", str(out), env=_url(town))  # fmt: skip
    assert result.returncode == 0, result.stderr
    book = load_workbook(out)
    sheets = [
        "主要指标",
        "诉求类别",
        "各社区",
        "热点网格",
        "超期未办结",
        "临期",
        "排查整治",
        "各社区排查",
        "服务覆盖",
    ]
    assert book.sheetnames == sheets  # its communities; no district-wide data quality
    values = {r[0]: r[1:] for r in book["主要指标"].iter_rows(values_only=True) if r and r[0]}
    assert values["受理量"][0] == "1"  # N3, 金盏街道's, in the week of 16–22 November
    tickets = [
        r[0] for r in book["超期未办结"].iter_rows(values_only=True) if r and r[0] in {c[0] for c in CASES}
    ]
    assert tickets == ["Y4", "N3"]  # N3 fell due on the 22nd, inside the week
    env = _url(town)
    assert_one_line_error(
        gridgov("report", "monthly", "--period", "2026-13", "--out", str(out), env=env), "2026-11"
    )
    assert_one_line_error(
        gridgov("report", "monthly", "--out", str(tmp_path / "x.txt"), env=env), ".docx or .pdf or .xlsx"
    )
    assert_one_line_error(
        gridgov("report", "weekly", "--street", "不存在街道", "--out", str(out), env=env), "不存在街道"
    )


def test_schedule_writes_last_week_and_last_month_once(town, tmp_path):
    folder = tmp_path / "报告"
    first = gridgov("report", "schedule", str(folder), env=_url(town))
    assert first.returncode == 0, first.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 6 and [n[:2] for n in names] == ["周报"] * 3 + ["月报"] * 3, names
    assert {n.rsplit(".", 1)[1] for n in names} == {"docx", "pdf", "xlsx"}
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    again = gridgov("report", "schedule", str(folder), env=_url(town))
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == stamps
    assert docx.Document(str(folder / names[3])).tables[0].rows[0].cells[0].text == "指标"


def test_the_pdf_holds_the_same_numbers_and_fetches_nothing(town, tmp_path):
    out = tmp_path / "月报.pdf"
    result = gridgov("report", "monthly", "--period", "2026-11", "--out", str(out), env=_url(town))
    assert result.returncode == 0, result.stderr
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert (
        "月报" in text
        and "测试区" in text
        and "2026年11月共受理诉求3件，环比上升50.0%，同比下降25.0%。" in text
    )
    assert "33.3%" in text and "-66.7个百分点" in text and "Y4" in text  # the KPI table, the overdue list
    pages = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert "A4" in pages or "595.28 x 841.89" in pages


def test_any_days_against_the_days_before_and_a_year_earlier_by_hand(town):
    """The 对比 menus' numbers (layers/compare.py) for days that are neither a week nor a
    month: 1–15 November 2026 against 17–31 October (as many days just before) and 1–15
    November 2025, for the district and each street, worked out by hand from CASES."""
    from layers import facts as facts_module
    from layers.compare import compare
    from layers.incident_filter import IncidentFilter

    with town.connect() as conn:
        result = compare(conn, facts_module.load(conn), days("2026-11-01", "2026-11-15"), f=IncidentFilter())
        names = dict(conn.execute(sa.text("SELECT code, name FROM street")).all())
    kpis = {r.measure.key: r for r in result.kpis}
    # reported: N1 N2; none from 17 October (O1 and O2 came before); Y1-Y4
    assert (kpis["reported"].value, kpis["reported"].previous, kpis["reported"].last_year) == (2, 0, 4)
    assert kpis["reported"].vs_previous is None and kpis["reported"].vs_last_year == pytest.approx(-0.5)
    # due in the days: N1 (on time), N2 due the 12th and closed the 14th (late); a year earlier
    # Y1 Y2 on time, Y3 late (closed the 20th), Y4 never closed: 2 of 4
    assert kpis["on_time_closure"].value == pytest.approx(0.5)
    assert kpis["on_time_closure"].previous == 1.0  # O2, due on 17 October, closed the day before
    assert (
        kpis["on_time_closure"].last_year == pytest.approx(0.5) and kpis["on_time_closure"].vs_last_year == 0
    )
    # open and past due at the end of the 15th: Y4 (open since 2025; N3 comes on the 20th); a
    # year earlier Y3 (closed on the 20th) and Y4
    assert (kpis["overdue"].value, kpis["overdue"].last_year) == (1, 2)
    assert result.level == "street"
    rows = {r.name: r for r in result.units}
    first, second = names[STREETS[0][0]], names[STREETS[1][0]]
    assert (
        rows[first].measure("reported").value == 2 and rows[first].measure("reported").last_year == 2
    )  # Y1 Y2
    assert (
        rows[second].measure("reported").value == 0 and rows[second].measure("reported").last_year == 2
    )  # Y3 Y4
    assert rows[second].measure("reported").vs_last_year == pytest.approx(-1.0)
    assert result.units[0].name == first  # the most reported first


# each building with people (its centroid) and its straight-line distance to the nearest point
# of a kind serving on a day (the town has no roads: coverage is then counted in straight lines)
_NEAREST = """
SELECT b.residents, c.kind = 'village' AS village, c.name AS community,
       (SELECT min(ST_Distance(ST_Centroid(b.geom)::geography, p.geom::geography)) FROM service_point p
        WHERE p.kind = :k AND (p.opened_on IS NULL OR p.opened_on <= :on) AND (p.closed_on IS NULL OR p.closed_on > :on)) AS metres
FROM building b JOIN community c ON c.id = b.community_id WHERE b.residents > 0 AND c.valid_to IS NULL
"""
_WITHOUT_OWN = """
SELECT (SELECT count(*) FROM street s WHERE s.valid_to IS NULL AND NOT EXISTS (SELECT 1 FROM service_point p
          WHERE p.kind = :k AND p.level = 'street' AND p.street_id = s.id))
     + (SELECT count(*) FROM community c WHERE c.valid_to IS NULL AND NOT EXISTS (SELECT 1 FROM service_point p
          WHERE p.kind = :k AND p.level IN ('community', 'village') AND p.community_id = c.id))
"""


def _shares(rows, limit: float) -> list[str]:
    """The district's, the towns' and the villages' shares of residents within ``limit``."""
    out = []
    for keep in (lambda r: True, lambda r: not r.village, lambda r: r.village):
        part = [r for r in rows if keep(r)]
        total = sum(r.residents for r in part)
        out.append("—" if not total else f"{sum(r.residents for r in part if r.metres <= limit) / total:.1%}")
    return out


def test_the_coverage_and_inspection_sections_equal_sql(town, tmp_path):
    """服务覆盖: each type with points, its share within its walk (straight lines: no roads here)
    in the district, towns and villages, and the units with no point of their own; 各街道排查:
    the sites per street and kind — each against SQL written here."""
    out = tmp_path / "月报.xlsx"
    outside = "INSERT INTO inspection_target (source, source_id, kind, name, geom) VALUES ('t', 'outside', 'homestay', '界外民宿', ST_Point(116.3, 39.8, 4326))"  # fmt: skip
    with town.begin() as conn:  # a site in no street (taken out again below)
        conn.execute(sa.text(outside))
    try:
        made = gridgov("report", "monthly", "--period", "2026-11", "--out", str(out), env=_url(town))
    finally:
        with town.begin() as conn:
            conn.execute(sa.text("DELETE FROM inspection_target WHERE source = 't'"))
    assert made.returncode == 0, made.stderr
    book = load_workbook(out)
    shown = {
        r[0]: r[1:] for r in book["服务覆盖"].iter_rows(values_only=True) if r and r[0] and r[1] is not None
    }
    kinds = [k for (k,) in all_rows(town, "SELECT DISTINCT kind FROM service_point ORDER BY 1")]
    assert set(shown) - {"服务类型"} == {SERVICE_TYPES[k].zh for k in kinds} and len(kinds) == 2
    for kind in kinds:
        t = SERVICE_TYPES[kind]
        limit = t.walk_minutes * 80.0
        rows = all_rows(town, _NEAREST, k=kind, on=dt.date(2026, 11, 30))
        assert all(abs(r.metres - limit) > 5 for r in rows), "a building on the threshold: move the sites"
        points = one(town, "SELECT count(*) FROM service_point WHERE kind = :k", k=kind)
        cells = shown[t.zh]
        assert cells[1] == points and cells[2] == "常住人口"  # no building counts the group it serves
        assert list(cells[3:6]) == _shares(rows, limit), kind
        without = one(town, _WITHOUT_OWN, k=kind) if t.levels else "—"
        assert cells[6] == without, kind
    per_unit = {(r[0], r[1]): r[2] for r in book["各街道排查"].iter_rows(values_only=True) if r and r[0] and r[2] not in (None, "对象数") and isinstance(r[2], int)}  # fmt: skip
    sql = (
        "SELECT s.name, t.kind, count(*) FROM inspection_target t JOIN street s ON s.id = t.street_id "
        "WHERE t.closed_at IS NULL GROUP BY 1, 2"
    )
    expected = {(name, INSPECTION_KINDS[kind].zh): n for name, kind, n in all_rows(town, sql)}
    assert (
        per_unit == {**expected, ("—", INSPECTION_KINDS["homestay"].zh): 1} and expected
    )  # the site in no street
