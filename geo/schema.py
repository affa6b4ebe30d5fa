"""The gridgov schema: the district hierarchy, what happens in it, and ingest bookkeeping.

Geometries are stored in EPSG:4326 (WGS-84 = CGCS2000 to within centimetres) with GiST
indexes; metric work transforms to EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E).
Hierarchy rows carry ``valid_from``/``valid_to``: a redrawn boundary closes the old row and
adds a new one, so at most one row per code is current (``valid_to IS NULL``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import ARRAY, JSON, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from geo.populations import GROUPS

WGS84 = 4326
METRIC_SRID = 4547

STATUSES = ("reported", "registered", "dispatched", "handled", "verified", "closed")
MATCH_LEVELS = ("building", "compound", "community", "street", "coordinates")
# incident_event.kind, in lifecycle order (ties at the same instant sort in this order)
EVENT_KINDS = (
    "registered",
    "signed",
    "dispatched",
    "suspended",
    "resumed",
    "extended",
    "handled",
    "callback",
    "reopened",
    "closed",
)
SATISFACTIONS = ("satisfied", "basic", "dissatisfied")


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def _geom(kind: str, *, spatial_index: bool = True) -> Any:
    return mapped_column(Geometry(kind, srid=WGS84, spatial_index=spatial_index), nullable=False)


def _fk(target: str, *, nullable: bool = True, index: bool = True) -> Any:
    return mapped_column(sa.ForeignKey(f"{target}.id"), index=index, nullable=nullable)


def _versioned(table: str, digits: int) -> tuple[Any, ...]:
    return (
        sa.CheckConstraint(f"code ~ '^[0-9]{{{digits}}}$'", name="code_digits"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_range"),
        sa.Index(
            f"uq_{table}_current_code", "code", unique=True, postgresql_where=sa.text("valid_to IS NULL")
        ),
    )


class _Versioned:
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    valid_from: Mapped[dt.date] = mapped_column(sa.Date, server_default=sa.func.current_date())
    valid_to: Mapped[dt.date | None] = mapped_column(sa.Date)


class District(_Versioned, Base):
    """A county-level district (区); code is the 6-digit adcode."""

    __tablename__ = "district"
    __table_args__ = _versioned("district", 6)
    code: Mapped[str] = mapped_column(sa.String(6))
    geom: Mapped[Any] = _geom("MULTIPOLYGON")


class Street(_Versioned, Base):
    """A street (街道) or town (镇); code is the 12-digit NBS statistical code."""

    __tablename__ = "street"
    __table_args__ = _versioned("street", 12)
    code: Mapped[str] = mapped_column(sa.String(12))
    district_id: Mapped[int] = _fk("district", nullable=False)
    geom: Mapped[Any] = _geom("MULTIPOLYGON")


class Community(_Versioned, Base):
    """A community (社区, urban) or village (村, rural); 12-digit NBS code."""

    __tablename__ = "community"
    __table_args__ = (
        *_versioned("community", 12),
        sa.CheckConstraint("kind IN ('community', 'village')", name="kind"),
    )
    code: Mapped[str] = mapped_column(sa.String(12))
    kind: Mapped[str] = mapped_column(sa.String(9))
    street_id: Mapped[int] = _fk("street", nullable=False)
    geom: Mapped[Any] = _geom("MULTIPOLYGON")


class Grid(_Versioned, Base):
    """A grid (网格): 15-digit code = 6 county + 3 street + 3 community + 3 sequence."""

    __tablename__ = "grid"
    __table_args__ = _versioned("grid", 15)
    code: Mapped[str] = mapped_column(sa.String(15))
    community_id: Mapped[int] = _fk("community", nullable=False)
    worker_name: Mapped[str | None] = mapped_column(sa.Text)
    worker_phone: Mapped[str | None] = mapped_column(sa.Text)
    households: Mapped[int] = mapped_column(server_default="0")
    residents: Mapped[int] = mapped_column(server_default="0")
    geom: Mapped[Any] = _geom("MULTIPOLYGON")


class Building(Base):
    """A building (楼栋) with the households and residents coverage is weighted by."""

    __tablename__ = "building"
    __table_args__ = (
        sa.UniqueConstraint("source", "source_id"),
        # finding the cases at a building by its address (layers/case_search.py, migration 0019)
        sa.Index(
            "ix_building_address_trgm",
            "address",
            postgresql_using="gin",
            postgresql_ops={"address": "gin_trgm_ops"},
        ),
        *(
            sa.CheckConstraint(f"{g} IS NULL OR {g} BETWEEN 0 AND residents", name=f"{g}_range")
            for g in GROUPS
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.Text)
    source_id: Mapped[str] = mapped_column(sa.Text)
    compound: Mapped[str | None] = mapped_column(sa.Text)  # 小区 or 村 name
    number: Mapped[str | None] = mapped_column(sa.Text)  # building number, e.g. "3"
    address: Mapped[str] = mapped_column(sa.Text)
    floors: Mapped[int] = mapped_column(server_default="1")
    households: Mapped[int] = mapped_column()
    residents: Mapped[int] = mapped_column()
    # the residents of the groups services serve, where the survey has them (geo/populations.py)
    aged_60_plus: Mapped[int | None] = mapped_column()
    youth: Mapped[int | None] = mapped_column()
    working_age: Mapped[int | None] = mapped_column()
    grid_id: Mapped[int | None] = _fk("grid")
    community_id: Mapped[int | None] = _fk("community")
    geom: Mapped[Any] = _geom("POLYGON")


class Incident(Base):
    """An incident (事件) from any source, with its lifecycle, geocoding and location."""

    __tablename__ = "incident"
    __table_args__ = (
        sa.UniqueConstraint("source_id", "source"),  # ticket number first: faster to build (0011)
        sa.Index("ix_incident_reported_at", "reported_at"),
        # few indexes, partial where they can be: every index costs each bulk-loaded row
        sa.Index("ix_incident_open", "deadline_at", postgresql_where=sa.text("closed_at IS NULL")),
        sa.Index(
            "ix_incident_duplicate_of", "duplicate_of", postgresql_where=sa.text("duplicate_of IS NOT NULL")
        ),
        # finding one case by address (layers/case_search.py, migration 0019)
        sa.Index(
            "ix_incident_raw_address_trgm",
            "raw_address",
            postgresql_using="gin",
            postgresql_ops={"raw_address": "gin_trgm_ops"},
            postgresql_where=sa.text("raw_address IS NOT NULL"),
        ),
        sa.Index("ix_incident_grid", "grid_id"),
        # one partition per source (migration 0005, geo/partitions.py); keys include the source
        {"postgresql_partition_by": "LIST (source)"},
    )
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    source_id: Mapped[str] = mapped_column(sa.Text(collation="C"))  # an identifier: bytewise (0009)
    category: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)
    reporter_phone: Mapped[str | None] = mapped_column(sa.Text)
    reported_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    registered_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    handled_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    verified_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    deadline_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # the SLA rule that set deadline_at (e.g. '16wh'); NULL when the source gave the deadline
    deadline_rule: Mapped[str | None] = mapped_column(sa.Text)
    nature: Mapped[str | None] = mapped_column(sa.Text)  # 诉求性质 (geo/natures.py)
    urgency: Mapped[str | None] = mapped_column(sa.Text)  # 紧急程度 (geo/natures.py)
    rework_count: Mapped[int] = mapped_column(server_default="0")
    # derived from the case's incident_event history by the events ingest (migration 0016)
    signed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))  # first 签收
    department: Mapped[str | None] = mapped_column(sa.Text)  # 承办单位 of the last 派遣
    satisfaction: Mapped[str | None] = mapped_column(sa.Text)  # last 回访: satisfied | basic | dissatisfied
    resolved: Mapped[bool | None] = mapped_column()  # last 回访: the resident says it is solved
    suspended_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))  # 挂起, not resumed
    # the deadline before 延期 and 挂起 moved it (NULL: deadline_at was never moved by an event)
    deadline_base: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[str] = mapped_column(
        sa.Text,
        sa.Computed(
            "CASE WHEN closed_at IS NOT NULL THEN 'closed' WHEN verified_at IS NOT NULL THEN 'verified'"
            " WHEN handled_at IS NOT NULL THEN 'handled' WHEN dispatched_at IS NOT NULL THEN 'dispatched'"
            " WHEN registered_at IS NOT NULL THEN 'registered' ELSE 'reported' END",
            persisted=True,
        ),
    )
    raw_address: Mapped[str | None] = mapped_column(sa.Text)
    raw_x: Mapped[float | None] = mapped_column(sa.Float)
    raw_y: Mapped[float | None] = mapped_column(sa.Float)
    raw_crs: Mapped[str | None] = mapped_column(sa.Text)
    match_level: Mapped[str | None] = mapped_column(sa.Text)
    match_score: Mapped[float | None] = mapped_column(sa.Float)
    # hierarchy rows are closed (valid_to), never deleted: no index needed behind these keys
    street_id: Mapped[int | None] = _fk("street", index=False)
    community_id: Mapped[int | None] = _fk("community", index=False)
    grid_id: Mapped[int | None] = _fk("grid", index=False)
    # probable duplicate of this earlier report (other source, 50 m, 24 h); written by ingest
    # only, so no foreign key (one would have to include the partition key)
    duplicate_of: Mapped[int | None] = mapped_column()
    # no spatial index: incidents are aggregated by their unit ids, never looked up by area
    geom: Mapped[Any] = _geom("POINT", spatial_index=False)


class IncidentEvent(Base):
    """One step of a case's lifecycle (签收, 派遣, 办结, 回访, 重办, …) as its source reported it
    (migration 0016). A resent event has the same (incident_source, ticket, kind, at) and changes
    nothing. Keyed to the incident by (incident_id, incident_source), with no foreign key (one
    onto the partitioned incident table would have to follow every partition); written by the
    events ingest only, which derives the incident's lifecycle columns from the whole history."""

    __tablename__ = "incident_event"
    __table_args__ = (
        sa.UniqueConstraint("incident_source", "ticket", "kind", "at"),
        sa.CheckConstraint(f"kind IN {EVENT_KINDS!r}", name="kind"),
        sa.CheckConstraint(f"satisfaction IN {SATISFACTIONS!r}", name="satisfaction"),
        sa.Index("ix_incident_event_incident_id", "incident_id"),
    )
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column()
    incident_source: Mapped[str] = mapped_column(sa.Text)
    ticket: Mapped[str] = mapped_column(sa.Text(collation="C"))  # the incident's source_id (工单编号)
    kind: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    department: Mapped[str | None] = mapped_column(sa.Text)  # 承办单位 (dispatched)
    satisfaction: Mapped[str | None] = mapped_column(sa.Text)  # callback
    resolved: Mapped[bool | None] = mapped_column()  # callback
    deadline_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))  # extended
    note: Mapped[str | None] = mapped_column(sa.Text)  # 备注
    source: Mapped[str] = mapped_column(sa.Text)  # who sent the event (the ingest job's source)
    run_id: Mapped[int | None] = mapped_column()  # the ingest_run that loaded it last


class IncidentChange(Base):
    """One row per statement that changed ``incident`` (written by triggers, migrations 0004 and
    0017), in the writer's transaction: its transaction id, the incident ids it touched and their
    streets (NULL: unknown, reload everything), for readers that keep incidents in memory."""

    __tablename__ = "incident_change"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    xid: Mapped[int] = mapped_column(
        sa.BigInteger, server_default=sa.text("(pg_current_xact_id())::text::bigint"), index=True
    )
    ids: Mapped[list[int] | None] = mapped_column(ARRAY(sa.BigInteger))
    streets: Mapped[list[int] | None] = mapped_column(ARRAY(sa.Integer))


class IncidentChangeHorizon(Base):
    """One row: every ``incident_change`` row pruned so far had an ``xid`` below this one."""

    __tablename__ = "incident_change_horizon"
    __table_args__ = (sa.CheckConstraint("id = 1", name="one"),)
    id: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, server_default=sa.text("1"))
    xid: Mapped[int] = mapped_column(sa.BigInteger)


class InspectionTarget(Base):
    """A site inspected in rounds (排查): scrap station, homestay, bungalow, canteen, …"""

    __tablename__ = "inspection_target"
    __table_args__ = (sa.UniqueConstraint("source", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.Text)
    source_id: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.Text, index=True)
    name: Mapped[str] = mapped_column(sa.Text)
    address: Mapped[str | None] = mapped_column(sa.Text)
    risk_level: Mapped[int] = mapped_column(server_default="1")  # 1 low … 3 high
    interval_days: Mapped[int] = mapped_column(server_default="30")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))  # 取缔 / 关停
    street_id: Mapped[int | None] = _fk("street")
    community_id: Mapped[int | None] = _fk("community")
    grid_id: Mapped[int | None] = _fk("grid")
    geom: Mapped[Any] = _geom("POINT")


class Inspection(Base):
    """One visit to a target, its findings and the rectification they led to."""

    __tablename__ = "inspection"
    __table_args__ = (sa.UniqueConstraint("source", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.Text)
    source_id: Mapped[str] = mapped_column(sa.Text)
    target_id: Mapped[int] = _fk("inspection_target", nullable=False)
    inspected_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    inspector: Mapped[str | None] = mapped_column(sa.Text)
    passed: Mapped[bool] = mapped_column()
    outcome: Mapped[str] = mapped_column(sa.Text, server_default="passed")  # layers/visits.OUTCOMES
    findings: Mapped[list[str]] = mapped_column(JSONB, server_default=sa.text("'[]'::jsonb"))
    rectify_deadline: Mapped[dt.date | None] = mapped_column(sa.Date)
    rectified_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    notes: Mapped[str | None] = mapped_column(sa.Text)  # free text from the inspector


class CoverageScenario(Base):
    """A planner's named what-if for a service type (方案), to load again and compare."""

    __tablename__ = "coverage_scenario"
    __table_args__ = (sa.UniqueConstraint("kind", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.Text)
    threshold_m: Mapped[float] = mapped_column(sa.Float)
    added: Mapped[list[Any]] = mapped_column(JSONB, server_default=sa.text("'[]'::jsonb"))  # [[lon, lat], …]
    removed: Mapped[list[int]] = mapped_column(ARRAY(sa.Integer), server_default=sa.text("'{}'::integer[]"))
    saved_by: Mapped[str | None] = mapped_column(sa.Text)
    saved_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class ServicePoint(Base):
    """A service point (服务点) of a registered type, e.g. employment & social security."""

    __tablename__ = "service_point"
    __table_args__ = (sa.UniqueConstraint("source", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.Text)
    source_id: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.Text, index=True)
    name: Mapped[str] = mapped_column(sa.Text)
    level: Mapped[str] = mapped_column(sa.Text)  # district | street | community | village
    address: Mapped[str | None] = mapped_column(sa.Text)
    opening_hours: Mapped[str | None] = mapped_column(sa.Text)
    staff: Mapped[int | None] = mapped_column()
    opened_on: Mapped[dt.date | None] = mapped_column(sa.Date)  # 启用日期 (none: always served)
    closed_on: Mapped[dt.date | None] = mapped_column(sa.Date)  # 停用日期: no longer serving from this day
    street_id: Mapped[int | None] = _fk("street")
    community_id: Mapped[int | None] = _fk("community")
    geom: Mapped[Any] = _geom("POINT")


class RoadSegment(Base):
    """An edge of the walkable network; pgRouting reads ``source_node``/``target_node`` as its
    ``source``/``target`` (aliased in queries, since ``source`` names the data source here)."""

    __tablename__ = "road_segment"
    __table_args__ = (sa.UniqueConstraint("source", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.Text)
    source_id: Mapped[str] = mapped_column(sa.Text)
    source_node: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    target_node: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    length_m: Mapped[float] = mapped_column(sa.Float)
    kind: Mapped[str] = mapped_column(sa.Text)  # arterial | street | lane | path
    name: Mapped[str | None] = mapped_column(sa.Text)
    geom: Mapped[Any] = _geom("LINESTRING")


class IngestRun(Base):
    """One ingest job: what file, what it did, how long it took."""

    __tablename__ = "ingest_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.Text)
    file_name: Mapped[str | None] = mapped_column(sa.Text)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.Text, server_default="running")
    started_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    finished_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    n_read: Mapped[int] = mapped_column(server_default="0")
    n_inserted: Mapped[int] = mapped_column(server_default="0")
    n_updated: Mapped[int] = mapped_column(server_default="0")
    n_unchanged: Mapped[int] = mapped_column(server_default="0")
    n_quarantined: Mapped[int] = mapped_column(server_default="0")
    duration_s: Mapped[float | None] = mapped_column(sa.Float)
    message: Mapped[str | None] = mapped_column(sa.Text)


class Quarantine(Base):
    """An input row that was not loaded, kept raw with a reason a clerk can act on."""

    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = _fk("ingest_run", nullable=False)
    row_number: Mapped[int] = mapped_column()
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)  # json, not jsonb: keeps the file's column order
    reason: Mapped[str] = mapped_column(sa.Text)  # in full, the offending value quoted
    reason_kind: Mapped[str | None] = mapped_column(sa.Text)  # the reason without the value (0012)
    reason_value: Mapped[str | None] = mapped_column(sa.Text)  # the value taken out


class AppUser(Base):
    """A person (or wall screen) who may use the dashboard; see geo/users.py for the roles."""

    __tablename__ = "app_user"
    __table_args__ = (
        sa.CheckConstraint("role IN ('admin', 'street_leader', 'planner', 'wall_screen')", name="role"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.Text, unique=True)
    password_hash: Mapped[str] = mapped_column(sa.Text)  # Argon2id
    role: Mapped[str] = mapped_column(sa.Text)
    # the streets (12-digit codes: they outlive redrawn boundaries, ids do not) a leader may see
    streets: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), server_default=sa.text("'{}'"))
    disabled: Mapped[bool] = mapped_column(server_default=sa.false())
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    # wall screens only: SHA-256 of the long-lived kiosk token (`gridgov users token NAME`)
    kiosk_token_hash: Mapped[str | None] = mapped_column(sa.Text, unique=True)


class UserSession(Base):
    """A login: the cookie holds a random token, the table its SHA-256 (migration 0008). Logout,
    idle and absolute expiry end it here, so a copied cookie dies with it."""

    __tablename__ = "user_session"
    __table_args__ = (sa.CheckConstraint("kind IN ('password', 'kiosk')", name="kind"),)
    token_hash: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.Text)
    issued_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    seen_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    ended_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # kiosk sessions: SHA-256 of the kiosk token that opened it; dead once the token is replaced
    opened_with: Mapped[str | None] = mapped_column(sa.Text)


class LoginThrottle(Base):
    """Failed logins per key in the current window, and the audit entry that counts the
    attempts refused meanwhile (migration 0013, ``geo/login_throttle.py``)."""

    __tablename__ = "login_throttle"
    __table_args__ = (sa.CheckConstraint("kind IN ('account', 'address', 'kiosk')", name="kind"),)
    kind: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    username: Mapped[str] = mapped_column(sa.Text, primary_key=True)  # '' for address and kiosk keys
    address: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    failures: Mapped[int] = mapped_column(server_default=sa.text("0"))
    first_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    last_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), index=True
    )
    audit_id: Mapped[int | None] = mapped_column(sa.BigInteger)


class ApiKey(Base):
    """An intake source's API key, as its SHA-256 only, with its use and its throttle's token
    bucket (migration 0018, ``geo/api_keys.py``). One live key per source."""

    __tablename__ = "api_key"
    __table_args__ = (
        sa.CheckConstraint("per_minute > 0 AND burst > 0", name="rate"),
        sa.CheckConstraint("source <> ''", name="source"),
        sa.Index(
            "uq_api_key_live_source", "source", unique=True, postgresql_where=sa.text("revoked_at IS NULL")
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.Text)
    key_hash: Mapped[str] = mapped_column(sa.Text, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    requests: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    items: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    per_minute: Mapped[int] = mapped_column(server_default=sa.text("120"))
    burst: Mapped[int] = mapped_column(server_default=sa.text("60"))
    tokens: Mapped[float | None] = mapped_column(sa.Float)
    tokens_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    refused: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))  # 429s (migration 0020)
    throttled_since: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))


class AuditEntry(Base):
    """Who did what, append-only: a trigger refuses DELETE and TRUNCATE (migration 0007), and
    UPDATE but for the growing count of a ``login.throttled`` entry (migration 0013)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_action_id", "action", "id"),
        sa.Index("ix_audit_log_username_id", "username", "id"),  # migration 0021
    )
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), index=True
    )
    username: Mapped[str | None] = mapped_column(sa.Text)
    action: Mapped[str] = mapped_column(sa.Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
