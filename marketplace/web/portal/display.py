"""Small page-only wordings of the portal, as template filters."""
from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date
from flask import g

from marketplace.web.formatting import LOCALE
from marketplace.web.portal.blueprint import blp


@blp.app_template_filter("time_left")
def time_left(due_at: datetime, now: datetime) -> str:
    """An SLA deadline as a countdown: `3 h 20 min left`, or `overdue by 15 min`."""
    seconds = int((due_at - now).total_seconds())
    hours, minutes = divmod(abs(seconds) // 60, 60)
    span = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return f"{span} left" if seconds >= 0 else f"overdue by {span}"


@blp.app_template_filter("day")
def day(value: date, style: str = "medium") -> str:
    """A calendar day (the chart's UTC days), which no time zone shifts."""
    return format_date(value, style, locale=LOCALE)


@blp.context_processor
def seller_seat() -> dict:
    """Every portal page knows its seller and the viewer's role there (None outside a seller's pages)."""
    return {"seat": g.get("seat")}
