"""Every error answer of the API is JSON of one shape, naming the field at fault.

``{"error": {"status": 422, "code": "validation_error", "message": "body.name: ...",
"field": "body.name", "details": [...]}, "request_id": "..."}``
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError

from journeys.errors import (
    EnrollmentNotFoundError,
    EnrollmentRefusedError,
    FeedbackRefusedError,
    InvalidInputError,
    JourneyDefinitionError,
    JourneyError,
    RolloutConflictError,
    RolloutRefusedError,
    StoreUnavailableError,
    UnknownJourneyError,
)
from journeys.store.database import is_store_unavailable

log = structlog.get_logger(__name__)


class ErrorDetail(BaseModel):
    """One problem with the request."""

    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    """The error itself."""

    status: int
    code: str
    message: str
    field: str | None = None
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    """The body of every error answer."""

    error: ErrorBody
    request_id: str | None = None


class ApiError(Exception):
    """An error answer raised by an endpoint or dependency.

    Args:
        status: HTTP status.
        code: Short machine-readable code (``unauthorized``, ``forbidden``...).
        message: Human-readable message; names the field when there is one.
        field: The field at fault, if any.
    """

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    500: "internal_error",
    503: "unavailable",
}

RETRY_AFTER_SECONDS = 5
"""``Retry-After`` of a 503: the store or Temporal did not answer within its bound."""

RETRY_LATER = {"Retry-After": str(RETRY_AFTER_SECONDS)}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": code.replace("_", " ")}
    for status, code in STATUS_CODES.items()
    if status in (401, 403, 413, 422)
}
"""Error answers every authenticated endpoint documents in the OpenAPI spec."""


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The JSON answer of an error, with the request id."""
    body = ErrorResponse(
        error=ErrorBody(
            status=status, code=code, message=message, field=field, details=details or []
        ),
        request_id=getattr(request.state, "request_id", None),
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _location(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """``body.events[2].name`` from pydantic's ``("body", "events", 2, "name")``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            # A key may hold what cannot be encoded (a lone surrogate): name it escaped.
            name = str(part).encode("utf-8", "backslashreplace").decode("utf-8")
            text += ("." if text else "") + name
    return text


def _validation_details(errors: list[Any]) -> list[ErrorDetail]:
    details: list[ErrorDetail] = []
    for error in errors:
        location = _location(tuple(error.get("loc", ())))
        message = str(error.get("msg", "invalid"))
        if error.get("type") == "missing":
            message = "is required"
        elif error.get("type") == "json_invalid":
            message = f"is not valid JSON ({error.get('ctx', {}).get('error', 'parse error')})"
        elif error.get("type") == "extra_forbidden":
            message = "is not a known field"
        elif error.get("type") == "value_error" and "error" in error.get("ctx", {}):
            message = str(error["ctx"]["error"])
        details.append(ErrorDetail(field=location or None, message=message))
    return details


def install_error_handlers(app: FastAPI) -> None:  # noqa: C901 - one small handler per error
    """Answer every error, ours or the framework's, with :class:`ErrorResponse` JSON."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(list(exc.errors()))
        first = details[0] if details else ErrorDetail(message="invalid request")
        message = f"{first.field}: {first.message}" if first.field else first.message
        if len(details) > 1:
            message += f" (and {len(details) - 1} more problem(s))"
        return error_response(request, 422, "validation_error", message, first.field, details)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(
            request, exc.status, exc.code, exc.message, exc.field, headers=headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, "error")
        field = "body" if exc.status_code in (400, 413) else None
        return error_response(request, exc.status_code, code, str(exc.detail), field)

    @app.exception_handler(InvalidInputError)
    async def invalid_input(request: Request, exc: InvalidInputError) -> JSONResponse:
        field = (
            exc.field if exc.field.startswith(("body", "query", "path")) else f"body.{exc.field}"
        )
        return error_response(request, 422, "validation_error", f"{field}: {exc.problem}", field)

    @app.exception_handler(UnknownJourneyError)
    async def unknown_journey(request: Request, exc: UnknownJourneyError) -> JSONResponse:
        return error_response(request, 404, "unknown_journey", f"journey_id: {exc}", "journey_id")

    @app.exception_handler(EnrollmentNotFoundError)
    async def no_enrollment(request: Request, exc: EnrollmentNotFoundError) -> JSONResponse:
        return error_response(request, 404, "enrollment_not_found", str(exc))

    @app.exception_handler(EnrollmentRefusedError)
    async def refused(request: Request, exc: EnrollmentRefusedError) -> JSONResponse:
        return error_response(request, 409, "enrollment_refused", str(exc))

    @app.exception_handler(FeedbackRefusedError)
    async def feedback_refused(request: Request, exc: FeedbackRefusedError) -> JSONResponse:
        code = STATUS_CODES.get(exc.status, "error")
        return error_response(request, exc.status, code, str(exc), exc.field)

    @app.exception_handler(RolloutConflictError)
    async def rollout_conflict(request: Request, exc: RolloutConflictError) -> JSONResponse:
        return error_response(request, 409, "rollout_conflict", str(exc))

    @app.exception_handler(RolloutRefusedError)
    async def rollout_refused(request: Request, exc: RolloutRefusedError) -> JSONResponse:
        return error_response(request, 409, "rollout_refused", str(exc))

    @app.exception_handler(JourneyDefinitionError)
    async def definition_refused(request: Request, exc: JourneyDefinitionError) -> JSONResponse:
        return error_response(request, 409, "journey_definition", str(exc), "version")

    @app.exception_handler(JourneyError)
    async def journey_error(request: Request, exc: JourneyError) -> JSONResponse:
        return error_response(request, 400, "bad_request", str(exc))

    @app.exception_handler(RPCError)
    async def temporal_error(request: Request, exc: RPCError) -> JSONResponse:
        log.error("temporal call failed", status=exc.status.name, message=exc.message)
        return error_response(
            request, 503, "unavailable", f"Temporal: {exc.message}", headers=RETRY_LATER
        )

    @app.exception_handler(SQLAlchemyError)
    @app.exception_handler(StoreUnavailableError)
    async def store_error(request: Request, exc: Exception) -> JSONResponse:
        if not is_store_unavailable(exc):
            raise exc  # a fault of ours: answered 500 by the request middleware
        log.error("store unavailable", error=str(exc).splitlines()[0][:300])
        return error_response(
            request, 503, "unavailable", "store unavailable; retry later", headers=RETRY_LATER
        )
