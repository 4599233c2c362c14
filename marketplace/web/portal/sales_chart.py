"""The dashboard's sales chart as plain SVG geometry: one bar per day, drawn by the template without any script.

The chart is an image to assistive technology (role="img" with a title and a
description); the same figures are in a table beside it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 600, 200
AXIS_SPACE = 24  # below the bars, for the first and last day's labels
BAR_GAP = 2


@dataclass(frozen=True)
class Bar:
    day: date
    amount: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class SalesChart:
    bars: list[Bar]
    currency: str
    total: int
    best_day: Bar | None
    width: int = WIDTH
    height: int = HEIGHT
    plot_height: int = HEIGHT - AXIS_SPACE

    @classmethod
    def of(cls, totals: dict[date, int], currency: str) -> "SalesChart":
        days = sorted(totals)
        highest = max(totals.values(), default=0) or 1
        slot = WIDTH / max(len(days), 1)
        plot_height = HEIGHT - AXIS_SPACE
        bars = []
        for index, day in enumerate(days):
            height = round(plot_height * totals[day] / highest, 1)
            bars.append(Bar(day=day, amount=totals[day], x=round(index * slot + BAR_GAP / 2, 1),
                            y=round(plot_height - height, 1), width=round(slot - BAR_GAP, 1), height=height))
        selling_days = [bar for bar in bars if bar.amount > 0]
        best = max(selling_days, key=lambda bar: bar.amount, default=None)
        return cls(bars=bars, currency=currency, total=sum(totals.values()), best_day=best)
