"""Workflow-safe contracts: the inputs and outputs of the workflow, its activities and signals.

Pure pydantic models and names, with no I/O: ``workflows/`` may import this package
(and ``journeys.language``), and nothing else of the engine.
"""
