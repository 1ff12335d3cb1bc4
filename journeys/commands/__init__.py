"""Subcommands of the ``journeys`` CLI, one module per area, each with ``register(subparsers)``."""
