"""Helpers for the intake API tests: keys made the way `gridgov sources add` makes them,
incident items at real demo buildings, and posting them."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from geo import api_keys


def new_key(engine: Engine, source: str, **limits: int) -> str:
    with engine.begin() as conn:
        return api_keys.add(conn, source, **limits)


def items_at(buildings: pd.DataFrame, *, prefix: str) -> list[dict[str, Any]]:
    """One incident item per building, as a 12345 platform would send it (WGS-84 lon/lat)."""
    return [
        {
            "source_id": f"{prefix}-{i:04d}",
            "category": "环境卫生",
            "description": f"接口测试 {i}",
            "reporter_phone": f"1380000{i:04d}",
            "reported_at": f"2026-11-{1 + i % 28:02d} 09:{i % 60:02d}:00",
            "lon": float(b.lon),
            "lat": float(b.lat),
        }
        for i, b in enumerate(buildings.itertuples())
    ]


def post_items(client: FlaskClient, key: str | None, items: list[dict[str, Any]], **body: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post("/api/v1/incidents", json={"items": items, "crs": "wgs84", **body}, headers=headers)


def count(engine: Engine, source: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM incident WHERE source = :s"), {"s": source}
            ).scalar_one()
        )
