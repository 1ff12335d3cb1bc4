"""A progress bar for long simulations, on stderr."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30


class ProgressBar:
    """Redraws one line on a terminal; elsewhere prints a line every tenth of the way.

    Args:
        label: What is counted (``customers``).
        stream: Where to draw (stderr).
    """

    def __init__(self, label: str = "customers", stream: TextIO | None = None) -> None:
        self._label = label
        self._stream = stream or sys.stderr
        self._terminal = self._stream.isatty()
        self._began = time.perf_counter()
        self._last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        """Show ``done`` of ``total``."""
        share = done / total if total else 1.0
        filled = int(BAR_WIDTH * share)
        line = (
            f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {100 * share:5.1f}%"
            f"  {done}/{total} {self._label}  {time.perf_counter() - self._began:6.1f}s"
        )
        if self._terminal:
            end = "\n" if done >= total else ""
            print(f"\r{line}", end=end, file=self._stream, flush=True)
            return
        tenth = int(10 * share)
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            print(line, file=self._stream, flush=True)
