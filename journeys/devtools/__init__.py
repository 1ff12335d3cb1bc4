"""Dev tooling: the embedded stack, the SMTP sink, the time-skipping simulation engine,
binaries and synthetic data."""
