"""Delivery rules and content: frequency caps, quiet hours and message templates (pure)."""
