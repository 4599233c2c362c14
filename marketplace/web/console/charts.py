"""The revenue chart as plain geometry for an SVG drawn by the template (no script, no inline style).

One chart per currency (amounts of different currencies do not add up): a
bar per period of its net revenue, above or below a zero line, with the
highest and lowest figures marked. The page carries the same figures as a
table for readers who cannot see the chart.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marketplace.web.formatting import local_date, money

WIDTH, HEIGHT = 640, 240
PLOT_TOP, PLOT_BOTTOM, PLOT_LEFT, PLOT_RIGHT = 16, 200, 80, 624
MAX_BAR_WIDTH = 64


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    figure: str
    negative: bool


@dataclass(frozen=True)
class Chart:
    currency: str
    title: str
    description: str
    zero_y: float
    top_label: str
    bottom_label: str
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT
    plot_top: int = PLOT_TOP
    plot_bottom: int = PLOT_BOTTOM


def revenue_chart(currency: str, period: str, rows: list[dict[str, Any]]) -> Chart:
    """Bars of `net_revenue` per period of one currency's rows (oldest first)."""
    figures = [row["net_revenue"] for row in rows]
    highest, lowest = max(figures + [0]), min(figures + [0])
    span = (highest - lowest) or 1
    scale = (PLOT_BOTTOM - PLOT_TOP) / span
    zero_y = PLOT_TOP + highest * scale
    slot = (PLOT_RIGHT - PLOT_LEFT) / max(len(rows), 1)
    bar_width = min(slot * 0.7, MAX_BAR_WIDTH)
    bars = []
    for index, row in enumerate(rows):
        amount = row["net_revenue"]
        bars.append(Bar(x=round(PLOT_LEFT + index * slot + (slot - bar_width) / 2, 1),
                        y=round(min(zero_y, zero_y - amount * scale), 1), width=round(bar_width, 1),
                        height=round(max(abs(amount) * scale, 1), 1), label=local_date(row["period_start"]),
                        figure=money(amount, currency), negative=amount < 0))
    title = f"Net revenue in {currency} per {period}"
    description = (f"{len(rows)} {period}s from {bars[0].label} to {bars[-1].label}; highest "
                   f"{money(highest, currency)}, lowest {money(lowest, currency)}." if bars else "No revenue yet.")
    return Chart(currency=currency, title=title, description=description, zero_y=round(zero_y, 1),
                 top_label=money(highest, currency), bottom_label=money(lowest, currency), bars=bars)
