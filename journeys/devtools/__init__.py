"""Dev tooling: the embedded stack, the SMTP sink, simulation, binaries and synthetic data."""
