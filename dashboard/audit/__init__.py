"""``/audit``: the audit log for admins (layout.py builds the page, callbacks.py pages, filters
and exports it; the queries are layers/audit.py)."""
