"""The district's own vocabulary: incident categories and inspection kinds declared in the
district file, used by ingest (run as a user runs it), the SLA rules and the wall screen."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.monitor.figures import trend_figure
from dashboard.monitor.layout import CATEGORY, filter_bar
from dashboard.monitor.views import Controls
from geo.categories import CATEGORIES
from geo.errors import ConfigError
from geo.sla import SlaRules
from geo.vocabulary import Vocabulary
from ingest.job import JobOptions, run_file
from ingest.kinds import get_kind

ROOT = Path(__file__).resolve().parents[1]
DISTRICT = """\
[sla]
office_hours = ["08:30-12:00", "14:30-18:00"]

[sla.deadlines]
street_order = "4wh"
municipal = "16wh"

[categories.noise]
zh = "噪音扰民"
en = "Noise"
deadline = "3wd"
aliases = ["噪声", "扰民"]

[categories.municipal]
zh = "市政设施"
en = "Municipal facilities"
colour = "#123abc"
aliases = ["路灯", "井盖"]

[inspection_kinds.petrol]
zh = "加油站"
en = "Petrol station"
interval_days = 15
checks = ["消防器材", "油气回收"]
aliases = ["加油点"]
"""
# Monday 23 Nov 2026, 09:00 Beijing: 3 working days → Thu 26 Nov 18:00; 16 working hours
# (6.5 h on Monday, 7 h on Tuesday, 2.5 h on Wednesday) → Wed 25 Nov 11:00
ROWS = [
    ("T-01", "噪音扰民", "2026-11-23 09:00:00"),
    ("T-02", "楼上噪声", "2026-11-23 09:00:00"),
    ("T-03", "市政设施", "2026-11-23 09:00:00"),
    ("T-04", "路灯不亮", "2026-11-23 09:00:00"),
    ("T-05", "违规养犬", "2026-11-23 09:00:00"),
    ("T-06", "违规养犬", "2026-11-23 09:00:00"),
    ("T-07", "违规养犬", "2026-11-23 09:00:00"),
    ("T-08", "环境脏乱", "2026-11-23 09:00:00"),
    ("T-09", "占道经营", "2026-11-23 09:00:00"),
    ("T-10", "其它", "2026-11-23 09:00:00"),
]


@pytest.fixture
def district_file(tmp_path: Path) -> Path:
    path = tmp_path / "district.toml"
    path.write_text(DISTRICT, encoding="utf-8")
    return path


def gridgov(*args: str, district: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"GRIDGOV_DISTRICT_FILE": str(district), "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "gridgov", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        cwd=ROOT,
    )


def write_incidents(path: Path) -> Path:
    frame = pd.DataFrame(ROWS, columns=["工单编号", "诉求类型", "受理时间"])
    frame["诉求内容"] = "测试"
    frame["经度"], frame["纬度"] = 113.30, 40.09
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def stored(engine: sa.Engine) -> dict[str, tuple[str, str | None, str | None]]:
    query = sa.text(
        "SELECT source_id, category, deadline_rule, to_char(deadline_at AT TIME ZONE 'Asia/Shanghai', "
        "'MM-DD HH24:MI') FROM incident WHERE source = 'hotline'"
    )
    with engine.connect() as conn:
        return {r[0]: (r[1], r[2], r[3]) for r in conn.execute(query)}


def test_declared_categories_and_kinds_join_the_built_ins(district_file):
    vocabulary = Vocabulary.from_file(district_file)
    assert list(vocabulary.categories)[: len(CATEGORIES)] == list(CATEGORIES)  # built-ins first, in order
    assert vocabulary.categories["noise"].zh == "噪音扰民" and vocabulary.label("noise", "en") == "Noise"
    assert vocabulary.category("路灯不亮").key == "municipal"  # an alias inside the text
    assert vocabulary.category("Noise").key == "noise"
    assert vocabulary.colour("municipal") == "#123abc"
    assert vocabulary.colour("noise") not in {c.colour for c in CATEGORIES.values()}  # a palette colour
    assert vocabulary.kind("加油点") == "petrol" and vocabulary.inspection_kinds["petrol"].interval_days == 15
    assert vocabulary.kind("民宿") == "homestay"  # the built-in kinds stay
    rules = SlaRules.from_file(district_file, vocabulary=vocabulary)
    assert (str(rules.rule("noise")), str(rules.rule("municipal")), str(rules.rule("street_order"))) == (
        "3wd",
        "16wh",
        "4wh",
    )
    # nothing leaked into the built-ins: another district served by the same process sees none of it
    assert "noise" not in Vocabulary().categories and "noise" not in CATEGORIES
    with pytest.raises(TypeError):
        CATEGORIES["noise"] = vocabulary.categories["noise"]  # type: ignore[index]


def test_a_dry_run_lists_unknown_categories_with_the_lines_to_add_and_they_work(
    district_file, migrated_engine, tmp_path
):
    """As a user runs it: the real `gridgov` command, with GRIDGOV_DISTRICT_FILE set."""
    url = migrated_engine.url.render_as_string(hide_password=False)
    csv = write_incidents(tmp_path / "12345导出.csv")
    args = ("ingest", "incidents", str(csv), "--source", "hotline", "--crs", "wgs84", "--quiet")
    dry = gridgov(*args, "--dry-run", district=district_file, url=url)
    assert dry.returncode == 0, dry.stderr
    out = dry.stdout
    assert "dry run, nothing written" in out and "quarantined 0" in out
    assert "unknown categories, loaded as 其他 (other): 2 texts" in out and str(district_file) in out
    assert "「违规养犬」 3 rows:" in out and "「环境脏乱」 1 row:" in out
    assert '    [categories."违规养犬"]\n    zh = "违规养犬"\n    deadline = "5wd"' in out
    # 环境脏乱 shares 环境 with 环境卫生, an alias of environment: the alias line is offered too
    assert "# or, if it is a kind of 市容环境 (environment), instead:" in out
    assert '# aliases = ["环境卫生", "市容", "垃圾", "卫生", "绿化", "污染", "油烟", "环境脏乱"]' in out
    assert stored(migrated_engine) == {}

    lines = out.splitlines()
    start = lines.index("  「违规养犬」 3 rows:") + 1
    block = [line.removeprefix("    ") for line in lines[start : start + 3]]
    district_file.write_text(DISTRICT + "\n" + "\n".join(block) + "\n", encoding="utf-8")  # pasted as printed
    real = gridgov(*args, district=district_file, url=url)
    assert real.returncode == 0, real.stderr
    assert (
        "inserted 10" in real.stdout
        and "「环境脏乱」 1 row:" in real.stdout
        and "违规养犬" not in real.stdout
    )
    rows = stored(migrated_engine)
    assert rows["T-01"] == ("noise", "3wd", "11-26 18:00")
    assert rows["T-02"][0] == "noise"
    assert rows["T-03"] == ("municipal", "16wh", "11-25 11:00")
    assert rows["T-04"][0] == "municipal"
    assert {rows[k][0] for k in ("T-05", "T-06", "T-07")} == {"违规养犬"}
    assert rows["T-08"] == ("other", "5wd", "11-30 18:00")  # unknown: 其他, as before, with other's deadline
    assert rows["T-09"] == ("street_order", "4wh", "11-23 15:30")
    assert rows["T-10"][0] == "other"


def test_the_job_result_carries_the_unknown_texts(district_file, migrated_engine, tmp_path):
    result = run_file(
        migrated_engine,
        kind=get_kind("incidents"),
        path=write_incidents(tmp_path / "in.csv"),
        options=JobOptions(
            source="hotline", crs="wgs84", dry_run=True, vocabulary=Vocabulary.from_file(district_file)
        ),
    )
    entries = result.report["unknown_categories"]
    assert [(e["text"], e["rows"]) for e in entries] == [("违规养犬", 3), ("环境脏乱", 1)]
    assert result.notes["unknown or missing category → 其他 (other)"] == 4


def test_inspection_targets_of_a_declared_kind_load(district_file, migrated_engine, tmp_path):
    path = tmp_path / "targets.csv"
    pd.DataFrame(
        {
            "对象编号": ["P1", "P2", "H1", "X1"],
            "对象类型": ["加油站", "加油点", "民宿", "洗浴中心"],
            "名称": ["东关加油站", "西街加油点", "某民宿", "某浴池"],
            "经度": [113.30, 113.31, 113.32, 113.33],
            "纬度": 40.09,
        }
    ).to_csv(path, index=False)
    result = run_file(
        migrated_engine,
        kind=get_kind("inspection-targets"),
        path=path,
        options=JobOptions(source="t", crs="wgs84", vocabulary=Vocabulary.from_file(district_file)),
    )
    assert (result.inserted, result.quarantined) == (3, 1)
    with migrated_engine.connect() as conn:
        got = dict(
            conn.execute(
                sa.text("SELECT source_id, kind || ':' || interval_days FROM inspection_target")
            ).all()
        )
        reason = conn.execute(sa.text("SELECT reason FROM quarantine")).scalar_one()
    assert got == {"P1": "petrol:15", "P2": "petrol:15", "H1": "homestay:30"}
    assert "洗浴中心" in reason


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        (
            '[categories.noise]\nzh = "噪音扰民"\ndeadline = "3 days"\n',
            ["[categories.noise]", 'deadline = "3wd"'],
        ),
        ('[categories.noise]\nen = "Noise"\n', ["[categories.noise] has no zh name", 'zh = "']),
        (
            '[categories.noise]\nzh = "噪音扰民"\naliases = ["扰民"]\n[categories.din]\nzh = "喧哗"\naliases = ["扰民"]\n',
            ['"扰民" names both [categories.noise] and [categories.din]'],
        ),
        (
            '[categories.parking]\nzh = "停车管理"\naliases = ["停车"]\n',  # 停车 is street_order's
            ["[categories.street_order] and [categories.parking]", "aliases list without it"],
        ),
        ('[categories.noise]\nzh = "噪音扰民"\ncolour = "red;"\n', ['colour = "#1b9e77"']),
        ('[categories.noise]\nzh = "噪音扰民"\nlimit = "3wd"\n', ["unknown keys ['limit']", "deadline"]),
        ('[categories]\nnoise = "噪音扰民"\n', ["[categories.noise] must be a table"]),
        ('[categories."噪音 扰民"]\nzh = "噪音扰民"\n', ["a key is letters, digits"]),
        ('[inspection_kinds.petrol]\nzh = "加油站"\n', ["[inspection_kinds.petrol] has no interval_days"]),
        ('[inspection_kinds.petrol]\nzh = "加油站"\ninterval_days = "monthly"\n', ["interval_days = 30"]),
        ("[inspection_kinds.petrol]\ninterval_days = 30\n", ["[inspection_kinds.petrol] has no zh name"]),
        ('[inspection_kinds.petrol]\nzh = "加油站"\ninterval_days = 30\nchecks = "消防"\n', ["checks = ["]),
    ],
)
def test_bad_declarations_say_which_table_and_what_to_write(tmp_path, text, needles):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Vocabulary.from_file(path)
    for needle in needles:
        assert needle in str(caught.value)
    assert str(path) in str(caught.value)


def test_deadlines_set_twice_or_for_unknown_categories_are_refused(tmp_path):
    path = tmp_path / "d.toml"
    path.write_text('[categories.noise]\nzh = "噪音扰民"\ndeadline = "3wd"\n[sla.deadlines]\nnoise = "2wd"\n')
    with pytest.raises(ConfigError, match=r"set both in \[sla.deadlines\] and in \[categories.KEY\]"):
        SlaRules.from_file(path)
    path.write_text('[sla.deadlines]\nnoise = "2wd"\n')
    with pytest.raises(ConfigError, match=r"unknown categories \['noise'\].*\[categories.KEY\]"):
        SlaRules.from_file(path)


def test_the_command_line_says_what_is_wrong_in_one_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[categories.noise]\nen = "Noise"\n', encoding="utf-8")
    result = gridgov("sla", "show", district=path, url="postgresql://nobody@localhost/none")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (
        result.stderr.strip() == f'gridgov: {path}: [categories.noise] has no zh name; write zh = "噪音扰民"'
    )


def test_sla_show_lists_the_district_categories(district_file):
    result = gridgov("sla", "show", district=district_file, url="postgresql://nobody@localhost/none")
    assert result.returncode == 0, result.stderr
    assert "噪音扰民 (noise): 3wd" in result.stdout and "市政设施 (municipal): 16wh" in result.stdout


def test_the_wall_screen_names_and_colours_the_district_categories(district_file):
    vocabulary = Vocabulary.from_file(district_file)
    days = pd.date_range("2026-11-01", periods=3).date
    daily = pd.DataFrame({"environment": [1, 0, 2], "noise": [3, 1, 0], "retired": [0, 1, 0]}, index=days)
    figure = trend_figure(daily, lang="en", vocabulary=vocabulary)
    bars = [(t["name"], t["marker"]["color"]) for t in figure["data"] if t["type"] == "bar"]
    assert bars == [
        ("City appearance & environment", "#4daf4a"),
        ("Noise", vocabulary.colour("noise")),
        ("retired", vocabulary.colour("retired")),  # stored under a category no longer declared: kept
    ]
    controls = Controls.parse(
        window=30, categories=["noise", "nope", 3], sources=[], statuses=[], mode="heat", lang="zh",
        known_categories=vocabulary.categories,
    )  # fmt: skip
    assert controls.categories == ("noise",)
    bar = filter_bar(controls, [], vocabulary, today=dt.date(2026, 12, 1))
    picker = next(c for c in bar.children if getattr(c, "id", None) == CATEGORY)
    assert {"label": "市政设施", "value": "municipal"} in picker.options and picker.value == ["noise"]


def test_the_dashboard_follows_the_district_file(settings, demo, accounts, tmp_path):
    """An app whose district file renames a built-in, adds a category and a kind: the wall
    screen's filter and trend and the planning page's kinds say so; the callbacks accept them."""
    from dashboard.app import create_app
    from dashboard.monitor import layout as L
    from tests.auth import client_for
    from tests.callbacks import components, route
    from tests.callbacks import monitor_update as update

    path = tmp_path / "district.toml"
    path.write_text(
        DISTRICT + '[categories.environment]\nzh = "环境卫生"\nen = "Sanitation"\n', encoding="utf-8"
    )
    app = create_app(dataclasses.replace(settings, district_file=path), demo)
    client = client_for(app.server, accounts["admin"])
    page = json.dumps(route(client, "/monitor")[0], ensure_ascii=False)
    assert (
        '"label": "噪音扰民", "value": "noise"' in page
        and '"label": "环境卫生", "value": "environment"' in page
    )
    out = update(client, drill={"level": "district", "id": None}, view="x", cats=["noise", "environment"])
    assert out.status_code == 200, out.text
    trend = out.get_json()["response"][L.TREND]["figure"]["data"]
    assert [t["name"] for t in trend if t["type"] == "bar"] == ["环境卫生"]  # the demo has no noise
    english = update(client, drill={"level": "district", "id": None}, view="x", lang="en")
    names = {t["name"] for t in english.get_json()["response"][L.TREND]["figure"]["data"]}
    assert "Sanitation" in names and "City appearance & environment" not in names
    shown = components(route(client, "/inspections")[0], {})
    kinds = {o["value"]: json.dumps(o["label"], ensure_ascii=False) for o in shown[("ins-kinds", "options")]}
    assert "加油站" in kinds["petrol"] and "民宿" in kinds["homestay"]


@pytest.mark.parametrize(
    "text", ["HELP!", "？？", "噪音扰民", "城市管理/占用 绿地", 'say "hi"\\now', "环境脏乱"]
)
def test_every_suggestion_pasted_as_printed_files_the_text(tmp_path, text):
    """The suggested table makes the text a category of its own; the commented alternative, when
    there is one, files it under the related category instead."""
    suggestion = Vocabulary().suggestion(text)
    path = tmp_path / "d.toml"
    path.write_text(suggestion + "\n", encoding="utf-8")
    own = Vocabulary.from_file(path).category(text)
    assert own is not None and own.key not in CATEGORIES and own.zh == text.strip()
    alternative = [line.removeprefix("# ") for line in suggestion.splitlines() if line.startswith("# [")]
    alternative += [
        line.removeprefix("# ") for line in suggestion.splitlines() if line.startswith("# aliases")
    ]
    if alternative:
        path.write_text("\n".join(alternative) + "\n", encoding="utf-8")
        related = Vocabulary.from_file(path).category(text)
        assert related is not None and related.key in CATEGORIES and related.key != "other"


def test_sla_show_lists_the_seasons_office_hours(tmp_path):
    path = tmp_path / "d.toml"
    path.write_text(
        '[[sla.seasons]]\nname = "夏季作息"\nfrom = "05-01"\nto = "09-30"\noffice_hours = ["08:00-12:00", "15:00-18:30"]\n',
        encoding="utf-8",
    )
    result = gridgov("sla", "show", district=path, url="postgresql://nobody@localhost/none")
    assert result.returncode == 0, result.stderr
    assert (
        "office hours: 08:30-12:00, 14:30-18:00; 夏季作息 05-01 to 09-30: 08:00-12:00, 15:00-18:30;"
        in result.stdout
    )
