"""Security headers on every response.

The Content-Security-Policy allows only our own origin. Dash's inline scripts are allowed by
their hashes (``Dash.csp_hashes``); plotly.js's map (MapLibre) starts its workers from
``blob:`` URLs; AG Grid draws its icons from ``data:`` SVG images; plotly.js adds ``<style>``
elements for its own rules, which is why styles (and only styles) allow ``'unsafe-inline'``.
Each of these was found by the browser tests, which fail on any CSP violation in the console.

Every response but the static scripts, styles and images (the same for everyone, no personal
data) carries ``Cache-Control: no-store``: no page, layout, callback answer or export stays in
a shared computer's browser cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Response, request

HSTS = "max-age=31536000; includeSubDomains"
STATIC = ("/_dash-component-suites/", "/assets/", "/auth/static/", "/_favicon.ico")


def content_security_policy(script_hashes: Sequence[str]) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def security_headers(*, csp: str, https: bool) -> Callable[[Response], Response]:
    """An ``after_request`` hook; ``https``: served over HTTPS, so HSTS too."""
    fixed = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        **({"Strict-Transport-Security": HSTS} if https else {}),
    }

    def add(response: Response) -> Response:
        response.headers.update(fixed)
        if not request.path.startswith(STATIC):
            response.headers["Cache-Control"] = "no-store"
        return response

    return add
