"""Journeys: customer-journey orchestration on Temporal.

Every enrollment of a customer in a journey is one durable Temporal workflow.
The public entry points are :class:`journeys.client.JourneyClient` (enroll,
track), the ``journeys`` CLI and the HTTP API. This package's ``__init__``
imports nothing heavy so that workflow code can import the pure journey
language without pulling in the store or the Temporal client.
"""

__version__ = "0.1.0"
