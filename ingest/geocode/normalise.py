"""Address text → a canonical form: half-width, no spaces or punctuation, Arabic numbers
before unit words (三号楼 → 3号楼), no prefix of the loaded district's province, prefecture and
district (see region.py). Old street names are read by the parser (parse.py), not rewritten."""

from __future__ import annotations

import re
import unicodedata

from ingest.geocode.region import Region

_PUNCT = re.compile(r"[\s,，。.、;；:：()（）\[\]【】{}<>《》\"'“”‘’#＃\-—_/\\|]+")
_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_NUMERAL = re.compile(r"([零〇一二两三四五六七八九十百]+)(?=号|栋|幢|座|楼|单元|室|层|排|期|户)")


def chinese_number(text: str) -> int:
    """Chinese numerals up to 999: 三 → 3, 十二 → 12, 二十 → 20, 一百零五 → 105, 二〇五 → 205."""
    if all(ch in _DIGITS for ch in text):  # digit by digit, e.g. 二〇五
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _DIGITS[ch]
    return total + current


def canonical(text: str) -> str:
    """Half-width, lower case, no spaces or punctuation, Arabic numbers before unit words."""
    out = unicodedata.normalize("NFKC", text).strip().lower()
    out = _PUNCT.sub("", out)
    return _NUMERAL.sub(lambda m: str(chinese_number(m.group(1))), out)


def normalise(text: str, *, region: Region | None = None) -> str:
    """The canonical form used for parsing (``region`` strips the district's own prefixes)."""
    out = canonical(text)
    return region.strip(out)[0] if region is not None else out
