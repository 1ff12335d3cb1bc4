"""Reading a Prometheus text exposition in tests."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

SampleKey = tuple[str, tuple[tuple[str, str], ...]]


def exposes(text: str, name: str) -> bool:
    """Whether the exposition declares the metric (counters may be typed without ``_total``)."""
    base = name.removesuffix("_total")
    return f"# TYPE {name} " in text or f"# TYPE {base} " in text


def samples(text: str) -> dict[SampleKey, float]:
    """Every sample by (name, sorted labels)."""
    found: dict[SampleKey, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found
