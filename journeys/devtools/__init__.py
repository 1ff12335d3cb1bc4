"""Dev tooling: embedded stack, SMTP sink, time-skipping simulation, binaries, synthetic data."""
