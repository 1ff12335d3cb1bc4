"""The engine's exception tree and the Temporal error type names.

Every error the engine raises on purpose derives from :class:`JourneyError`.
Activities turn them into ``ApplicationError`` with one of the ``*_ERROR_TYPE``
names below so that workflows and retry policies can match on them.
"""

from __future__ import annotations


class JourneyError(Exception):
    """Base class of every error raised by the journey engine."""


class ConfigurationError(JourneyError):
    """A setting is missing or invalid."""


class JourneyDefinitionError(JourneyError):
    """A journey definition is invalid.

    The message names the journey, the version and, where there is one, the step.
    """

    def __init__(self, journey_id: str, version: int | str, problem: str, step: str | None = None):
        where = f"journey {journey_id!r} version {version}"
        if step is not None:
            where += f" step {step!r}"
        super().__init__(f"{where}: {problem}")
        self.journey_id = journey_id
        self.version = version
        self.step = step
        self.problem = problem


class UnknownJourneyError(JourneyError):
    """No journey with that id (or version) is in the catalog."""


class InvalidInputError(JourneyError, ValueError):
    """Input from a caller is invalid; the message names the field and the problem."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class InvalidTimeZoneError(InvalidInputError):
    """A time zone is not an IANA time zone name (``Europe/Paris``, ``UTC``)."""


class EnrollmentRefusedError(JourneyError):
    """An enrollment was refused by the journey's re-entry or conflict rules."""


class RolloutRefusedError(JourneyError):
    """A rollout change was refused.

    It would leave a journey no version to serve, or names a version in a state
    the change does not apply to.
    """


class RolloutConflictError(RolloutRefusedError):
    """Another change of the same journey's rollout was made at the same time.

    Nothing changed: read the rollout again and repeat the change if it still applies.
    """


class EnrollmentNotFoundError(JourneyError):
    """No enrollment of that customer in that journey is known to Temporal."""


class ClientClosedError(JourneyError):
    """A call was made on a :class:`~journeys.client.JourneyClient` after ``aclose()``."""


class StoreError(JourneyError):
    """The store could not complete an operation."""


class StoreUnavailableError(StoreError):
    """The store did not answer within its bounds (locked, down, too slow); retry later."""


class UnknownCustomerError(JourneyError):
    """No customer with that id is in the store (for that organisation)."""


class UnknownModelError(JourneyError):
    """No predictive model or scorer with that name exists."""


class DevStackError(JourneyError):
    """The embedded stack (``journeys dev``) could not start or a part of it stopped."""


class FeedbackRefusedError(JourneyError):
    """Delivery feedback that is not accepted; nothing was changed.

    Attributes:
        field: What was wrong (a header, ``send``, ``event``...).
        status: The HTTP status the API answers with: 401 bad signature, 404
            unknown send, 409 replayed event, 422 malformed payload.
    """

    def __init__(self, status: int, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.status = status
        self.field = field
        self.problem = problem


class DeliveryError(JourneyError):
    """A channel provider failed to deliver a message."""


class PermanentDeliveryError(DeliveryError):
    """Delivery can never succeed on this channel (invalid address, hard bounce)."""


class TransientDeliveryError(DeliveryError):
    """Delivery failed for now and may succeed on retry (timeout, 5xx, 429).

    Attributes:
        retry_after: Seconds the provider asked us to wait (``Retry-After``), if any.
    """

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class AmbiguousDeliveryError(TransientDeliveryError):
    """The request reached the provider but no answer came (read timeout, dropped reply).

    The message may or may not have been delivered: the send's outcome is
    unknown unless the provider de-duplicates by idempotency key.
    """


PERMANENT_DELIVERY_ERROR_TYPE = "PermanentDeliveryError"
"""ApplicationError type of a send that must not be retried on the same channel."""

TRANSIENT_DELIVERY_ERROR_TYPE = "TransientDeliveryError"
"""ApplicationError type of a send that may be retried."""

INVALID_INPUT_ERROR_TYPE = "InvalidInputError"
"""ApplicationError type of an activity given input it can never accept."""

INVALID_TIME_ZONE_ERROR_TYPE = "InvalidTimeZoneError"
"""ApplicationError type of a send to a customer whose stored time zone is not a zone."""

UNKNOWN_CUSTOMER_ERROR_TYPE = "UnknownCustomerError"
"""ApplicationError type of a decision asked about a customer the store does not know."""

UNKNOWN_MODEL_ERROR_TYPE = "UnknownModelError"
"""ApplicationError type of a score asked from a model name that does not exist."""
