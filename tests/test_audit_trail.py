"""The audit log records who viewed a street's register of residents, who exported what and who
changed what; only admins can read it, at /audit."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from dashboard.app import create_app
from dashboard.callback_request import PATH
from tests.auth import client_for
from tests.callbacks import callback_request as _body
from tests.callbacks import page_values as _page_values


def _entries(demo, username):
    with demo.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT action, detail FROM audit_log WHERE username = :u ORDER BY id"), {"u": username}
        ).all()
    return [(action, detail) for action, detail in rows]


def _call(app, client, values, output_prefix, overrides):
    key = next(k for k in app.callback_map if k.startswith(output_prefix))
    response = client.post(PATH, json=_body(key, app.callback_map[key], values, overrides))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()


def test_views_exports_and_changes_are_audited_and_only_admins_read_the_log(settings, demo, accounts):
    app = create_app(settings, demo)
    leader = client_for(app.server, accounts["street_leader"])
    values = _page_values(leader, "/inspections")
    plan = _call(app, leader, values, "..ins-grid.rowData", {})["response"]["ins-plan-data"]["data"]
    values[("ins-plan-data", "data")] = plan
    _call(app, leader, values, "ins-download.data", {})
    target = plan["routes"][0]["stops"][0]["target"]
    overrides = {("ins-r-target", "value"): target, ("ins-r-outcome", "value"): "passed",
                 ("ins-r-date", "date"): dt.date.today().isoformat(), ("ins-r-notes", "value"): "ok",
                 ("ins-r-inspector", "value"): "王检查"}  # fmt: skip
    _call(app, leader, values, "..ins-r-message.children", overrides)
    actions = [
        (action, detail.get("what")) for action, detail in _entries(demo, accounts["street_leader"][0])
    ]
    assert {
        ("view", "inspection register"),
        ("export", "inspection plan"),
        ("change", "inspection visit"),
    } <= set(actions)

    admin = client_for(app.server, accounts["admin"])
    shown = _page_values(admin, "/audit")
    assert ("audit-kind", "options") in shown and ("audit-older", "disabled") in shown
    page = admin.post(
        PATH,
        json=_body("page.children", app.callback_map["page.children"], {("url", "pathname"): "/audit"}, {}),
    )
    assert "inspection plan" in page.get_data(as_text=True) and accounts["street_leader"][0] in page.get_data(
        as_text=True
    )
    refused = leader.post(
        PATH,
        json=_body("page.children", app.callback_map["page.children"], {("url", "pathname"): "/audit"}, {}),
    )
    assert "inspection plan" not in refused.get_data(as_text=True) and "No access" in refused.get_data(
        as_text=True
    )
