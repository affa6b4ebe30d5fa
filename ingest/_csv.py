"""CSV rows as batches of text cells, parsed by Arrow's multi-threaded CSV reader.

Cells stay text (``string[pyarrow]``, empty cells ``""``): typing them is the fields' job. A row
with more or fewer cells than the header is refused with its text: its values would land under
the wrong headers. Batches hold exactly ``size`` rows (the last one fewer).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from geo.errors import InputError

_TEXT = pd.StringDtype("pyarrow")


def _reader(
    path: Path, *, encoding: str, sep: str, columns: Sequence[str], skip: int, ragged: list[pacsv.InvalidRow]
) -> pacsv.CSVStreamingReader:
    """``ragged`` collects the row that made the reader stop (Arrow raises ArrowInvalid)."""

    def refuse(row: pacsv.InvalidRow) -> str:
        ragged.append(row)
        return "error"

    if codecs.lookup(encoding).name == "utf-8":
        encoding = "utf8"  # Arrow's own decoder; other encodings go through Python's codecs
    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=list(columns), skip_rows=skip, encoding=encoding, block_size=4 << 20
        ),
        parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True, invalid_row_handler=refuse),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in columns},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _frame(batches: list[pa.RecordBatch]) -> pd.DataFrame:
    return pa.Table.from_batches(batches).to_pandas(types_mapper={pa.string(): _TEXT}.get)


def text_batches(
    path: Path, *, encoding: str, sep: str, columns: Sequence[str], size: int, skip: int = 1
) -> Iterator[pd.DataFrame]:
    """The rows after the header (its first ``skip`` lines), ``size`` at a time (InputError
    for a ragged row)."""
    ragged: list[pacsv.InvalidRow] = []
    try:
        pending: list[pa.RecordBatch] = []
        count = 0
        for batch in _reader(path, encoding=encoding, sep=sep, columns=columns, skip=skip, ragged=ragged):
            pending.append(batch)
            count += batch.num_rows
            while count >= size:
                table = pa.Table.from_batches(pending)
                yield _frame(table.slice(0, size).to_batches())
                pending, count = table.slice(size).to_batches(), count - size
        if count:
            yield _frame(pending)
    except pa.ArrowInvalid:
        if not ragged:
            raise
        row = ragged[0]
        raise InputError(
            f"{path.name}: a row has {row.actual_columns} cells but the header has {row.expected_columns}: "
            f"«{row.text[:200]}»; fix that row (or re-export the file) and ingest again"
        ) from None
