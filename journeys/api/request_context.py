"""ASGI middleware: request ids, the request body limit and one access-log line per request.

Pure ASGI (not ``BaseHTTPMiddleware``) so that context variables set by the
endpoints' dependencies (the request's organisation) stay in the request's context.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("journeys.api.access")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class _BodyTooLarge(HTTPException):
    """A body over the limit; an HTTPException so the framework answers 413 mid-read too."""

    def __init__(self, limit: int):
        super().__init__(413, f"body: larger than the limit of {limit} bytes")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    """Give each request an id (echoing a valid ``X-Request-ID``), bound into every log line.

    Bodies larger than ``max_body_bytes`` (declared or streamed) are answered
    with 413 before the endpoint sees them.

    Args:
        app: The wrapped ASGI application.
        max_body_bytes: Largest body accepted.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _REQUEST_ID_PATTERN.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status: dict[str, int] = {"code": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            declared = _header(scope, b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                raise _BodyTooLarge(self.max_body_bytes)
            await self.app(scope, self._limited(receive), send_with_id)
        except _BodyTooLarge:
            if status["code"]:
                raise
            message = f"body: larger than the limit of {self.max_body_bytes} bytes"
            await _answer(send_with_id, request_id, 413, "payload_too_large", message, "body")
        except Exception:
            # Answered here, inside the request's context, rather than by the framework's
            # outermost handler: the answer keeps its request id, the connection stays
            # open and the access log below records the 500.
            if status["code"]:
                raise
            log.exception("unhandled error", path=scope.get("path"))
            message = "internal error; see the server log"
            await _answer(send_with_id, request_id, 500, "internal_error", message, None)
        finally:
            log.info(
                "request",
                method=scope.get("method"),
                path=scope.get("path"),
                status=status["code"],
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )

    def _limited(self, receive: Receive) -> Receive:
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge(self.max_body_bytes)
            return message

        return limited_receive


async def _answer(
    send: Send, request_id: str, status: int, code: str, message: str, field: str | None
) -> None:
    """Send an error answer of the API's one error shape (see ``error_responses``)."""
    body: dict[str, Any] = {
        "error": {
            "status": status,
            "code": code,
            "message": message,
            "field": field,
            "details": [],
        },
        "request_id": request_id,
    }
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
