"""Deadlines by 诉求性质 and 紧急程度 as well as category (#18): a case must meet every rule that
applies to it, so its deadline is the earliest; `gridgov ingest incidents` reads both columns,
and `gridgov sla apply` keeps the time a case spent 挂起 (suspended) when the rules change."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest

from geo.errors import ConfigError
from geo.settings import PROJECT_ROOT
from geo.sla import Deadline, SlaRules
from tests.databases import demo_copy
from tests.small_district import gridgov
from tests.sql import all_rows, one

CST = dt.timezone(dt.timedelta(hours=8))
RULES = """
[sla.natures]
"咨询" = "1wd"
complaint = "5wd"
[sla.urgency]
"紧急" = "4h"
"""


def _starts(*texts: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(texts)).tz_localize("Asia/Shanghai"))


def test_the_earliest_of_category_nature_and_urgency_rules_sets_the_deadline(tmp_path):
    """Mon 23 Nov 2026 10:00, 市容环境 (2 working days: Wed 25th 18:00): a 咨询 is due by the close
    of Tue 24th; a 投诉 (5 working days) still by the category's; a 紧急 one 4 hours later."""
    path = tmp_path / "d.toml"
    path.write_text(RULES, encoding="utf-8")
    rules = SlaRules.from_file(path)
    assert (rules.by_nature, rules.by_urgency) == (
        {"consult": Deadline(1, "wd"), "complaint": Deadline(5, "wd")},
        {"urgent": Deadline(4, "h")},
    )
    due, rule = rules.due_and_rule(
        pd.Series(["environment"] * 5),
        _starts(*["2026-11-23 10:00"] * 5),
        natures=pd.Series([None, "consult", "complaint", "complaint", "consult"]),
        urgencies=pd.Series([None, None, None, "urgent", "critical"]),
    )
    assert [f"{t:%m-%d %H:%M}" for t in due] == [
        "11-25 18:00",
        "11-24 18:00",
        "11-25 18:00",
        "11-23 14:00",
        "11-24 18:00",
    ]
    assert rule.tolist() == ["2wd", "consult:1wd", "2wd", "urgent:4h", "consult:1wd"]


def test_unknown_natures_and_urgencies_in_the_file_say_what_to_write(tmp_path):
    for text, needle in (
        ('[sla.natures]\n"催办" = "1wd"\n', r"催办.*咨询 \(consult\)"),
        ('[sla.urgency]\n"很急" = "4h"\n', r"很急.*紧急 \(urgent\)"),
        ('[sla.natures]\n"咨询" = "tomorrow"\n', "16wh"),
        ('[sla]\nnatures = "咨询"\n', "must be a table"),
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=needle):
            SlaRules.from_file(bad)


@pytest.fixture
def district(tmp_path):
    """The demo's district file with nature and urgency rules, beside its aliases file."""
    for name in ("district.toml", "street_aliases.csv"):
        shutil.copy(PROJECT_ROOT / "data" / name, tmp_path / name)
    path = tmp_path / "district.toml"
    path.write_text(path.read_text(encoding="utf-8") + RULES, encoding="utf-8")
    return path


def test_ingest_reads_nature_and_urgency_and_apply_keeps_a_suspension(
    cluster, demo_template, district, tmp_path
):
    with demo_copy(cluster, demo_template) as engine:
        ((lon, lat),) = all_rows(
            engine,
            "SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM building ORDER BY id LIMIT 1",
        )
        rows = [
            ("N1", "投诉", "一般"),
            ("N2", "咨询", ""),
            ("N3", "投诉", "紧急"),
            ("N4", "咨询类", "特急"),
            ("N5", "催办", ""),
        ]
        pd.DataFrame(
            {"工单编号": [r[0] for r in rows], "诉求类型": "市容环境", "诉求性质": [r[1] for r in rows],
             "紧急程度": [r[2] for r in rows], "受理时间": "2026-11-23 10:00", "经度": lon, "纬度": lat}
        ).to_csv(tmp_path / "cases.csv", index=False)  # fmt: skip
        env = {"GRIDGOV_DISTRICT_FILE": str(district)}
        shown = gridgov(engine, "sla", "show", env=env)
        assert "诉求性质 nature: 咨询 (consult) 1wd, 投诉 (complaint) 5wd" in shown.stdout, (
            shown.stdout + shown.stderr
        )
        assert "紧急程度 urgency: 紧急 (urgent) 4h" in shown.stdout
        run = gridgov(
            engine,
            "ingest",
            "incidents",
            str(tmp_path / "cases.csv"),
            "--source",
            "hot",
            "--crs",
            "wgs84",
            env=env,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert "诉求性质" in run.stdout and "not recognised" in run.stdout  # 催办 loaded, counted
        got = all_rows(
            engine,
            "SELECT source_id, nature, urgency, to_char(deadline_at AT TIME ZONE 'Asia/Shanghai', 'MM-DD HH24:MI'), "
            "deadline_rule FROM incident WHERE source = 'hot' ORDER BY source_id",
        )
        assert [tuple(r) for r in got] == [
            ("N1", "complaint", "normal", "11-25 18:00", "2wd"),
            ("N2", "consult", None, "11-24 18:00", "consult:1wd"),
            ("N3", "complaint", "urgent", "11-23 14:00", "urgent:4h"),
            ("N4", "consult", "critical", "11-24 18:00", "consult:1wd"),
            ("N5", None, None, "11-25 18:00", "2wd"),
        ]
        # N1 suspended a day (挂起 Mon 11:00 → 恢复 Tue 11:00): its deadline moves by a day
        pd.DataFrame(
            {
                "工单编号": ["N1", "N1"],
                "环节": ["挂起", "恢复"],
                "操作时间": ["2026-11-23 11:00", "2026-11-24 11:00"],
            }
        ).to_csv(tmp_path / "steps.csv", index=False)
        run = gridgov(
            engine, "ingest", "incident-events", str(tmp_path / "steps.csv"), "--source", "hot", env=env
        )
        assert run.returncode == 0, run.stdout + run.stderr
        deadline = "SELECT to_char(deadline_at AT TIME ZONE 'Asia/Shanghai', 'MM-DD HH24:MI') FROM incident WHERE source_id = 'N1'"
        assert one(engine, deadline) == "11-26 18:00"
        # the rules change (投诉 within 1 working day): apply moves the rule's deadline, keeps the day
        district.write_text(
            district.read_text(encoding="utf-8").replace('complaint = "5wd"', 'complaint = "1wd"'),
            encoding="utf-8",
        )
        run = gridgov(engine, "sla", "apply", env=env)
        assert run.returncode == 0, run.stdout + run.stderr
        assert one(engine, deadline) == "11-25 18:00"  # Tue 24th 18:00 by the new rule, plus the day
        assert one(engine, "SELECT deadline_rule FROM incident WHERE source_id = 'N1'") == "complaint:1wd"
