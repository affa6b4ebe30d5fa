"""Which text encoding a CSV file uses: UTF-8 (with or without BOM) or GBK/GB18030."""

from __future__ import annotations

import codecs
from pathlib import Path

from geo.errors import InputError

SAMPLE_BYTES = 4 << 20
_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "utf8": "utf-8", "utf-8-bom": "utf-8-sig"}


def _decodes(sample: bytes, encoding: str, *, whole: bool) -> int | None:
    """None if ``sample`` decodes, else the bad offset. A multi-byte character cut at the end is
    fine in a sample of a longer file, but not at the end of the ``whole`` file."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(sample, final=whole)
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def detect_encoding(path: Path, *, declared: str | None = None) -> str:
    """The encoding to read ``path`` with; GBK is read as its superset GB18030."""
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
        whole = not fh.read(1)
    if declared:
        encoding = _ALIASES.get(declared.lower(), declared.lower())
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"unknown encoding {declared!r}; use utf-8, utf-8-sig or gb18030") from None
        bad = _decodes(sample, encoding, whole=whole)
        if bad is not None:
            raise InputError(
                f"{path.name} is not valid {declared} (byte {bad}); try --encoding gb18030 or utf-8"
            )
        return encoding
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        if _decodes(sample, encoding, whole=whole) is None:
            return encoding
    raise InputError(f"cannot tell the text encoding of {path.name}; save it as UTF-8 or pass --encoding")
