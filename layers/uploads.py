"""The upload page's work (``/data``): keep an uploaded file, dry-run it, load what was dry-run.

An upload is kept in a folder of its own under the server's data directory, named by a random
token, with who uploaded it and its SHA-256 (``upload.json``). A dry run runs the ordinary job
(``ingest/job.run_file``, rolled back) and writes what it ran — the file's SHA-256 and the
choices — beside it (``review.json``); confirming runs the same job on the same file with the
same choices, for real, only if the file's SHA-256 is still the one the dry run saw (and the
one the page showed). A review is used once; the upload is deleted after its load.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection, Engine

from geo.errors import InputError
from geo.spreadsheet import guard_formulas
from ingest import runs
from ingest.job import JobOptions, JobResult
from ingest.kinds import get_kind
from ingest.reading import file_sha256, layers_of
from ingest.unknown_categories import summary_lines

SUFFIXES = (".csv", ".xlsx", ".gpkg", ".geojson", ".zip")
_TOKEN = re.compile(r"[0-9a-f]{32}")
_UNSAFE = re.compile(r"[^\w.\-]+")  # \w keeps Chinese names readable
KEEP_SECONDS = 24 * 3600  # uploads never confirmed are removed a day later

Runner = Callable[..., JobResult]  # ingest.job.run_file, or a wrapper with the geocoder


@dataclass(frozen=True)
class Upload:
    token: str
    name: str
    sha256: str
    size: int
    layers: tuple[str, ...]  # layers or sheets to choose from ([] for a single table)


@dataclass(frozen=True)
class Choice:
    """What the page asks before a dry run: the kind (``boundaries:street`` for a level), the
    source, the CRS of coordinates and the layer."""

    kind: str
    source: str
    crs: str | None = None
    layer: str | None = None

    @classmethod
    def of(cls, *, kind: object, source: object, crs: object, layer: object) -> Choice:
        """From the page's values; anything but text is refused (ValueError)."""
        if not isinstance(kind, str) or not kind:
            raise InputError("choose what the file holds (kind)")
        name, system, sheet = (_text(v) for v in (source, crs, layer))
        return cls(kind, name.strip() or kind.split(":")[0], system or None, sheet or None)


def _text(value: object) -> str:
    """A page value that must be text or empty (anything else: ValueError, a malformed call)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("source, CRS and layer are text")
    return value


def stage(folder: Path, *, contents: str, filename: str, max_bytes: int, user: str) -> Upload:
    """Keep an upload (a ``data:…;base64,…`` URL, as the browser sends it) for ``user``."""
    name = _safe_name(filename)
    data = _decode(contents, max_bytes=max_bytes)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    _forget_old(folder)
    token = secrets.token_hex(16)
    home = folder / token
    home.mkdir(mode=0o700)
    path = home / name
    path.write_bytes(data)
    try:
        layers = tuple(layer.name for layer in layers_of(path))
    except InputError:
        shutil.rmtree(home)
        raise
    upload = Upload(token, name, file_sha256(path), len(data), layers)
    _write(home / "upload.json", {**asdict(upload), "user": user})
    return upload


def _safe_name(filename: str) -> str:
    """The file's own name without any directory, odd characters replaced; its suffix checked."""
    name = _UNSAFE.sub("_", Path(filename.replace("\\", "/")).name).strip("._") or "upload"
    if not name.lower().endswith(SUFFIXES):
        raise InputError(f"{filename}: upload a {', '.join(SUFFIXES)} file")
    return name[-120:]


def _decode(contents: str, *, max_bytes: int) -> bytes:
    head, _, body = contents.partition(",")
    if not head.startswith("data:") or not head.endswith(";base64"):
        raise InputError("the upload did not arrive as a file; choose it again")
    if len(body) * 3 // 4 > max_bytes + 3:
        raise InputError(_too_large(max_bytes))
    try:
        data = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("the upload arrived damaged; choose it again") from None
    if len(data) > max_bytes:
        raise InputError(_too_large(max_bytes))
    return data


def _too_large(max_bytes: int) -> str:
    return (
        f"the file is larger than {max_bytes / 1e6:g} MB (GRIDGOV_UPLOAD_MAX_MB); "
        "load it with `gridgov ingest` or the drop folder"
    )


def _forget_old(folder: Path, *, now: float | None = None) -> None:
    """Remove uploads older than ``KEEP_SECONDS`` (never confirmed)."""
    now = time.time() if now is None else now
    for home in folder.glob("*/upload.json"):
        if now - home.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(home.parent, ignore_errors=True)


def _write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _home(folder: Path, token: object, *, user: str) -> tuple[Path, dict[str, Any]]:
    """The upload's folder and record; only its own uploader may use it."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise InputError("no file uploaded; upload one first")
    home = folder / token
    try:
        record = json.loads((home / "upload.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            "this upload is gone (loaded already, or older than a day); upload it again"
        ) from None
    if record.get("user") != user:
        raise InputError("this upload belongs to another account; upload the file yourself")
    return home, record


def dry_run(
    folder: Path,
    token: object,
    *,
    user: str,
    choice: Choice,
    options: JobOptions,
    run: Runner,
    engine: Engine,
) -> JobResult:
    """Run the job on the upload and roll it back; remember what ran for :func:`confirm`."""
    home, record = _home(folder, token, user=user)
    path = home / record["name"]
    sha = file_sha256(path)
    result = run(
        engine, kind=get_kind(*_kind(choice.kind)), path=path, options=_options(options, choice, dry_run=True)
    )
    _write(home / "review.json", {"sha256": sha, "choice": asdict(choice)})
    return result


def confirm(
    folder: Path, token: object, *, user: str, shown: object, options: JobOptions, run: Runner, engine: Engine
) -> tuple[JobResult, Choice, dict[str, Any]]:
    """Load the upload for real with the choices of its dry run, if the file is still the one
    that was dry-run and shown (``shown``: the SHA-256 the page showed). Returns the result, the
    choice and the upload's record; the upload is deleted after."""
    home, record = _home(folder, token, user=user)
    used = home / "review.used"
    try:  # a dry run is confirmed once, whatever happens next: the rename is the claim
        (home / "review.json").rename(used)
    except FileNotFoundError:
        raise InputError("run the dry run first (or again); then confirm what it showed") from None
    review = json.loads(used.read_text(encoding="utf-8"))
    path = home / record["name"]
    if not (file_sha256(path) == review["sha256"] == record["sha256"] == shown):
        raise InputError("the file is not the one that was dry-run; upload it again and run the dry run")
    choice = Choice(**review["choice"])
    result = run(
        engine,
        kind=get_kind(*_kind(choice.kind)),
        path=path,
        options=_options(options, choice, dry_run=False),
    )
    shutil.rmtree(home, ignore_errors=True)
    return result, choice, record


def _kind(key: str) -> tuple[str, str | None]:
    command, _, variant = key.partition(":")
    return command, variant or None


def _options(options: JobOptions, choice: Choice, *, dry_run: bool) -> JobOptions:
    return replace(options, source=choice.source, crs=choice.crs, layer=choice.layer, dry_run=dry_run)


def summary(result: JobResult) -> dict[str, Any]:
    """What the page shows of a job (JSON-able): counts, columns chosen, notes, date layouts, and
    the quarantine's top reasons with the first rows of each."""
    dates = result.report.get("dates")
    return {
        "run": result.run_id,
        "dry_run": result.dry_run,
        "counts": {
            k: getattr(result, k) for k in ("read", "inserted", "updated", "unchanged", "quarantined")
        },
        "columns": result.columns.describe(),
        "notes": [f"{text}: {n}" for text, n in result.notes.items()],
        "dates": [f"{name}: {how}" for name, how in dates.items()] if isinstance(dates, dict) else [],
        "reasons": [
            {"kind": g.kind, "count": g.count, "samples": [[row, value] for row, value in g.samples]}
            for g in result.reasons
        ],
        # texts naming no category (loaded as 其他) and the district file's lines that would name one
        "categories": summary_lines(result.report, where="the district file (GRIDGOV_DISTRICT_FILE)"),
    }


def quarantine_workbook(conn: Connection, run_id: int) -> tuple[bytes, int]:
    """The run's quarantined rows as an Excel workbook (cells Excel would run as formulas made
    text), and how many rows it holds."""
    import io

    frame = guard_formulas(runs.quarantine_frame(conn, run_id))
    out = io.BytesIO()
    frame.to_excel(out, index=False, sheet_name="quarantine")
    return out.getvalue(), len(frame)
