"""Decisioning: journey intelligence, predictive scores, next best action, offers, channels."""
