"""The web dashboard renders its pages with data and without (Streamlit AppTest, Chromium)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from journeys.contracts.enrollment import EnrollmentStatus
from journeys.decisioning.client_journey_service import ClientJourneyService
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.journeys import HealthAlert
from tests.support.api_process import ROOT
from tests.support.headless_chromium import render
from tests.support.health_data import record_walks
from tests.support.measured_population import MEASURED
from tests.support.network import free_port

APP = str(ROOT / "journeys" / "dashboard" / "web_app.py")
ORG = "demo"
CATALOG = "tests.support.measured_population:MEASURED_JOURNEYS"
TIMEOUT = 60


@pytest.fixture
def dashboard_env(
    settings: JourneySettings, store: Store, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    monkeypatch.setenv("JOURNEYS_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("JOURNEYS_CATALOG", CATALOG)
    st.cache_resource.clear()
    yield store
    st.cache_resource.clear()


def populate(store: Store) -> None:
    now = datetime.now(UTC)
    short = ["split", "welcome_short", "day_0"]
    record_walks(
        store,
        ORG,
        MEASURED.id,
        now - timedelta(days=3),
        [
            ([*short, "nudge", "day_3", "done"], EnrollmentStatus.COMPLETED, "completed_journey"),
            (short, EnrollmentStatus.EXITED, "goal_reached"),
            (short, EnrollmentStatus.EXITED, "exit_event:account_closed"),
            (short, EnrollmentStatus.ACTIVE, None),
        ],
        arms={"welcome_copy": "short"},
    )
    with store.transaction() as session:
        session.add(
            HealthAlert(
                org_id=ORG,
                journey_id=MEASURED.id,
                journey_version=1,
                rule="dropoff_spike",
                severity="critical",
                message="Drop-off rate spiked to 25.0% (baseline: 10.0%)",
                action="Review journey logic and recent changes",
                value=0.25,
                threshold=0.15,
            )
        )
    ClientJourneyService(store, ORG).track_event("acme-client", "onboarding", "kickoff", {})


def test_journey_page_without_data(dashboard_env: Store) -> None:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not app.exception
    assert [m.label for m in app.metric] == [
        "Users in Journey",
        "Completion Rate",
        "Avg. Time to Complete",
        "Drop-off Rate",
    ]
    assert app.metric[0].value == "0"
    assert any("No step visits" in i.value for i in app.info)
    assert [s.value for s in app.success] == ["No active alerts."]


def test_journey_page_with_data(dashboard_env: Store) -> None:
    populate(dashboard_env)
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    app.selectbox[0].set_value(MEASURED.id).run()
    assert not app.exception
    values = {m.label: (m.value, m.delta) for m in app.metric}
    # 4 entered in the last 7 days, none in the 7 before: +4.
    assert values["Users in Journey"] == ("4", "+4")
    assert values["Completion Rate"][0] == "25.0%"
    assert values["Drop-off Rate"][0] == "25.0%"
    assert values["Avg. Time to Complete"][0] == "1.0 days"
    assert len(app.get("plotly_chart")) == 1
    assert [e.value for e in app.error] == [
        "Drop-off rate spiked to 25.0% (baseline: 10.0%) — Review journey logic and recent changes"
    ]
    assert any("welcome_copy" in m.value and "keep_running" in m.value for m in app.markdown)


def test_customer_page(dashboard_env: Store) -> None:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    app.sidebar.radio[0].set_value("Customer").run()
    assert any("Enter a customer id" in i.value for i in app.info)
    populate(dashboard_env)
    app.text_input[0].set_value("acme-client").run()
    assert not app.exception
    assert any("**[onboarding]**" in m.value for m in app.markdown)
    assert {m.label for m in app.metric} == {"Journey score", "Risk level", "Next best action"}
    assert any("No enrollments." in i.value for i in app.info)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_a_real_render_in_headless_chromium(
    settings: JourneySettings, store: Store, tmp_path: Path
) -> None:
    populate(store)
    port = free_port()
    env = {
        "JOURNEYS_DATABASE_URL": settings.resolved_database_url,
        "JOURNEYS_CATALOG": CATALOG,
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            APP,
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    shot = tmp_path / "dashboard.png"
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "streamlit did not start"
            time.sleep(0.3)
        text = render(
            f"http://127.0.0.1:{port}/", "Users in Journey", shot, tmp_path / "profile", TIMEOUT
        )
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert "Customer Journey Performance Monitor" in text
    assert "Journey Stage Funnel" in text
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000
