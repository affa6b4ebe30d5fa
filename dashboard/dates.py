"""How every date picker on the work pages reads: Chinese month names and weekdays (the date-fns
zh-CN locale served from ``assets/vendor``, which Dash's pickers use), the week from Monday,
dates as 2026-12-04."""

from __future__ import annotations

from typing import Any

CHINESE_DATES: dict[str, Any] = {
    "display_format": "YYYY-MM-DD",
    "month_format": "YYYY年M月",
    "first_day_of_week": 1,
}
