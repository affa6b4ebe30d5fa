"""gridgov's own exceptions: each message says what was wrong and what to do about it."""


class GridgovError(Exception):
    """A problem the user can fix; the CLI prints it as one line and exits non-zero."""


class ConfigError(GridgovError):
    """A setting is missing or malformed."""


class ClusterError(GridgovError):
    """The embedded PostgreSQL cluster cannot be created, started or reached."""


class DatabaseError(GridgovError):
    """The database lacks something gridgov needs (PostGIS, a UTF-8 ctype, the schema)."""


class InputError(GridgovError):
    """An input file cannot be ingested as a whole (format, encoding, columns, CRS, emptiness)."""


class BackupError(GridgovError):
    """A dump or restore cannot be made (missing programs, a bad archive, a non-empty target)."""


class SearchError(GridgovError):
    """A search text that cannot be searched for (not text, control characters, too long)."""
