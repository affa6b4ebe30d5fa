"""What every page's AG Grid shares: sortable, filterable, resizable columns whose headers wrap
onto more lines rather than end in "…" (a bilingual header is wider than a narrow number column)."""

from typing import Any

COLUMN_DEFAULTS: dict[str, Any] = {
    "sortable": True,
    "filter": True,
    "resizable": True,
    "wrapHeaderText": True,
    "autoHeaderHeight": True,
}
