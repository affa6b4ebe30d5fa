"""Open an input file of any supported format and stream it as batches of rows.

Tabular files (CSV, XLSX) are read as text cells; vector files (GeoPackage, GeoJSON, zipped
Shapefile, GeoParquet) also carry a shapely ``geometry`` column and the file's CRS. Every
batch has a ``_row`` column: the row's line in the file as a clerk sees it (header = 1).
"""

from __future__ import annotations

import csv
import hashlib
import io
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

import pandas as pd
import pyarrow as pa

from geo.errors import InputError
from ingest._csv import text_batches
from ingest._encoding import detect_encoding
from ingest._multilayer import LayerInfo, choose, vector_layers

ROW = "_row"
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".gpkg": "gpkg",
    ".geojson": "geojson",
    ".json": "geojson",
    ".zip": "shapefile",
    ".shp": "shapefile",
    ".parquet": "geoparquet",
    ".geoparquet": "geoparquet",
}


@dataclass(frozen=True)
class Source:
    """An opened input: what it is, its columns, and a way to stream its rows."""

    name: str  # the file name (or what made an in-memory table)
    format: str
    encoding: str | None
    columns: tuple[str, ...]
    crs: str | None
    batches: Callable[[int], Iterator[pd.DataFrame]]
    sha256: str | None = None


def file_sha256(path: Path) -> str:
    return _digest(path)[0]


def _digest(path: Path) -> tuple[str, bool]:
    """The file's SHA-256, and whether it holds a NUL byte."""
    digest, nul = hashlib.sha256(), False
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            nul = nul or b"\x00" in chunk
    return digest.hexdigest(), nul


def frame_source(frame: pd.DataFrame, *, name: str, crs: str | None = None) -> Source:
    """An in-memory table read like a file: cells as text (lists joined with ；), geometry kept."""
    table = frame.copy()
    for column in table.columns:
        if column != "geometry":
            table[column] = table[column].map(_cell_text)

    def batches(size: int) -> Iterator[pd.DataFrame]:
        for start in range(0, len(table), size):
            yield _numbered(table.iloc[start : start + size].reset_index(drop=True).copy(), start + 2)

    columns = tuple(str(c) for c in table.columns if c != "geometry")
    return Source(name, "table", None, columns, crs, batches)


def _cell_text(value: object) -> str:
    if isinstance(value, list | tuple):
        return "；".join(map(str, value))
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def detect_format(path: Path) -> str:
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file")
    if path.stat().st_size == 0:
        raise InputError(f"{path.name} is empty")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise InputError(
            f"{path.name} is an old .xls workbook; save it as .xlsx or CSV (UTF-8) and ingest that"
        )
    if suffix not in FORMATS:
        known = ", ".join(sorted(set(FORMATS)))
        raise InputError(f"{path.name}: unknown format {suffix or '(no extension)'}; gridgov reads {known}")
    return FORMATS[suffix]


def layers_of(path: Path) -> list[LayerInfo]:
    """The layers (GeoPackage, GeoJSON, zip of shapefiles) or sheets (XLSX) of a file, to pick
    one of with ``layer``; [] for a file that is one table (CSV, GeoParquet)."""
    fmt = detect_format(path)
    if fmt == "xlsx":
        book = _open_book(path)
        try:
            return _sheets(book)
        finally:
            book.close()
    if fmt not in ("gpkg", "geojson", "shapefile"):
        return []
    target = f"/vsizip/{path}" if fmt == "shapefile" and path.suffix.lower() == ".zip" else str(path)
    try:
        return vector_layers(target)
    except Exception as exc:  # GDAL raises many kinds; all mean "cannot read this file"
        raise InputError(f"{path.name} is not a readable {fmt} file: {str(exc).splitlines()[0]}") from None


def open_source(path: Path, *, encoding: str | None = None, layer: str | None = None) -> Source:
    """``layer`` names the GeoPackage layer, zipped shapefile or sheet to read; a file with more
    than one must name it (the error lists them)."""
    fmt = detect_format(path)
    if layer is not None and fmt in ("csv", "geoparquet"):
        raise InputError(
            f"{path.name} is a single table ({fmt}); --layer is for GeoPackages, zips and workbooks"
        )
    if fmt == "csv":
        source = _csv(path, detect_encoding(path, declared=encoding))
    elif fmt == "xlsx":
        source = _xlsx(path, layer)
    else:
        source = _vector(path, fmt, encoding=encoding, layer=layer)
    if layer is not None:
        source = replace(source, name=f"{path.name}#{layer}")
    sha256, nul = _digest(path)
    # NUL in a cell: a NUL byte in a CSV, or a \u0000 escape in a vector file (XML cannot hold one)
    if (fmt == "csv" and nul) or fmt not in ("csv", "xlsx"):
        source = _without_nul(source)
    return replace(source, sha256=sha256)


def _without_nul(source: Source) -> Source:
    """PostgreSQL text cannot hold NUL (U+0000), and no clerk meant one: it is dropped from
    headers and cells (a cell of only NULs is then empty)."""
    columns = _unique([c.replace("\x00", "") for c in source.columns])
    renamed = dict(zip(source.columns, columns, strict=True))

    def batches(size: int) -> Iterator[pd.DataFrame]:
        for batch in source.batches(size):
            for column in batch.columns.drop([ROW, "geometry"], errors="ignore"):
                batch[column] = _strip_nul(batch[column])
            yield batch.rename(columns=renamed)

    return replace(source, columns=columns, batches=batches)


def _strip_nul(cells: pd.Series) -> pd.Series:
    if isinstance(cells.dtype, pd.StringDtype):
        return (
            cells.str.replace("\x00", "", regex=False)
            if cells.str.contains("\x00", regex=False).any()
            else cells
        )
    return cells.map(lambda v: v.replace("\x00", "") if isinstance(v, str) else v)


def _numbered(frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
    frame.insert(0, ROW, range(first_row, first_row + len(frame)))
    return frame


def _header(path: Path, encoding: str) -> tuple[pd.DataFrame, str, int]:
    """The header row, the delimiter (the one of , tab ; | its first line uses most) and how
    many lines the header takes."""
    try:
        lines, sep = _header_lines(path, encoding)
        frame = pd.read_csv(io.StringIO("".join(lines)), dtype=str, nrows=0, sep=sep, engine="python")
        return frame, sep, len(lines)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path.name} is not a readable CSV file: {exc}") from None


def _header_lines(path: Path, encoding: str) -> tuple[list[str], str]:
    """The header record's lines, and the delimiter. Python's csv module reads that one record,
    however many lines a quoted name spans (Excel's wrapped header cells); the rows below are
    Arrow's to read (the csv module refuses a cell over 128 KB anywhere it reads)."""
    with path.open(encoding=encoding, newline="") as fh:
        first = fh.readline()
        sep = max([",", "\t", ";", "|"], key=first.count)
        lines = [first]
        next(csv.reader(_recorded(first, fh, lines), delimiter=sep), None)
    return lines, sep


def _recorded(first: str, rest: TextIO, lines: list[str]) -> Iterator[str]:
    """``first``, then the lines of ``rest`` as they are read, each also added to ``lines``."""
    yield first
    for line in rest:
        lines.append(line)
        yield line


def _csv(path: Path, encoding: str) -> Source:
    header, sep, lines = _header(path, encoding)

    def batches(size: int) -> Iterator[pd.DataFrame]:
        row = 2
        try:
            for chunk in text_batches(
                path, encoding=encoding, sep=sep, columns=columns, size=size, skip=lines
            ):
                yield _numbered(chunk, row)
                row += len(chunk)
        except (UnicodeDecodeError, pa.ArrowInvalid) as exc:
            if isinstance(exc, UnicodeDecodeError) or "UTF8" in str(exc):
                raise InputError(
                    f"{path.name} is not valid {encoding} near row {row}: "
                    f"{getattr(exc, 'reason', 'invalid bytes')}; pass --encoding gb18030 or utf-8"
                ) from None
            raise InputError(f"{path.name}: malformed CSV near row {row}: {exc}") from None

    columns = tuple(map(str, header.columns))
    return Source(path.name, "csv", encoding, columns, None, batches)


def _open_book(path: Path) -> Any:
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise InputError(f"{path.name} is not a readable .xlsx workbook ({exc})") from None


def _sheets(book: Any) -> list[LayerInfo]:
    """The sheets that hold a header row (empty sheets, e.g. Excel's Sheet2, do not count)."""
    out = []
    for sheet in book.worksheets:
        header = next(sheet.iter_rows(values_only=True), None)
        if header and any(h is not None for h in header):
            rows = sheet.max_row - 1 if sheet.max_row else None
            out.append(LayerInfo(sheet.title, rows, tuple(str(h) for h in header if h is not None)))
    return out


def _xlsx(path: Path, layer: str | None) -> Source:
    """One sheet (the only one with a header, or ``layer``); the workbook is open only while it is read."""
    book = _open_book(path)
    try:
        sheets = _sheets(book)
        if not sheets:
            raise InputError(f"{path.name}: no sheet has a header row")
        title = choose(sheets, layer, file_name=path.name, what="sheet") or sheets[0].name
        header = next(book[title].iter_rows(values_only=True))
    finally:
        book.close()
    columns = _unique(["" if h is None else str(h).strip() for h in header])

    def batches(size: int) -> Iterator[pd.DataFrame]:
        book = _open_book(path)
        try:
            data = book[title].iter_rows(min_row=2, values_only=True)
            row = 2
            while chunk := list(islice(data, size)):
                frame = pd.DataFrame(
                    [[_text(v) for v in r[: len(columns)]] for r in chunk], columns=list(columns)
                )
                yield _numbered(frame, row)
                row += len(chunk)
        finally:
            book.close()

    return Source(path.name, "xlsx", None, columns, None, batches)


def _unique(names: list[str]) -> tuple[str, ...]:
    """Repeated headers numbered as pandas numbers a CSV's (经度, 经度.1): a sheet may repeat a
    header, and a table cannot."""
    taken: set[str] = set()
    out = []
    for name in names:
        unique, n = name, 0
        while unique in taken:
            n += 1
            unique = f"{name}.{n}"
        taken.add(unique)
        out.append(unique)
    return tuple(out)


def _text(value: object) -> str:
    """An Excel cell as text, the way a clerk typed it (dates as ISO, whole floats without .0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value).strip()


def _vector(path: Path, fmt: str, *, encoding: str | None, layer: str | None) -> Source:
    import geopandas as gpd
    import pyogrio

    target = f"/vsizip/{path}" if fmt == "shapefile" and path.suffix.lower() == ".zip" else str(path)
    try:
        if fmt == "geoparquet":
            frame = gpd.read_parquet(path)
        else:
            layer = choose(
                vector_layers(target), layer, file_name=path.name
            )  # a shapefile's .cpg names its encoding; --encoding overrides a missing or wrong one
            # GDAL warns of each unreadable geometry (it reads as none, and the row then says so),
            # pyogrio of properties that are not JSON after all (they stay text)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frame = (
                    pyogrio.read_dataframe(target, layer=layer, encoding=encoding)
                    if encoding
                    else pyogrio.read_dataframe(target, layer=layer)
                )
    except InputError:
        raise
    except Exception as exc:  # GDAL and pyarrow raise many kinds; all mean "cannot read this file"
        raise InputError(f"{path.name} is not a readable {fmt} file: {str(exc).splitlines()[0]}") from None
    if frame.empty:
        raise InputError(f"{path.name}{f' layer {layer!r}' if layer else ''} holds no features")
    crs = frame.crs.to_string() if frame.crs is not None else None
    frame = pd.DataFrame(frame).rename(columns={frame.geometry.name: "geometry"})

    def batches(size: int) -> Iterator[pd.DataFrame]:
        for start in range(0, len(frame), size):
            yield _numbered(frame.iloc[start : start + size].reset_index(drop=True).copy(), start + 2)

    columns = tuple(c for c in frame.columns if c != "geometry")
    return Source(path.name, fmt, None, columns, crs, batches)
