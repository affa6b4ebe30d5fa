"""The intake API: Open311 GeoReport v2 (``/open311/v2/``) and batches (``/api/v1/``).

Other systems write with a per-source API key (``gridgov sources add``); the API needs no
session and no CSRF token, and the pages' session cookie grants nothing on it (the gate lets
these blueprints through, and they never read the session). Writes run as ingest jobs on the
owner's engine (``DATABASE_URL``), not the pages' role.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy.engine import Engine

from dashboard.api import batch, open311
from dashboard.api.intake import Intake
from geo.settings import Settings
from geo.vocabulary import Vocabulary

BLUEPRINTS = frozenset({batch.NAME, open311.NAME})


def install_api(server: Flask, *, settings: Settings, engine: Engine, vocabulary: Vocabulary) -> None:
    """Register the API's routes on ``server``, writing through ``engine`` (the owner's)."""
    intake = Intake.from_settings(settings, engine=engine, vocabulary=vocabulary)
    server.register_blueprint(batch.batch_blueprint(intake))
    server.register_blueprint(open311.open311_blueprint(intake))
