"""The simulator: the journey interpreter on a virtual clock, in process.

``runtime`` drives the one interpreter (the same code ``JourneyWorkflow`` runs)
as a discrete-event simulation; ``activities`` are the engine's activities in
memory; ``population`` draws synthetic customers from behaviour profiles;
``engine`` runs populations; ``backtest`` replays the store's event streams;
``report`` and ``chart`` show what happened.
"""
