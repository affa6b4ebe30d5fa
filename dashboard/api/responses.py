"""Answers of the intake API: JSON (or another form a route renders) with the right status,
Retry-After on 429 and 503."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol

from flask import Response, jsonify
from sqlalchemy.exc import OperationalError

from dashboard.api.errors import ApiRefusal
from geo.errors import InputError

RETRY_DATABASE = 5  # seconds a client waits before retrying while the database is unreachable
ErrorBody = Callable[[int, str], Any]


class Render(Protocol):
    """Makes the answer of a payload (the JSON one: :func:`answer`)."""

    def __call__(self, payload: Any, status: int = 200, *, retry_after: int | None = None) -> Response: ...


def answer(payload: Any, status: int = 200, *, retry_after: int | None = None) -> Response:
    return finish(jsonify(payload), status, retry_after=retry_after)


def finish(response: Response, status: int, *, retry_after: int | None = None) -> Response:
    """``response`` with its status, and ``Retry-After`` when the client should wait."""
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def refusals(
    error_body: ErrorBody, *, render: Render = answer
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Turn refusals into answers (made by ``render``): ApiRefusal as given, InputError 400, an
    unreachable database 503 (nothing was committed: retry)."""

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Response:
            try:
                return view(*args, **kwargs)
            except ApiRefusal as exc:
                return render(error_body(exc.status, exc.message), exc.status, retry_after=exc.retry_after)
            except InputError as exc:
                return render(error_body(400, str(exc)), 400)
            except OperationalError:
                text = "the database is unavailable; nothing was saved, retry shortly"
                return render(error_body(503, text), 503, retry_after=RETRY_DATABASE)

        return wrapped

    return decorate
