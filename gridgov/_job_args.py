"""The options every ingest job takes whatever its file: shared by `gridgov ingest KIND FILE`
and `gridgov ingest watch DIR`."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.settings import Settings
from ingest.columns import parse_map_options
from ingest.job import JobOptions
from ingest.options import with_district
from ingest.timelayout import parse_date_formats


def add_job_arguments(p: argparse.ArgumentParser, *, default_source: str) -> None:
    """The options of a job that do not depend on the file: shared by every kind and `ingest watch`."""
    p.add_argument(
        "--source",
        help=f"name of the data source, e.g. 12345 (default: {default_source}); rows are unique per source",
    )
    p.add_argument("--crs", help="coordinate system of the file: wgs84, cgcs2000, gcj02, bd09 or EPSG:n")
    p.add_argument(
        "--map", action="append", default=[], metavar="HEADER=FIELD", help="use column HEADER as FIELD"
    )
    p.add_argument("--mapping", type=Path, help="TOML file with a [columns] table of HEADER = FIELD")
    p.add_argument(
        "--layer",
        help="the layer (GeoPackage, zip of shapefiles) or sheet (XLSX) to read from a file with several",
    )
    p.add_argument("--encoding", help="text encoding of a CSV file (default: detect UTF-8 / GBK)")
    p.add_argument(
        "--date-format",
        action="append",
        default=[],
        metavar="[FIELD=]FORMAT",
        help="strptime layout of the date/time columns, e.g. '%%m/%%d/%%Y %%I:%%M:%%S %%p' "
        "(default: detected per column); FIELD=FORMAT for one column (repeatable)",
    )
    p.add_argument(
        "--batch-size",
        type=_positive,
        default=JobOptions.batch_size,
        metavar="ROWS",
        help=f"rows read, checked and copied at a time (default: {JobOptions.batch_size})",
    )


def job_options(
    args: argparse.Namespace, settings: Settings, *, default_source: str, dry_run: bool = False
) -> JobOptions:
    """The job's options from the arguments of :func:`add_job_arguments` and the district file."""
    options = JobOptions(
        source=args.source or default_source,
        crs=args.crs,
        mapping=parse_map_options(args.map, args.mapping),
        encoding=args.encoding,
        layer=args.layer,
        date_formats=parse_date_formats(args.date_format),
        dry_run=dry_run,
        batch_size=args.batch_size,
    )
    return with_district(options, settings.district_file)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above 0")
    return int(text)
