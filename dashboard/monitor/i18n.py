"""The wall screen's words in Chinese (default) and English; category names come from the
district's vocabulary (``geo.vocabulary.Vocabulary.label``)."""

from __future__ import annotations

LANGS = ("zh", "en")
_TEXT: dict[str, tuple[str, str]] = {
    "title": ("{centre} · 网格治理态势", "{centre} · Live Grid Monitor"),
    "open": ("在办事件", "Open incidents"),
    "new_today": ("今日新增", "New today"),
    "overdue": ("当前超期", "Overdue now"),
    "on_time_closure": ("本月按期结案率", "On-time closure, this month"),
    "handling_hours": ("本月平均处置时长", "Avg handling time, this month"),  # in 工作小时: the unit says so
    "response": ("本月响应率", "Response rate, this month"),
    "resolution": ("本月解决率", "Resolution rate, this month"),
    "satisfaction": ("本月满意率", "Satisfaction rate, this month"),
    "ranking_department": ("承办单位排名", "Departments"),
    "due_soon": ("临期预警（{h}工作小时内到期）", "Due within {h} working hours"),
    "due_in": ("{h}小时后到期", "due in {h} h"),
    "satisfied_short": ("满意率", "Satisfied"),
    "vs_24h": ("较24小时前", "vs 24 h ago"),
    "vs_yesterday": ("较昨日同时", "vs same time yesterday"),
    "vs_last_month": ("较上月同期", "vs same days last month"),
    "hours": ("小时", "h"),
    "work_hours": ("工作小时", "office h"),
    "window": ("时间范围", "Window"),
    "days": ("近{n}天", "Last {n} days"),
    "category": ("事件类型", "Category"),
    "source": ("来源", "Source"),
    "status": ("状态", "Status"),
    "all": ("全部", "All"),
    "open_s": ("在办", "Open"),
    "overdue_s": ("超期", "Overdue"),
    "new_s": ("新事件", "New"),
    "per_1000": ("每千人", "per 1,000"),
    "few": ("少", "few"),
    "many": ("多", "many"),
    "closed_s": ("已结案", "Closed"),
    "heat": ("热力图", "Heatmap"),
    "rate": ("每千人事件数", "Per 1,000 residents"),
    "hotspot": ("热点聚集 (Gi*)", "Hotspots (Gi*)"),
    "trend": ("每日事件趋势", "Daily incidents"),
    "ranking_street": ("街道排名", "Streets"),
    "ranking_community": ("社区/村排名", "Communities / villages"),
    "ranking_grid": ("网格排名", "Grids"),
    "unit": ("单位", "Unit"),
    "volume": ("事件量", "Volume"),
    "on_time": ("按期结案率", "On-time closure"),
    "overdue_n": ("超期", "Overdue"),
    "avg_h": ("平均工时(h)", "Avg office h"),
    "not_yours": ("无权限", "not your street"),
    "withheld": ("按状态筛选时不计算比率和时长", "rates and times are not computed under a status filter"),
    "latest": ("最新事件", "Latest incidents"),
    "alerts": ("超期预警", "Overdue alerts"),
    "overdue_by": ("超期{h}小时", "{h} h overdue"),
    "overdue_days": ("超期{d}天", "{d} days overdue"),
    "heat_legend": ("事件密度（{m} 米网格）", "Incident density ({m} m cells)"),
    "rate_legend": ("每千名居民事件数（按网格）", "Incidents per 1,000 residents, by grid"),
    "none": ("暂无", "None"),
    "grid_code": ("网格编码", "Grid code"),
    "worker": ("网格员", "Grid worker"),
    "households": ("户数", "Households"),
    "residents": ("人口", "Residents"),
    "as_of": ("更新于", "Updated"),
    "switch": ("English", "中文"),
    "hot": ("热点", "Hot spot"),
    "cold": ("冷点", "Cold spot"),
    "significance": ("显著性 Gi*: 99% / 95% / 90%", "Gi* significance: 99% / 95% / 90%"),
    "no_clusters": ("此范围内无显著热点或冷点", "No significant hot or cold spots here"),
    "map_hint": ("点击地图区域下钻", "Click an area to drill down"),
    "kiosk_touring": ("轮播中", "Touring the streets"),
    "kiosk_status": (
        "轮播 · 当前 {current} · 下一个 {following}",
        "Touring · now {current} · next {following}",
    ),
    "kiosk": ("轮播", "Kiosk"),
    # finding one case (dashboard/case_panel.py), on the wall screen and the map
    "find": ("查找", "Find"),
    "find_placeholder": ("工单编号或地址", "Ticket number or address"),
    "find_none": ("未找到事件", "No case found"),
    "find_gone": ("该事件不存在或无权查看", "No such case, or not yours to see"),
    "find_more": (
        "仅显示前{n}条，请输入更完整的编号或地址",
        "First {n} shown: type more of the number or address",
    ),
    "match.ticket": ("编号", "ticket"),
    "match.prefix": ("编号", "ticket"),
    "match.address": ("地址", "address"),
    "match.building": ("楼栋", "building"),
    "close": ("关闭", "Close"),
    "case_title": ("工单 {ticket}", "Case {ticket}"),
    "case_category": ("事件类型", "Category"),
    "case_source": ("来源", "Source"),
    "case_status": ("状态", "Status"),
    "case_reported": ("上报时间", "Reported"),
    "case_deadline": ("办理时限", "Deadline"),
    "case_address": ("事发地址", "Address"),
    "case_building": ("所在楼栋", "Building"),
    "case_place": ("街道 / 社区 / 网格", "Street / community / grid"),
    "case_phone": ("联系电话", "Phone"),
    "case_rework": ("返工次数", "Reworked"),
    "case_description": ("诉求内容", "Description"),
    "case_timeline": ("办理过程", "Timeline"),
    "case_linked": ("关联重复事件", "Linked duplicates"),
    "linked_original": ("原始上报", "original report"),
    "linked_duplicate": ("重复上报", "duplicate"),
    "deadline.none": ("无时限", "no deadline"),
    "deadline.open": ("未到期", "not yet due"),
    "deadline.overdue": ("已超期", "overdue"),
    "deadline.late": ("逾期办结", "closed late"),
    "deadline.on_time": ("按期办结", "closed on time"),
    "status.reported": ("已上报", "reported"),
    "status.registered": ("已立案", "registered"),
    "status.dispatched": ("已派遣", "dispatched"),
    "status.handled": ("已处置", "handled"),
    "status.verified": ("已核查", "verified"),
    "status.closed": ("已结案", "closed"),
    "step.reported": ("上报", "Reported"),
    "step.registered": ("立案", "Registered"),
    "step.signed": ("签收", "Signed for"),
    "step.dispatched": ("派遣", "Dispatched"),
    "step.handled": ("办结", "Handled"),
    "step.verified": ("核查", "Verified"),
    "step.callback": ("回访", "Callback"),
    "step.reopened": ("重办", "Reopened"),
    "step.extended": ("延期", "Extended"),
    "step.suspended": ("挂起", "Suspended"),
    "step.resumed": ("恢复办理", "Resumed"),
    "step.closed": ("结案", "Closed"),
    "step_department": ("承办单位：{d}", "to {d}"),
    "step_deadline": ("新时限 {t}", "new deadline {t}"),
    "satisfaction.satisfied": ("满意", "satisfied"),
    "satisfaction.basic": ("基本满意", "fairly satisfied"),
    "satisfaction.dissatisfied": ("不满意", "dissatisfied"),
    "resolved.True": ("已解决", "resolved"),
    "resolved.False": ("未解决", "not resolved"),
    "sources.12345": ("12345热线", "12345 hotline"),
    "sources.miniprogram": ("小程序", "Mini-program"),
    "sources.mailbox": ("书记信箱", "Mailbox"),
    "sources.grid_worker": ("网格员上报", "Grid workers"),
}


def text(lang: str, key: str, **values: object) -> str:
    zh, en = _TEXT[key]
    return (en if lang == "en" else zh).format(**values)


def source_name(lang: str, key: str) -> str:
    return text(lang, f"sources.{key}") if f"sources.{key}" in _TEXT else key


def short_name(name: str) -> str:
    """Display names: 永安里社区居民委员会 → 永安里社区, 东王庄村民委员会 → 东王庄村 and
    李家村村民委员会 → 李家村, not 李家村村 (the data keeps the full name)."""
    if name.endswith("村民委员会"):
        village = name.removesuffix("村民委员会")
        return village if village.endswith("村") else village + "村"
    return name.removesuffix("居民委员会")


def label(lang: str, group: str, key: object) -> str:
    """``group.key``'s words (e.g. ``status.closed``), or the key itself when there are none."""
    return text(lang, f"{group}.{key}") if f"{group}.{key}" in _TEXT else str(key)
