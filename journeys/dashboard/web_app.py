"""The web dashboard (Streamlit + Plotly), as seed 000's health dashboard sketches it.

Run by ``journeys dev`` (its address is printed) or ``streamlit run
journeys/dashboard/web_app.py``; it reads the store named by the settings.
Pages: *Journey health* (KPIs with 7-day deltas, step funnel, decision-point
performance, experiment results, active alerts) and *Customer* (seed 003's
client journey map and the customer's enrollments).
"""

from __future__ import annotations

from datetime import UTC, datetime

import plotly.express as px
import streamlit as st

from journeys.catalog.configured import configured_catalog
from journeys.dashboard.web_figures import customer_page, journey_page
from journeys.settings import JourneySettings
from journeys.store import Store


@st.cache_resource
def _store() -> Store:
    return Store.from_settings(JourneySettings())


def _journey_health(settings: JourneySettings, store: Store, org_id: str) -> None:
    catalog = configured_catalog(settings)
    journeys = {d.id: d for d in catalog.current_versions()}
    selected = st.selectbox("Select Journey", list(journeys))
    if selected is None:
        st.info("The catalog has no journeys.")
        return
    versions = sorted({d.version for d in catalog.all_versions() if d.id == selected})
    labels = {"all": None, **{str(v): v for v in versions}}
    chosen = labels[st.selectbox("Version", list(labels)) or "all"]
    definition = catalog.get(selected, chosen)
    days = int(st.slider("Days", min_value=7, max_value=90, value=30))
    page = journey_page(
        store, settings, definition, org_id=org_id, version=chosen, now=datetime.now(UTC), days=days
    )
    columns = st.columns(len(page.kpis))
    for column, kpi in zip(columns, page.kpis, strict=True):
        column.metric(
            kpi.label,
            kpi.value,
            delta=kpi.delta,
            delta_color="inverse" if kpi.lower_is_better else "normal",
        )
    st.subheader("Journey Stage Funnel")
    if page.report.steps:
        funnel = {
            "stage": [s.step for s in page.report.steps],
            "users": [s.reached for s in page.report.steps],
        }
        st.plotly_chart(px.funnel(funnel, x="users", y="stage", title="Conversion Funnel"))
    else:
        st.info("No step visits in this range yet.")
    st.subheader("AI Decision Point Analysis")
    if page.report.decisions:
        st.dataframe([d.model_dump() for d in page.report.decisions])
    else:
        st.info("No decisions in this range.")
    st.caption(
        f"Decision errors: {page.report.decision_errors} ({page.report.decision_error_rate:.1%})"
    )
    st.subheader("Experiment Results")
    if not page.experiments:
        st.info("This journey runs no experiment.")
    for result in page.experiments:
        st.markdown(
            f"**{result.experiment}** on {result.metric}: **{result.verdict.value}**"
            + (f" — {result.winner}" if result.winner else "")
            + f" ({result.reason})"
        )
        st.dataframe([arm.model_dump() for arm in result.arms])
    st.subheader("⚠️ Active Alerts")
    if not page.alerts:
        st.success("No active alerts.")
    for alert in page.alerts:
        text = f"{alert.message} — {alert.action}"
        if alert.severity == "critical":
            st.error(text, icon="🚨")
        else:
            st.warning(text, icon="⚠️")


def _customer(store: Store, org_id: str) -> None:
    customer_id = st.text_input("Customer id", value="")
    if not customer_id:
        st.info("Enter a customer id to see their client journey map.")
        return
    page = customer_page(store, org_id, customer_id)
    st.subheader(f"Client journey map — {customer_id}")
    marks = [f"**[{s}]**" if s == page.score.stage else s for s in page.stages]
    st.markdown(" → ".join(marks))
    left, middle, right = st.columns(3)
    left.metric("Journey score", f"{page.score.score:.0f}")
    middle.metric("Risk level", page.score.risk_level)
    right.metric("Next best action", page.next_action or "none")
    st.markdown("Risks: " + (", ".join(page.score.risks) or "none"))
    st.subheader("Enrollments")
    if not page.enrollments:
        st.info("No enrollments.")
    for journey, version, status, outcome, steps in page.enrollments:
        st.markdown(
            f"`{journey}@{version}` — {status}"
            + (f" ({outcome})" if outcome else "")
            + ": "
            + (" → ".join(steps) or "no step recorded")
        )


def main() -> None:
    """Render the dashboard."""
    st.set_page_config(page_title="Customer Journey Performance Monitor", layout="wide")
    st.title("Customer Journey Performance Monitor")
    settings = JourneySettings()
    store = _store()
    org_id = st.sidebar.text_input("Organisation", value=settings.default_org)
    page = st.sidebar.radio("Page", ["Journey health", "Customer"])
    if page == "Journey health":
        _journey_health(settings, store, org_id)
    else:
        _customer(store, org_id)


main()
