"""Who may use which page, and which page each Dash callback belongs to.

A callback belongs to the page whose layout holds its outputs (the app shell's router belongs
to ``SHELL``, which every role may use: it checks the page itself). A callback whose outputs
are on no page, or on more than one, belongs to none and is refused for everyone: a callback
added later without its page's layout fails closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from dash.development.base_component import Component

from dashboard.pages import PAGES
from geo.errors import ConfigError
from geo.users import ROLES

SHELL = "shell"
PAGE_ROLES: Mapping[str, frozenset[str]] = MappingProxyType(
    {SHELL: frozenset(ROLES)} | {page.key: page.roles for page in PAGES}
)
PATHS: Mapping[str, str] = MappingProxyType({path: page.key for page in PAGES for path in page.paths})


def page_for_path(pathname: str | None) -> str | None:
    """The page a URL path shows (``None`` path: the landing page), or None if none."""
    return PATHS.get(pathname or "/")


def may_use(role: str, page: str | None) -> bool:
    return page is not None and role in PAGE_ROLES.get(page, frozenset())


def _id_key(ident: Any) -> str:
    """A component id as the registry knows it: pattern-matching ids by their ``type``."""
    return str(ident["type"]) if isinstance(ident, dict) else str(ident)


def component_ids(layout: Component) -> set[str]:
    ids = (getattr(c, "id", None) for c in [layout, *layout._traverse()])
    return {_id_key(ident) for ident in ids if ident is not None}


def id_owners(layouts: Mapping[str, Component]) -> dict[str, str]:
    """Component id → its page; an id on two pages is a programming error."""
    owners: dict[str, str] = {}
    for page, layout in layouts.items():
        for ident in component_ids(layout):
            if owners.setdefault(ident, page) != page:
                raise ConfigError(f"component id {ident!r} is on pages {owners[ident]!r} and {page!r}")
    return owners


def _outputs(spec: Mapping[str, Any]) -> Iterable[Any]:
    output = spec.get("output")
    return output if isinstance(output, list | tuple) else [] if output is None else [output]


def callback_pages(callback_map: Mapping[str, Any], layouts: Mapping[str, Component]) -> Mapping[str, str]:
    """Each callback's key (Dash's ``output`` string) → the one page that owns all its outputs;
    callbacks that map to no single page are left out (and so refused)."""
    owners = id_owners(layouts)
    pages: dict[str, str] = {}
    for key, spec in callback_map.items():
        found = {owners.get(_id_key(o.component_id)) for o in _outputs(spec)}
        if len(found) == 1 and None not in found:
            pages[key] = str(found.pop())
    return MappingProxyType(pages)
