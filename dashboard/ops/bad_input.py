"""A callback that fails on the values it was given answers 400, not 500.

The gate refuses a callback request whose shape is wrong (``dashboard/callback_request.
well_formed``); the values inside are the callbacks' own to read. A value of the wrong kind
(``true`` where a street code belongs, a list where a number does, a number too large for
the database) makes a callback raise a ``TypeError``, ``ValueError``, ``KeyError``,
``IndexError``, ``AttributeError``, ``OverflowError`` or the database's ``DataError``: for a
callback request these answer 400 "malformed callback input" with the request id, and are
logged as a warning with the traceback (so a real bug shows in the log all the same). Any
other exception stays a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy.exc import DataError

from dashboard.callback_request import PATH
from dashboard.ops.logs import current_request_id

INPUT_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, DataError)
log = logging.getLogger("gridgov.callbacks")


def _bad_input(error: Exception) -> Any:
    if request.path != PATH:
        raise error  # not a callback: Flask logs it and answers 500 as for any other
    log.warning("callback failed on its input", exc_info=error)
    response = jsonify(error="malformed callback input", request_id=current_request_id())
    response.status_code = 400
    return response


def install_bad_input(server: Flask) -> None:
    for kind in INPUT_ERRORS:
        server.register_error_handler(kind, _bad_input)
