"""The upload page's work (layers/uploads.py) called directly on a database of its own holding the
small district's boundaries, and the page's callbacks refusing everyone but admins."""

from __future__ import annotations

import base64
import dataclasses
import io
import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from dash.exceptions import PreventUpdate

from dashboard.app import create_app
from dashboard.auth.access import PATHS
from dashboard.callback_request import PATH, route_body
from dashboard.uploads import layout as L
from geo.errors import InputError
from ingest.job import JobOptions, run_file
from layers import uploads
from tests.auth import client_for, make_account
from tests.databases import fresh_database
from tests.small_district import STREETS, WEST
from tests.sql import one
from tests.watch_jobs import csv_text, incidents

N = 12
MAX = 1_000_000


@pytest.fixture(scope="module")
def district(cluster, small_district, tmp_path_factory):
    with fresh_database(cluster, template=small_district) as engine:  # its boundaries, loaded once
        yield engine


def data_url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode()


def with_bad_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Two rows quarantined for an unreadable 受理时间, one of them a would-be formula."""
    bad = frame.copy()
    bad.loc[0, "受理时间"] = "=HYPERLINK(1)"
    bad.loc[1, "受理时间"] = "2026-13-40 99:00:00"
    return bad


def run_plain(engine, **job):
    return run_file(engine, **job)


def staged(tmp_path, frame: pd.DataFrame, *, user="admin1", name="工单.csv"):
    return uploads.stage(
        tmp_path, contents=data_url(csv_text(frame).encode()), filename=name, max_bytes=MAX, user=user
    )


def test_an_upload_is_kept_with_its_sha256_and_bad_uploads_are_refused(tmp_path):
    kept = staged(tmp_path, incidents("s", N), name="../../etc/工单 导出.csv")
    path = tmp_path / kept.token / kept.name
    assert (tmp_path / kept.token).stat().st_mode & 0o077 == 0
    assert kept.name == "工单_导出.csv" and path.is_file() and kept.layers == ()
    assert len(kept.sha256) == 64 and kept.size == path.stat().st_size
    for contents, filename, needle in (
        (data_url(b"x"), "notes.docx", "upload a"),
        ("not a data url", "a.csv", "did not arrive"),
        ("data:text/csv;base64,@@@", "a.csv", "damaged"),
        (data_url(b"x" * (MAX + 1)), "a.csv", "larger than"),
    ):
        with pytest.raises(InputError, match=needle):
            uploads.stage(tmp_path, contents=contents, filename=filename, max_bytes=MAX, user="admin1")


def test_the_layers_of_a_geopackage_and_the_sheets_of_a_workbook_are_listed(tmp_path):
    points = gpd.GeoDataFrame({"编号": ["1"]}, geometry=[shapely.Point(WEST, 39.91)], crs=4326)
    gpkg = tmp_path / "two.gpkg"
    points.to_file(gpkg, layer="街道", engine="pyogrio")
    points.to_file(gpkg, layer="社区", engine="pyogrio")
    book = io.BytesIO()
    with pd.ExcelWriter(book) as writer:
        incidents("x", 2).to_excel(writer, sheet_name="一月", index=False)
        incidents("y", 2).to_excel(writer, sheet_name="二月", index=False)
    folder = tmp_path / "kept"
    by_gpkg = uploads.stage(
        folder, contents=data_url(gpkg.read_bytes()), filename="two.gpkg", max_bytes=MAX, user="a"
    )
    by_xlsx = uploads.stage(
        folder, contents=data_url(book.getvalue()), filename="b.xlsx", max_bytes=MAX, user="a"
    )
    assert sorted(by_gpkg.layers) == ["社区", "街道"] and by_xlsx.layers == ("一月", "二月")
    with pytest.raises(InputError, match="not a readable"):
        uploads.stage(folder, contents=data_url(b"garbage"), filename="x.gpkg", max_bytes=MAX, user="a")


def test_a_dry_run_writes_nothing_and_confirm_loads_the_same_file_once(district, tmp_path):
    frame = with_bad_rows(incidents("d", N))
    frame.loc[5, "诉求类型"] = "违规养犬"
    kept = staged(tmp_path, frame)
    choice = uploads.Choice.of(kind="incidents", source="upload-test", crs="wgs84", layer="")
    common = {"user": "admin1", "options": JobOptions(source=""), "run": run_plain, "engine": district}
    result = uploads.dry_run(tmp_path, kept.token, choice=choice, **common)
    shown = uploads.summary(result)
    assert shown["dry_run"] and shown["counts"] == {
        "read": N,
        "inserted": N - 2,
        "updated": 0,
        "unchanged": 0,
        "quarantined": 2,
    }
    assert any("工单编号" in line for line in shown["columns"])
    assert any("「违规养犬」 1 row" in line for line in shown["categories"]), shown["categories"]
    [reason] = shown["reasons"]
    assert reason["count"] == 2 and [row for row, _ in reason["samples"]] == [2, 3]
    assert one(district, "SELECT count(*) FROM incident WHERE source = 'upload-test'") == 0
    loaded, used, record = uploads.confirm(tmp_path, kept.token, shown=kept.sha256, **common)
    assert (loaded.inserted, loaded.quarantined, used, record["name"]) == (N - 2, 2, choice, kept.name)
    assert one(district, "SELECT count(*) FROM incident WHERE source = 'upload-test'") == N - 2
    assert one(district, "SELECT sha256 FROM ingest_run WHERE id = :r", r=loaded.run_id) == kept.sha256
    assert not (tmp_path / kept.token).exists()
    with pytest.raises(InputError, match="gone"):
        uploads.confirm(tmp_path, kept.token, shown=kept.sha256, **common)
    with district.connect() as conn:
        data, rows = uploads.quarantine_workbook(conn, loaded.run_id)
    sheet = pd.read_excel(io.BytesIO(data), dtype=str)
    assert rows == 2 and sheet["受理时间"].tolist() == ["'=HYPERLINK(1)", "2026-13-40 99:00:00"]


def test_confirm_refuses_a_file_changed_since_its_dry_run_another_account_and_no_dry_run(district, tmp_path):
    kept = staged(tmp_path, incidents("t", N))
    common = {"options": JobOptions(source=""), "run": run_plain, "engine": district}
    with pytest.raises(InputError, match="dry run first"):
        uploads.confirm(tmp_path, kept.token, user="admin1", shown=kept.sha256, **common)
    choice = uploads.Choice.of(kind="incidents", source="upload-tamper", crs="wgs84", layer=None)
    uploads.dry_run(tmp_path, kept.token, user="admin1", choice=choice, **common)
    with pytest.raises(InputError, match="another account"):
        uploads.confirm(tmp_path, kept.token, user="admin2", shown=kept.sha256, **common)
    with pytest.raises(InputError, match="upload one first"):
        uploads.confirm(tmp_path, "../" + kept.token, user="admin1", shown=kept.sha256, **common)
    with pytest.raises(InputError, match="not the one"):
        uploads.confirm(tmp_path, kept.token, user="admin1", shown="0" * 64, **common)
    uploads.dry_run(tmp_path, kept.token, user="admin1", choice=choice, **common)
    (tmp_path / kept.token / kept.name).write_text(csv_text(incidents("u", N)), encoding="utf-8")
    with pytest.raises(InputError, match="not the one"):
        uploads.confirm(tmp_path, kept.token, user="admin1", shown=kept.sha256, **common)
    assert one(district, "SELECT count(*) FROM incident WHERE source = 'upload-tamper'") == 0


def test_a_choice_defaults_its_source_to_the_kind_and_takes_only_text():
    assert uploads.Choice.of(kind="boundaries:street", source=" ", crs="", layer=None) == uploads.Choice(
        "boundaries:street", "boundaries"
    )
    with pytest.raises(ValueError):
        uploads.Choice.of(kind="incidents", source=["x"], crs=None, layer=None)
    with pytest.raises(InputError):
        uploads.Choice.of(kind=None, source="x", crs=None, layer=None)


@pytest.fixture(scope="module")
def app(settings, district):
    url = district.url.render_as_string(hide_password=False)
    return create_app(dataclasses.replace(settings, database_url=url), district)


DATA_OUTPUTS = {L.STAGED, L.REVIEW, L.RESULT, L.DOWNLOAD}


def _data_callbacks(app):
    return [key for key in app.callback_map if any(key.lstrip(".").startswith(o + ".") for o in DATA_OUTPUTS)]


def _call(client, key, spec):
    items = [
        {"id": i["id"], "property": i["property"], "value": {"token": "0" * 32, "sha256": "0", "run": 1}}
        for i in spec["inputs"]
    ]
    state = [{"id": s["id"], "property": s["property"], "value": "x"} for s in spec.get("state", [])]
    outputs = [
        dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in key.strip(".").split("...")
    ]
    body = {"output": key, "outputs": outputs, "inputs": items, "state": state,
            "changedPropIds": [f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"]}  # fmt: skip
    return client.post(PATH, json=body)


@pytest.mark.parametrize("role", ["planner", "street_leader"])
def test_every_data_callback_and_the_page_refuse_anyone_but_an_admin(app, district, role):
    streets = [STREETS[0][0]] if role == "street_leader" else []
    client = client_for(app.server, make_account(district, f"data_{role}", role, streets=streets))
    keys = _data_callbacks(app)
    assert len(keys) == 4
    for key in keys:
        assert _call(client, key, app.callback_map[key]).status_code == 403, key
    page = client.post(PATH, json=route_body("/data"))
    text = json.dumps(page.get_json(), ensure_ascii=False)
    assert "无权访问" in text and L.UPLOAD not in text and PATHS["/data"] == "data"


def test_with_the_gates_page_check_switched_off_each_callback_still_refuses_a_planner(
    app, district, monkeypatch
):
    client = client_for(app.server, make_account(district, "data_planner_2", "planner"))
    monkeypatch.setattr("dashboard.auth.gate.may_use", lambda role, page: True)
    for key in _data_callbacks(app):
        response = _call(client, key, app.callback_map[key])
        assert response.status_code == 204, (key, response.status_code, response.get_data(as_text=True)[:300])


def test_prevent_update_is_what_a_non_admin_gets():
    """The second wall is Dash's PreventUpdate: the callback's outputs stay as they were."""
    from dashboard.uploads.callbacks import _admin

    with pytest.raises(PreventUpdate):
        _admin()


def test_a_request_body_beyond_the_upload_limit_is_refused_before_any_callback(app, district):
    client = client_for(app.server, make_account(district, "data_admin_big", "admin"))
    body = b'{"output": "' + b"x" * (app.server.config["MAX_CONTENT_LENGTH"] + 1) + b'"}'
    response = client.post(PATH, data=body, content_type="application/json")
    assert response.status_code == 413
