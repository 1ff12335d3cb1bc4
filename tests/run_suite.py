"""The whole check suite: lint, format, types, then pytest, judged by its report.

A process that used a local Temporal server can crash at interpreter exit
(exit 134, an open SDK issue) after every test passed; the JUnit report, not
the exit status, is what says whether the tests passed. No tests run is a failure.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

STATIC_CHECKS: list[list[str]] = [
    [str(BIN / "ruff"), "check", "."],
    [str(BIN / "ruff"), "format", "--check", "."],
    [str(BIN / "mypy")],
]


def _run_static_checks() -> bool:
    ok = True
    for command in STATIC_CHECKS:
        print(
            f"$ {' '.join(Path(command[0]).name if i == 0 else a for i, a in enumerate(command))}",
            flush=True,
        )
        ok = subprocess.run(command, cwd=ROOT, check=False).returncode == 0 and ok
    return ok


def _pytest_counts(report: Path) -> tuple[int, int, int, int]:
    """(tests, failures, errors, skipped) from a JUnit XML report."""
    root = ElementTree.parse(report).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = [0, 0, 0, 0]
    for suite in suites:
        for index, name in enumerate(("tests", "failures", "errors", "skipped")):
            total[index] += int(suite.get(name, "0"))
    return total[0], total[1], total[2], total[3]


def main(argv: list[str]) -> int:
    """Run every check; returns 0 only when all pass and at least one test ran."""
    static_ok = _run_static_checks()
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "junit.xml"
        command = [
            str(BIN / "python"),
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-rs",
            f"--junitxml={report}",
            *argv,
        ]
        print(f"$ pytest {' '.join(argv)}", flush=True)
        status = subprocess.run(command, cwd=ROOT, check=False).returncode
        if not report.exists():
            print(f"pytest wrote no report (exit status {status}): failing", flush=True)
            return 1
        tests, failures, errors, skipped = _pytest_counts(report)
    passed = tests - failures - errors - skipped
    if status not in (0, 1):
        print(f"note: pytest exited with status {status}; judging by its report", flush=True)
    print(f"suite: {passed} passed, {failures + errors} failed, {skipped} skipped", flush=True)
    if tests == 0 or passed == 0:
        print("no test ran: failing", flush=True)
        return 1
    if failures or errors:
        return 1
    if not static_ok:
        print("static checks failed (see above)", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
