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
    "handling_hours": ("本月平均处置时长", "Avg handling time, this month"),
    "response": ("本月响应率", "Response rate, this month"),
    "resolution": ("本月解决率", "Resolution rate, this month"),
    "satisfaction": ("本月满意率", "Satisfaction rate, this month"),
    "ranking_department": ("承办单位排名", "Departments"),
    "due_soon": ("临期预警（{h}工作小时内到期）", "Due within {h} working hours"),
    "due_in": ("{h}小时后到期", "due in {h} h"),
    "satisfied_short": ("满意率", "Satisfied"),
    "vs_24h": ("较24小时前", "vs 24 h ago"),
    "vs_yesterday": ("较昨日同时", "vs same time yesterday"),
    "vs_last_month": ("较上月", "vs last month"),
    "hours": ("小时", "h"),
    "window": ("时间范围", "Window"),
    "days": ("近{n}天", "Last {n} days"),
    "category": ("事件类型", "Category"),
    "source": ("来源", "Source"),
    "status": ("状态", "Status"),
    "all": ("全部", "All"),
    "open_s": ("在办", "Open"),
    "overdue_s": ("超期", "Overdue"),
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
    "avg_h": ("平均时长(h)", "Avg hours"),
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
    "map_hint": ("点击地图区域下钻", "Click an area to drill down"),
    "kiosk": ("轮播", "Kiosk"),
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
    """Display names: 永安里社区居民委员会 → 永安里社区, 东王庄村民委员会 → 东王庄村 (the data keeps the full name)."""
    return name.removesuffix("居民委员会").removesuffix("民委员会")
