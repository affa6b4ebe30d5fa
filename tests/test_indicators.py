"""Each indicator formula on a hand-built set of incidents (inserted and rolled back)."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pytest
import sqlalchemy as sa
from esda.getisord import G_Local
from libpysal.weights import W, lat2W

from geo import partitions
from geo.sla import SlaRules
from layers.facts import load, with_sign_off
from layers.feeds import mask_phone
from layers.hotspots import classify, gi_star, star_weights
from layers.incident_filter import IncidentFilter
from layers.indicators import Indicators, Period, by_unit, indicators
from layers.kpis import BY_KEY, KPIS, Periods, Tile, period_indicators, tile_counter, tiles
from layers.tally import tally
from layers.trend import daily_counts

CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=CST)


def t(day: str, hour: int, minute: int = 0) -> dt.datetime:
    month, d = (int(x) for x in day.split("-"))
    return dt.datetime(2026, month, d, hour, minute, tzinfo=CST)


# key: reported, registered, deadline, handled, closed, rework
INCIDENTS = {
    "A": (t("6-2", 9), t("6-2", 10), t("6-3", 10), t("6-3", 9), t("6-3", 9, 30), 0),  # all on time
    "B": (t("6-5", 9), t("6-5", 9, 30), t("6-6", 9, 30), t("6-7", 9, 30), t("6-7", 12), 1),  # late, reworked
    "C": (t("6-10", 9), t("6-10", 9), t("6-12", 9), None, None, 0),  # open and overdue
    "D": (t("6-14", 9), None, t("6-20", 9), None, None, 0),  # reported, not registered, not yet due
    "E": (t("5-20", 9), t("5-20", 10), t("6-2", 10), t("5-30", 10), t("6-1", 8), 0),  # May case due in June
}


@pytest.fixture
def hand(demo):
    """The hand-built incidents, plus a duplicate of A that must never count, in a rolled-back transaction."""
    with demo.connect() as conn:
        trans = conn.begin()
        partitions.ensure(conn, "hand")
        ids = {}
        for key, (rep, reg, due, handled, closed, rework) in INCIDENTS.items():
            ids[key] = conn.execute(
                sa.text(
                    "INSERT INTO incident (source, source_id, category, reported_at, registered_at, deadline_at, "
                    "handled_at, closed_at, rework_count, geom) VALUES ('hand', :k, 'environment', :rep, :reg, "
                    ":due, :h, :c, :rw, ST_SetSRID(ST_MakePoint(113.3, 40.08), 4326)) RETURNING id"
                ),
                {"k": key, "rep": rep, "reg": reg, "due": due, "h": handled, "c": closed, "rw": rework},
            ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO incident (source, source_id, category, reported_at, deadline_at, duplicate_of, geom) "
                "VALUES ('hand', 'A-again', 'environment', :rep, :due, :a, ST_SetSRID(ST_MakePoint(113.3, 40.08), 4326))"
            ),
            {"rep": t("6-2", 9, 30), "due": t("6-1", 0), "a": ids["A"]},
        )
        yield conn
        trans.rollback()


FILTER = IncidentFilter(now=NOW, sources=("hand",))


def over(conn, since, until):
    facts = load(conn)
    return indicators(facts, FILTER.rows(facts, with_time=False), Period.of(since, until, NOW))


def test_each_indicator_over_a_month(hand):
    ind = over(hand, t("6-1", 0), t("7-1", 0))
    assert (ind.reported, ind.registered, ind.closed) == (4, 3, 2)  # A B C D; A B C; A B
    assert ind.registration_rate == 3 / 4 and ind.closure_rate == 2 / 3
    assert ind.due == 4  # deadlines passed in June: A B C E (D is due on the 20th)
    assert ind.on_time_handling_rate == 2 / 4  # A and E handled in time
    assert ind.on_time_closure_rate == 2 / 4  # A and E closed in time
    assert (ind.open, ind.overdue, ind.rework) == (2, 1, 1)  # C D open, C overdue, B reworked once
    assert ind.handling_hours == pytest.approx((23 + 48) / 2)  # A and B were handled in June
    assert ind.handling_work_hours is None  # facts read without the office clock carry no office hours


def test_handling_time_in_office_hours(hand):
    """08:30–12:00 and 14:30–18:00 on working days (the default): A, Tue 2 Jun 10:00 → Wed 09:00,
    is 2 + 3.5 + 0.5 = 6 office hours; B, Fri 5 Jun 09:30 → Sun 7 Jun 09:30, is 2.5 + 3.5 = 6
    (the weekend is off); E, Wed 20 May 10:00 → Sat 30 May 10:00, is 5.5 + 7 working days × 7 = 54.5."""
    facts = with_sign_off(load(hand), SlaRules())
    june = indicators(facts, FILTER.rows(facts, with_time=False), Period.of(t("6-1", 0), t("7-1", 0), NOW))
    may = indicators(facts, FILTER.rows(facts, with_time=False), Period.of(t("5-1", 0), t("6-1", 0), NOW))
    assert (june.handling_work_hours, may.handling_work_hours) == (pytest.approx(6.0), pytest.approx(54.5))
    assert june.handling_hours == pytest.approx(35.5)  # the clock hours stay beside them


def test_indicators_by_unit_add_up_to_the_total(hand):
    facts = load(hand)
    idx, period = FILTER.rows(facts, with_time=False), Period.of(t("6-1", 0), t("7-1", 0), NOW)
    units = (facts.reported > t("6-6", 0).timestamp()).astype("int32") + 1  # two made-up units
    parts, whole = by_unit(facts, idx, period, units), indicators(facts, idx, period)
    assert set(parts) == {1, 2}
    assert parts[1].reported + parts[2].reported == whole.reported == 4
    assert parts[1].due + parts[2].due == whole.due and parts[1].overdue + parts[2].overdue == whole.overdue


def test_a_rate_with_nothing_to_divide_is_unknown_not_zero(hand):
    ind = over(hand, t("1-1", 0), t("2-1", 0))
    assert ind.reported == 0 and ind.registration_rate is None and ind.on_time_closure_rate is None


def test_kpi_tiles_compare_with_the_right_periods(hand):
    facts = with_sign_off(load(hand), SlaRules())
    periods = period_indicators(tally(tile_counter(FILTER, now=NOW), facts, NOW.timestamp()).sums)
    assert periods["yesterday"].reported == 1  # D, reported yesterday before noon
    values = {tile.key: (tile.value, tile.previous) for tile in tiles(facts, FILTER, now=NOW)}
    assert values["open"] == (2, 2)  # C and D now; C and D (reported 09:00) 24 h ago
    assert values["new_today"] == (0, 1)
    assert values["overdue"] == (1, 1)
    assert values["on_time_closure"] == (0.5, None)  # nothing fell due in May
    assert values["handling_hours"] == (pytest.approx(6.0), None)  # E was handled after 15 May noon


def test_this_month_so_far_is_compared_with_the_same_days_of_last_month(hand):
    """Noon on 15 June against 1 May to 15 May noon: F, handled on 12 May in 6 office hours (Mon
    11 May 10:00 → Tue 09:00) and closed in time, counts; E, handled on 30 May, does not (the whole
    of May would average 30.25 office hours)."""
    hand.execute(
        sa.text("INSERT INTO incident (source, source_id, category, reported_at, registered_at, deadline_at, handled_at, "
                "closed_at, rework_count, geom) VALUES ('hand', 'F', 'environment', :rep, :reg, :due, :h, :c, 0, "
                "ST_SetSRID(ST_MakePoint(113.3, 40.08), 4326))"),
        {"rep": t("5-11", 9), "reg": t("5-11", 10), "due": t("5-13", 10), "h": t("5-12", 9), "c": t("5-12", 10)},
    )  # fmt: skip
    facts = with_sign_off(load(hand), SlaRules())
    values = {tile.key: (tile.value, tile.previous) for tile in tiles(facts, FILTER, now=NOW)}
    assert values["handling_hours"] == (pytest.approx(6.0), pytest.approx(6.0))
    assert values["on_time_closure"] == (0.5, 1.0)  # F fell due on 13 May and was closed in time
    late = dt.datetime(2026, 3, 31, 12, 0, tzinfo=CST)  # further into March than February runs
    periods = Periods.at(late)
    assert periods.same_time_last_month == dt.datetime(2026, 3, 1, tzinfo=CST)  # all of February


def test_each_kpi_tile_is_declared_once_and_the_wall_screen_builds_it_from_that(hand):
    from dashboard.monitor.i18n import text
    from dashboard.monitor.layout import kpi_tiles

    shown = tiles(load(hand), FILTER, now=NOW)
    assert [t.key for t in shown] == [k.key for k in KPIS] and len(BY_KEY) == len(KPIS)
    for k in KPIS:  # an indicator that exists, and words in both languages for label, comparison, unit
        assert hasattr(Indicators, k.indicator) or k.indicator in Indicators.__dataclass_fields__, k
        for lang in ("zh", "en"):
            assert all(text(lang, w) for w in (k.key, k.compared, *([k.unit] if k.unit else [])))
    drawn = kpi_tiles([Tile("handling_hours", 12.25, 20.0), Tile("satisfaction", 0.925, 0.9), Tile("open", 1234, 1200)], "en")  # fmt: skip
    assert [_words(d) for d in drawn] == [
        [
            "Avg handling time, this month",
            "12.2",
            "office h",
            "▼ 7.8",
            " vs same days last month",
        ],
        ["Satisfaction rate, this month", "92.5%", "", "▲ 2.5 pt", " vs same days last month"],
        ["Open incidents", "1,234", "", "▲ 34", " vs 24 h ago"],
    ]
    tones = [d.children[2].children[0].className for d in drawn]
    assert tones == ["delta good", "delta good", "delta bad"]  # hours and open cases: down is good


def _words(component) -> list[str]:
    """Every string in a Dash component tree, in order."""
    if isinstance(component, str):
        return [component]
    children = getattr(component, "children", None)
    children = children if isinstance(children, list) else [] if children is None else [children]
    return [w for c in children for w in _words(c)]


def test_daily_trend_counts_each_beijing_day(hand):
    june = IncidentFilter(now=NOW, sources=("hand",), since=t("6-1", 0), until=t("6-15", 0))
    daily = daily_counts(load(hand), june)
    assert len(daily) == 14 and daily.index[0] == dt.date(2026, 6, 1)
    per_day = daily.sum(axis=1)
    assert {str(d): int(n) for d, n in per_day.items() if n} == {
        "2026-06-02": 1,  # A (its duplicate does not count)
        "2026-06-05": 1,
        "2026-06-10": 1,
        "2026-06-14": 1,
    }


def test_phone_numbers_are_masked():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0352-1234567") == "035*-***4567"  # first 3, last 4 digits
    assert mask_phone("12345") == "***45" and mask_phone(None) is None and mask_phone("") is None


def test_gi_star_finds_a_planted_cluster_and_nothing_in_noise():
    w = star_weights(lat2W(10, 10, rook=False))
    values = np.random.default_rng(1).normal(10, 1, 100)
    assert (classify(*gi_star(values, w)) == "").mean() > 0.8  # noise: mostly not significant
    values[[44, 45, 54, 55, 46, 56, 64, 65, 66]] += 8  # a 3×3 block of high rates
    z, p = gi_star(values, w)
    labels = classify(z, p)
    assert labels[55] == "hot99" and z[55] > 2.58  # two-sided 1 %
    assert not any(label.startswith("hot") for label in labels[[0, 9, 90, 99]])
    flat_z, flat_p = gi_star(np.ones(100), w)
    assert not flat_z.any() and (flat_p == 1).all()


def test_gi_star_on_prepared_weights_equals_esda_starring_them_itself():
    """The weights prepared once give what G_Local(star=True) gives on row-standardised weights."""
    raw = lat2W(12, 9, rook=False)
    raw.transform = "r"
    raw_islands = W({**raw.neighbors, 200: []}, id_order=[*raw.id_order, 200], silence_warnings=True)
    raw_islands.transform = "r"
    values = np.random.default_rng(7).gamma(2.0, 3.0, raw_islands.n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = G_Local(values, raw_islands, transform="R", star=True, permutations=0)
    z, p = gi_star(values, star_weights(raw_islands))
    assert np.allclose(z, np.nan_to_num(np.asarray(expected.Zs, float)), atol=1e-12, equal_nan=True)
    assert np.allclose(p, np.minimum(2 * np.asarray(expected.p_norm, float), 1.0), atol=1e-12, equal_nan=True)
