"""Real provider servers on loopback for the delivery tests.

``SmtpServer``: an aiosmtpd SMTP server that records every message and can
refuse recipients (550) or fail for a while (451). ``HttpProviderServer``: an
``http.server`` in a thread that records every request and answers according
to a script of behaviours (status codes with headers, hangs, connections dropped
after the request was acted on), then 200 (or a standing failure).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.network import free_port


class _SmtpHandler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.server.refused:
            return "550 5.1.1 mailbox unavailable"
        if self.server.failures_left > 0:
            self.server.failures_left -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        message = message_from_bytes(envelope.content, policy=default_policy)
        with self.server.lock:
            self.server.messages.append(message)
        return "250 Message accepted"


class SmtpServer:
    """A real SMTP server on a free loopback port."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()
        self.failures_left = 0
        self.delay = 0.0
        self.lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(message["Message-ID"]) for message in self.messages]


@dataclass
class Recorded:
    """One request the HTTP server received."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Behaviour:
    """How to answer one request: a status (and headers) after an optional hang.

    ``drop``: act on the request (it is recorded as received), then close the
    connection without answering, as a provider that crashes mid-response.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0
    drop: bool = False


class HttpProviderServer:
    """A real HTTP server on a free loopback port, speaking whatever shape the test posts."""

    def __init__(self, delay: float = 0.0) -> None:
        self.requests: list[Recorded] = []
        self.script: deque[Behaviour] = deque()
        self.failing: Behaviour | None = None
        """How to answer once the script is used up (None: 200)."""
        self.delay = delay
        self.lock = threading.Lock()
        self.arrived = threading.Event()
        """Set when a request arrives (clear it to wait for the next)."""
        self.release = threading.Event()
        """Requests are answered only while this is set (clear it to hold them in flight)."""
        self.release.set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with outer.lock:
                    behaviour = (
                        outer.script.popleft() if outer.script else outer.failing or Behaviour()
                    )
                outer.arrived.set()
                outer.release.wait(timeout=60)
                if behaviour.hang:
                    time.sleep(behaviour.hang)
                if outer.delay:
                    time.sleep(outer.delay)
                if behaviour.status < 300:
                    with outer.lock:
                        outer.requests.append(
                            Recorded(
                                self.path, {k.lower(): v for k, v in self.headers.items()}, body
                            )
                        )
                if behaviour.drop:
                    self.close_connection = True
                    return
                answer = json.dumps(
                    {"id": "m1", "sid": "SM1", "name": "projects/p/messages/1"}
                    if behaviour.status < 300
                    else {"error": {"status": behaviour.status}}
                ).encode()
                try:
                    self.send_response(behaviour.status)
                    for name, value in behaviour.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> HttpProviderServer:
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def keys(self) -> list[str]:
        with self.lock:
            return [request.headers.get("idempotency-key", "") for request in self.requests]
