"""The HTTP API (FastAPI): ingress of events, enrollments, customers and consent.

``create_app(settings)`` builds the application; its JourneyClient is created
at startup from the same settings. Run it with ``journeys api``.
"""

from journeys.api.app import create_app

__all__ = ["create_app"]
