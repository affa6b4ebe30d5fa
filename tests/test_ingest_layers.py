"""Files holding several tables, and columns whose header says address but whose values do not."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.errors import InputError
from ingest.geocode.region import Region
from ingest.job import JobOptions, run_file
from ingest.kinds import get_kind
from ingest.reading import open_source
from tests.ingest_files import incident_rows, sample_buildings

KIND = get_kind("incidents")


def _frame(n: int, prefix: str) -> gpd.GeoDataFrame:
    points = [shapely.Point(113.3 + i / 1000, 40.09) for i in range(n)]
    return gpd.GeoDataFrame({"编号": [f"{prefix}{i}" for i in range(n)]}, geometry=points, crs="EPSG:4326")


def test_a_zip_of_several_shapefiles_needs_layer_and_reads_the_one_named(tmp_path):
    for name, n in (("streets", 2), ("grids", 3)):
        _frame(n, name).to_file(tmp_path / f"{name}.shp", engine="pyogrio")
    path = tmp_path / "survey.zip"
    with zipfile.ZipFile(path, "w") as z:
        for file in tmp_path.iterdir():
            if file.suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                z.write(file, file.name)
    with pytest.raises(InputError, match=r"holds 2 layers; say which with --layer.*'grids', 3 features"):
        open_source(path)
    source = open_source(path, layer="grids")
    assert source.name == "survey.zip#grids"
    assert len(next(source.batches(10))) == 3
    with pytest.raises(InputError, match="has no layer 'roads'"):
        open_source(path, layer="roads")


def test_a_workbook_with_several_sheets_needs_layer_but_an_empty_sheet_does_not_count(tmp_path):
    path = tmp_path / "ledger.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"对象编号": ["T1"], "名称": ["书店"]}).to_excel(book, sheet_name="对象", index=False)
        pd.DataFrame({"对象编号": ["T1", "T2"], "检查时间": ["2026-01-02", "2026-01-03"]}).to_excel(
            book, sheet_name="检查记录", index=False
        )
        pd.DataFrame().to_excel(book, sheet_name="说明", index=False)
    with pytest.raises(InputError, match=r"holds 2 sheets.*'对象', 1 features: 对象编号, 名称"):
        open_source(path)
    source = open_source(path, layer="检查记录")
    assert source.columns == ("对象编号", "检查时间")
    assert next(source.batches(10))["对象编号"].tolist() == ["T1", "T2"]
    single = tmp_path / "one.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(single, index=False)
    assert open_source(single).columns == ("a",)
    with pytest.raises(InputError, match="--layer is for GeoPackages"):
        open_source(tmp_path / "x.csv" if (tmp_path / "x.csv").write_text("a\n1\n") else single, layer="x")


def test_a_location_column_of_coordinates_is_not_taken_as_the_address(demo, tmp_path):
    """A 311 export's Location holds "(lat, lon)": the lon/lat columns locate the rows instead."""
    rows = incident_rows(sample_buildings(demo, 20, seed=3), prefix="loc").drop(columns=["address"])
    rows["Location"] = [f"({lat:.5f}, {lon:.5f})" for lon, lat in zip(rows.lon, rows.lat, strict=True)]
    path = tmp_path / "311.csv"
    rows.to_csv(path, index=False)
    result = run_file(demo, kind=KIND, path=path, options=JobOptions(source="loc", crs="wgs84", dry_run=True))
    assert result.inserted == 20 and result.quarantined == 0
    described = "; ".join(result.columns.describe())
    assert "address" not in result.columns.columns
    assert "Location not used: its values are not addresses" in described


def test_region_strips_own_prefixes_and_names_the_other_district():
    region = Region.of([("510107", "武侯区")], local_names=["浆洗街道", "锦江花园"])
    assert region.strip("四川省成都市武侯区浆洗街道") == ("浆洗街道", None)
    assert region.strip("四川成都武侯区浆洗街道") == ("浆洗街道", None)
    assert region.strip("成都市锦江区浆洗街道")[1] == "锦江区"
    assert region.strip("山西省大同市平城区浆洗街道")[1] == "山西省大同市平城区"
    assert region.strip("锦江花园3号楼") == ("锦江花园3号楼", None)  # a local name, not 锦江区
    assert region.strip("东区小学旁") == ("东区小学旁", None)  # 东区 (攀枝花) only after a prefix
    assert region.strip("四川省东区炳草岗")[1] == "东区"
