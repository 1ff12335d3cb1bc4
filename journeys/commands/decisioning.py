"""Decisioning commands: ``journeys models train|generate-history|show``, ``journeys explain``."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from journeys.commands.exit_codes import EXIT_FAILURE, EXIT_OK
from journeys.commands.runtime import load_settings
from journeys.decisioning.customer_explanation import explain_customer
from journeys.devtools.synthetic_history import OUTCOME_HORIZON, generate_history
from journeys.errors import InvalidInputError
from journeys.scoring.model_training import DEFAULT_HORIZON, store_history, train_models
from journeys.scoring.predictive_models import ModelName, ModelRegistry, model_name
from journeys.settings import JourneySettings
from journeys.store import Store
from journeys.store.tables.base import utcnow

MAX_SYNTHETIC_CUSTOMERS = 100_000


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``models`` (train, generate-history, show) and ``explain``."""
    models = subparsers.add_parser("models", help="train and inspect the predictive models")
    actions = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    train = actions.add_parser(
        "train",
        help="train every predictive model on the store's history",
        description="Compute features as of --as-of (default: now minus the horizon), label"
        " what happened in the horizon after it, fit one logistic regression per model and"
        " save it as a new version under <data dir>/models. Prints held-out AUC.",
    )
    _common(train)
    train.add_argument("--as-of", help="cut-off time, ISO 8601 with a time zone")
    train.add_argument("--horizon-days", type=int, default=DEFAULT_HORIZON.days)
    train.add_argument(
        "--model",
        action="append",
        dest="models",
        help="train only this model (repeatable): " + ", ".join(name.value for name in ModelName),
    )
    train.set_defaults(handler=run_train)

    history = actions.add_parser(
        "generate-history",
        help="store a synthetic customer history to train on",
        description="Generate customers with 60 days of behaviour and outcomes in the last"
        f" {OUTCOME_HORIZON.days} days, and store them; then run `journeys models train`.",
    )
    _common(history)
    history.add_argument("--customers", type=int, default=2_000)
    history.add_argument("--seed", type=int, default=42)
    history.set_defaults(handler=run_generate_history)

    show = actions.add_parser("show", help="list the newest version of each model and its AUC")
    _common(show)
    show.set_defaults(handler=run_show)

    explain = subparsers.add_parser(
        "explain",
        help="why a customer is where they are, decision by decision",
        description="Print the customer's lifecycle stage, journey score and every recorded"
        " decision with its model version, candidates, choice and rationale.",
    )
    explain.add_argument("customer", help="customer id")
    _common(explain)
    explain.set_defaults(handler=run_explain)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--org", help="organisation (default JOURNEYS_DEFAULT_ORG)")
    parser.add_argument("--data-dir", help="data folder (JOURNEYS_DATA_DIR)")


def _settings(arguments: argparse.Namespace) -> JourneySettings:
    return load_settings(data_dir=arguments.data_dir)


def _store(settings: JourneySettings) -> Store:
    store = Store.from_settings(settings)
    store.migrate()
    return store


def run_train(arguments: argparse.Namespace) -> int:
    """``journeys models train``."""
    settings = _settings(arguments)
    org_id = arguments.org or settings.default_org
    if arguments.horizon_days < 1:
        raise InvalidInputError("--horizon-days", "must be at least 1")
    horizon = timedelta(days=arguments.horizon_days)
    now = utcnow()
    as_of = _as_of(arguments.as_of) if arguments.as_of else now - horizon
    names = [model_name(name) for name in arguments.models or [m.value for m in ModelName]]
    store = _store(settings)
    try:
        results = train_models(
            store,
            ModelRegistry.in_data_dir(settings.data_dir),
            org_id=org_id,
            as_of=as_of,
            horizon=horizon,
            names=names,
            now=now,
        )
    finally:
        store.dispose()
    print(f"trained on organisation {org_id}, features as of {as_of:%Y-%m-%d %H:%M} UTC")
    for result in results:
        if result.metadata is None:
            print(f"  {result.name.value:<24} skipped: {result.skipped}")
            continue
        metrics = result.metadata.metrics
        print(
            f"  {result.metadata.label:<28} held-out AUC {metrics.auc:.3f} (constant 0.500), "
            f"log loss {metrics.log_loss:.3f} (constant {metrics.baseline_log_loss:.3f}), "
            f"{metrics.train_rows} train / {metrics.test_rows} test rows"
        )
    return EXIT_OK if all(result.metadata for result in results) else EXIT_FAILURE


def run_generate_history(arguments: argparse.Namespace) -> int:
    """``journeys models generate-history``."""
    if not 1 <= arguments.customers <= MAX_SYNTHETIC_CUSTOMERS:
        raise InvalidInputError("--customers", f"must be between 1 and {MAX_SYNTHETIC_CUSTOMERS}")
    settings = _settings(arguments)
    org_id = arguments.org or settings.default_org
    as_of = utcnow() - OUTCOME_HORIZON
    history = generate_history(
        org_id=org_id, customers=arguments.customers, as_of=as_of, seed=arguments.seed
    )
    store = _store(settings)
    try:
        store_history(store, org_id=org_id, history=history)
    finally:
        store.dispose()
    print(
        f"stored {len(history.customers)} customers and {len(history.events)} events"
        f" in organisation {org_id}; now run `journeys models train --org {org_id}`"
    )
    return EXIT_OK


def run_show(arguments: argparse.Namespace) -> int:
    """``journeys models show``."""
    settings = _settings(arguments)
    registry = ModelRegistry.in_data_dir(settings.data_dir)
    for name in ModelName:
        model = registry.get(name)
        if model is None:
            print(f"  {name.value:<24} not trained: scores use the formula fallback")
            continue
        metrics = model.metadata.metrics
        print(
            f"  {model.metadata.label:<28} held-out AUC {metrics.auc:.3f}, trained"
            f" {model.metadata.trained_at:%Y-%m-%d %H:%M} UTC"
        )
    return EXIT_OK


def run_explain(arguments: argparse.Namespace) -> int:
    """``journeys explain CUSTOMER``."""
    settings = _settings(arguments)
    store = _store(settings)
    try:
        print(
            explain_customer(
                store, org_id=arguments.org or settings.default_org, customer_id=arguments.customer
            )
        )
    finally:
        store.dispose()
    return EXIT_OK


def _as_of(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError("--as-of", f"{value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise InvalidInputError("--as-of", "must include a time zone (e.g. 2026-01-01T00:00Z)")
    return parsed.astimezone(UTC)
