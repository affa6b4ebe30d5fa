"""The upload page's callbacks: thin wrappers over ``layers/uploads.py``.

Every callback checks on the server that the account is an admin (the gate checks the page's
role first; this is the second wall) and audits what it did. Jobs run through the owner's engine
(``ingest``): the web's own role may not write incidents or read the quarantine. A file the job
refuses (``InputError``) is shown as the error it is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dash import Dash, Input, Output, State, dcc
from dash.exceptions import PreventUpdate
from sqlalchemy.engine import Engine

from dashboard.auth import current_user, trail
from dashboard.bilingual import tr
from dashboard.uploads import layout as L
from geo.db import database_url, make_engine
from geo.errors import InputError
from geo.settings import Settings
from geo.vocabulary import Vocabulary
from ingest.job import JobOptions, JobResult, run_file
from ingest.kinds import load_kinds
from ingest.options import with_district
from layers import uploads


@dataclass
class OwnerEngine:
    """The owner's engine, made on first use (most workers never load a file)."""

    make: Callable[[], Engine]
    _engine: Engine | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = self.make()
            return self._engine


@dataclass(frozen=True)
class UploadSetup:
    folder: Path  # where uploads are kept (``<GRIDGOV_DATA_DIR>/uploads``)
    max_bytes: int
    options: JobOptions  # the district's SLA rules, service types and vocabulary
    run: uploads.Runner  # ingest.job.run_file with the district's geocoder
    ingest: OwnerEngine


def _admin() -> str:
    """The signed-in admin's name; anyone else gets nothing (the callback does not run)."""
    user = current_user()
    if user is None or user.role != "admin":
        raise PreventUpdate
    return user.username


def register_upload_callbacks(app: Dash, *, engine: Engine, setup: UploadSetup) -> None:
    """``engine``: the web's own (the audit log)."""

    @app.callback(
        Output(L.STAGED, "data"),
        Output(L.FILE_NOTE, "children"),
        Output(L.LAYER, "options"),
        Output(L.LAYER, "value"),
        Input(L.UPLOAD, "contents"),
        State(L.UPLOAD, "filename"),
        prevent_initial_call=True,
    )
    def on_upload(contents: Any, filename: Any) -> tuple[Any, ...]:
        user = _admin()
        if not isinstance(contents, str) or not isinstance(filename, str):
            raise PreventUpdate
        try:
            kept = uploads.stage(
                setup.folder, contents=contents, filename=filename, max_bytes=setup.max_bytes, user=user
            )
        except InputError as exc:
            return None, L.error(str(exc)), [], None
        trail.record(engine, "data.upload", file=kept.name, sha256=kept.sha256, bytes=kept.size)
        note = L.file_note(kept.name, kept.size, kept.sha256, kept.layers)
        only = kept.layers[0] if len(kept.layers) == 1 else None
        return {"token": kept.token, "sha256": kept.sha256}, note, list(kept.layers), only

    @app.callback(
        Output(L.REVIEW, "data"),
        Output(L.REPORT, "children"),
        Output(L.CONFIRM, "disabled"),
        Input(L.DRY_RUN, "n_clicks"),
        State(L.STAGED, "data"),
        State(L.KIND, "value"),
        State(L.SOURCE, "value"),
        State(L.CRS, "value"),
        State(L.LAYER, "value"),
        prevent_initial_call=True,
    )
    def on_dry_run(_n: Any, staged: Any, kind: Any, source: Any, crs: Any, layer: Any) -> tuple[Any, ...]:
        user = _admin()
        token = staged.get("token") if isinstance(staged, dict) else None
        try:
            choice = uploads.Choice.of(kind=kind, source=source, crs=crs, layer=layer)
            result = _job(setup, uploads.dry_run, token, user=user, choice=choice)
        except InputError as exc:
            return None, L.error(str(exc)), True
        found = uploads.summary(result)
        trail.record(
            engine,
            "data.dry_run",
            sha256=staged["sha256"],
            kind=choice.kind,
            source=choice.source,
            **found["counts"],
        )
        title = tr("试运行结果（未写入）", "Dry run: nothing written")
        return {"token": token, "sha256": staged["sha256"]}, L.report(found, title=title), False

    @app.callback(
        Output(L.RESULT, "children"),
        Output(L.LOADED, "data"),
        Output(L.EXPORT, "disabled"),
        Input(L.CONFIRM, "n_clicks"),
        State(L.REVIEW, "data"),
        prevent_initial_call=True,
    )
    def on_confirm(_n: Any, review: Any) -> tuple[Any, ...]:
        user = _admin()
        if not isinstance(review, dict):
            raise PreventUpdate
        try:
            result, choice, record = _job(
                setup, uploads.confirm, review.get("token"), user=user, shown=review.get("sha256")
            )
        except InputError as exc:
            return L.error(str(exc)), None, True
        found = uploads.summary(result)
        trail.record(engine, "data.load", run=result.run_id, file=record["name"], sha256=record["sha256"],
                     kind=choice.kind, source=choice.source, **found["counts"])  # fmt: skip
        title = tr(f"已导入：第 {result.run_id} 次运行", f"Loaded: run {result.run_id}")
        return L.report(found, title=title), {"run": result.run_id}, not result.quarantined

    @app.callback(
        Output(L.DOWNLOAD, "data"),
        Input(L.EXPORT, "n_clicks"),
        State(L.LOADED, "data"),
        prevent_initial_call=True,
    )
    def on_export(_n: Any, loaded: Any) -> Any:
        _admin()
        run = loaded.get("run") if isinstance(loaded, dict) else None
        if not isinstance(run, int) or isinstance(run, bool):
            raise PreventUpdate
        with setup.ingest.get().connect() as conn:
            data, rows = uploads.quarantine_workbook(conn, run)
        trail.record(engine, "data.export", run=run, rows=rows)
        return dcc.send_bytes(data, f"quarantine-run{run}.xlsx")


def _job(setup: UploadSetup, step: Callable[..., Any], token: Any, **given: Any) -> Any:
    """``uploads.dry_run`` or ``uploads.confirm`` with the page's setup."""
    return step(setup.folder, token, options=setup.options, run=setup.run, engine=setup.ingest.get(), **given)


def kind_options() -> list[tuple[str, str]]:
    """(key, label) of every registered ingest kind, as the page lists them."""
    return [(key, f"{key} — {kind.help}") for key, kind in load_kinds().items()]


def upload_setup(settings: Settings, *, vocabulary: Vocabulary) -> UploadSetup:
    """The page's setup from the settings: where uploads go, the limit, the district's job options,
    the geocoder, and the owner's engine (made when first needed)."""
    from ingest.geocode import district_aliases, geocoder_factory

    aliases = district_aliases(settings.district_file)

    def run(engine: Engine, **job: Any) -> JobResult:
        return run_file(engine, geocoder_factory=geocoder_factory(aliases), **job)

    return UploadSetup(
        folder=settings.data_dir / "uploads",
        max_bytes=settings.upload_max_mb * 1_000_000,
        options=with_district(JobOptions(source=""), settings.district_file, vocabulary=vocabulary),
        run=run,
        ingest=OwnerEngine(lambda: make_engine(database_url(settings), pool_size=1)),
    )
