"""Aligned text tables for the CLI's human-readable output."""

from __future__ import annotations

from collections.abc import Sequence

COLUMN_GAP = "  "


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table with a header line, every column as wide as its widest cell.

    Columns are left-aligned and separated by two spaces; trailing spaces are
    trimmed, so the last column may hold text of any length.
    """
    widths = [len(header) for header in headers]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"a row has {len(row)} cells for {len(headers)} columns")
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    lines = [
        COLUMN_GAP.join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in (headers, *rows)
    ]
    return "\n".join(line.rstrip() for line in lines)
