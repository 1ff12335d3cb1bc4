"""The journey worker: runs the journey workflow and the engine's activities."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta

import structlog
from prometheus_client import start_http_server
from temporalio.client import Client
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import (
    UnsandboxedWorkflowRunner,
    Worker,
    WorkerDeploymentConfig,
    WorkflowRunner,
)
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.customer_profiles import CustomerProfileActivities
from activities.decision_audit import DecisionAuditActivities
from activities.enrollment_records import EnrollmentRecordActivities
from activities.health_checks import HealthCheckActivities
from activities.human_tasks import HumanTaskActivities
from activities.journey_transitions import JourneyTransitionActivities
from activities.message_delivery import MessageDeliveryActivities
from activities.next_best_action import NextBestActionActivities
from activities.ops_alerts import OpsAlerts
from activities.predictive_scorers import trained_scorers
from activities.providers import (
    ChannelProvider,
    FcmPushProvider,
    HttpEmailProvider,
    HttpSmsProvider,
    InAppProvider,
    OutboxProvider,
    SmtpEmailProvider,
    WebhookProvider,
)
from activities.scoring import EventWindowScorer, ScoringActivities, default_scorers
from journeys.analytics.health_schedule import ensure_health_schedule
from journeys.analytics.prometheus_metrics import REGISTRY
from journeys.catalog import Catalog
from journeys.catalog.configured import configured_catalog
from journeys.client import JourneyClient
from journeys.commands.runtime import entry_point_settings
from journeys.contracts.scoring import Scorer
from journeys.delivery.feedback_events import SMS_STATUS_PATH
from journeys.errors import ConfigurationError
from journeys.language.channels import Channel
from journeys.routing.event_router import EventRouter
from journeys.routing.unrouted_events import UnroutedEventSweeper
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.structured_logs import configure_logging
from journeys.temporal_connection import connect_temporal
from workers.metrics_interceptor import DELIVERY_COUNTERS, MetricsInterceptor
from workers.workflow_bytecode import cache_workflow_bytecode
from workflows.health_check import JourneyHealthCheckWorkflow
from workflows.journey_workflow import JourneyWorkflow

log = structlog.get_logger(__name__)

ACTIVITY_THREADS = 32
"""Threads for the (synchronous, I/O-bound) activities of one worker."""


def build_providers(settings: JourneySettings, store: Store) -> dict[Channel, ChannelProvider]:
    """The provider of each channel, as the settings choose.

    In-app messages go to the store's inbox. Every other channel defaults to
    the offline outbox file (``<data_dir>/outbox.jsonl``); ``email_provider``
    ``smtp`` sends through an SMTP server (``journeys dev``'s local sink by
    default, see :mod:`journeys.devtools.smtp_sink`) and ``http`` providers call their
    APIs.
    """
    outbox = OutboxProvider(settings.data_dir / "outbox.jsonl")
    timeout = settings.provider_timeout_seconds
    providers: dict[Channel, ChannelProvider] = {channel: outbox for channel in Channel}
    providers[Channel.IN_APP] = InAppProvider(store)
    if settings.email_provider == "smtp":
        providers[Channel.EMAIL] = SmtpEmailProvider(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.email_from,
            message_id_domain=settings.message_id_domain,
            timeout=timeout,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
        )
    elif settings.email_provider == "http":
        providers[Channel.EMAIL] = HttpEmailProvider(
            url=_required(settings.email_api_url, "email_api_url"),
            api_key=settings.email_api_key.get_secret_value(),
            sender=settings.email_from,
            message_id_domain=settings.message_id_domain,
            timeout_seconds=timeout,
        )
    if settings.sms_provider == "http":
        providers[Channel.SMS] = HttpSmsProvider(
            base_url=_required(settings.sms_api_base_url, "sms_api_base_url"),
            account_sid=_required(settings.sms_account_sid, "sms_account_sid"),
            auth_token=settings.sms_auth_token.get_secret_value(),
            sender=settings.sms_from,
            timeout_seconds=timeout,
            status_callback_url=settings.resolved_public_base_url + SMS_STATUS_PATH,
        )
    if settings.push_provider == "http":
        providers[Channel.PUSH] = FcmPushProvider(
            base_url=settings.push_api_base_url,
            project_id=_required(settings.push_project_id, "push_project_id"),
            access_token=settings.push_access_token.get_secret_value(),
            timeout_seconds=timeout,
        )
    if settings.webhook_provider == "http":
        providers[Channel.WEBHOOK] = WebhookProvider(
            url=_required(settings.webhook_url, "webhook_url"),
            secret=settings.webhook_secret.get_secret_value(),
            timeout_seconds=timeout,
        )
    return providers


def _required(value: str, name: str) -> str:
    if not value:
        raise ConfigurationError(f"setting {name} (JOURNEYS_{name.upper()}) is required")
    return value


JOURNEY_VERSIONING_BEHAVIOR = VersioningBehavior.AUTO_UPGRADE
"""Enrollments move to the deployment's current build at their next workflow task.

Enrollments live for weeks: pinning them would keep every old build running
until its last enrollment ends. The replay gate (every shipped journey version
and interpreter revision replays on the new build) and the interpreter revision
carried in each enrollment's input make an upgrade safe, so a new build is
ramped (``temporal worker deployment set-ramping-version``) and rolled back
(``set-current-version`` to the old build id) with no enrollment left behind.
"""


def deployment_config(settings: JourneySettings) -> WorkerDeploymentConfig | None:
    """The worker's Worker Versioning configuration (None when no deployment is named).

    Raises:
        ConfigurationError: a deployment name without a build id.
    """
    if not settings.worker_deployment_name:
        return None
    build_id = _required(settings.worker_build_id, "worker_build_id")
    return WorkerDeploymentConfig(
        version=WorkerDeploymentVersion(settings.worker_deployment_name, build_id),
        use_worker_versioning=True,
        default_versioning_behavior=JOURNEY_VERSIONING_BEHAVIOR,
    )


def default_worker_scorers(store: Store, settings: JourneySettings) -> dict[str, Scorer]:
    """The seed formulas, with trained models (when the data folder has them) in front.

    An untrained predictive model answers with its formula scorer, so the registry
    works the same before and after ``journeys models train``.
    """
    formulas = default_scorers(store)
    return {**formulas, **trained_scorers(store, settings, formulas)}


def build_worker(
    client: Client,
    settings: JourneySettings,
    store: Store,
    executor: ThreadPoolExecutor,
    providers: dict[Channel, ChannelProvider] | None = None,
    fail_workflows_on_errors: bool = False,
    scorers: Mapping[str, Scorer] | None = None,
    catalog: Catalog | None = None,
) -> Worker:
    """A worker polling the journey task queue with every workflow and activity.

    Args:
        client: Temporal client with the pydantic data converter.
        settings: Settings (task queue, data folder).
        store: The store.
        executor: Threads for the synchronous activities.
        providers: Channel providers; by default :func:`build_providers`.
        fail_workflows_on_errors: Fail the workflow (instead of retrying the
            workflow task forever) on any error in workflow code; tests use
            it so that a determinism bug fails the test.
        scorers: The scorer registry of ``compute_score``; by default
            :func:`default_worker_scorers` and the catalog's own formulas.
        catalog: The journeys transition steps may enroll in, and the templates sends
            render; by default the configured catalog (``JOURNEYS_CATALOG``).
    """
    catalog = catalog or configured_catalog(settings)
    delivery = MessageDeliveryActivities(
        store,
        providers or build_providers(settings, store),
        settings,
        templates=catalog.templates,
    )
    DELIVERY_COUNTERS.add(delivery.metrics)
    human_tasks = HumanTaskActivities(store, _ops_alerts(settings))
    if scorers is None:
        scorers = {
            **default_worker_scorers(store, settings),
            **{
                name: EventWindowScorer(name, store, formula, window)
                for name, (formula, window) in catalog.formulas.items()
            },
        }
    scoring = ScoringActivities(scorers)
    next_best_actions = NextBestActionActivities.from_settings(store, settings)
    profiles = CustomerProfileActivities(store)
    decisions = DecisionAuditActivities(store)
    journeys = JourneyClient(client, store, catalog, settings)
    transitions = JourneyTransitionActivities(journeys)
    records = EnrollmentRecordActivities(store, journeys.versions)
    health = HealthCheckActivities(store, catalog, settings)
    runner: WorkflowRunner = UnsandboxedWorkflowRunner()
    if settings.workflow_sandbox:
        cache_workflow_bytecode([JourneyWorkflow])
        # The metrics module is shared with the sandbox, so failed runs count in the process.
        runner = SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(
                "prometheus_client", "journeys.analytics.prometheus_metrics"
            )
        )
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[JourneyWorkflow, JourneyHealthCheckWorkflow],
        activities=[
            delivery.deliver_message,
            delivery.record_send_failure,
            human_tasks.create_human_task,
            records.record_enrollment,
            records.begin_enrollment,
            scoring.compute_score,
            decisions.record_decision,
            profiles.load_customer_profile,
            profiles.update_customer_profile,
            profiles.resolve_wait_deadline,
            transitions.enroll_in_journey,
            transitions.get_journey_status,
            *next_best_actions.activities(),
            health.check_journey_health,
        ],
        activity_executor=executor,
        max_concurrent_activities=ACTIVITY_THREADS,
        workflow_failure_exception_types=[Exception] if fail_workflows_on_errors else [],
        workflow_runner=runner,
        # Stopping (a deploy's SIGTERM) stops polling and lets sends in flight finish,
        # rather than cancelling provider calls whose outcome would then be unknown.
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_graceful_shutdown_seconds),
        interceptors=[MetricsInterceptor()],
        deployment_config=deployment_config(settings),
    )


@asynccontextmanager
async def sweeping_unrouted_events(
    client: Client, settings: JourneySettings, store: Store, catalog: Catalog
) -> AsyncIterator[UnroutedEventSweeper]:
    """Route events stored but never routed, every ``unrouted_event_sweep_seconds``, in the block.

    Every worker process sweeps; two sweeping the same event route it twice,
    which enrollments ignore (they drop event ids they have seen).
    """
    sweeper = UnroutedEventSweeper(
        EventRouter(client, store, catalog, settings),
        interval_seconds=settings.unrouted_event_sweep_seconds,
        grace_seconds=settings.unrouted_event_grace_seconds,
    )
    sweeping = asyncio.create_task(sweeper.run())
    try:
        yield sweeper
    finally:
        sweeping.cancel()
        await asyncio.gather(sweeping, return_exceptions=True)


async def run_worker(settings: JourneySettings) -> None:
    """Connect, migrate the store and run a worker and the unrouted-event sweep until cancelled."""
    store = Store.from_settings(settings)
    await asyncio.to_thread(store.migrate)
    client = await connect_temporal(settings)
    catalog = configured_catalog(settings)
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS) as executor:
        worker = build_worker(client, settings, store, executor, catalog=catalog)
        overdue = asyncio.create_task(
            watch_overdue_tasks(HumanTaskActivities(store, _ops_alerts(settings)), settings)
        )
        schedule_id = await ensure_health_schedule(client, settings)
        if settings.worker_metrics_port:
            start_http_server(settings.worker_metrics_port, registry=REGISTRY)
        log.info(
            "worker started",
            task_queue=settings.task_queue,
            health_schedule=schedule_id,
            deployment=settings.worker_deployment_name or None,
            build_id=settings.worker_build_id or None,
        )
        try:
            async with sweeping_unrouted_events(client, settings, store, catalog):
                await worker.run()
        finally:
            overdue.cancel()
            store.dispose()


async def watch_overdue_tasks(tasks: HumanTaskActivities, settings: JourneySettings) -> None:
    """Every ``task_overdue_check_seconds``, alert ops about tasks newly past due."""
    while True:
        try:
            await asyncio.to_thread(tasks.alert_overdue)
        except Exception:
            # A store hiccup must not stop the worker; the next round retries.
            log.exception("overdue task check failed")
        await asyncio.sleep(settings.task_overdue_check_seconds)


def _ops_alerts(settings: JourneySettings) -> OpsAlerts:
    return OpsAlerts(
        settings.ops_alert_webhook_url, interval_seconds=settings.ops_alert_interval_seconds
    )


def main() -> None:
    """Entry point of ``python -m workers.journey_worker``."""
    settings = entry_point_settings()
    configure_logging(settings)
    asyncio.run(run_worker(settings))


if __name__ == "__main__":
    main()
