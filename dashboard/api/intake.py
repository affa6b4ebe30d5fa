"""Items of an API request → one ingest job (``ingest.job.run_job``), the same path as a file:
the same validation, geocoding, deadlines and duplicate linking, one transaction, and each item's
outcome. The job runs as the owner (``DATABASE_URL``: a source's first load creates its
partition); the job's audit entry (counts, never bodies) commits with it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from geo import api_keys
from geo.api_keys import SourceKey
from geo.settings import Settings
from geo.users import audit
from geo.vocabulary import Vocabulary
from ingest.job import JobOptions, JobResult, run_job
from ingest.kinds import LOCATION_FIELDS, IngestKind, get_kind
from ingest.locate import LocatorCache
from ingest.options import with_district
from ingest.placing import Geocoder
from ingest.reading import frame_source

FIRST_ROW = 2  # a frame's rows are numbered as a file's, after its header line
AUDIT_ACTION = "api.write"


@dataclass(frozen=True)
class ItemOutcome:
    index: int
    outcome: str  # inserted | updated | unchanged | quarantined
    reason: str | None


@dataclass(frozen=True)
class Intake:
    """What every API job needs: the owner's engine, the district's rules, the geocoder."""

    engine: Engine
    options: JobOptions
    geocoder: Callable[[Connection], Geocoder]

    @classmethod
    def from_settings(cls, settings: Settings, *, engine: Engine, vocabulary: Vocabulary) -> Intake:
        from ingest.geocode import district_aliases, geocoder_factory

        options = with_district(
            JobOptions(source="", row_outcomes=True, locator=LocatorCache()),
            settings.district_file,
            vocabulary=vocabulary,
        )
        return cls(engine, options, geocoder_factory(district_aliases(settings.district_file)))

    @property
    def vocabulary(self) -> Vocabulary:
        return self.options.vocabulary

    def fields(self, kind_key: str) -> tuple[str, ...]:
        """The item fields a kind takes: its CSV columns' fields, and the location fields if it has one."""
        kind = get_kind(kind_key)
        return (*kind.field_names, *(LOCATION_FIELDS if kind.geometry != "none" else ()))

    def run(
        self,
        key: SourceKey,
        kind_key: str,
        items: Sequence[Mapping[str, object]],
        *,
        crs: str | None,
        via: str,
    ) -> tuple[JobResult, list[ItemOutcome]]:
        """Ingest ``items`` into ``key``'s source as one job; each item's outcome, in order."""
        kind = get_kind(kind_key)
        frame = _frame(kind, items)
        options = replace(
            self.options,
            source=key.source,
            mapping={column: column for column in frame.columns},
            batch_size=max(len(items), 1),
        )
        result = run_job(
            self.engine,
            kind=kind,
            source=frame_source(frame, name=f"{via} ({len(items)} items)", crs=crs),
            options=options,
            geocoder_factory=self.geocoder,
            before_commit=_auditor(key, kind, via),
        )
        return result, [_outcome(result, i) for i in range(len(items))]


def _frame(kind: IngestKind, items: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """The items as a table whose columns are the fields any item gives (in the kind's order)."""
    given = {name for item in items for name in item}
    columns = [name for name in (*kind.field_names, *LOCATION_FIELDS) if name in given]
    return pd.DataFrame.from_records([dict(item) for item in items], columns=columns)


def _outcome(result: JobResult, index: int) -> ItemOutcome:
    outcome, reason = result.outcomes[index + FIRST_ROW]
    return ItemOutcome(index, outcome, reason)


def _auditor(key: SourceKey, kind: IngestKind, via: str) -> Callable[[Connection, JobResult], None]:
    def record(conn: Connection, result: JobResult) -> None:
        detail: dict[str, object] = {
            "via": via,
            "kind": kind.key,
            "source": key.source,
            "run_id": result.run_id,
            "items": result.read,
            "inserted": result.inserted,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "quarantined": result.quarantined,
        }
        audit(conn, f"api:{key.source}", AUDIT_ACTION, detail)
        api_keys.count_items(conn, key.id, result.read)

    return record
