"""Measurement: journey reports (funnels, outcomes, sends, decisions), experiments, health."""
