"""Pure delivery rules: seed 001's caps, quiet hours across time zones, content fallback."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from journeys.delivery.frequency_caps import BLUEPRINT_FREQUENCY_CAPS, slot_frees_at
from journeys.delivery.quiet_hours import quiet_hours_end
from journeys.delivery.templates import ContentSource, render_message
from journeys.errors import InvalidInputError, InvalidTimeZoneError
from journeys.language.channels import Channel
from journeys.language.delivery_rules import FrequencyCap, QuietHours
from journeys.language.schedule import customer_zone

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def sends(channel: Channel, count: int, start: datetime = NOW - timedelta(days=1)):
    return [(channel, start + timedelta(minutes=i)) for i in range(count)]


@pytest.mark.parametrize(
    ("channel", "limit"),
    [(Channel.EMAIL, 2), (Channel.PUSH, 3), (Channel.SMS, 1), (Channel.IN_APP, 5)],
)
def test_blueprint_channel_caps_allow_exactly_the_seed_numbers(channel, limit):
    assert slot_frees_at(BLUEPRINT_FREQUENCY_CAPS, channel, sends(channel, limit - 1), NOW) is None
    frees = slot_frees_at(BLUEPRINT_FREQUENCY_CAPS, channel, sends(channel, limit), NOW)
    assert frees == NOW - timedelta(days=1) + timedelta(days=7)


def test_blueprint_total_cap_is_eight_per_week_across_channels():
    seven = sends(Channel.EMAIL, 1) + sends(Channel.PUSH, 2) + sends(Channel.IN_APP, 4)
    assert len(seven) == 7
    assert slot_frees_at(BLUEPRINT_FREQUENCY_CAPS, Channel.WEBHOOK, seven, NOW) is None
    eight = [*seven, (Channel.WEBHOOK, NOW - timedelta(hours=1))]
    frees = slot_frees_at(BLUEPRINT_FREQUENCY_CAPS, Channel.WEBHOOK, eight, NOW)
    assert frees == min(at for _, at in eight) + timedelta(days=7)


def test_rolling_window_boundary_frees_the_slot_exactly_a_week_later():
    week_ago = [(Channel.EMAIL, NOW - timedelta(days=7)), (Channel.EMAIL, NOW - timedelta(days=2))]
    assert slot_frees_at(BLUEPRINT_FREQUENCY_CAPS, Channel.EMAIL, week_ago, NOW) is None
    just_inside = [
        (Channel.EMAIL, NOW - timedelta(days=7) + timedelta(seconds=1)),
        (Channel.EMAIL, NOW - timedelta(days=2)),
    ]
    frees = slot_frees_at(BLUEPRINT_FREQUENCY_CAPS, Channel.EMAIL, just_inside, NOW)
    assert frees == NOW + timedelta(seconds=1)


def test_journey_cap_tightens_the_global_ones_and_the_latest_freeing_wins():
    caps = [
        *BLUEPRINT_FREQUENCY_CAPS,
        FrequencyCap(channel=None, limit=1, window=timedelta(days=1)),
    ]
    earlier = [(Channel.PUSH, NOW - timedelta(hours=3))]
    assert slot_frees_at(caps, Channel.PUSH, earlier, NOW) == NOW + timedelta(hours=21)


def test_quiet_hours_follow_the_customer_time_zone_across_midnight():
    quiet = QuietHours(start=time(21, 0), end=time(8, 0))
    # 20:30 UTC is 21:30 in Paris (quiet, ends 08:00 Paris = 07:00 UTC next day)
    # and 15:30 in New York (not quiet): same instant, two answers.
    instant = datetime(2026, 1, 15, 20, 30, tzinfo=UTC)
    assert quiet_hours_end(quiet, instant, customer_zone("Europe/Paris")) == datetime(
        2026, 1, 16, 7, 0, tzinfo=UTC
    )
    assert quiet_hours_end(quiet, instant, customer_zone("America/New_York")) is None
    # 06:00 UTC is 01:00 in New York (quiet until 08:00 New York = 13:00 UTC, same local day).
    early = datetime(2026, 1, 16, 6, 0, tzinfo=UTC)
    assert quiet_hours_end(quiet, early, customer_zone("America/New_York")) == datetime(
        2026, 1, 16, 13, 0, tzinfo=UTC
    )
    # Boundaries: start is quiet, end is not.
    paris = customer_zone("Europe/Paris")
    assert quiet_hours_end(quiet, datetime(2026, 1, 15, 20, 0, tzinfo=UTC), paris) is not None
    assert quiet_hours_end(quiet, datetime(2026, 1, 16, 7, 0, tzinfo=UTC), paris) is None


def test_quiet_hours_end_respects_a_daylight_saving_change_overnight():
    quiet = QuietHours(start=time(22, 0), end=time(7, 0))
    # Night of 28-29 March 2026 in Paris: clocks go from UTC+1 to UTC+2.
    night = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert quiet_hours_end(quiet, night, customer_zone("Europe/Paris")) == datetime(
        2026, 3, 29, 5, 0, tzinfo=UTC
    )


def test_unknown_time_zone_is_refused_naming_the_field():
    with pytest.raises(InvalidTimeZoneError) as raised:
        customer_zone("Mars/Olympus")
    assert (
        str(raised.value) == "timezone: unknown IANA time zone 'Mars/Olympus' (e.g. Europe/Paris)"
    )


def test_seed_000_template_personalised_then_segment_then_generic():
    full = render_message(
        "churn_outreach",
        {"first_name": "Ada", "risk_factor_statement": "your usage dropped 40% this month"},
    )
    assert full.source is ContentSource.PERSONALISED
    assert full.body.startswith("Hi Ada, I noticed your usage dropped 40% this month.")
    assert full.links == ["https://example.com/book-a-call"]
    segment = render_message("churn_outreach", {"first_name": "Ada", "segment": "enterprise"})
    assert segment.source is ContentSource.SEGMENT
    assert "{{" not in segment.body
    assert "Ada" not in segment.body
    generic = render_message("churn_outreach", {"first_name": "", "risk_factor_statement": "x"})
    assert generic.source is ContentSource.GENERIC
    assert generic.subject == "A quick check-in"


def test_unknown_template_is_refused_naming_the_field():
    with pytest.raises(InvalidInputError, match="template"):
        render_message("no_such_template", {})


@pytest.mark.parametrize("decided_at", ["decision_day_7_next_feature", "decision_pick_feature"])
def test_the_feature_spotlight_and_tooltip_name_the_recommended_feature(decided_at: str) -> None:
    spotlight = render_message("feature_spotlight", {decided_at: "automations"})
    tooltip = render_message("feature_tooltip", {decided_at: "automations"})
    assert spotlight.subject == "Feature Spotlight: automations"
    assert "used automations next" in spotlight.body
    assert tooltip.subject == "Try automations"
    assert spotlight.source is ContentSource.PERSONALISED
    unnamed = render_message("feature_spotlight", {})
    assert (unnamed.subject, unnamed.source) == ("Feature Spotlight", ContentSource.GENERIC)
