"""The 报告 menu of the wall screen and the planning page: the report is made on the server for
the account asking. A street leader gets their street's report whatever street the browser
names; a district role the district's, or the street its page shows; a wall screen none."""

from __future__ import annotations

import base64
import datetime as dt
import io

import docx
import pytest
import sqlalchemy as sa
from dash.exceptions import PreventUpdate

from dashboard.app import create_app
from dashboard.callback_request import PATH, callback_body
from dashboard.inspections import layout as I
from dashboard.monitor import layout as M
from dashboard.report_menu import MenuIds, report_street
from geo import row_scope, sessions
from geo.inspection_kinds import INSPECTION_KINDS
from geo.row_scope import RowScope
from geo.sla import SlaRules
from layers import report_period
from layers.report import quarantined
from tests.auth import client_for, kiosk_login
from tests.sql import all_rows, one

BEIJING = dt.timezone(dt.timedelta(hours=8))


def test_a_street_leader_gets_their_own_street_whatever_is_asked():
    assert report_street(None, allowed=None) is None  # a district role: the district
    assert report_street(5, allowed=None) == 5
    assert report_street(7, allowed=(3, 7)) == 7
    assert report_street(5, allowed=(7, 3)) == 3  # another street: their own (the first)
    assert report_street(None, allowed=(7,)) == 7
    with pytest.raises(PreventUpdate):
        report_street(None, allowed=())


@pytest.fixture(scope="module")
def app(settings, demo):
    return create_app(settings, demo)


def _download(client, menu: MenuIds, place: tuple[str, str, object], *, period="last_week", suffix=".docx"):
    body = callback_body(
        [(menu.download, "data"), (menu.message, "children")],
        [(menu.button, "n_clicks", 1)],
        [(menu.period, "value", period), (menu.format, "value", suffix), place],
        changed=f"{menu.button}.n_clicks",
    )
    return client.post(PATH, json=body)


def _file(response) -> tuple[str, bytes]:
    assert response.status_code == 200, response.text[:300]
    answer = response.get_json()["response"]
    assert [v["children"] for v in answer.values() if "children" in v] == [""]  # no warning
    (sent,) = [v["data"] for v in answer.values() if "data" in v]
    return sent["filename"], base64.b64decode(sent["content"])


def _street(demo, code_order: int) -> tuple[int, str]:
    rows = all_rows(demo, "SELECT id, name FROM street WHERE valid_to IS NULL ORDER BY code")
    return int(rows[code_order][0]), str(rows[code_order][1])


def _overdue_tickets(document: docx.document.Document) -> list[str]:
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "工单编号")
    return [row.cells[0].text for row in table.rows[1:]]


def test_a_leader_asking_for_another_street_gets_their_own_streets_report(app, demo, accounts, settings):
    mine, name = _street(demo, 0)  # the leader of the accounts fixture is bound to the first street
    other, _ = _street(demo, 1)
    client = client_for(app.server, accounts["street_leader"])
    drill = (M.DRILL, "data", {"level": "street", "id": other})
    filename, blob = _file(_download(client, M.REPORT, drill))
    week = report_period.last_week(dt.datetime.now(BEIJING).date())
    assert filename == f"周报-{week.start.isocalendar()[0]}-W{week.start.isocalendar()[1]:02d}-{name}.docx"
    document = docx.Document(io.BytesIO(blob))
    assert [p.text for p in document.paragraphs[:3]] == [name, "周报", week.label()]  # the title page
    sql = (
        "SELECT source_id FROM incident WHERE duplicate_of IS NULL AND street_id = :s AND reported_at < :u "
        "AND deadline_at < :u AND (closed_at IS NULL OR closed_at >= :u) ORDER BY deadline_at, id LIMIT 50"
    )
    expected = [r[0] for r in all_rows(demo, sql, s=mine, u=week.until)]
    assert _overdue_tickets(document) == expected
    warn = SlaRules.from_file(settings.district_file).warn_until(week.until)  # the district's 临期 horizon
    soon_sql = (
        "SELECT source_id FROM incident WHERE duplicate_of IS NULL AND street_id = :s AND reported_at < :u "
        "AND deadline_at >= :u AND deadline_at < :w AND (closed_at IS NULL OR closed_at >= :u) ORDER BY deadline_at, id"
    )
    hot = next(t for t in document.tables if t.rows[0].cells[0].text == "网格")
    sql = (
        "SELECT count(i.id), g.residents FROM grid g LEFT JOIN incident i ON i.grid_id = g.id "
        "AND i.duplicate_of IS NULL AND i.reported_at >= :since AND i.reported_at < :u "
        "WHERE g.code = :code AND g.valid_to IS NULL GROUP BY g.residents"
    )
    for row in hot.rows[1:]:  # each hot grid's cases and rate per 1,000 residents
        ((cases, residents),) = all_rows(demo, sql, code=row.cells[0].text, since=week.since, u=week.until)
        assert (row.cells[3].text, row.cells[4].text) == (str(cases), str(round(cases / residents * 1000, 1)))
        assert row.cells[2].text == name and row.cells[6].text in ("99%", "95%", "90%")
    soon = next(t for t in document.tables if t.rows[0].cells[-1].text == "剩余小时")
    assert [r.cells[0].text for r in soon.rows[1:]] == [
        r[0] for r in all_rows(demo, soon_sql, s=mine, u=week.until, w=warn)
    ]
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:7] == [
        "一、总体情况",
        "二、主要指标",
        "三、诉求类别",
        "四、各社区情况",
        "五、热点分布",
        "六、超期与临期工单",
        "期末超期未办结",
    ]  # its communities, not the streets
    assert not any("数据质量" in h for h in headings)  # the district's loads: not a street's section
    communities = next(t for t in document.tables if t.rows[0].cells[0].text == "社区")
    shown = {row.cells[0].text: int(row.cells[1].text.replace(",", "")) for row in communities.rows[1:]}
    sql = (
        "SELECT c.name, count(*) FROM incident i JOIN community c ON c.id = i.community_id "
        "WHERE i.duplicate_of IS NULL AND i.street_id = :s AND i.reported_at >= :since AND i.reported_at < :u "
        "GROUP BY c.name"
    )
    counted = {name: n for name, n in all_rows(demo, sql, s=mine, since=week.since, u=week.until)}
    assert {k: v for k, v in shown.items() if v} == counted and counted  # rows of 0 cases: still ranked
    rounds = next(t for t in document.tables if [c.text for c in t.rows[0].cells[:2]] == ["社区", "类型"])
    shown_rounds = {(r.cells[0].text, r.cells[1].text): [int(c.text) for c in r.cells[2:]] for r in rounds.rows[1:]}  # fmt: skip
    expected_rounds = _rounds(demo, street=mine, week=week)
    assert shown_rounds == expected_rounds and any(v[2] for v in expected_rounds.values())  # visits
    per_kind = next(t for t in document.tables if [c.text for c in t.rows[0].cells[:2]] == ["类型", "对象数"])
    kinds = {r.cells[0].text: [int(c.text) for c in r.cells[1:]] for r in per_kind.rows[1:]}
    assert kinds == {k: [sum(v[i] for (_, kind), v in expected_rounds.items() if kind == k) for i in range(6)]
                     for k in {kind for _, kind in expected_rounds}}  # fmt: skip
    audited = one(
        demo,
        "SELECT count(*) FROM audit_log WHERE action = 'export' AND detail->>'what' = 'report' "
        "AND detail->>'street' = :s AND username = :u",
        s=str(mine),
        u=accounts["street_leader"][0],
    )
    assert audited >= 1


# a street's inspection rounds of a period per community and kind, as a report counts them: sites
# (not closed before it), sites visited, visits, problems (any outcome but passed), rectified in
# it, rectifications overdue at its end (deadline passed, found before the end, not rectified by then)
_ROUNDS = """
WITH site AS (SELECT t.id, t.kind, c.name FROM inspection_target t JOIN community c ON c.id = t.community_id
              WHERE t.street_id = :s AND (t.closed_at IS NULL OR t.closed_at >= :since))
SELECT site.name, site.kind, count(DISTINCT site.id),
       count(DISTINCT i.target_id) FILTER (WHERE i.inspected_at >= :since AND i.inspected_at < :u),
       count(i.id) FILTER (WHERE i.inspected_at >= :since AND i.inspected_at < :u),
       count(i.id) FILTER (WHERE i.inspected_at >= :since AND i.inspected_at < :u AND i.outcome <> 'passed'),
       count(i.id) FILTER (WHERE i.rectify_deadline IS NOT NULL AND i.rectified_at >= :since AND i.rectified_at < :u),
       count(i.id) FILTER (WHERE i.rectify_deadline < :day AND i.inspected_at < :u
                           AND (i.rectified_at IS NULL OR i.rectified_at >= :u))
FROM site LEFT JOIN inspection i ON i.target_id = site.id GROUP BY 1, 2
"""


def _rounds(demo, *, street: int, week) -> dict[tuple[str, str], list[int]]:
    rows = all_rows(
        demo, _ROUNDS, s=street, since=week.since, u=week.until, day=week.end + dt.timedelta(days=1)
    )
    return {(community, INSPECTION_KINDS[kind].zh): list(counts) for community, kind, *counts in rows}


def test_an_admin_gets_the_district_or_the_street_the_page_shows(app, demo, accounts):
    client = client_for(app.server, accounts["admin"])
    month = report_period.last_month(dt.datetime.now(BEIJING).date())
    district = (M.DRILL, "data", {"level": "district", "id": None})
    filename, blob = _file(_download(client, M.REPORT, district, period="last_month", suffix=".xlsx"))
    assert filename == f"月报-{month.start:%Y-%m}.xlsx" and blob[:2] == b"PK"
    street, name = _street(demo, 2)
    filename, blob = _file(_download(client, I.REPORT, (I.STREET, "value", street), suffix=".pdf"))
    assert filename.endswith(f"-{name}.pdf") and blob[:5] == b"%PDF-"


def test_no_report_for_a_wall_screen_or_a_made_up_choice(app, demo, accounts):
    wall = client_for(app.server)
    with demo.begin() as conn:
        token = sessions.new_kiosk_token(conn, accounts["wall_screen"][0])
    opened = kiosk_login(wall, token)
    assert opened.status_code == 303, opened.get_data(as_text=True)[:300]
    district = (M.DRILL, "data", {"level": "district", "id": None})
    assert _download(wall, M.REPORT, district).status_code == 204
    admin = client_for(app.server, accounts["admin"])
    assert _download(admin, M.REPORT, district, period="last_decade").status_code == 204
    assert _download(admin, M.REPORT, district, suffix=".exe").status_code == 204


def test_the_web_role_reads_the_loads_quality_as_counts_only(demo):
    """The web's role may not read quarantined rows (migration 0015) but a report from a page
    holds the data-quality section: counts through gridgov_quarantine_counts (0027), equal to
    SQL on the table run here as the owner (on rows set aside here, rolled back after)."""
    period = report_period.days("2000-01-01", "2099-12-31")
    sql = (
        "SELECT r.kind, coalesce(q.reason_kind, q.reason), count(*) FROM quarantine q "
        "JOIN ingest_run r ON r.id = q.run_id GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2"
    )
    with demo.connect() as conn:
        run = conn.execute(sa.text("INSERT INTO ingest_run (kind, source) VALUES ('incidents', 'q') RETURNING id")).scalar()  # fmt: skip
        for number, reason in enumerate(["no location", "no location", "bad date '2026-13-01'"]):
            conn.execute(
                sa.text(
                    "INSERT INTO quarantine (run_id, row_number, raw, reason) VALUES (:r, :n, '{}', :why)"
                ),
                {"r": run, "n": number, "why": reason},
            )
        expected = [tuple(r) for r in conn.execute(sa.text(sql))]
        row_scope.apply(conn, RowScope.everything())  # the web's role, as a page's transaction
        counted = quarantined(conn, period)
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            conn.execute(sa.text("SELECT count(*) FROM quarantine")).scalar()
        conn.rollback()
    assert ("incidents", "no location", 2) in expected
    assert [tuple(r) for r in counted.itertuples(index=False)] == expected
