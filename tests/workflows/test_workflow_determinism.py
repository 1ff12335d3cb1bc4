"""Workflow code stays deterministic, checked without the sandbox too.

Production workers run the journey workflow outside the SDK's sandbox
(``workflow_sandbox`` is off by default); the test suite and the replay gate
run it inside, with the interpreter imported inside the sandbox so that every
line of it is checked at run time. This static check holds every module of
``workflows/`` to the sandbox's rules as well: imports from an allow-list only,
time and randomness only from ``workflow``, and no module-level state shared
between enrollments.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"

ALLOWED_IMPORTS = (
    "__future__",
    "collections.abc",
    "contextlib",
    "datetime",
    "typing",
    "temporalio",
    "journeys.contracts",
    "journeys.errors",
    "journeys.language",
    "workflows",
)
"""Modules workflow code may import: pure models and rules, and the SDK's workflow API."""

WALL_CLOCK_AND_CHANCE = {"now", "utcnow", "today", "random", "uuid4", "uuid1", "time_ns"}
"""Calls that read the clock or chance: allowed only as ``workflow.<name>()``."""

MUTABLE_FACTORIES = {"list", "dict", "set", "defaultdict", "deque", "Counter", "OrderedDict"}


def determinism_problems(source: str) -> list[str]:  # noqa: C901 - one branch per rule checked
    """What in ``source`` would make workflow code non-deterministic, one line each."""
    problems: list[str] = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [f"{node.module}.{alias.name}" for alias in node.names]
            )
            for name in names:
                if not any(name == a or name.startswith(f"{a}.") for a in ALLOWED_IMPORTS):
                    problems.append(f"line {node.lineno}: imports {name}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            owner = node.func.value if isinstance(node.func, ast.Attribute) else None
            from_workflow = _is_workflow(owner) or (
                isinstance(owner, ast.Call)
                and isinstance(owner.func, ast.Attribute)
                and _is_workflow(owner.func.value)
            )
            if name in WALL_CLOCK_AND_CHANCE and not from_workflow:
                problems.append(f"line {node.lineno}: calls {name}() outside workflow.{name}()")
        elif isinstance(node, ast.Global):
            problems.append(f"line {node.lineno}: global {', '.join(node.names)}")
    for statement in tree.body:
        if isinstance(statement, ast.Assign | ast.AnnAssign) and statement.value is not None:
            value = statement.value
            mutable = isinstance(
                value, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.SetComp
            ) or (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id in MUTABLE_FACTORIES
            )
            if mutable:
                problems.append(f"line {statement.lineno}: module-level mutable state")
    return problems


def _is_workflow(node: ast.expr | None) -> bool:
    """``workflow`` itself, or the interpreter's runtime boundary ``self._rt``.

    ``workflow.now()``, ``workflow.random().random()`` and ``self._rt.now()`` (a
    :class:`workflows.runtime.JourneyRuntime`, Temporal's or the simulator's clock).
    """
    if isinstance(node, ast.Name):
        return node.id == "workflow"
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "_rt"
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    )


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.py")), ids=lambda p: p.name)
def test_workflow_modules_are_deterministic(path: Path) -> None:
    assert determinism_problems(path.read_text()) == []


def test_the_sandbox_imports_the_interpreter_itself() -> None:
    """Not passed through: a sandboxed run re-imports and checks the interpreter."""
    tree = ast.parse((WORKFLOWS / "journey_workflow.py").read_text())
    imported = [
        node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "workflows.journey_interpreter"
    ]
    assert imported == ["workflows.journey_interpreter"]


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("from datetime import datetime\nx = datetime.now()", "calls now()"),
        ("import datetime\nx = datetime.date.today()", "calls today()"),
        ("import random\n", "imports random"),
        ("import time\n", "imports time"),
        ("from sqlalchemy import select\n", "imports sqlalchemy.select"),
        ("from journeys.store import Store\n", "imports journeys.store.Store"),
        ("from journeys import store\n", "imports journeys.store"),
        ("import uuid\nx = uuid.uuid4()", "imports uuid"),
        ("SEEN = {}\n", "module-level mutable state"),
        ("SEEN: list[str] = list()\n", "module-level mutable state"),
        ("def f():\n    global SEEN\n", "global SEEN"),
    ],
)
def test_the_check_finds_what_the_sandbox_would(source: str, problem: str) -> None:
    assert any(problem in found for found in determinism_problems(source))


def test_the_check_allows_the_workflow_api_and_the_runtime_boundary() -> None:
    source = "from temporalio import workflow\nx = workflow.now()\ny = workflow.random().random()"
    assert determinism_problems(source) == []
    assert determinism_problems("x = self._rt.now()") == []
    assert determinism_problems("x = self.clock.now()") == [
        "line 1: calls now() outside workflow.now()"
    ]
