"""The names an address can be matched against, read from the current boundaries and buildings."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.errors import ConfigError
from ingest.geocode.normalise import canonical
from ingest.geocode.region import Region

Point = tuple[float, float]
Aliases = Mapping[str, Sequence[str]]  # old street name → the current streets holding its area


def read_aliases(path: Path) -> dict[str, tuple[str, ...]]:
    """Old street names → the current streets that hold their former area, from a CSV with the
    columns ``alias`` and ``streets`` (several separated by ``;``: a street split in a reform;
    none: an old name of the district whose successor is not known) and optionally ``source``.
    A file with a ``street`` column (one street each) is read too."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return {canonical(row["alias"]): _successors(row) for row in csv.DictReader(fh)}
    except (OSError, KeyError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the street aliases file {path} ({exc}); it needs the columns alias,streets"
        ) from None


def _successors(row: dict[str, str]) -> tuple[str, ...]:
    text = row["streets"] if "streets" in row else row["street"]
    return tuple(canonical(name) for name in re.split(r"[;；、]", text or "") if name.strip())


def _key(name: str) -> str:
    """Names are stored the way addresses are normalised (三期 → 3期, 九号 → 9号)."""
    return canonical(name)


def short_name(name: str) -> str:
    """社区居民委员会 → 社区, 村民委员会 → (nothing): the name residents write."""
    return name.replace("社区居民委员会", "社区").replace("居民委员会", "社区").replace("村民委员会", "")


def _districts(conn: Connection) -> list[tuple[str, str]]:
    rows = conn.execute(sa.text("SELECT code, name FROM district WHERE valid_to IS NULL")).all()
    return [(str(code), str(name)) for code, name in rows]


@dataclass
class Gazetteer:
    streets: dict[str, int] = field(default_factory=dict)  # name → id
    street_point: dict[int, Point] = field(default_factory=dict)
    communities: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))  # written name → ids
    community_street: dict[int, int] = field(default_factory=dict)
    community_name: dict[int, str] = field(default_factory=dict)
    community_point: dict[int, Point] = field(default_factory=dict)
    compounds: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))  # name → community ids
    compounds_in: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    compound_point: dict[tuple[int, str], Point] = field(default_factory=dict)
    buildings: dict[tuple[int, str, str], tuple[int, Point]] = field(default_factory=dict)
    aliases: dict[str, frozenset[int]] = field(default_factory=dict)  # old name → current street ids
    region: Region = field(default_factory=Region)

    @classmethod
    def load(cls, conn: Connection, *, aliases: Aliases | None = None) -> Gazetteer:
        """The current boundaries and buildings; ``aliases`` maps the district's old street names
        to the current streets that hold their former area (see :func:`read_aliases`)."""
        g = cls()
        g._load_streets(conn)
        g.aliases = g._resolve(aliases or {})
        g._load_communities(conn)
        g._load_buildings(conn)
        g.region = Region.of(
            _districts(conn), local_names=[*g.streets, *g.communities, *g.compounds, *g.aliases]
        )
        return g

    @classmethod
    def load_places(cls, conn: Connection) -> Gazetteer:
        """Streets, communities and the district's prefixes only (to parse buildings' addresses)."""
        g = cls()
        g._load_streets(conn)
        g._load_communities(conn)
        g.region = Region.of(_districts(conn), local_names=[*g.streets, *g.communities])
        return g

    def _load_streets(self, conn: Connection) -> None:
        query = "SELECT id, name, ST_X(p), ST_Y(p) FROM (SELECT id, name, ST_PointOnSurface(geom) p FROM street WHERE valid_to IS NULL) s"
        for sid, name, x, y in conn.execute(sa.text(query)):
            self.streets[_key(name)] = sid
            self.street_point[sid] = (x, y)

    def _resolve(self, aliases: Aliases) -> dict[str, frozenset[int]]:
        """Old names → current street ids. An alias none of whose streets is loaded is left out,
        and a file with no alias left speaks of another district (the default file is the
        demo's): left out whole. An alias naming loaded streets and unknown ones stops the job."""
        kept = {old: streets for old, streets in aliases.items() if any(s in self.streets for s in streets)}
        unknown = sorted({s for streets in kept.values() for s in streets if s not in self.streets})
        if unknown:
            raise ConfigError(
                f"the street aliases name {'、'.join(unknown)} beside current streets, but these are "
                f"not current streets of the loaded boundaries ({'、'.join(self.streets)}); correct "
                "the district file's [geocoding] street_aliases CSV"
            )
        unplaced = {old: frozenset[int]() for old, streets in aliases.items() if not streets and kept}
        return unplaced | {old: frozenset(self.streets[s] for s in streets) for old, streets in kept.items()}

    def _load_communities(self, conn: Connection) -> None:
        query = (
            "SELECT id, name, street_id, ST_X(p), ST_Y(p) FROM (SELECT id, name, street_id, ST_PointOnSurface(geom) p "
            "FROM community WHERE valid_to IS NULL) c"
        )
        for cid, name, sid, x, y in conn.execute(sa.text(query)):
            written = _key(short_name(name))
            self.communities[written].append(cid)
            self.community_name[cid] = written
            self.community_street[cid] = sid
            self.community_point[cid] = (x, y)

    def _load_buildings(self, conn: Connection) -> None:
        query = (
            "SELECT b.id, b.community_id, b.compound, b.number, ST_X(c), ST_Y(c) FROM (SELECT id, community_id, compound, "
            "number, ST_Centroid(geom) c FROM building WHERE community_id IS NOT NULL AND compound IS NOT NULL) b"
        )
        sums: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for bid, cid, raw_compound, number, x, y in conn.execute(sa.text(query)):
            compound = _key(raw_compound)
            if number:
                self.buildings[(cid, compound, str(number))] = (bid, (x, y))
            acc = sums[(cid, compound)]
            acc[0], acc[1], acc[2] = acc[0] + x, acc[1] + y, acc[2] + 1
        for (cid, compound), (sx, sy, n) in sums.items():
            self.compound_point[(cid, compound)] = (sx / n, sy / n)
            self.compounds[compound].append(cid)
            self.compounds_in[cid].append(compound)
