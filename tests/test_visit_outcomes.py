"""Visit outcomes and checklists as street teams record them (#18): 当场整改, 取缔/关停 and 移交执法
beside passed / hazard / rectify; the kind's checklist stored item by item and read back; a site
closed down leaves the register and the rounds; ledgers say the same with a 处理结果 column."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.errors import InputError
from geo.inspection_kinds import INSPECTION_KINDS
from layers.cycles import round_coverage
from layers.register import risk_register
from layers.visits import VisitRecord, history, record_visit
from tests.databases import demo_copy
from tests.small_district import gridgov
from tests.sql import one


@pytest.fixture(scope="module")
def street(demo):
    return one(demo, "SELECT street_id FROM inspection_target GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")


BEIJING = dt.timezone(dt.timedelta(hours=8))
TODAY = dt.date(2027, 1, 11)  # after every demo visit: the latest visits read back are these
AT = dt.datetime.combine(TODAY, dt.time(10), tzinfo=BEIJING)


def _targets(conn, street: int, n: int) -> list[tuple[int, str]]:
    rows = conn.execute(
        sa.text("SELECT id, kind FROM inspection_target t WHERE street_id = :s AND closed_at IS NULL AND NOT EXISTS "
                "(SELECT 1 FROM inspection i WHERE i.target_id = t.id AND i.rectified_at IS NULL "
                "AND i.rectify_deadline IS NOT NULL) ORDER BY id LIMIT :n"),
        {"s": street, "n": n},
    ).all()  # fmt: skip
    return [(int(i), str(k)) for i, k in rows]


def _visit(conn, target: int) -> dict:
    return dict(
        conn.execute(
            sa.text("SELECT outcome, passed, rectify_deadline, rectified_at, findings FROM inspection "
                    "WHERE target_id = :t ORDER BY id DESC LIMIT 1"),
            {"t": target},
        ).mappings().one()
    )  # fmt: skip


def test_each_outcome_does_what_the_street_team_expects(demo, street):
    with demo.connect() as conn:
        trans = conn.begin()
        (fixed, kind), (closed, closed_kind), (referred, _) = _targets(conn, street, 3)
        checks = INSPECTION_KINDS[kind].checks
        record_visit(
            conn,
            VisitRecord(fixed, AT, "fixed", inspector="王五", failed=(checks[0],)),
            recheck_days=7,
            checks=checks,
        )
        row = _visit(conn, fixed)
        assert (row["outcome"], row["passed"], row["rectify_deadline"]) == ("fixed", False, TODAY)
        assert row["rectified_at"] == AT  # put right on the spot: found and rectified, no revisit
        assert row["findings"] == [{"item": c, "ok": c != checks[0]} for c in checks]
        record_visit(conn, VisitRecord(referred, AT, "referred"), recheck_days=7)
        assert _visit(conn, referred)["rectify_deadline"] == TODAY + dt.timedelta(days=7)  # a revisit
        record_visit(conn, VisitRecord(closed, AT, "closed"), recheck_days=7)
        register = risk_register(conn, street=street, today=TODAY).set_index("id")
        assert closed not in register.index and fixed in register.index
        assert (
            register.loc[fixed, "rectifications_open"] == 0
            and register.loc[referred, "rectifications_open"] == 1
        )
        rounds = round_coverage(conn, street=street, today=TODAY, registry=INSPECTION_KINDS)
        assert all(closed not in (t for t, _ in r.missing) for r in rounds if r.kind == closed_kind)
        back = history(conn, fixed)
        assert (
            back[0]["outcome"] == "fixed"
            and back[0]["inspector"] == "王五"
            and back[0]["findings"][0]["ok"] is False
        )
        trans.rollback()


def test_the_checklist_is_checked_on_the_server(demo, street):
    with demo.connect() as conn:
        trans = conn.begin()
        ((target, kind),) = _targets(conn, street, 1)
        checks = INSPECTION_KINDS[kind].checks
        with pytest.raises(InputError, match="不在该类对象的检查项中"):
            record_visit(
                conn,
                VisitRecord(target, AT, "hazard", failed=("<script>x</script>",)),
                recheck_days=7,
                checks=checks,
            )
        with pytest.raises(InputError, match="合格的检查不能有问题项"):
            record_visit(
                conn, VisitRecord(target, AT, "passed", failed=(checks[0],)), recheck_days=7, checks=checks
            )
        with pytest.raises(InputError, match="unknown outcome"):
            record_visit(conn, VisitRecord(target, AT, "maybe"), recheck_days=7, checks=checks)
        trans.rollback()


def test_a_ledger_says_the_outcome_and_a_closed_site_leaves_the_rounds(cluster, demo_template, tmp_path):
    with demo_copy(cluster, demo_template) as engine:
        with engine.connect() as conn:
            codes = [
                str(c)
                for (c,) in conn.execute(
                    sa.text("SELECT source_id FROM inspection_target ORDER BY id LIMIT 4")
                )
            ]
        ledger = pd.DataFrame({
            "记录编号": ["L1", "L2", "L3", "L4"], "对象编号": codes, "检查时间": "2026-06-10 10:00",
            "是否合格": ["否", "否", "否", "是"], "处理结果": ["当场整改", "取缔", "看着办", "责令整改"],
        })  # fmt: skip
        ledger.to_csv(tmp_path / "ledger.csv", index=False)
        run = gridgov(engine, "ingest", "inspections", str(tmp_path / "ledger.csv"), "--source", "ledger")
        assert run.returncode == 0, run.stdout + run.stderr
        assert (
            "处理结果「…」无法识别" in run.stdout
            and "「看着办」" in run.stdout
            and "是否合格与处理结果矛盾" in run.stdout
        )
        assert "sites closed down (取缔/关停): 1" in run.stdout
        with engine.connect() as conn:
            got = dict(
                conn.execute(
                    sa.text("SELECT source_id, outcome FROM inspection WHERE source = 'ledger'")
                ).all()
            )
            closed = (
                conn.execute(sa.text("SELECT source_id FROM inspection_target WHERE closed_at IS NOT NULL"))
                .scalars()
                .all()
            )
        assert got == {"L1": "fixed", "L2": "closed"} and closed == [codes[1]]
