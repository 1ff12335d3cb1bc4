"""A self-contained HTML page charting simulations: the step funnel and sends per day.

Inline SVG, no script and no external asset, so it opens offline.
"""

from __future__ import annotations

from html import escape

from journeys.simulation.report import SimulationReport

CHANNEL_COLOURS = ("#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2")
"""Line colours of the channels, in sorted channel order."""

BAR_HEIGHT = 18
WIDTH = 720
LABEL_WIDTH = 230


def _funnel_svg(report: SimulationReport) -> str:
    steps = [step for step in report.steps if report.funnel[step]]
    total = report.customers or 1
    height = BAR_HEIGHT * len(steps) + 10
    bar_room = WIDTH - LABEL_WIDTH - 110
    rows = []
    for row, step in enumerate(steps):
        count = report.funnel[step]
        y = row * BAR_HEIGHT + 5
        width = max(1.0, bar_room * count / total)
        rows.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end">{escape(step)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{width:.1f}" height="{BAR_HEIGHT - 4}"'
            f' fill="#2563eb"><title>{escape(step)}: {count}</title></rect>'
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + 13}">'
            f"{count} ({100 * count / total:.1f}%)</text>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}"'
        f' font-family="sans-serif" font-size="11">{"".join(rows)}</svg>'
    )


def _sends_svg(report: SimulationReport) -> str:
    height, left, bottom, top = 260, 50, 30, 10
    plot_width, plot_height = WIDTH - left - 120, height - top - bottom
    days = report.days
    series = {channel: report.sends_per_day(channel) for channel in report.channels}
    peak = max((max(counts) for counts in series.values()), default=0) or 1
    parts = [
        f'<line x1="{left}" y1="{top + plot_height}" x2="{left + plot_width}"'
        f' y2="{top + plot_height}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_height}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{peak}</text>',
        f'<text x="{left - 4}" y="{top + plot_height}" text-anchor="end">0</text>',
    ]

    def x(day: int) -> float:
        return left + plot_width * day / max(days, 1)

    def y(count: int) -> float:
        return top + plot_height * (1 - count / peak)

    for day in range(0, days + 1, max(1, days // 10)):
        parts.append(
            f'<text x="{x(day):.1f}" y="{top + plot_height + 14}" text-anchor="middle">{day}</text>'
        )
    middle = left + plot_width / 2
    parts.append(f'<text x="{middle}" y="{height - 2}" text-anchor="middle">journey day</text>')
    for index, (channel, counts) in enumerate(series.items()):
        colour = CHANNEL_COLOURS[index % len(CHANNEL_COLOURS)]
        points = " ".join(f"{x(day):.1f},{y(count):.1f}" for day, count in enumerate(counts))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
        parts += [
            f'<circle cx="{x(day):.1f}" cy="{y(count):.1f}" r="2.5" fill="{colour}">'
            f"<title>{escape(channel)} day {day}: {count}</title></circle>"
            for day, count in enumerate(counts)
            if count
        ]
        legend_y = top + 14 * index + 8
        parts.append(
            f'<rect x="{left + plot_width + 12}" y="{legend_y - 8}" width="10" height="10"'
            f' fill="{colour}"/><text x="{left + plot_width + 26}" y="{legend_y + 1}">'
            f"{escape(channel)} ({sum(counts)})</text>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}"'
        f' font-family="sans-serif" font-size="11">{"".join(parts)}</svg>'
    )


def chart_html(reports: list[SimulationReport]) -> str:
    """One HTML page with, per report, its step funnel and its sends per channel per day."""
    sections = []
    for report in reports:
        sections.append(
            f"<section><h2>{escape(report.journey)}</h2>"
            f"<p>{report.customers} customers, {report.days} days ({escape(report.source)})</p>"
            f"<h3>Step funnel (customers who entered each step)</h3>{_funnel_svg(report)}"
            f"<h3>Sends per channel per journey day</h3>{_sends_svg(report)}</section>"
        )
    title = " vs ".join(escape(report.journey) for report in reports)
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>Simulation: {title}</title>"
        "<style>body{font-family:sans-serif;margin:2em}section{display:inline-block;"
        "vertical-align:top;margin-right:2em}</style></head>"
        f"<body><h1>Simulation: {title}</h1>{''.join(sections)}</body></html>"
    )
