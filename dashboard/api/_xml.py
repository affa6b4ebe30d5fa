"""Open311's XML form of a JSON answer: a list of flat records under a root element
(``<services><service>…``, ``<service_requests><request>…``, ``<errors><error>…``).

Text is escaped by ElementTree; characters XML 1.0 cannot hold at all (control characters a
description may carry) are left out, so the document always parses. ``None`` is an empty
element, booleans read ``true`` / ``false``, as the spec's examples write them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

# what XML 1.0 cannot hold, escaped or not (its Char production)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def as_xml(records: Sequence[Mapping[str, Any]], *, root: str, item: str) -> bytes:
    """``records`` as ``<root><item><key>value</key>…</item>…</root>``, UTF-8 with a declaration."""
    top = ET.Element(root)
    for record in records:
        node = ET.SubElement(top, item)
        for key, value in record.items():
            ET.SubElement(node, key).text = _text(value)
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)
