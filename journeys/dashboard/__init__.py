"""Dashboards: seed 001's live view in the terminal, seed 000's web dashboard (Streamlit)."""
