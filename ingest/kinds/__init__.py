"""What `gridgov ingest KIND` can load. Each kind registers itself here; the CLI's choices,
its help and the job engine are built from this registry."""

from __future__ import annotations

import datetime as dt
import importlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.engine import Connection

from geo.errors import InputError
from geo.service_types import SERVICE_TYPES, ServiceType
from geo.sla import SlaRules
from geo.vocabulary import Vocabulary
from ingest.fields import Field
from ingest.locate import Locator

LOCATION_FIELDS = ("lon", "lat", "wkt", "crs", "address")


@dataclass
class JobContext:
    """What a kind's ``build`` may use: the job's source name, boundaries, clock, SLA rules,
    the district's vocabulary, notes."""

    conn: Connection
    source: str
    locator: Locator
    now: dt.datetime
    sla: SlaRules = field(default_factory=SlaRules)
    service_types: Mapping[str, ServiceType] = field(default_factory=lambda: SERVICE_TYPES)
    vocabulary: Vocabulary = field(default_factory=Vocabulary)  # categories and inspection kinds
    notes: Counter[str] = field(default_factory=Counter)
    report: dict[str, object] = field(default_factory=dict)  # anything else for the run's record
    kept: list[pd.DataFrame] = field(default_factory=list)  # the kind's ``keep`` columns of loaded rows
    prepared: object = None  # what the kind's ``prepare`` computed, for its ``after``
    run_id: int | None = None  # the job's ingest_run
    scratch: dict[str, object] = field(default_factory=dict)  # a kind's own state across batches


@dataclass(frozen=True)
class IngestKind:
    """One loadable kind: its fields, geometry, target table and how rows become table rows.

    ``build`` turns parsed, placed rows into table rows and returns them with a ``reason``
    column (None = load the row). ``merge`` moves the staged rows into the table and returns
    (inserted, updated); the default upserts on ``conflict``. A ``partitioned`` table has one
    partition per source: a source's first load fills a fresh partition, skipping the merge.
    ``after`` runs last, with the ``keep`` columns of every loaded row in ``JobContext.kept``.
    ``prepare``, if given, runs before the merge (or the partition's attach): it reads what it
    needs and returns a computation that runs in a thread while the server merges or builds
    indexes; its result reaches ``after`` as ``JobContext.prepared``.
    """

    key: str
    help: str
    table: str
    fields: tuple[Field, ...]
    geometry: str  # point | polygon | line | none
    columns: tuple[str, ...]  # table columns written, geometry last
    build: Callable[[pd.DataFrame, JobContext], pd.DataFrame]
    conflict: tuple[str, ...] = ("source", "source_id")
    # the columns whose change makes a staged row an update (default: every column not in conflict)
    compared: tuple[str, ...] | None = None
    locate: bool = True  # assign street/community/grid from the geometry
    merge: Callable[[Connection, str, JobContext], tuple[int, int]] | None = None
    after: Callable[[Connection, int, JobContext], None] | None = None
    prepare: Callable[[Connection, JobContext], Callable[[], object]] | None = None
    keep: tuple[str, ...] = ()
    partitioned: bool = False
    # build never uses the connection: batch n+1 is parsed while batch n is copied
    pipelined: bool = False
    # lon/lat points reach build, after and the COPY as x + y·i numbers (see ingest/_xy.py)
    xy_points: bool = False
    variant: str | None = None  # e.g. boundaries --level street: command "boundaries", variant "street"

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def command(self) -> str:
        return self.key.split(":")[0]


KINDS: dict[str, IngestKind] = {}
_MODULES = (
    "ingest.kinds.boundaries",
    "ingest.kinds.buildings",
    "ingest.kinds.roads",
    "ingest.kinds.incidents",
    "ingest.kinds.sites",
    "ingest.kinds.inspections",
    "ingest.kinds.incident_events",
)


def register(kind: IngestKind) -> IngestKind:
    if kind.key in KINDS:
        raise ValueError(f"ingest kind {kind.key!r} registered twice")
    KINDS[kind.key] = kind
    return kind


def load_kinds() -> dict[str, IngestKind]:
    for module in _MODULES:
        importlib.import_module(module)
    return KINDS


def get_kind(key: str, variant: str | None = None) -> IngestKind:
    kinds = load_kinds()
    full = f"{key}:{variant}" if variant else key
    if full not in kinds:
        raise InputError(f"unknown kind {full!r}; gridgov ingests: {', '.join(kinds)}")
    return kinds[full]


def commands() -> dict[str, list[IngestKind]]:
    """Kinds grouped by CLI command (a command with variants takes --level)."""
    grouped: dict[str, list[IngestKind]] = {}
    for kind in load_kinds().values():
        grouped.setdefault(kind.command, []).append(kind)
    return grouped
