"""Bytecode for the modules the workflow sandbox imports afresh on every workflow run.

The sandbox re-imports a workflow's module (and its package) for each workflow
instance, including every replay after a cache eviction. Python reads that
module's bytecode from its cache when there is one; when there is none
(``PYTHONDONTWRITEBYTECODE=1``, as many container images set, or a read-only
source tree) it compiles the source every time: 6.3 ms of CPU per instance for
the journey workflow and its interpreter on the benchmark machine, a fifth of
the worker's CPU in a profile. Sandboxed workers therefore write that cache once
at start.
"""

from __future__ import annotations

import importlib.util
import py_compile
import sys
from collections.abc import Sequence
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)


def sandboxed_module_sources(workflows: Sequence[type]) -> list[Path]:
    """Source files of the packages holding the workflows: every imported module of them.

    The sandbox re-imports all of these for each run (the workflow module, the
    interpreter it imports, and their package), unless they are passed through.
    """
    packages = {workflow_class.__module__.partition(".")[0] for workflow_class in workflows}
    sources: dict[Path, None] = {}
    for name, module in sorted(sys.modules.items()):
        if name.partition(".")[0] not in packages:
            continue
        source = getattr(module, "__file__", None)
        if source and source.endswith(".py"):
            sources.setdefault(Path(source), None)
    return list(sources)


def cache_workflow_bytecode(workflows: Sequence[type]) -> list[Path]:
    """Give the workflows' modules a current bytecode cache, even under ``PYTHONDONTWRITEBYTECODE``.

    The cache lives where imports look for it (``__pycache__`` beside the source,
    or under ``PYTHONPYCACHEPREFIX`` when that is set). A current cache (as pip
    writes on install) is left alone; one that cannot be written is logged and
    skipped: workflows still run, each run paying the compile.

    Returns:
        The cache files in place.
    """
    cached: list[Path] = []
    for source in sandboxed_module_sources(workflows):
        target = Path(importlib.util.cache_from_source(str(source)))
        if not _is_current(target, source):
            try:
                py_compile.compile(str(source), cfile=str(target), doraise=True)
            except (OSError, py_compile.PyCompileError) as err:
                log.warning(
                    "workflow bytecode not cached: each workflow run compiles its module;"
                    " set PYTHONPYCACHEPREFIX to a writable folder",
                    source=str(source),
                    error=str(err),
                )
                continue
        cached.append(target)
    return cached


def _is_current(cache: Path, source: Path) -> bool:
    """Whether ``cache`` holds this Python's bytecode of ``source`` as it is now (PEP 552)."""
    try:
        header = cache.read_bytes()[:16]
        stat = source.stat()
    except OSError:
        return False
    return (
        header[:4] == importlib.util.MAGIC_NUMBER
        and int.from_bytes(header[4:8], "little") == 0
        and int.from_bytes(header[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
        and int.from_bytes(header[12:16], "little") == stat.st_size & 0xFFFFFFFF
    )
