"""``gridgov sla show|apply``: the SLA rules from the district settings file."""

from __future__ import annotations

import argparse
from typing import Any

from geo.db import database_url
from geo.migrate import migrated_engine
from geo.natures import NATURES, URGENCIES
from geo.settings import Settings
from geo.sla import UNITS, SlaRules
from geo.vocabulary import Vocabulary
from geo.workcal import Periods


def add_sla_commands(sub: Any) -> None:
    sla = sub.add_parser("sla", help="SLA deadlines per category, from the district settings file")
    cmds = sla.add_subparsers(dest="sla_command", required=True)
    cmds.add_parser("show", help="print each category's deadline and the office hours").set_defaults(
        handler=_show
    )
    cmds.add_parser(
        "apply", help="recompute the deadlines gridgov set on stored incidents after editing the file"
    ).set_defaults(handler=_apply)


def _show(args: argparse.Namespace, settings: Settings) -> int:
    vocabulary = Vocabulary.from_file(settings.district_file)
    rules = SlaRules.from_file(settings.district_file, vocabulary=vocabulary)
    hours = _hours(rules.calendar.periods)
    for season in rules.calendar.seasons:
        (m1, d1), (m2, d2) = season.start, season.end
        hours += f"; {season.name} {m1:02d}-{d1:02d} to {m2:02d}-{d2:02d}: {_hours(season.periods)}"
    print(f"settings file: {settings.district_file}")
    print(
        f"office hours: {hours}; the State Council's holiday notices are loaded until "
        f"{rules.calendar.known_until}, later days off are provisional (statutory holidays, no 调休)"
    )
    print(
        f"sign-off (签收) within {rules.sign_off} after the report; 临期 = due within {rules.warn_working_hours:g} working hours"
    )
    for label, keyed, terms in (
        ("诉求性质 nature", rules.by_nature, NATURES),
        ("紧急程度 urgency", rules.by_urgency, URGENCIES),
    ):
        if keyed:
            print(f"{label}: " + ", ".join(f"{terms[k].zh} ({k}) {rule}" for k, rule in keyed.items()))
    for key, category in vocabulary.categories.items():
        rule = rules.rule(key)
        aliases = f"; aliases {', '.join(category.aliases)}" if category.aliases else ""
        print(f"  {category.zh} ({key}): {rule} = {rule.amount:g} {UNITS[rule.unit]}{aliases}")
    return 0


def _hours(periods: Periods) -> str:
    return ", ".join(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in periods)


def _apply(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.deadlines import apply_rules

    rules = SlaRules.from_file(settings.district_file)
    with migrated_engine(database_url(settings)) as engine:
        total, changed = apply_rules(engine, rules)
    print(f"{total} incidents have deadlines set by the SLA rules; {changed} changed")
    return 0
