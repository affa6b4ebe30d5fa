"""The work pages in Chinese or English, switched in the browser without a reload.

Every text of a work page is written once in both languages with :func:`tr`; the page holds
both and shows one: ``dashboard/assets/lang.js`` sets ``data-lang`` on the document when the
navigation bar's button (:func:`lang_button`) is pressed, remembers the choice in the browser
(``localStorage``), and the style sheet hides the other language. Nothing is rebuilt, so a page
keeps everything it shows (a plan, a what-if, a filter) when the language changes, and no
request reaches the server. Texts made by callbacks use :func:`tr` too, and follow the choice
as they arrive.

The wall screen has its own switch (its texts are drawn on the server: ``monitor/i18n.py``).
"""

from __future__ import annotations

from dash import html

LANG_BUTTON = "app-lang"  # the navigation bar's switch (lang.js listens for its clicks)


def tr(zh: str, en: str) -> html.Span:
    """``zh`` or ``en``, whichever language the page shows (the other is hidden by the style
    sheet). Both are text: Dash never renders a string as HTML."""
    return html.Span(
        [html.Span(zh, className="zh", lang="zh-CN"), html.Span(en, className="en", lang="en")],
        className="tr",
    )


def lang_button() -> html.Button:
    """The switch: it names the language it switches to."""
    return html.Button(tr("English", "中文"), id=LANG_BUTTON, type="button", className="lang-switch")
