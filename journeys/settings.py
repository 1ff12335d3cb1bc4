"""Settings for every process of the engine (worker, API, CLI, dev stack).

All settings are read from environment variables prefixed ``JOURNEYS_`` (or a
``.env`` file) by pydantic-settings, once, in the process entry point, and
then injected; library code never reads the environment itself.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from journeys.language.channels import Channel
from journeys.language.delivery_rules import FrequencyCap, QuietHours
from journeys.store.database import (
    DEFAULT_BUSY_TIMEOUT_SECONDS,
    DEFAULT_CONNECT_TIMEOUT_SECONDS,
    DEFAULT_STATEMENT_TIMEOUT_SECONDS,
)

DEFAULT_TASK_QUEUE = "journeys"
"""The task queue the journey workers poll; the single source of its name."""


class JourneySettings(BaseSettings):
    """Configuration of the journey engine.

    Attributes:
        data_dir: Folder for the embedded stack's files (Temporal's SQLite
            file, the store's SQLite file, logs).
        database_url: SQLAlchemy URL of the store. Empty means a SQLite file
            ``journeys.db`` under ``data_dir``. PostgreSQL URLs use psycopg 3
            (``postgresql+psycopg://...``; ``postgresql://`` is accepted too).
        api_database_url: The URL the HTTP API serves requests with (PostgreSQL): the
            login role ``journeys_api``, which cannot become any other role, so
            row-level security cannot be escaped. Empty: ``database_url`` (the
            owner, dropping to ``journeys_api`` per transaction; for SQLite and
            development). Migrations always use ``database_url``.
        store_pool_size: PostgreSQL connections each process keeps open.
        store_max_overflow: Further PostgreSQL connections each process may open
            under load. Every worker, API and client process can hold
            ``store_pool_size + store_max_overflow`` connections: keep their sum
            over all processes under the server's ``max_connections`` (100 by
            default), or put a pooler in front. A worker needs one per activity
            thread (32) and a few more for its event loop.
        store_busy_timeout_seconds: Longest wait for the store: SQLite's busy timeout
            (and a process's turn to write), PostgreSQL's wait for a pooled connection.
            A request that cannot get the store within it is answered 503.
        store_connect_timeout_seconds: PostgreSQL ``connect_timeout``.
        store_statement_timeout_seconds: PostgreSQL ``statement_timeout`` of every
            statement outside migrations (an overloaded server fails fast); a server
            that does not answer at all (frozen) is given up on after this plus
            ``store_connect_timeout_seconds``.
        temporal_address: host:port of the Temporal frontend. Empty means the
            local dev server, ``127.0.0.1:<temporal_port>``.
        temporal_port: Port of the Temporal frontend (gRPC) that ``journeys dev``
            starts; ``journeys dev`` always connects to it, whatever
            ``temporal_address`` says.
        temporal_namespace: Temporal namespace of the enrollments.
        task_queue: Task queue of the journey workers.
        temporal_ui_port: Port of the Temporal UI started by ``journeys dev``.
        dev_server_start_timeout: Seconds ``journeys dev`` waits for the Temporal
            dev server to answer before giving up with an error.
        api_host: Interface the HTTP API binds to.
        api_port: Port of the HTTP API.
        api_keep_alive_seconds: How long the API keeps an idle HTTP connection
            open. Longer than clients keep theirs (httpx: 5 s), so a client never
            reuses a connection the server is closing at that moment.
        default_org: Organisation used by the CLI and the demo when none is given.
        log_format: ``json``, ``console``, or ``auto`` (JSON unless stderr is a TTY).
        log_level: Minimum level of log records.
        demo: Whether ``journeys dev`` enrolls demo customers and sends demo events.
        catalog: The journeys to route to, as ``package.module:attribute`` naming
            a ``Catalog`` or a list of ``JourneyDefinition`` in your own code;
            empty means the journeys shipped with the engine.
        max_signals_per_run: Signals one workflow run accepts before it
            continues as new (Temporal caps a run at 10,000).
        workflow_sandbox: Run the journey workflow in the SDK's workflow sandbox.
            Off by default: the engine's only workflow code is its interpreter
            (journeys are data), which the test suite and the replay gate run in
            the sandbox, and the sandbox costs a worker about a third of its CPU
            (it re-imports the interpreter for every run and replay and runs
            code inside itself for every payload).
        worker_deployment_name: The Temporal Worker Deployment the worker joins
            (Worker Versioning); empty runs it unversioned. With it, enrollments
            follow the deployment's current (and ramping) build: auto-upgrade.
        worker_build_id: This worker build's id within the deployment (e.g. the
            image tag or git commit); required with ``worker_deployment_name``.
        api_max_body_bytes: Largest HTTP request body the API accepts (413 above).
        api_max_batch_events: Most events one ``/v1/batch`` request may carry.
        event_future_tolerance_seconds: Events dated further than this in the
            future are refused (clock skew allowance of senders).
        unrouted_event_sweep_seconds: How often the worker routes events that
            were stored but not routed (Temporal was down, or a process died
            between storing and routing an event).
        unrouted_event_grace_seconds: How long an unrouted event is left to the
            ``track`` call routing it before the worker's sweep routes it.
        api_key_cache_seconds: How long the API trusts a verified API key before
            reading it again (a disabled key stops working within this time).
        rollout_cache_seconds: How long a process reuses the journey versions'
            states and rollout weights it read from the store (every process
            sees a ``journeys rollout`` change within this time).
        retired_version_listen_seconds: How long after a rollout change (or this
            process's start, for versions a deploy retired) events are still signalled
            to a version that takes no entries and has no running enrollment in the
            store: an enrollment started just before writes its row at its first
            workflow task. After it, such versions cost no Temporal call.
        decision_blackout_dates: Dates (UTC) on which the next-best-action
            engine makes no offers (a business rule, e.g. during a price change),
            as a JSON list.
        delivery_frequency_caps: The operator's frequency caps over every
            journey's sends to a customer, as a JSON list of ``{"channel",
            "limit", "window"}`` (channel null = all channels; window in seconds
            or ISO 8601). Empty by default: caps belong to the journeys that
            declare them (JRN-ACT-RET-001 carries its blueprint caps).
            Example, at most 3 emails and 6 messages in total per customer per
            week: ``JOURNEYS_DELIVERY_FREQUENCY_CAPS='[{"channel": "email",
            "limit": 3, "window": "P7D"}, {"channel": null, "limit": 6,
            "window": "P7D"}]'``. A journey's own caps apply on top; sends marked
            ``transactional`` are exempt from both.
        delivery_quiet_hours: Default quiet hours in the customer's time zone
            (``{"start": "21:00", "end": "08:00"}``); null = none. A journey's
            quiet hours replace them.
        delivery_resend_unknown_channels: Channels whose providers de-duplicate
            by idempotency key, so a send left in doubt by a crash is sent again;
            on other channels it is recorded ``unknown``, counted and alerted.
        email_provider: ``outbox`` (the offline outbox file), ``smtp`` or ``http``.
        smtp_host: SMTP server (``journeys dev``'s sink listens on 127.0.0.1).
        smtp_port: SMTP port (the sink's port too).
        smtp_starttls: Upgrade the SMTP connection with STARTTLS.
        smtp_username: SMTP login (empty: no AUTH).
        smtp_password: SMTP password.
        email_from: The From address of emails.
        message_id_domain: Domain of the deterministic Message-ID
            (``<idempotency key@domain>``).
        email_api_url: URL the ``http`` email provider POSTs JSON to.
        email_api_key: Bearer token of the email API.
        sms_provider: ``outbox`` or ``http`` (REST shape with account SID/auth token).
        sms_api_base_url: Base URL of the SMS API.
        sms_account_sid: Account SID (path segment and basic-auth user).
        sms_auth_token: Auth token (basic-auth password).
        sms_from: Sender number of SMS.
        push_provider: ``outbox`` or ``http`` (FCM v1 shape).
        push_api_base_url: Base URL of the push API.
        push_project_id: Project id in the FCM v1 path.
        push_access_token: OAuth bearer token of the push API.
        webhook_provider: ``outbox`` or ``http``.
        webhook_url: URL webhook messages are POSTed to.
        webhook_secret: HMAC-SHA256 key of the webhook signature header.
        provider_timeout_seconds: Connect/read timeout of every provider call.
        public_base_url: Where recipients and providers reach the HTTP API
            (tracked links, the open pixel, unsubscribe links, SMS status
            callbacks). Empty means ``http://<api_host>:<api_port>``.
        tracking_secret: HMAC key signing tracked links, open pixels and
            unsubscribe links. Empty means messages go out untracked (no
            rewritten links, no pixel, no ``List-Unsubscribe`` header).
        email_webhook_secret: Signing secret of the email API's event webhooks
            (``whsec_<base64>``, Svix scheme: ``svix-id``, ``svix-timestamp``,
            ``svix-signature`` headers).
        feedback_tolerance_seconds: How old a signed provider event may be
            (its timestamp header) before it is refused as a replay.
        worker_graceful_shutdown_seconds: On SIGTERM/SIGINT a worker stops polling and
            lets running activities (sends in flight) finish for this long before
            cancelling them; give the process manager a longer stop timeout.
        ops_alert_webhook_url: Slack-compatible incoming webhook for ops alerts
            (provider outages, sends of unknown outcome); empty = log only.
        ops_alert_interval_seconds: Least time between two alerts of one kind
            and channel (so an outage raises one alert, not thousands).
        task_overdue_check_seconds: How often each worker looks for tasks for
            people that passed their due time undone (one ops alert per task).
        experiment_min_sample_per_arm: Enrollments per arm before an experiment
            gets a verdict (a winner is declared after 500 customers per variant).
        experiment_alpha: Two-sided significance level of experiment verdicts.
        alert_baseline_days: Health alerts compare the last ``alert_window_days``
            with the baseline: the ``alert_baseline_days`` (28) before that window.
        alert_window_days: The recent window health alerts judge (7 days).
        alert_check_interval_minutes: How often the health-check Temporal Schedule runs.
        alert_slack_webhook_url: Slack-compatible incoming webhook for health alerts
            (empty: alerts are stored and logged only).
        alert_pagerduty_url: PagerDuty Events API v2 endpoint critical alerts go to.
        alert_pagerduty_routing_key: PagerDuty integration key (empty: no paging).
        worker_metrics_port: Port of the worker's Prometheus ``/metrics`` (0: not served;
            the API serves its own at ``/metrics``).
        dashboard_port: Port of the web dashboard ``journeys dev`` starts (0: none).
    """

    model_config = SettingsConfigDict(env_prefix="JOURNEYS_", env_file=".env", extra="ignore")

    data_dir: Path = Path(".journeys")
    database_url: str = ""
    api_database_url: str = ""
    store_pool_size: int = Field(default=10, ge=1, le=1_000)
    store_max_overflow: int = Field(default=30, ge=0, le=1_000)
    store_busy_timeout_seconds: float = Field(default=DEFAULT_BUSY_TIMEOUT_SECONDS, gt=0, le=600)
    store_connect_timeout_seconds: int = Field(
        default=DEFAULT_CONNECT_TIMEOUT_SECONDS, ge=1, le=600
    )
    store_statement_timeout_seconds: float = Field(
        default=DEFAULT_STATEMENT_TIMEOUT_SECONDS, gt=0, le=3_600
    )
    temporal_address: str = ""
    temporal_port: int = Field(default=7233, ge=1, le=65535)
    temporal_namespace: str = "default"
    task_queue: str = DEFAULT_TASK_QUEUE
    temporal_ui_port: int = Field(default=8233, ge=1, le=65535)
    dev_server_start_timeout: float = Field(default=60.0, gt=0, le=600)
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_keep_alive_seconds: int = Field(default=75, ge=1, le=3_600)
    default_org: str = "demo"
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    demo: bool = True
    catalog: str = Field(default="", pattern=r"^([A-Za-z_][\w.]*:[A-Za-z_]\w*)?$")
    max_signals_per_run: int = Field(default=2_000, ge=10, le=9_000)
    workflow_sandbox: bool = False
    worker_deployment_name: str = Field(default="", pattern=r"^([A-Za-z0-9][\w.-]{0,99})?$")
    worker_build_id: str = Field(default="", pattern=r"^([A-Za-z0-9][\w.+-]{0,99})?$")
    decision_blackout_dates: list[date] = Field(default_factory=list)
    api_max_body_bytes: int = Field(default=1_000_000, ge=1_024)
    api_max_batch_events: int = Field(default=500, ge=1, le=10_000)
    event_future_tolerance_seconds: int = Field(default=300, ge=0)
    unrouted_event_sweep_seconds: float = Field(default=5.0, gt=0, le=3_600)
    unrouted_event_grace_seconds: float = Field(default=10.0, ge=0, le=3_600)
    api_key_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    rollout_cache_seconds: float = Field(default=2.0, ge=0, le=60)
    retired_version_listen_seconds: float = Field(default=3_600.0, ge=0, le=7 * 86_400)
    delivery_frequency_caps: list[FrequencyCap] = Field(default_factory=list)
    delivery_quiet_hours: QuietHours | None = None
    delivery_resend_unknown_channels: list[Channel] = Field(
        default_factory=lambda: [Channel.IN_APP]
    )
    email_provider: Literal["outbox", "smtp", "http"] = "outbox"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=2525, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    email_from: str = "journeys@localhost"
    message_id_domain: str = "journeys.local"
    email_api_url: str = ""
    email_api_key: SecretStr = SecretStr("")
    sms_provider: Literal["outbox", "http"] = "outbox"
    sms_api_base_url: str = ""
    sms_account_sid: str = ""
    sms_auth_token: SecretStr = SecretStr("")
    sms_from: str = ""
    push_provider: Literal["outbox", "http"] = "outbox"
    push_api_base_url: str = "https://fcm.googleapis.com"
    push_project_id: str = ""
    push_access_token: SecretStr = SecretStr("")
    webhook_provider: Literal["outbox", "http"] = "outbox"
    webhook_url: str = ""
    webhook_secret: SecretStr = SecretStr("")
    provider_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    public_base_url: str = ""
    tracking_secret: SecretStr = SecretStr("")
    email_webhook_secret: SecretStr = SecretStr("")
    feedback_tolerance_seconds: int = Field(default=300, ge=1, le=86_400)
    worker_graceful_shutdown_seconds: float = Field(default=30.0, ge=0, le=3600)
    ops_alert_webhook_url: str = ""
    ops_alert_interval_seconds: float = Field(default=300.0, ge=0)
    task_overdue_check_seconds: float = Field(default=60.0, gt=0, le=86_400)
    experiment_min_sample_per_arm: int = Field(default=500, ge=1, le=10_000_000)
    experiment_alpha: float = Field(default=0.05, gt=0, lt=0.5)
    alert_baseline_days: int = Field(default=28, ge=1, le=365)
    alert_window_days: int = Field(default=7, ge=1, le=90)
    alert_check_interval_minutes: int = Field(default=60, ge=1, le=1_440)
    alert_slack_webhook_url: str = ""
    alert_pagerduty_url: str = "https://events.pagerduty.com/v2/enqueue"
    alert_pagerduty_routing_key: SecretStr = SecretStr("")
    worker_metrics_port: int = Field(default=0, ge=0, le=65535)
    dashboard_port: int = Field(default=8501, ge=0, le=65535)

    @field_validator("database_url", "api_database_url")
    @classmethod
    def _normalise_postgres_driver(cls, value: str) -> str:
        """Use psycopg 3 for plain ``postgresql://`` URLs."""
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @model_validator(mode="after")
    def _default_to_local_temporal(self) -> JourneySettings:
        """Point an empty ``temporal_address`` at the local dev server's port."""
        if not self.temporal_address:
            self.temporal_address = f"127.0.0.1:{self.temporal_port}"
        return self

    @property
    def resolved_public_base_url(self) -> str:
        """The API's public URL, defaulting to the address it binds to."""
        return (self.public_base_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        """The store URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'journeys.db').resolve()}"
