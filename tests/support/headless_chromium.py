"""Rendering a page in headless Chromium over the DevTools protocol.

``--dump-dom`` returns at the load event, before a JavaScript app such as
Streamlit has drawn anything; here the page's text is polled until it shows
what the test waits for, then a screenshot is taken.
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
from itertools import count
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from tests.support.network import free_port


def render(
    url: str, wait_for: str, screenshot: Path, profile: Path, seconds: float, settle: float = 1.0
) -> str:
    """The page's visible text once it contains ``wait_for``; saves a PNG screenshot.

    ``settle``: seconds to let charts and tables draw before the screenshot.
    """
    port = free_port()
    browser = subprocess.Popen(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--remote-debugging-port={port}",
            f"--user-data-dir={profile}",
            "--window-size=1400,1600",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + seconds
        targets: list[dict[str, Any]] = []
        while not targets:
            try:
                listed = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
                targets = [t for t in listed if t.get("type") == "page"]
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "chromium did not start"
            time.sleep(0.2)
        ids = count(1)
        with connect(targets[0]["webSocketDebuggerUrl"], max_size=None) as connection:

            def call(method: str, **params: Any) -> dict[str, Any]:
                message_id = next(ids)
                connection.send(json.dumps({"id": message_id, "method": method, "params": params}))
                while True:
                    answer = json.loads(connection.recv())
                    if answer.get("id") == message_id:
                        return dict(answer.get("result", {}))

            call("Page.navigate", url=url)
            text = ""
            while wait_for not in text:
                assert time.monotonic() < deadline, f"{wait_for!r} never appeared: {text[:500]!r}"
                time.sleep(0.5)
                result = call("Runtime.evaluate", expression="document.body.innerText")
                text = str(result.get("result", {}).get("value", ""))
            time.sleep(settle)
            shot = call("Page.captureScreenshot", format="png")
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        return text
    finally:
        browser.terminate()
        browser.wait(timeout=15)
