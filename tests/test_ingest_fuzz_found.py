"""What fuzzing found (tests/test_ingest_fuzz.py), one case each: every one used to crash a job
with something other than an InputError, or to load an impossible coordinate. The jobs run on
``ingest_demo``, a private copy of the demo: the shared one stays as loaded."""

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from geo.errors import InputError
from ingest.geocode import geocoder_for
from ingest.job import JobOptions, JobResult, run_file
from ingest.kinds import get_kind
from tests.sql import all_rows, one

KIND = get_kind("incidents")
HEAD = "工单编号,受理时间,经度,纬度,诉求内容,返工次数\n"


def ingest(engine, path: Path, source: str, *, crs: str | None = "wgs84") -> JobResult:
    return run_file(
        engine,
        kind=KIND,
        path=path,
        options=JobOptions(source=source, crs=crs),
        geocoder_factory=geocoder_for,
    )


def reasons(engine, result: JobResult) -> list[str]:
    rows = all_rows(
        engine, "SELECT reason FROM quarantine WHERE run_id = :r ORDER BY row_number", r=result.run_id
    )
    return [r[0] for r in rows]


@pytest.mark.parametrize(
    ("name", "row", "needle"),
    [
        ("far-future", "A,2263-01-01 00:00:00,113.30,40.09,x,0", "2263-01-01"),  # pandas: AssertionError
        ("huge-int", "A,2025-03-01,113.30,40.09,x,1E20", "返工次数"),  # Int64 overflow
        ("inf-lon", "A,2025-03-01,1e400,40.09,x,0", "unreadable coordinate"),
        ("lat-113", "A,2025-03-01,113.25,113.25,x,0", "beyond ±180/±90"),  # distance NaN: "inside"
        ("far-away", "A,2025-03-01,15.0,0.0,x,0", "far outside the district"),  # the same, in range
    ],
)
def test_bad_cells_are_quarantined(ingest_demo, tmp_path, name, row, needle):
    path = tmp_path / f"{name}.csv"
    path.write_text(HEAD + "OK1,2025-03-01,113.30,40.09,ok,0\n" + row + "\n", encoding="utf-8")
    result = ingest(ingest_demo, path, f"found-{name}")
    assert (result.read, result.inserted, result.quarantined) == (2, 1, 1)
    assert needle in reasons(ingest_demo, result)[0]


@pytest.mark.parametrize(
    ("wkt", "needle"),
    [
        ("POINT EMPTY", "empty WKT"),  # the COPY encoder's buffers did not add up: ArrowInvalid
        ("POINT(nan nan)", "NaN"),  # RuntimeWarning, and a NaN point counted as inside
        ("POINT(1e400 40)", "infinite"),  # overflow warning from GEOS
    ],
)
def test_unusable_wkt_is_quarantined(ingest_demo, tmp_path, wkt, needle):
    path = tmp_path / "wkt.csv"
    path.write_text(
        f'工单编号,受理时间,wkt\nOK1,2025-03-01,POINT(113.3 40.09)\nA,2025-03-01,"{wkt}"\n', encoding="utf-8"
    )
    result = ingest(ingest_demo, path, "found-wkt")
    assert result.quarantined == 1 and result.read == 2
    assert needle in reasons(ingest_demo, result)[0]


def test_a_one_column_csv_gets_a_clear_message(ingest_demo, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("工单编号\nA\n", encoding="utf-8")  # csv.Sniffer: "Could not determine delimiter"
    with pytest.raises(InputError, match="no column for 受理时间"):
        ingest(ingest_demo, path, "found-one-column")


def test_a_cell_over_128_kb_is_loaded_whole(ingest_demo, tmp_path):
    """Python's CSV module (which sniffed the header) refused any cell over 128 KB in the file."""
    path = tmp_path / "long.csv"
    text = "路灯不亮" * 50_000  # 600 KB of UTF-8
    path.write_text(
        HEAD + f'A1,2025-03-01,113.30,40.09,"{text}",0\nA2,2025-03-01,113.30,40.09,x,0\n', encoding="utf-8"
    )
    result = ingest(ingest_demo, path, "found-long-cell")
    assert (result.read, result.inserted) == (2, 2)
    sql = "SELECT length(description) FROM incident WHERE source = 'found-long-cell' AND source_id = 'A1'"
    assert one(ingest_demo, sql) == len(text)


def test_a_header_name_with_a_line_break_is_read(ingest_demo, tmp_path):
    path = tmp_path / "broken-header.csv"
    path.write_text('工单编号,"受理\n时间",经度,纬度\nA1,2025-03-01,113.30,40.09\n', encoding="utf-8")
    result = run_file(
        ingest_demo,
        kind=KIND,
        path=path,
        options=JobOptions(source="found-broken-header", crs="wgs84", mapping={"受理\n时间": "reported_at"}),
    )
    assert result.inserted == 1


def test_a_quote_inside_a_header_name_swallows_no_rows(ingest_demo, tmp_path):
    """A quote in mid-name opens no quoted field (as in Excel); counting quotes would have read
    the rows below into the header, and the reader would have skipped them."""
    path = tmp_path / "stray-quote.csv"
    rows = "".join(f"A{i},2025-03-01,113.30,40.09\n" for i in range(3))
    path.write_text('工单编号,受理"时间,经度,纬度\n' + rows, encoding="utf-8")
    result = run_file(
        ingest_demo,
        kind=KIND,
        path=path,
        options=JobOptions(source="found-stray-quote", crs="wgs84", mapping={'受理"时间': "reported_at"}),
    )
    assert (result.read, result.inserted) == (3, 3)


@pytest.mark.parametrize("declared", [None, "utf-8"])
def test_a_file_ending_in_half_a_character_is_refused_for_its_encoding(ingest_demo, tmp_path, declared):
    """Found by fuzzing: the cut character passed the encoding check (fine at the end of a
    sample, not of the whole file), and Arrow could not hand the ragged last row's text to our
    handler ('Exception ignored in ... refuse')."""
    path = tmp_path / "cut.csv"
    path.write_bytes("工单编号,受理时间,经度,纬度\nA1,".encode() + b"\xdc")
    with pytest.raises(InputError, match=r"encoding|not valid utf-8"):
        run_file(
            ingest_demo,
            kind=KIND,
            path=path,
            options=JobOptions(source="found-cut", crs="wgs84", encoding=declared),
        )


def test_nul_bytes_are_dropped_from_cells_and_messages(ingest_demo, tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes((HEAD + "A1,2025-03-01,113.30,40.09,x\x00y,0\n").encode())  # COPY refused NUL
    result = ingest(ingest_demo, path, "found-nul")
    assert result.inserted == 1
    assert one(ingest_demo, "SELECT description FROM incident WHERE source = 'found-nul'") == "xy"
    ragged = tmp_path / "nul-ragged.csv"
    ragged.write_bytes((HEAD + "A1,2025-03-01,113.30,40.09,\x00,0,extra\n").encode())
    with pytest.raises(InputError, match="cells but the header has"):  # the ledger refused the message
        ingest(ingest_demo, ragged, "found-nul-ragged")
    sql = "SELECT count(*) FROM ingest_run WHERE source = 'found-nul-ragged' AND status = 'failed'"
    assert one(ingest_demo, sql) == 1


def test_addresses_that_all_fail_to_match(ingest_demo, tmp_path):
    path = tmp_path / "nowhere.csv"  # a batch with no match at all: pandas refused None scores
    path.write_text(
        "工单编号,受理时间,事发地址\nA1,2025-03-01,火星基地1号楼\nA2,2025-03-01,无此地址\n", encoding="utf-8"
    )
    result = ingest(ingest_demo, path, "found-nowhere")
    assert (result.read, result.quarantined) == (2, 2)
    assert all(reasons(ingest_demo, result))


def test_a_sheet_with_a_repeated_header(ingest_demo, tmp_path):
    book = Workbook()
    book.active.append(["工单编号", "受理时间", "经度", "纬度", "经度"])  # pandas: "Cannot set a DataFrame"
    book.active.append(["A1", "2025-03-01", 113.30, 40.09, 113.31])
    path = tmp_path / "repeated.xlsx"
    book.save(path)
    result = ingest(ingest_demo, path, "found-repeated")
    assert (result.read, result.inserted) == (1, 1)


def test_geojson_with_unreadable_geometries(ingest_demo, tmp_path):
    features = [
        {"type": "Feature", "properties": {"工单编号": "G1", "受理时间": "2025-03-01"}, "geometry": g}
        for g in (
            {"type": "Point", "coordinates": [113.30, 40.09]},
            {"type": "Point", "coordinates": []},  # GDAL's warning escaped as a RuntimeWarning
            {"type": "Nonsense", "coordinates": [1, 2]},
        )
    ]
    for i, feature in enumerate(features):
        feature["properties"]["工单编号"] = f"G{i}"
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    result = ingest(ingest_demo, path, "found-geojson", crs=None)
    assert (result.read, result.inserted, result.quarantined) == (3, 1, 2)
    assert all("no geometry" in r for r in reasons(ingest_demo, result))


def test_an_empty_crs_column_falls_back_to_the_declared_one(ingest_demo, tmp_path):
    path = tmp_path / "empty-crs.csv"  # pandas mapped the all-empty column to floats, then refused "wgs84"
    path.write_text("工单编号,受理时间,经度,纬度,坐标系\nC1,2025-03-01,113.30,40.09,\n", encoding="utf-8")
    result = ingest(ingest_demo, path, "found-empty-crs")
    assert (result.read, result.inserted) == (1, 1)
    assert one(ingest_demo, "SELECT raw_crs FROM incident WHERE source = 'found-empty-crs'") == "wgs84"
