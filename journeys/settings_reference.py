"""The README's settings table, generated from :class:`JourneySettings` and its docstring.

``python -m journeys.settings_reference --write README.md`` rewrites the table
between the markers; a test fails when the README's table is out of date or a
setting has no description.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
from pathlib import Path

from pydantic import BaseModel, SecretStr
from pydantic_core import to_jsonable_python

from journeys.settings import JourneySettings

BEGIN_MARKER = (
    "<!-- settings-table:begin"
    " (generated: python -m journeys.settings_reference --write README.md) -->"
)
END_MARKER = "<!-- settings-table:end -->"

_ENTRY = re.compile(r"^(\s+)([a-z_][a-z0-9_]*): (.*)$")


def field_descriptions() -> dict[str, str]:
    """Each setting's description from the ``Attributes:`` section of the class docstring."""
    docstring = inspect.cleandoc(JourneySettings.__doc__ or "")
    _, _, section = docstring.partition("Attributes:\n")
    descriptions: dict[str, str] = {}
    current: str | None = None
    indent = ""
    for line in section.splitlines():
        entry = _ENTRY.match(line)
        if entry and (current is None or len(entry.group(1)) == len(indent)):
            indent, current = entry.group(1), entry.group(2)
            descriptions[current] = entry.group(3).strip()
        elif current is not None and line.strip():
            descriptions[current] += " " + line.strip()
        elif current is not None and not line.strip():
            break
    return descriptions


def _default(name: str) -> str:
    value = JourneySettings.model_fields[name].get_default(call_default_factory=True)
    if isinstance(value, SecretStr):
        return "(secret)" if value.get_secret_value() else '""'
    if isinstance(value, BaseModel | list | dict | Path) or value is None:
        return json.dumps(to_jsonable_python(value), separators=(",", ":"))
    return json.dumps(value) if isinstance(value, str) else str(value).lower()


def settings_table() -> str:
    """A Markdown table of every setting: variable, default, description."""
    descriptions = field_descriptions()
    rows = ["| Variable | Default | What it sets |", "| --- | --- | --- |"]
    for name in JourneySettings.model_fields:
        text = descriptions.get(name, "(undocumented)").replace("``", "`").replace("|", "\\|")
        default = _default(name).replace("|", "\\|")
        rows.append(f"| `JOURNEYS_{name.upper()}` | `{default}` | {text} |")
    return "\n".join(rows)


def with_current_table(document: str) -> str:
    """``document`` with the text between the markers replaced by :func:`settings_table`.

    Raises:
        ValueError: the markers are missing.
    """
    begin = document.find(BEGIN_MARKER)
    end = document.find(END_MARKER)
    if begin < 0 or end < begin:
        raise ValueError(f"the document has no {BEGIN_MARKER!r} ... {END_MARKER!r} block")
    head = document[: begin + len(BEGIN_MARKER)]
    return f"{head}\n{settings_table()}\n{document[end:]}"


def main() -> None:
    """Print the table, or rewrite it in a file with ``--write``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", type=Path, help="a Markdown file with the table markers")
    arguments = parser.parse_args()
    if arguments.write is None:
        print(settings_table())
        return
    path: Path = arguments.write
    path.write_text(with_current_table(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
