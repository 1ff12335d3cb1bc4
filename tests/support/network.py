"""Loopback ports for the servers tests start."""

from __future__ import annotations

import socket
import uuid


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def new_customer_id() -> str:
    """A customer id no other test uses."""
    return f"cust-{uuid.uuid4().hex[:10]}"
