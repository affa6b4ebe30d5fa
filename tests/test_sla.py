"""The SLA clock: working hours and days across Chinese holidays and make-up working days."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from dashboard.monitor.layout import provisional_mark
from geo.errors import ConfigError
from geo.sla import Deadline, SlaRules
from geo.workcal import WorkCalendar, parse_periods
from tests.sql import one

CST = dt.timezone(dt.timedelta(hours=8))

RULES = SlaRules()


def due(category: str, *starts: str) -> list[str]:
    times = pd.Series(pd.to_datetime(list(starts)).tz_localize("Asia/Shanghai"))
    out = RULES.due(pd.Series([category] * len(starts)), times)
    return [f"{t:%Y-%m-%d %H:%M}" for t in out]


def test_the_national_day_holiday_stops_the_working_hour_clock():
    # Wed 30 Sep 2026 17:00: 1 h that day, 1–7 Oct are holidays, 8 Oct gives the other 7 h
    assert due("street_order", "2026-09-30 17:00") == ["2026-10-08 18:00"]


def test_a_make_up_saturday_is_a_working_day():
    # Fri 9 Oct: 10:00–12:00 and 14:30–18:00 = 5.5 h; Sat 10 Oct (调休 working day) gives 2.5 h
    assert due("street_order", "2026-10-09 10:00") == ["2026-10-10 11:00"]
    # arriving on that Saturday, 2 working days: Sun 11 off, Mon 12 is day 1, Tue 13 is day 2
    assert due("environment", "2026-10-10 09:00") == ["2026-10-13 18:00"]


def test_spring_festival_and_its_make_up_days():
    # Sat 14 Feb 2026 is a make-up working day; 15–23 Feb are the holiday
    cal = WorkCalendar()
    assert cal.is_workday(dt.date(2026, 2, 14)) and not cal.is_workday(dt.date(2026, 2, 16))
    assert due("environment", "2026-02-13 16:00") == ["2026-02-24 18:00"]  # 14 Feb, then 24 Feb


def test_reports_outside_office_hours_wait_for_the_next_period():
    assert due("street_order", "2026-11-23 07:00", "2026-11-23 13:00", "2026-11-21 10:00") == [
        "2026-11-24 09:30",  # Monday before work: all 7 office hours of Monday, then 1 h
        "2026-11-24 15:30",  # lunch break: 3.5 h that afternoon, 4.5 h the next day
        "2026-11-24 09:30",  # Saturday: starts Monday morning
    ]


def test_emergencies_run_round_the_clock():
    assert due("emergency", "2026-10-01 22:30") == ["2026-10-02 02:30"]


def test_district_file_overrides_and_bad_values_say_what_to_fix(tmp_path):
    good = tmp_path / "d.toml"
    good.write_text(
        '[sla]\noffice_hours = ["09:00-17:00"]\nextra_holidays = [2026-11-24]\n'
        '[sla.deadlines]\nstreet_order = "4wh"\n',
        encoding="utf-8",
    )
    rules = SlaRules.from_file(good)
    assert rules.rule("street_order") == Deadline(4, "wh") and str(rules.rule("property")) == "5wd"
    assert (rules.sign_off, rules.warn_working_hours) == (Deadline(2, "wh"), 4.0)  # the defaults
    start = pd.Series(pd.to_datetime(["2026-11-23 15:00"]).tz_localize("Asia/Shanghai"))
    # 2 h on Monday; Tuesday is a local holiday; 2 h on Wednesday
    assert f"{rules.due(pd.Series(['street_order']), start)[0]:%m-%d %H:%M}" == "11-25 11:00"
    for text, needle in (
        ('[sla.deadlines]\nstreet_order = "tomorrow"\n', "16wh"),
        ('[sla.deadlines]\nparking = "4wh"\n', "unknown categories"),
        ('[sla]\noffice_hours = ["12:00-08:00"]\n', "run forward"),
        ('[sla]\nextra_holidays = ["soon"]\n', "list of dates"),
        ("[sla\n", "cannot read"),
        ('[sla]\nsign_off = "soon"\n', "16wh"),
        ("[sla]\nwarn_working_hours = 0\n", "warn_working_hours"),
        ('[sla]\nwarn_working_hours = "4"\n', "warn_working_hours"),
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=needle):
            SlaRules.from_file(bad)


def test_sign_off_and_warning_settings_run_on_the_office_clock(tmp_path):
    path = tmp_path / "d.toml"
    path.write_text('[sla]\nsign_off = "1wh"\nwarn_working_hours = 2.5\n', encoding="utf-8")
    rules = SlaRules.from_file(path)
    monday_noon = dt.datetime(2026, 11, 23, 11, 30, tzinfo=CST)
    due = rules.sign_off_due(np.array([monday_noon.timestamp(), np.nan]))
    assert dt.datetime.fromtimestamp(due[0], CST) == dt.datetime(
        2026, 11, 23, 15, 0, tzinfo=CST
    )  # 30 min + 30 min
    assert np.isnan(due[1])
    assert rules.warn_until(monday_noon) == dt.datetime(2026, 11, 23, 16, 30, tzinfo=CST)


def test_working_minutes_between_two_times():
    cal = WorkCalendar(periods=parse_periods(["08:30-12:00", "14:30-18:00"]))
    start = pd.to_datetime(["2026-09-30 17:00", "2026-11-23 09:00"]).to_numpy("datetime64[m]")
    end = pd.to_datetime(["2026-10-08 09:30", "2026-11-23 08:00"]).to_numpy("datetime64[m]")
    assert cal.working_minutes(start, end).tolist() == [120, 0]


def test_ingest_sets_deadlines_by_rule_and_apply_recomputes_only_those(demo, tmp_path):
    from ingest.deadlines import apply_rules

    demo_sources = "source IN ('12345', 'mailbox', 'miniprogram', 'grid_worker')"
    assert one(demo, f"SELECT count(*) FROM incident WHERE {demo_sources} AND deadline_rule IS NULL") == 0
    computed = one(demo, "SELECT count(*) FROM incident WHERE deadline_rule IS NOT NULL")
    assert apply_rules(demo, RULES) == (computed, 0)  # the demo was loaded with these rules
    faster = SlaRules(deadlines={**RULES.deadlines, "emergency": Deadline(2, "h")})
    emergencies = one(
        demo, "SELECT count(*) FROM incident WHERE category = 'emergency' AND deadline_rule IS NOT NULL"
    )
    try:
        assert apply_rules(demo, faster) == (computed, emergencies)
        gap = "SELECT max(deadline_at - date_trunc('second', coalesce(registered_at, reported_at))) FROM incident WHERE category = 'emergency'"
        assert one(demo, gap) == dt.timedelta(hours=2)  # round the clock, to the second
    finally:
        apply_rules(demo, RULES)


def test_the_calendar_table_agrees_day_by_day_with_the_holiday_library_and_district_days():
    extra = WorkCalendar(
        extra_holidays=frozenset({dt.date(2025, 3, 3)}), extra_workdays=frozenset({dt.date(2025, 3, 8)})
    )
    days = pd.date_range("2004-01-01", "2031-12-31", freq="D").to_numpy().astype("datetime64[D]")
    table = extra.workdays(days)
    assert table.tolist() == [extra.is_workday(d.astype(dt.date)) for d in days]
    assert not table[days == np.datetime64("2025-03-03")][0] and table[days == np.datetime64("2025-03-08")][0]


# 2027's statutory days off by 《全国年节及纪念日放假办法》 (2024 revision), worked out by hand from
# the almanac: 元旦 Fri 1 Jan; 除夕 Fri 5 Feb and 春节 初一–初三 6–8 Feb, two of them on the
# weekend, so Tue 9 and Wed 10 off (补假); 清明 Mon 5 Apr; 劳动节 Sat 1 and Sun 2 May, so Mon 3
# and Tue 4; 端午 Wed 9 Jun; 中秋 Wed 15 Sep; 国庆 Fri 1–Sun 3 Oct, so Mon 4 and Tue 5
LAW_2027 = {
    "2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", "2027-02-10",
    "2027-04-05", "2027-05-01", "2027-05-02", "2027-05-03", "2027-05-04", "2027-06-09", "2027-09-15",
    "2027-10-01", "2027-10-02", "2027-10-03", "2027-10-04", "2027-10-05",
}  # fmt: skip


def test_a_year_without_a_notice_takes_the_statutory_holidays_provisionally():
    cal = WorkCalendar()
    assert cal.known_until == dt.date(2026, 12, 31)  # chinese-calendar 1.11: no notice for 2027 yet
    weekdays_off = {d for d in LAW_2027 if dt.date.fromisoformat(d).weekday() < 5}
    year = [dt.date(2027, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    assert {d.isoformat() for d in year if d.weekday() < 5 and not cal.is_workday(d)} == weekdays_off
    # Thu 4 Feb 16:00, 8 working hours: 2 h that day, then nothing until Thu 11 Feb (not Fri 5 Feb)
    assert due("street_order", "2027-02-04 16:00") == ["2027-02-11 17:00"]
    # the notice's 调休, once the district file has it, comes first: a make-up Sunday is worked
    noticed = WorkCalendar(extra_workdays=frozenset({dt.date(2027, 2, 7)}))
    assert noticed.is_workday(dt.date(2027, 2, 7)) and not noticed.is_workday(dt.date(2027, 2, 8))


def test_the_days_no_notice_covers_are_found_ahead():
    cal = WorkCalendar()
    assert cal.provisional_from(dt.date(2026, 11, 1)) is None  # 30 days ahead are all noticed
    assert cal.provisional_from(dt.date(2026, 12, 4)) == dt.date(2027, 1, 1)
    assert cal.provisional_from(dt.date(2027, 3, 1)) == dt.date(2027, 3, 1)


def test_admins_are_told_when_deadlines_ahead_are_provisional():
    """The wall screen's header mark (for admins, when any of the next 30 days is provisional):
    short enough for the header, the whole instruction in its title, in the screen's language."""
    first = WorkCalendar().provisional_from(dt.date(2026, 12, 4))
    zh, en = provisional_mark(first, "zh"), provisional_mark(first, "en")
    assert (
        zh.children == "⚠ 2027节假日暂定"
        and "2027年节假日安排尚未载入" in zh.title
        and "extra_workdays" in zh.title
    )
    assert (
        en.children == "⚠ 2027 holidays provisional"
        and "not loaded yet" in en.title
        and "2027-01-01" in en.title
    )
    assert provisional_mark(None, "zh") is None


SUMMER = (
    '[sla]\noffice_hours = ["08:30-12:00", "14:30-18:00"]\n'
    '[[sla.seasons]]\nname = "夏季作息"\nfrom = "05-01"\nto = "09-30"\noffice_hours = ["08:00-12:00", "15:00-18:30"]\n'
    '[[sla.seasons]]\nname = "冬季作息"\nfrom = "11-15"\nto = "03-15"\noffice_hours = ["09:00-12:00", "14:00-17:00"]\n'
)


def _local(*texts: str) -> np.ndarray:
    return np.array(texts, dtype="datetime64[m]")


def test_summer_and_winter_office_hours_run_the_clock_in_their_seasons(tmp_path):
    """Worked out by hand: Thu 30 Apr 2026 17:00 + 4 working hours is 1 h that day (18:00 close),
    then 1–5 May off (劳动节), then 3 h of Wed 6 May in summer hours from 08:00 = 11:00. A summer
    day closes at 18:30 (N working days), a winter one (across the new year) at 17:00; 8 h from
    Tue 15 Sep 16:00 run to 18:30 (2.5 h) and on into Wed 16 Sep: 08:00–12:00 (4 h) and 15:00–
    16:30 (1.5 h)."""
    path = tmp_path / "d.toml"
    path.write_text(SUMMER, encoding="utf-8")
    cal = SlaRules.from_file(path).calendar
    assert [s.name for s in cal.seasons] == ["夏季作息", "冬季作息"]
    due = cal.add_hours(_local("2026-04-30T17:00", "2026-09-15T16:00"), np.array([4.0, 8.0]))
    assert due.astype(str).tolist() == ["2026-05-06T11:00", "2026-09-16T16:30"]
    closes = cal.add_days(
        _local("2026-07-01T10:00", "2026-12-30T10:00", "2026-10-12T10:00"), np.array([1, 1, 1])
    )
    assert closes.astype(str).tolist() == ["2026-07-02T18:30", "2026-12-31T17:00", "2026-10-13T18:00"]
    # a summer day holds 7.5 office hours, a winter one 6, the others 7
    minutes = cal.working_minutes(
        _local("2026-07-02T00:00", "2027-01-05T00:00", "2026-10-13T00:00"),
        _local("2026-07-03T00:00", "2027-01-06T00:00", "2026-10-14T00:00"),
    )
    assert minutes.tolist() == [450, 360, 420]


def test_a_season_badly_written_says_what_to_fix(tmp_path):
    for text, needle in (
        (
            '[[sla.seasons]]\nname = "夏季"\nfrom = "13-01"\nto = "09-30"\noffice_hours = ["08:00-12:00"]\n',
            '"05-01"',
        ),
        ('[[sla.seasons]]\nname = "夏季"\nfrom = "05-01"\noffice_hours = ["08:00-12:00"]\n', "lacks to"),
        (
            '[[sla.seasons]]\nname = "夏季"\nfrom = "05-01"\nto = "09-30"\noffice_hours = ["18:00-08:00"]\n',
            "run forward",
        ),
        ('[sla]\nseasons = "summer"\n', r"\[\[sla.seasons\]\]"),
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=needle):
            SlaRules.from_file(bad)
