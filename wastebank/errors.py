"""One place that turns every error into a response.

Under ``/api/`` every non-2xx answer is the JSON envelope
``{"code", "status", "type", "message", "errors"}``; elsewhere a readable HTML page in the
user's language. Handlers are registered on the app (not on blueprints) because blueprint
handlers never see 404/405 for unknown URLs.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, InternalServerError

from wastebank import exceptions as exc
from wastebank.extensions import db

log = logging.getLogger(__name__)

# Most specific first: the first matching family decides the status.
_STATUS_BY_ERROR: list[tuple[type[Exception], int]] = [
    (exc.NotFound, 404),
    (exc.CardRevoked, 410),
    (exc.InvalidReference, 422),
    (exc.InvalidValue, 422),
    (exc.Conflict, 409),
    (exc.AuthenticationFailed, 401),
    (exc.TooManyAttempts, 429),
    (exc.PermissionDenied, 403),
]


#: Base classes of the domain errors rendered with the envelope; other packages add theirs.
_FAMILIES: list[type[Exception]] = [exc.WasteBankError]


def register_domain_errors(
    pairs: list[tuple[type[Exception], int]], *, family: type[Exception] | None = None
) -> None:
    """Let another package (telemetry, routing) map its domain errors to statuses.

    :param pairs: error classes and their HTTP statuses, most specific first.
    :param family: the package's base error class; every error of the family is then
        answered with the envelope (status 422 unless ``pairs`` says otherwise).
    """
    for pair in pairs:
        if pair not in _STATUS_BY_ERROR:
            _STATUS_BY_ERROR.insert(0, pair)
    if family is not None and family not in _FAMILIES:
        _FAMILIES.append(family)


def status_for(error: Exception) -> int:
    """The HTTP status of a domain error (422 for an unmapped one)."""
    for cls, status in _STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 422


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _slug(phrase: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_")


def envelope(
    status: int, type_: str, message: str, errors: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON error body for ``status``."""
    return {
        "code": status,
        "status": HTTPStatus(status).phrase,
        "type": type_,
        "message": message,
        "errors": errors or {},
    }


def _respond(
    status: int,
    type_: str,
    message: str,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[Response | str, int, dict[str, str]]:
    headers = headers or {}
    if _wants_json():
        return jsonify(envelope(status, type_, message, errors)), status, headers
    page = render_template(
        "errors/error.html",
        status=status,
        message=_html_message(status, type_, message),
    )
    return page, status, headers


def _html_message(status: int, type_: str, message: str) -> str:
    """A message for people, in their language, for the errors they can run into."""
    known = {
        404: _("The page or record you asked for does not exist."),
        403: _("Your account may not open this page."),
        405: _("This page cannot be used that way."),
        413: _("What you sent is too large."),
        429: _("Too many attempts. Please wait a moment and try again."),
        500: _(
            "Something went wrong on our side. Nothing was saved; please try again."
        ),
        410: _("This member card was replaced by a new one and no longer works."),
    }
    if type_ == "validation_error":
        return _("Some of what you sent cannot be used. Please check it and try again.")
    if type_ == "csrf_error":
        return _("The form had expired. Please reload the page and submit it again.")
    return known.get(status, message)


def _validation_errors(messages: Any) -> dict[str, Any]:
    # webargs nests errors by location ({"json": {...}}); flatten a single location so
    # clients see {"field": [...]} whatever the location was.
    if isinstance(messages, dict) and len(messages) == 1:
        ((location, inner),) = messages.items()
        if location in {"json", "query", "form", "view_args", "headers"} and isinstance(
            inner, dict
        ):
            return inner
    if isinstance(messages, dict):
        return messages
    return {"_schema": messages if isinstance(messages, list) else [str(messages)]}


def message_of(error: Exception) -> str:
    """The human-readable sentence of a domain error of any package."""
    return str(
        getattr(error, "message", None) or getattr(error, "reason", None) or error
    )


def domain_error_body(
    error: Exception, extra_errors: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    """The status and JSON envelope of a domain error (API handlers and CLIs)."""
    status = status_for(error)
    message = message_of(error)
    field = getattr(error, "field", None)
    errors: dict[str, Any] = {field: [message]} if field else {}
    errors.update(extra_errors or {})
    code = getattr(error, "code", None) or _slug(type(error).__name__)
    return status, envelope(status, code, message, errors)


def handle_domain_error(error: Exception) -> Any:
    db.session.rollback()
    status, body = domain_error_body(error)
    headers: dict[str, str] = {}
    if isinstance(error, exc.TooManyAttempts):
        headers["Retry-After"] = str(error.retry_after_s)
    if isinstance(error, exc.AuthenticationFailed):
        headers["WWW-Authenticate"] = 'Bearer realm="wastebank"'
    return _respond(status, body["type"], body["message"], body["errors"], headers)


def handle_validation_error(error: ValidationError) -> Any:
    db.session.rollback()
    return _respond(
        422,
        "validation_error",
        "The request has invalid fields.",
        _validation_errors(error.messages),
    )


def handle_http_exception(error: HTTPException) -> Any:
    status = error.code or 500
    headers: dict[str, str] = {}
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        # flask-smorest's own handler drops this header; keep it (RFC 9110 §15.5.6).
        headers["Allow"] = ", ".join(sorted(valid_methods))
    if isinstance(error, InternalServerError):
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.error(
                "Unhandled error on %s %s",
                request.method,
                request.path,
                exc_info=original,
            )
        db.session.rollback()
        return _respond(
            500,
            "internal_server_error",
            "An unexpected error occurred; nothing was saved.",
        )
    if isinstance(error, CSRFError):
        return _respond(
            400, "csrf_error", "The form's security token is missing or expired."
        )
    data = getattr(error, "data", None) or {}
    errors = _validation_errors(data["messages"]) if "messages" in data else {}
    type_ = "validation_error" if status == 422 else _slug(HTTPStatus(status).phrase)
    if status == 400 and errors:
        type_ = "bad_request"
    message = data.get("message") or {
        400: "The request could not be read (malformed JSON or parameters).",
        413: "The request body is too large.",
        422: "The request has invalid fields.",
    }.get(status, error.description or HTTPStatus(status).phrase)
    return _respond(status, type_, message, errors, headers)


#: C0 control characters other than tab, newline and carriage return, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: UTF-16 surrogates: JSON may escape one alone ("\\ud800"), which is no character at
#: all and cannot be encoded for the database (a 500 when it was stored).
_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: Endpoints that read their raw body themselves and keep what they refuse.
RAW_BODY_ENDPOINTS = frozenset({"telemetry_api.record_http_reading"})


def _unreadable_text(value: Any) -> tuple[str, str] | None:
    """The path of the first text (key or value) that may not be stored, and why.

    Iterative, so a deeply nested body cannot exhaust the stack (JSON bodies nest at
    most :data:`wastebank.rest.MAX_JSON_DEPTH` levels anyway).
    """
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        texts: list[tuple[str, Any]] = []
        if isinstance(item, dict):
            entries = [
                (f"{path}.{key}" if path else str(key), str(key), inner)
                for key, inner in item.items()
            ]
            texts = [(entry_path, key) for entry_path, key, inner in entries]
            stack.extend(
                (entry_path, inner) for entry_path, key, inner in entries[::-1]
            )
        elif isinstance(item, list):
            stack.extend(
                (f"{path}.{index}" if path else str(index), inner)
                for index, inner in reversed(list(enumerate(item)))
            )
        elif isinstance(item, str):
            texts.append((path, item))
        for text_path, text in texts:
            if _CONTROL.search(text):
                return text_path, _(
                    "Text may not contain control characters (such as NUL)."
                )
            if _SURROGATE.search(text):
                return text_path, _("Text must be valid Unicode.")
    return None


def refuse_control_characters() -> None:
    """Refuse text input carrying NUL or other control characters, or lone surrogates.

    PostgreSQL cannot store NUL in text (the insert fails: a 500), SQLite stores it,
    and openpyxl refuses every such character when a book is exported later; none
    belongs in a name, note or code. A lone surrogate cannot be encoded as UTF-8 for
    either database. Query strings, form fields and JSON bodies are checked once here,
    before any view runs, so no schema can forget it (422 naming the field).
    """
    if request.endpoint in RAW_BODY_ENDPOINTS:
        return
    sources: list[Any] = [
        {k: v[0] if len(v) == 1 else v for k, v in multi.lists()}
        for multi in (request.args, request.form)
    ]
    if request.is_json:
        sources.append(request.get_json(silent=True))
    for data in sources:
        found = _unreadable_text(data)
        if found is not None:
            path, message = found
            raise ValidationError({path: [message]})


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on ``app``."""
    app.before_request(refuse_control_characters)
    for family in _FAMILIES:
        app.register_error_handler(family, handle_domain_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(HTTPException, handle_http_exception)
