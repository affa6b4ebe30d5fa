"""Reading the audit log (``audit_log``, append-only): one page of entries at a time, newest
first, filtered by kind, account and Beijing dates; keyset paging on the id, so a page costs the
same at the first entry and the millionth (indexes of migrations 0013 and 0021). Entries are described in
words: streets by name, not by id or code."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.engine import Connection

from geo.schema import AuditEntry
from layers.workbook import saved, table_sheet

BEIJING = dt.timezone(dt.timedelta(hours=8))
ACTIONS = {  # the kinds the code writes, in the page's words (others are shown as written)
    "login": "登录", "login.failed": "登录失败", "login.throttled": "登录限流", "logout": "退出",
    "view": "查看", "export": "导出", "change": "修改", "api.write": "接口写入", "api.throttled": "接口限流",
    "user.add": "新增账号", "user.kiosk_token": "大屏令牌", "data.upload": "上传文件", "data.load": "导入数据",
    "data.export": "导出数据", "scenario.save": "保存方案", "scenario.delete": "删除方案",
}  # fmt: skip
KEYS = {  # detail keys in the page's words
    "what": "内容", "street": "街道", "streets": "街道", "targets": "对象数", "target": "对象", "visit": "检查记录",
    "stops": "站数", "button": "按钮", "count": "次数", "ip": "地址", "kind": "类型", "username": "账号", "role": "角色",
    "reason": "原因", "source": "来源", "via": "途径", "run_id": "批次", "items": "条目", "inserted": "新增",
    "updated": "更新", "unchanged": "未变", "quarantined": "隔离", "sessions_ended": "结束会话", "name": "名称",
    "rows": "行数", "period": "期间", "service": "服务类型", "threshold_m": "阈值(米)", "id": "编号",
}  # fmt: skip


@dataclass(frozen=True)
class AuditFilter:
    """Which entries: of one kind, by one account, from ``since`` to ``until`` (Beijing dates,
    both included); None: any."""

    kind: str | None = None
    user: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class Entry:
    id: int
    at: dt.datetime
    username: str | None
    action: str
    detail: dict[str, Any]


def _query(f: AuditFilter, before: int | None, limit: int) -> sa.Select[Any]:
    """The entries' query: only the conditions the filter sets (values bound as parameters)."""
    log = AuditEntry
    conditions: list[sa.ColumnElement[bool]] = []
    if f.kind is not None:
        conditions.append(log.action == f.kind)
    if f.user is not None:
        conditions.append(log.username == f.user)
    if f.since is not None:
        conditions.append(log.at >= _start(f.since))
    if f.until is not None:
        conditions.append(log.at < _start(f.until + dt.timedelta(days=1)))
    if before is not None:
        conditions.append(log.id < before)
    query = sa.select(log.id, log.at, log.username, log.action, log.detail).where(*conditions)
    return query.order_by(log.id.desc()).limit(limit)


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=BEIJING)


def entries(conn: Connection, f: AuditFilter, *, before: int | None = None, limit: int = 100) -> list[Entry]:
    """Up to ``limit`` entries matching ``f`` with ids below ``before``, newest first."""
    rows = conn.execute(_query(f, before, limit))
    return [Entry(int(i), at, user, action, dict(detail or {})) for i, at, user, action, detail in rows]


_DISTINCT = """
WITH RECURSIVE v(x) AS (
    SELECT min({col}) FROM audit_log
    UNION ALL SELECT (SELECT min({col}) FROM audit_log WHERE {col} > v.x) FROM v WHERE v.x IS NOT NULL
) SELECT x FROM v WHERE x IS NOT NULL"""  # a loose index scan: one probe per distinct value


def kinds(conn: Connection) -> list[str]:
    return list(conn.execute(sa.text(_DISTINCT.format(col="action"))).scalars())


def accounts(conn: Connection) -> list[str]:
    return list(conn.execute(sa.text(_DISTINCT.format(col="username"))).scalars())


@dataclass(frozen=True)
class Streets:
    """Street names by id and by 12-digit code (entries name streets either way)."""

    by_id: Mapping[int, str]
    by_code: Mapping[str, str]

    @classmethod
    def read(cls, conn: Connection) -> Streets:
        rows = conn.execute(sa.text("SELECT id, code, name FROM street ORDER BY valid_from")).all()
        return cls({int(i): str(n) for i, _, n in rows}, {str(c): str(n) for _, c, n in rows})

    def name(self, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool) and value in self.by_id:
            return self.by_id[value]
        return self.by_code.get(str(value), str(value))


def action_label(action: str) -> str:
    return f"{ACTIONS[action]} {action}" if action in ACTIONS else action


def describe(detail: Mapping[str, Any], streets: Streets) -> str:
    """``key: value`` pairs in words, streets by name: "内容: inspection register · 街道: 永泰街道"."""
    return " · ".join(f"{KEYS.get(k, k)}: {_value(k, v, streets)}" for k, v in detail.items())


def _value(key: str, value: Any, streets: Streets) -> str:
    if key in ("street", "streets"):
        items = value if isinstance(value, list) else [value]
        return "、".join(streets.name(v) for v in items) or "—"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "—"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "—" if value is None else str(value)


EXPORT_MAX = 50_000  # entries in one export (newest first); narrow the filter for older ones


def filter_words(f: AuditFilter) -> str:
    """The filter as the export's title block says it."""
    parts = [
        f"操作 {action_label(f.kind)}" if f.kind else "全部操作",
        f"账号 {f.user}" if f.user else "全部账号",
    ]
    if f.since or f.until:
        parts.append(f"日期 {f.since or '…'} 至 {f.until or '…'}")
    return " · ".join(parts)


def workbook(found: Sequence[Entry], streets: Streets, f: AuditFilter, *, by: str, at: dt.datetime) -> bytes:
    """The entries as an .xlsx file with a title block (what, filter, who exported it and when)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "审计日志"
    about = [
        f"筛选 filter: {filter_words(f)}",
        f"导出人 prepared by: {by} · 导出时间 at: {at.astimezone(BEIJING):%Y-%m-%d %H:%M}",
        f"共 {len(found):,} 条"
        + (f"（最多 {EXPORT_MAX:,} 条，最新在前）" if len(found) >= EXPORT_MAX else ""),
    ]
    rows = (
        (f"{e.at.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}", e.username or "—", action_label(e.action), describe(e.detail, streets))
        for e in found
    )  # fmt: skip
    table_sheet(sheet, title="审计日志 Audit log", about=about, headers=("时间", "账号", "操作", "内容"), rows=rows, widths=(20, 18, 22, 90))  # fmt: skip
    return saved(book)
