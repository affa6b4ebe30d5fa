"""The audit page (issue #20): a page of the log at a time, newest first, filtered by kind,
account and Beijing dates, paged by id; streets named; the filtered log exported to Excel with a
title block, and the export itself audited. Entries are written here with their own times, and
every page is compared with SQL written in the test; the page is driven through the real app."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import uuid

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from dashboard.app import create_app
from dashboard.audit import layout as L
from dashboard.audit.callbacks import filter_from
from dashboard.audit.paging import Cursor
from dashboard.callback_request import PATH
from layers.audit import AuditFilter, Streets, describe
from tests.auth import client_for
from tests.callbacks import callback_request, page_values
from tests.sql import all_rows, one

BEIJING = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def probe(demo):
    """250 entries by one new account over five Beijing days (50 a day, the first half 'view',
    naming a street by id), and the street's (id, name)."""
    name = f"audit_probe_{uuid.uuid4().hex[:8]}"
    street = all_rows(demo, "SELECT id, name FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 1")[0]
    rows = [
        {"u": name, "at": dt.datetime.combine(DAY + dt.timedelta(days=i // 50), dt.time(23, 59, 0), tzinfo=BEIJING) - dt.timedelta(minutes=i % 50),
         "a": "view" if i % 2 else "export", "d": json.dumps({"what": "probe", "street": street[0], "n": i})}
        for i in range(250)
    ]  # fmt: skip
    with demo.begin() as conn:
        conn.execute(sa.text("INSERT INTO audit_log (username, at, action, detail) VALUES (:u, :at, :a, CAST(:d AS jsonb))"), rows)  # fmt: skip
    return name, street


@pytest.fixture(scope="module")
def app(settings, demo):
    return create_app(settings, demo)


def _ids(demo, where: str, **params) -> list[int]:
    return [
        r[0] for r in all_rows(demo, f"SELECT id FROM audit_log WHERE {where} ORDER BY id DESC", **params)
    ]


def test_the_cursor_pages_back_and_forth_and_survives_junk():
    first = Cursor().shown([30, 20], more=True)
    older = first.older()
    assert older.befores == (None, 20) and older.page == 2 and older.before == 20
    assert older.newer() == Cursor() and Cursor().newer() == Cursor()
    assert Cursor().shown([5], more=False).older() == Cursor((None,), 5, False)  # nothing older: stays
    for junk in (None, "x", {"befores": [3, None]}, {"befores": ["1"]}, {"befores": [None, True]}):
        assert Cursor.parse(junk).befores == (None,)
    assert Cursor.parse(older.to_store()) == Cursor((None, 20))


def test_filters_from_the_browser_are_checked():
    assert filter_from("view", "u", "2026-03-01", "2026-03-02T00:00:00") == AuditFilter("view", "u", DAY, DAY + dt.timedelta(days=1))  # fmt: skip
    assert filter_from(["view"], "x" * 201, "not a date", 5) == AuditFilter()


def test_streets_are_named_in_words(demo):
    with demo.connect() as conn:
        streets = Streets.read(conn)
    sid, name = all_rows(demo, "SELECT id, name FROM street WHERE valid_to IS NULL ORDER BY code LIMIT 1")[0]
    code = one(demo, "SELECT code FROM street WHERE id = :i", i=sid)
    text = describe(
        {"what": "inspection register", "street": sid, "streets": [code], "extra": {"a": 1}}, streets
    )
    assert text == f'内容: inspection register · 街道: {name} · 街道: {name} · extra: {{"a": 1}}'


def _show(app, client, values, overrides, changed):
    key = next(k for k in app.callback_map if k.startswith(f"..{L.TABLE}.children"))
    response = client.post(
        PATH, json=callback_request(key, app.callback_map[key], values, overrides, changed=changed)
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]


def _shown_ns(shown) -> list[int]:
    """The probe's ``n`` of each row shown (from the detail cell)."""
    cells = [row["props"]["children"][3]["props"]["children"] for row in shown[L.TABLE]["children"]]
    return [int(re.search(r"(?:^| )n: (\d+)", c).group(1)) for c in cells]


def test_an_account_paged_back_and_forth_equals_sql(app, demo, accounts, probe):
    name, (_sid, street) = probe
    admin = client_for(app.server, accounts["admin"])
    values = page_values(admin, "/audit")
    expected = _ids(demo, "username = :u", u=name)
    ns = {
        i: n
        for i, n in all_rows(
            demo, "SELECT id, (detail->>'n')::int FROM audit_log WHERE username = :u", u=name
        )
    }
    first = _show(app, admin, values, {(L.USER, "value"): name}, f"{L.USER}.value")
    assert _shown_ns(first) == [ns[i] for i in expected[:100]] and first[L.OLDER]["disabled"] is False
    assert street in json.dumps(first, ensure_ascii=False) and first[L.NEWER]["disabled"] is True
    pages, cursor = [first], first[L.CURSOR]["data"]
    for _ in range(2):
        values[(L.CURSOR, "data")] = cursor
        pages.append(_show(app, admin, values, {(L.USER, "value"): name}, f"{L.OLDER}.n_clicks"))
        cursor = pages[-1][L.CURSOR]["data"]
    assert [n for p in pages for n in _shown_ns(p)] == [ns[i] for i in expected]
    status = json.dumps(pages[-1][L.STATUS]["children"], ensure_ascii=False)
    assert pages[-1][L.OLDER]["disabled"] is True and "第 3 页" in status and "Page 3" in status
    values[(L.CURSOR, "data")] = cursor
    back = _show(app, admin, values, {(L.USER, "value"): name}, f"{L.NEWER}.n_clicks")
    assert _shown_ns(back) == _shown_ns(pages[1])


def test_kind_and_dates_filter_as_sql_does(app, demo, accounts, probe):
    name, _street = probe
    admin = client_for(app.server, accounts["admin"])
    values = page_values(admin, "/audit")
    since, until = DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2)
    chosen = {(L.USER, "value"): name, (L.KIND, "value"): "view",
              (L.DATES, "start_date"): since.isoformat(), (L.DATES, "end_date"): until.isoformat()}  # fmt: skip
    shown = _show(app, admin, values, chosen, f"{L.KIND}.value")
    sql = "username = :u AND action = 'view' AND at >= :a AND at < :b"
    start = dt.datetime.combine(since, dt.time(), tzinfo=BEIJING)
    expected = _ids(demo, sql, u=name, a=start, b=start + dt.timedelta(days=2))
    ns = dict(all_rows(demo, "SELECT id, (detail->>'n')::int FROM audit_log WHERE username = :u", u=name))
    assert len(expected) == 50 and _shown_ns(shown) == [ns[i] for i in expected]


def test_the_export_is_a_titled_workbook_of_the_filter_and_is_audited(app, demo, accounts, probe):
    name, (_sid, street) = probe
    admin = client_for(app.server, accounts["admin"])
    values = page_values(admin, "/audit")
    key = next(k for k in app.callback_map if k.startswith(L.DOWNLOAD))
    body = callback_request(key, app.callback_map[key], values, {(L.USER, "value"): name})
    response = admin.post(PATH, json=body)
    assert response.status_code == 200
    download = response.get_json()["response"][L.DOWNLOAD]["data"]
    assert download["filename"].startswith("audit-log-") and download["filename"].endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(base64.b64decode(download["content"]))).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][0] == "审计日志 Audit log" and name in cells[1][0] and accounts["admin"][0] in cells[2][0]
    head = next(i for i, row in enumerate(cells) if row[:4] == ["时间", "账号", "操作", "内容"])
    body_rows = cells[head + 1 :]
    assert len(body_rows) == 250 and all(r[1] == name for r in body_rows) and street in body_rows[0][3]
    assert sheet.freeze_panes == f"A{head + 2}" and sheet.print_title_rows == f"${head + 1}:${head + 1}"
    sql = "SELECT count(*) FROM audit_log WHERE username = :u AND action = 'export' AND detail->>'what' = 'audit log'"
    assert one(demo, sql, u=accounts["admin"][0]) >= 1
