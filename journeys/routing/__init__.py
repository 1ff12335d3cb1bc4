"""Routing: which events reach which enrollments, and when a customer may enter a journey."""
