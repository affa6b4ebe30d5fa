"""Run one ingest job: file → checked, placed rows → staged → merged, in one transaction.

Guarantees: every row read ends up inserted, updated, unchanged or quarantined (with a
reason), and the counts say so; the whole job is one transaction, so a job that dies leaves
the database as it was and a rerun completes it; jobs on the same kind and source take an
advisory lock, so they never interleave; a dry run does all of it and then rolls back.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from geo import partitions
from geo.errors import InputError
from geo.service_types import SERVICE_TYPES, ServiceType
from geo.sla import SlaRules
from geo.vocabulary import Vocabulary
from ingest import runs
from ingest._rows import KeyBook, process_batch
from ingest.columns import ColumnMap, check_address_column, resolve_columns
from ingest.coords import CoordSystem, parse_crs
from ingest.fields import TIME_TYPES
from ingest.kinds import LOCATION_FIELDS, IngestKind, JobContext
from ingest.locate import Locator
from ingest.outcomes import Outcome, create_rows_table, quarantined, record_rows, staged_outcomes
from ingest.placing import Geocoder
from ingest.progress import Progress, Step
from ingest.reading import Source, open_source
from ingest.timelayout import Layout, TimeColumns, given_layouts
from ingest.upsert import create_stage, quarantine, stage_rows, upsert

TZ = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class JobOptions:
    source: str
    crs: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    layer: str | None = None  # the GeoPackage layer, zipped shapefile or sheet of a multi-table file
    dry_run: bool = False
    batch_size: int = 50_000
    sla: SlaRules = field(default_factory=SlaRules)  # deadlines for incidents that come without one
    # service-point types (the built-ins and the district file's [service_types])
    service_types: Mapping[str, ServiceType] = field(default_factory=lambda: SERVICE_TYPES)
    # incident categories and inspection kinds (the built-ins and the district file's tables)
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    # --date-format: field name or header → strptime format; "" for every date/time column
    date_formats: dict[str, str] = field(default_factory=dict)
    # report what became of each row in JobResult.outcomes (ingest/outcomes.py; the intake API)
    row_outcomes: bool = False
    # where rows are placed (street, community, grid): read per job, or kept (ingest.locate.LocatorCache)
    locator: Callable[[Connection], Locator] = Locator.load


@dataclass(frozen=True)
class JobResult:
    run_id: int | None  # None for a dry run
    read: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    seconds: float
    columns: ColumnMap
    notes: dict[str, int]
    dry_run: bool
    report: dict[str, object] = field(default_factory=dict)
    reasons: tuple[runs.ReasonGroup, ...] = ()  # the quarantine by kind, most rows first
    # with JobOptions.row_outcomes: row number → (inserted | updated | unchanged | quarantined, reason)
    outcomes: Mapping[int, Outcome] = field(default_factory=dict)

    def with_seconds(self, seconds: float) -> JobResult:
        return replace(self, seconds=seconds)

    def plus(self, other: JobResult) -> JobResult:
        """Counts of two jobs together (e.g. one kind loaded from several sources)."""
        return replace(
            self,
            read=self.read + other.read,
            inserted=self.inserted + other.inserted,
            updated=self.updated + other.updated,
            unchanged=self.unchanged + other.unchanged,
            quarantined=self.quarantined + other.quarantined,
            seconds=self.seconds + other.seconds,
        )


def _columns(source: Source, kind: IngestKind, options: JobOptions) -> ColumnMap:
    fields = (*kind.field_names, *LOCATION_FIELDS)
    preferred = {f.name: f.headers for f in kind.fields if f.headers}
    cmap = resolve_columns(source.columns, fields=fields, given=options.mapping, preferred=preferred)
    if "address" in cmap.columns:
        cmap = check_address_column(cmap, next(source.batches(200), None))
    missing = [f for f in kind.fields if f.required and f.name not in cmap.columns]
    if missing:
        wanted = "; ".join(f"{f.title} ({f.name})" for f in missing)
        raise InputError(
            f"{source.name} has no column for {wanted}; its columns are {', '.join(source.columns)}; "
            f"name one with --map HEADER=FIELD"
        )
    has_location = kind.geometry == "none" or source.format not in ("csv", "xlsx")
    has_location = has_location or "wkt" in cmap.columns or "address" in cmap.columns
    if not has_location and not {"lon", "lat"} <= set(cmap.columns):
        raise InputError(
            f"{source.name} has no location: give 经度/纬度 (lon/lat), WKT or 地址 (address) columns, "
            "or name them with --map"
        )
    return cmap


def _system(source: Source, options: JobOptions) -> CoordSystem | None:
    if options.crs:
        return parse_crs(options.crs)
    return parse_crs(source.crs) if source.crs else None


@dataclass(frozen=True)
class _Plan:
    """Everything decided before the transaction starts."""

    kind: IngestKind
    source: Source
    cmap: ColumnMap
    system: CoordSystem | None
    options: JobOptions
    times: dict[str, Layout]  # date/time fields whose layout --date-format gives


def _given_times(kind: IngestKind, cmap: ColumnMap, options: JobOptions) -> dict[str, Layout]:
    fields = {f.name: f.title for f in kind.fields if f.type in TIME_TYPES}
    headers = {header: name for name, header in cmap.columns.items()}
    return given_layouts(options.date_formats, fields=fields, headers=headers)


def run_file(engine: Engine, *, kind: IngestKind, path: Path, options: JobOptions, **hooks: Any) -> JobResult:
    """Ingest the file at ``path`` (see :func:`run_job`)."""
    return run_job(
        engine,
        kind=kind,
        source=open_source(path, encoding=options.encoding, layer=options.layer),
        options=options,
        **hooks,
    )


def run_job(
    engine: Engine,
    *,
    kind: IngestKind,
    source: Source,
    options: JobOptions,
    geocoder_factory: Callable[[Connection], Geocoder] | None = None,
    progress: Progress | None = None,
    before_commit: Callable[[Connection, JobResult], None] | None = None,
) -> JobResult:
    """Ingest ``source`` as ``kind``; see the module docstring for what is guaranteed, and
    ingest/progress.py for the steps reported to ``progress``. ``before_commit`` runs in the
    job's transaction just before it commits (e.g. to audit the job with it)."""
    started = time.perf_counter()
    report = progress or _ignore
    try:
        cmap = _columns(source, kind, options)
        times = _given_times(kind, cmap, options)
        plan = _Plan(kind, source, cmap, _system(source, options), options, times)
        result = _execute(
            engine, plan, geocoder_factory=geocoder_factory, progress=report, before_commit=before_commit
        )
    except InputError as exc:
        failed = None
        if not options.dry_run:  # the ledger's line first, so the step can name its run
            failed = runs.record_failure(
                engine,
                kind=kind.key,
                source=options.source,
                name=source.name,
                sha256=source.sha256,
                message=str(exc),
            )
        report(Step("failed", run=failed, message=str(exc)))
        raise
    return result.with_seconds(time.perf_counter() - started)


def _ignore(_step: Step) -> None:
    """The progress hook of a job nobody watches."""


def _open_target(conn: Connection, kind: IngestKind, source: str) -> tuple[str, bool]:
    """(table the batches are copied into, whether it is the source's fresh partition)."""
    if kind.partitioned and not partitions.has_partition(conn, source):
        # the source's first load: straight into a table of its own, indexed when attached
        return partitions.create_detached(conn, source), True
    return create_stage(conn, table=kind.table, columns=kind.columns), False


def _load_batches(
    conn: Connection,
    plan: _Plan,
    ctx: JobContext,
    *,
    run_id: int,
    target: str,
    fresh: bool,
    geocoder: Geocoder | None,
    progress: Progress,
) -> Counter[str]:
    """Parse, place and copy every batch; a pipelined kind copies in a second thread meanwhile
    (the server parses one batch while Python prepares the next)."""
    kind, counts, seen, times = plan.kind, Counter[str](), KeyBook(), TimeColumns(plan.times)

    def write(rows: pd.DataFrame, rejects: pd.DataFrame, batch: pd.DataFrame) -> None:
        read = len(batch)
        if plan.options.row_outcomes:
            record_rows(conn, rows, batch, conflict=kind.conflict)
        if fresh and len(rows):  # ids drawn at once, not by the column's default row by row
            rows = rows.assign(id=partitions.reserve_ids(conn, len(rows)))
        staged = stage_rows(conn, rows, table=target)
        counts.update(read=read, staged=staged, quarantined=quarantine(conn, run_id=run_id, rejects=rejects))
        counts.update(batches=1)
        progress(Step("batch", run_id, counts["batches"], counts["read"], counts["quarantined"], rows=read))

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[None] | None = None
        for batch in plan.source.batches(plan.options.batch_size):
            rows, rejects = process_batch(
                batch,
                kind=kind,
                cmap=plan.cmap,
                ctx=ctx,
                system=plan.system,
                geocoder=geocoder,
                seen=seen,
                times=times,
            )
            if kind.keep:
                ctx.kept.append(rows[list(kind.keep)])
            if pending:
                pending.result()
            pending = pool.submit(write, rows, rejects, batch)
            if not kind.pipelined:
                pending.result()
        if pending:
            pending.result()
    layouts = {name: how for name, how in times.chosen().items() if name in plan.cmap.columns}
    if layouts:
        ctx.report["dates"] = layouts
    return counts


def _merge(conn: Connection, plan: _Plan, ctx: JobContext, *, fresh: bool, staged: int) -> tuple[int, int]:
    """Bring the copied rows into the table: (inserted, updated)."""
    kind = plan.kind
    if fresh:
        partitions.attach(conn, plan.options.source)
        return staged, 0
    if kind.merge:
        return kind.merge(conn, kind.table, ctx)
    return upsert(conn, table=kind.table, columns=kind.columns, conflict=kind.conflict)


def _outcomes(conn: Connection, kind: IngestKind, *, fresh: bool) -> dict[int, Outcome]:
    """What the merge will do to each staged row (asked before it runs)."""
    compared = kind.compared or tuple(c for c in kind.columns if c not in kind.conflict)
    return staged_outcomes(conn, table=kind.table, compared=compared, conflict=kind.conflict, fresh=fresh)


def _lock_source(conn: Connection, kind: str, source: str, progress: Progress) -> None:
    """Take the lock that keeps two jobs on one kind and source from interleaving, saying so
    (a ``waiting`` step) when another job holds it."""
    key = {"k": f"ingest:{kind}:{source}"}
    if conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(hashtext(:k))"), key).scalar():
        return
    message = f"another job is loading {kind} from source {source!r}: waiting for it to end"
    progress(Step("waiting", message=message))
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), key)


def _execute(
    engine: Engine,
    plan: _Plan,
    *,
    geocoder_factory: Callable[[Connection], Geocoder] | None,
    progress: Progress,
    before_commit: Callable[[Connection, JobResult], None] | None = None,
) -> JobResult:
    kind, options = plan.kind, plan.options
    with engine.connect() as conn:
        trans = conn.begin()
        # if this process dies mid-statement, the server notices within 2 s and rolls back
        conn.execute(sa.text("SET LOCAL client_connection_check_interval = '2s'"))
        _lock_source(conn, kind.key, options.source, progress)
        run_id = runs.start(
            conn, kind=kind.key, source=options.source, name=plan.source.name, sha256=plan.source.sha256
        )
        progress(Step("begun", run_id))
        ctx = JobContext(
            conn=conn,
            source=options.source,
            locator=options.locator(conn),
            now=dt.datetime.now(TZ),
            sla=options.sla,
            service_types=options.service_types,
            vocabulary=options.vocabulary,
            run_id=run_id,
        )
        geocoder = geocoder_factory(conn) if geocoder_factory and "address" in plan.cmap.columns else None
        target, fresh = _open_target(conn, kind, options.source)
        if options.row_outcomes:
            create_rows_table(conn, table=kind.table, conflict=kind.conflict)
        counts = _load_batches(
            conn, plan, ctx, run_id=run_id, target=target, fresh=fresh, geocoder=geocoder, progress=progress
        )
        if counts["read"] == 0:
            raise InputError(f"{plan.source.name} has a header but no rows")
        step = Step("merge", run_id, counts["batches"], counts["read"], counts["quarantined"])
        progress(step)
        outcomes = _outcomes(conn, kind, fresh=fresh) if options.row_outcomes else {}
        with ThreadPoolExecutor(max_workers=1) as pool:
            prepared = pool.submit(kind.prepare(conn, ctx)) if kind.prepare else None
            inserted, updated = _merge(conn, plan, ctx, fresh=fresh, staged=counts["staged"])
            ctx.prepared = prepared.result() if prepared else None
        progress(replace(step, phase="merged"))
        if kind.after:
            kind.after(conn, run_id, ctx)
        result = JobResult(
            run_id=None if options.dry_run else run_id,
            read=counts["read"],
            inserted=inserted,
            updated=updated,
            unchanged=counts["staged"] - inserted - updated,
            quarantined=counts["quarantined"],
            seconds=0.0,
            columns=plan.cmap,
            notes={k: v for k, v in ctx.notes.items() if v},
            report=ctx.report,
            dry_run=options.dry_run,
            reasons=tuple(runs.reason_groups(conn, run_id, kinds=10)) if counts["quarantined"] else (),
            outcomes={**outcomes, **quarantined(conn, run_id)} if options.row_outcomes else {},
        )
        runs.finish(conn, run_id, result)
        if before_commit and not options.dry_run:
            before_commit(conn, result)
        progress(replace(step, phase="rollback" if options.dry_run else "commit"))
        trans.rollback() if options.dry_run else trans.commit()
    progress(replace(step, phase="done", run=result.run_id))
    return result
