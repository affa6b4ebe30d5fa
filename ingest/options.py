"""Job options completed from the district file: deadlines, service types and vocabulary, as
every way in (`gridgov ingest`, the drop folder, the upload page) passes them to the job."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from geo.service_types import service_types_from_file
from geo.sla import SlaRules
from geo.vocabulary import Vocabulary
from ingest.job import JobOptions


def with_district(
    options: JobOptions, district_file: Path, *, vocabulary: Vocabulary | None = None
) -> JobOptions:
    """``options`` with the district file's SLA rules, service types and vocabulary (``vocabulary``
    when the caller has read it already)."""
    vocabulary = Vocabulary.from_file(district_file) if vocabulary is None else vocabulary
    return replace(
        options,
        sla=SlaRules.from_file(district_file, vocabulary=vocabulary),
        service_types=service_types_from_file(district_file),
        vocabulary=vocabulary,
    )
