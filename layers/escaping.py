"""Text from the data, escaped for the context it lands in.

The offline HTML exports (``layers/plan_export.py``, ``layers/coverage_export.py``) put text in
three places: HTML element content (the print pages; a tooltip's body), JavaScript string
literals (folium's options, which folium writes with ``json.dumps`` and ``<``, ``>``, ``&``,
``'`` escaped) and the JavaScript *template literal* that folium's ``Tooltip`` writes its text
into raw. ``html.escape`` alone is not enough there: a backtick ends the literal and ``${…}``
runs as code. :func:`tooltip` escapes for both layers at once.
"""

from __future__ import annotations

import html

import folium

_TEMPLATE_LITERAL = str.maketrans({"\\": "\\\\", "`": "\\`", "$": "\\$"})


def html_text(value: object) -> str:
    """``value`` as HTML element content or a double- or single-quoted attribute value."""
    return html.escape(str(value), quote=True)


def template_literal(markup: str) -> str:
    """``markup`` for inside a JavaScript template literal (`` `…` ``) inside ``<script>``:
    backslashes, backticks and ``$`` escaped (no ``${…}`` can run), and ``</`` written as
    ``<\\/`` so no ``</script>`` can end the script element."""
    return markup.translate(_TEMPLATE_LITERAL).replace("</", "<\\/")


def tooltip(markup: str) -> folium.Tooltip:
    """A folium tooltip showing ``markup``, which is HTML: our own tags, and every value from
    the data passed through :func:`html_text` first."""
    return folium.Tooltip(template_literal(markup))
