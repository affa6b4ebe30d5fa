"""Old street names in addresses (#18): the demo's aliases each have a source and send addresses
only to the district's current streets that hold the old street's area (several where a reform
split it); a split name scopes the match to its successors; a name with no known successor is
still read as a street of the district; an alias naming no current street stops the job."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo.errors import ConfigError
from ingest.demo._reference import ALIASES_CSV
from ingest.geocode.gazetteer import read_aliases
from ingest.geocode.matcher import AddressMatcher

DIVISIONS = Path(__file__).resolve().parents[1] / "data" / "pingcheng_divisions.csv"
# what seed 003 (../shared/seeds, the 2020 articles) writes under old streets: old street, a
# community it names there, the words
SEEN_UNDER = [
    ("北街街道", "御馨花城社区", "平城区北街街道党工委举行…御馨花城社区党支部书记"),
    ("北街街道", "崇仁社区", "北街街道崇仁社区工作人员"),
    ("新华街街道", "岳秀园社区", "平城区新华街街道岳秀园社区工作人员"),
    ("新华街街道", "跃进街社区", "平城区新华街街道跃进街社区、鸿浩嘉园社区"),
    ("新华街街道", "鸿浩嘉园社区", "平城区新华街街道跃进街社区、鸿浩嘉园社区"),
    ("向阳里街道", "向阳东街社区", "携向阳里街道、向阳东街社区"),
    ("振华南街街道", "惠民里社区", "平城区振华南街街道惠民里社区党支部"),
    ("水泊寺乡", "马家小村", "在水泊寺乡马家小村农业嘉年华举办"),
]


def _divisions() -> list[dict[str, str]]:
    with DIVISIONS.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _rows() -> list[dict[str, str]]:
    with ALIASES_CSV.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_alias_has_a_source_and_only_current_streets_of_the_district():
    streets = {r["name"] for r in _divisions() if r["kind"] == "street"}
    rows = _rows()
    assert rows and all(r["source"].strip() for r in rows)
    assert not {r["alias"] for r in rows} & streets  # an old name is no current name
    for alias, successors in read_aliases(ALIASES_CSV).items():
        assert set(successors) <= streets, alias
    # went to 云冈区 in 2018 (老平旺街道, and 新胜街道 is a 云冈区 street): not this district's
    assert not {"老平旺街道", "新胜街道"} & {r["alias"] for r in rows}
    assert {"新建北路街道", "振华南街街道", "水泊寺乡"} <= {r["alias"] for r in rows}  # the seeds' old names


@pytest.mark.parametrize(("old", "community", "words"), SEEN_UNDER)
def test_the_seeds_old_streets_lead_where_the_code_list_puts_their_communities(old, community, words):
    assert old in words and community in words
    street_of = {
        r["name"].replace("居民委员会", "").replace("村民委员会", ""): r["street_name"] for r in _divisions()
    }
    assert street_of[community] in read_aliases(ALIASES_CSV)[old]


def _building(conn, community: str) -> tuple[str, str, float, float]:
    row = conn.execute(
        sa.text(
            "SELECT b.compound, b.number, ST_X(ST_Centroid(b.geom)), ST_Y(ST_Centroid(b.geom)) FROM building b "
            "JOIN community c ON c.id = b.community_id WHERE c.name LIKE :n AND b.compound IS NOT NULL "
            "AND b.number IS NOT NULL ORDER BY b.id LIMIT 1"
        ),
        {"n": community + "%"},
    ).one()
    return str(row[0]), str(row[1]), float(row[2]), float(row[3])


def test_a_split_street_scopes_the_match_to_its_successors(demo):
    with demo.connect() as conn:
        matcher = AddressMatcher.load(conn, aliases=read_aliases(ALIASES_CSV))
        compound, number, x, y = _building(conn, "崇仁社区")  # 鹿苑街道, once 北街街道
    named = matcher.match(f"大同市平城区北街街道崇仁社区{compound}{number}号楼")
    assert named.level == "building" and named.point == pytest.approx((x, y)) and named.score == 1.0
    unnamed = matcher.match(f"北街街道{compound}{number}号楼")  # no community: found in the successors
    assert unnamed.level == "building" and unnamed.point == pytest.approx((x, y))
    alone = matcher.match("北街街道")  # three streets now: no one street to put it in
    assert alone.point is None and alone.reason() is not None


def test_an_old_name_without_known_successors_is_still_read_as_the_districts(demo):
    with demo.connect() as conn:
        matcher = AddressMatcher.load(conn, aliases=read_aliases(ALIASES_CSV))
        compound, number, x, y = _building(conn, "崇仁社区")
    match = matcher.match(f"新建北路街道崇仁社区{compound}{number}号")
    assert match.level == "building" and match.point == pytest.approx((x, y))
    with demo.connect() as conn:  # without the alias the name is unknown and nothing is found
        assert (
            AddressMatcher.load(conn, aliases={}).match(f"新建北路街道崇仁社区{compound}{number}号").level
            is None
        )


def test_an_alias_naming_a_street_that_is_not_current_stops_the_job_and_a_one_street_file_still_reads(
    demo, tmp_path
):
    """Beside a current street, a name that is none is a mistake in the file; an alias none of
    whose streets is loaded belongs to another district (the demo's file on another district's
    boundaries) and is left out."""
    wrong = tmp_path / "aliases.csv"
    wrong.write_text("alias,street\n北街街道,古城街道；新平旺街道\n老平旺街道,新平旺街道\n", encoding="utf-8")
    assert read_aliases(wrong) == {"北街街道": ("古城街道", "新平旺街道"), "老平旺街道": ("新平旺街道",)}
    with demo.connect() as conn, pytest.raises(ConfigError, match=r"新平旺街道 beside current streets"):
        AddressMatcher.load(conn, aliases=read_aliases(wrong))
    other = tmp_path / "other.csv"
    other.write_text(
        "alias,streets,source\n红牌楼,红牌楼街道;簇桥街道,another district's\n旧街道,,another district's\n",
        encoding="utf-8",
    )
    with demo.connect() as conn:
        assert AddressMatcher.load(conn, aliases=read_aliases(other)).gazetteer.aliases == {}
