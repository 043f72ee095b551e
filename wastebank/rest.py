"""The REST API's base classes: flask-smorest with the project's rules, in one place.

* :class:`JSONProvider`: request JSON nests at most :data:`MAX_JSON_DEPTH` levels.
  Deeper bodies (``[[[[...]]]]``) made Python's parser or a later recursive step hit
  its recursion limit: a 500. Both Flask (``request.get_json``) and the arguments
  parser of every :class:`Blueprint` read bodies through it, so they are a 400 now.
* :class:`Blueprint`: pages of a paginated list go up to
  :data:`~wastebank.fields.MAX_PAGE` (a larger page number overflowed the database's
  ``OFFSET``: a 500); a JSON body is documented as required only when its schema has
  a required field.
* :class:`Api`: the OpenAPI document tells the truth about decimals, exclusive bounds,
  the ``X-Pagination`` header and the errors each operation answers
  (:class:`ErrorResponsesPlugin`); downloads document their body with :data:`BINARY`.
  Errors are rendered by :mod:`wastebank.errors`.

Every blueprint of the API (wastebank, telemetry, routing) is a :class:`Blueprint`.
"""

from __future__ import annotations

import http
import json
from copy import deepcopy
from decimal import Decimal
from functools import wraps
from typing import Any

import marshmallow as ma
from apispec import BasePlugin
from flask import current_app, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api as _SmorestApi
from flask_smorest import Blueprint as _SmorestBlueprint
from flask_smorest.pagination import PaginationMetadataSchema, PaginationParameters
from flask_smorest.utils import unpack_tuple_response
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from wastebank.fields import DECIMAL_INPUT_PATTERN, DECIMAL_PATTERN, MAX_PAGE

#: How deep a request's JSON may nest. The deepest body of the API (a route plan's
#: vehicles with their time windows) nests four levels; 32 leaves room and keeps every
#: recursive step after parsing (marshmallow, the text checks) far from Python's limit.
MAX_JSON_DEPTH = 32


#: The body of a download in the OpenAPI document: ``@bp.response(200, BINARY,
#: content_type="image/png")`` (without a schema flask-smorest leaves the content type
#: out of the document).
BINARY: dict[str, str] = {"type": "string", "format": "binary"}


def _depth(value: Any) -> int:
    """How deep arrays and objects nest in parsed JSON (iteratively: no recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                break
            stack.extend((inner, depth + 1) for inner in item)
    return deepest


def loads_bounded(text: str | bytes, **kwargs: Any) -> Any:
    """Parse JSON text, refusing nesting deeper than :data:`MAX_JSON_DEPTH`.

    :param kwargs: passed to :func:`json.loads`.
    :raises json.JSONDecodeError: not JSON, or nested too deeply (a ``ValueError``,
        which Flask and webargs both answer with a 400).
    """
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    too_deep = json.JSONDecodeError(
        f"JSON nested deeper than {MAX_JSON_DEPTH} levels", text, 0
    )
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise too_deep from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise too_deep
    return value


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON provider whose ``loads`` bounds the nesting depth."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse ``s`` like :func:`loads_bounded` (``kwargs`` go to ``json.loads``)."""
        return loads_bounded(s, **kwargs)


class ArgumentsParser(FlaskParser):
    """webargs' Flask parser reading JSON bodies through :func:`loads_bounded`.

    (webargs calls :func:`json.loads` itself, past Flask's provider.)
    """

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req):
            return core.missing
        return loads_bounded(req.get_data(cache=True))


def _has_required_field(schema: Any) -> bool:
    instance = schema() if isinstance(schema, type) else schema
    return any(field.required for field in instance.fields.values())


def _page_schema(
    default_page: int, default_page_size: int, max_page_size: int
) -> type[ma.Schema]:
    """flask-smorest's pagination arguments, with :data:`MAX_PAGE` as the last page."""

    class PaginationParametersSchema(ma.Schema):
        class Meta:
            unknown = ma.EXCLUDE

        page = ma.fields.Integer(
            load_default=default_page,
            validate=ma.validate.Range(min=1, max=MAX_PAGE),
        )
        page_size = ma.fields.Integer(
            load_default=default_page_size,
            validate=ma.validate.Range(min=1, max=max_page_size),
        )

        @ma.post_load
        def make_paginator(self, data: dict[str, Any], **kwargs: Any) -> Any:
            return PaginationParameters(**data)

    return PaginationParametersSchema


class Blueprint(_SmorestBlueprint):
    """flask-smorest's Blueprint with bounded JSON and bounded page numbers."""

    ARGUMENTS_PARSER = ArgumentsParser()
    PAGINATION_ARGUMENTS_PARSER = ArgumentsParser()

    def arguments(
        self,
        schema: Any,
        *,
        location: str = "json",
        required: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """flask-smorest's ``arguments``; a JSON body is documented as required only
        when its schema has a required field.

        Without a body the server reads ``{}``: a PATCH without one changes nothing
        and answers 200, which a document saying "required" called a lie.
        """
        if required is None:
            required = location != "json" or _has_required_field(schema)
        return super().arguments(schema, location=location, required=required, **kwargs)

    def paginate(
        self,
        pager: Any = None,
        *,
        page: int | None = None,
        page_size: int | None = None,
        max_page_size: int | None = None,
    ) -> Any:
        """flask-smorest's ``paginate`` (pagination inside the view or by ``pager``)
        with the page number bounded; the same arguments, documentation and header.
        """
        defaults = self.DEFAULT_PAGINATION_PARAMETERS
        schema = _page_schema(
            page or defaults["page"],
            page_size or defaults["page_size"],
            max_page_size or defaults["max_page_size"],
        )
        error_status = self.PAGINATION_ARGUMENTS_PARSER.DEFAULT_VALIDATION_STATUS

        def decorator(func: Any) -> Any:
            @wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                page_params = self.PAGINATION_ARGUMENTS_PARSER.parse(
                    schema, request, location="query"
                )
                if pager is None:
                    kwargs["pagination_parameters"] = page_params
                result, status, headers = unpack_tuple_response(
                    current_app.ensure_sync(func)(*args, **kwargs)
                )
                if pager is not None:
                    result = pager(result, page_params=page_params).items
                if page_params.item_count is None:
                    raise RuntimeError(f"item_count not set in {request.endpoint}")
                result, headers = self._set_pagination_metadata(
                    page_params, result, headers
                )
                return result, status, headers

            wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))  # type: ignore[attr-defined]
            wrapper._apidoc["pagination"] = {  # type: ignore[attr-defined]
                "parameters": {"in": "query", "schema": schema},
                "response": {error_status: http.HTTPStatus(error_status).name},
            }
            return wrapper

        return decorator


def exclusive2properties(
    self: Any, field: ma.fields.Field, ret: dict[str, Any]
) -> dict[str, Any]:
    """Document ``Range(min_inclusive=False)`` (and max) as OpenAPI 3.0 does.

    apispec documents the bound but not that the bound itself is refused.
    """
    updates: dict[str, Any] = {}
    for validator in field.validators:
        if isinstance(validator, ma.validate.Range):
            if validator.min is not None and not validator.min_inclusive:
                updates["exclusiveMinimum"] = True
            if validator.max is not None and not validator.max_inclusive:
                updates["exclusiveMaximum"] = True
    return updates if {"minimum", "maximum"} & set(ret) else {}


def _number(value: Any) -> int | float:
    """A bound apispec rendered from a Decimal field (a Decimal or a string)."""
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else float(number)


def decimal2properties(self: Any, field: ma.fields.Field, ret: dict[str, Any]) -> dict:
    """Document a ``fields.Decimal`` as the API reads and writes it.

    Answers carry decimals as strings (``as_string``): ``type: string, format:
    decimal`` with :data:`~wastebank.fields.DECIMAL_PATTERN`. Requests may send a
    JSON number (with the field's range) or a string of
    :data:`~wastebank.fields.DECIMAL_INPUT_PATTERN`, so an input decimal is
    ``anyOf`` the two. apispec alone documented a number with string bounds, which
    made the document invalid.
    """
    if not isinstance(field, ma.fields.Decimal):
        return {}
    text: dict[str, Any] = {
        "type": "string",
        "format": "decimal",
        "pattern": DECIMAL_PATTERN,
    }
    number: dict[str, Any] = {"type": "number"}
    for key in ("minimum", "maximum", "x-minimum", "x-maximum"):
        if key in ret:
            number[key.removeprefix("x-")] = _number(ret.pop(key))
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        if key in ret:
            number[key] = ret.pop(key)
    ret.pop("type", None)
    ret.pop("format", None)
    if field.as_string:
        ret.update(text)
        return {}
    text["pattern"] = DECIMAL_INPUT_PATTERN
    if ret.pop("nullable", False):
        # OpenAPI 3.0's nullable applies only next to a type: say it in each branch.
        number["nullable"] = text["nullable"] = True
    ret["anyOf"] = [number, text]
    return {}


class ErrorResponsesPlugin(BasePlugin):
    """Document the errors an operation answers because of what it is.

    A ``default`` envelope covers any status, but clients generated from the document
    handle the statuses it names, so the common ones are named on every operation
    they apply to: 400 for a JSON body that cannot be read; 401 without a valid
    token and 403 for a role that may not do it (every authenticated operation); 404
    for a record (in the path, the query or the body) that does not exist or is out
    of reach; 409 for a write that conflicts with the data (a duplicate, a state that
    no longer allows it, an idempotency key reused). Operations document their own
    410, 429 and 503.
    """

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        """Add the responses to each operation of ``path``."""
        for method, operation in (operations or {}).items():
            takes_input = bool(
                "requestBody" in operation
                or operation.get("parameters")
                or (path and "{" in path)
            )
            wanted = []
            if "requestBody" in operation:
                wanted.append(http.HTTPStatus.BAD_REQUEST)
            if operation.get("security") != []:
                wanted += [http.HTTPStatus.UNAUTHORIZED, http.HTTPStatus.FORBIDDEN]
            if takes_input:
                wanted.append(http.HTTPStatus.NOT_FOUND)
            if method in ("post", "put", "patch", "delete"):
                wanted.append(http.HTTPStatus.CONFLICT)
            responses = operation.setdefault("responses", {})
            documented = {str(code) for code in responses}
            for status in wanted:
                if str(status.value) not in documented:
                    responses[str(status.value)] = status.name


class Api(_SmorestApi):
    """flask-smorest's Api with the project's documentation rules and error handling.

    `wastebank.errors` renders every error (JSON under ``/api/``, HTML elsewhere) and
    keeps the ``Allow`` header of a 405, which flask-smorest's handler drops.
    """

    def _register_error_handlers(self) -> None:
        return None

    def _init_spec(self, *args: Any, **kwargs: Any) -> None:
        kwargs["extra_plugins"] = [
            *(kwargs.get("extra_plugins") or ()),
            ErrorResponsesPlugin(),
        ]
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(exclusive2properties)
        self.ma_plugin.converter.add_attribute_function(decimal2properties)

    def _register_pagination_header(self) -> None:
        # The header's value is the JSON text of the object (flask-smorest sends
        # json.dumps of it), which OpenAPI 3 describes with `content`, not `schema`.
        self.spec.components.header(
            "PAGINATION",
            {
                "description": "Pagination metadata, a JSON object: total, "
                "total_pages, first_page, last_page, page, previous_page, next_page",
                "content": {"application/json": {"schema": PaginationMetadataSchema}},
            },
            lazy=True,
        )


#: The API extension; ``create_app`` binds it (kept here, not in `extensions`, so that
#: services, which import `extensions`, stay free of Flask).
api = Api()
