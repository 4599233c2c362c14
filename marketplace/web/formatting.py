"""Prices in their currency's format and times in the viewer's time zone (Babel's CLDR data).

The viewer's zone comes from the `tz` cookie that site.js sets from the
browser (`Intl`); without it, or with a zone the server does not know, UTC.
Amounts are integer minor units, as everywhere (DESIGN.md section 4).
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, get_currency_precision
from flask import Flask, g, request

LOCALE = "en_US"
TIME_ZONE_COOKIE = "tz"


def money(amount: int | None, currency: str) -> str:
    """`1999, "USD"` -> `$19.99`; `1999, "JPY"` -> `¥1,999` (the currency's own number of decimals)."""
    if amount is None:
        return ""
    major = Decimal(amount).scaleb(-get_currency_precision(currency))
    return format_currency(major, currency, locale=LOCALE)


def status_label(status) -> str:
    """A status as people read it: `awaiting_acceptance` -> `Awaiting acceptance` (an enum or its value)."""
    return str(getattr(status, "value", status)).replace("_", " ").capitalize()


def viewer_time_zone():
    if "viewer_time_zone" not in g:
        g.viewer_time_zone = _zone(request.cookies.get(TIME_ZONE_COOKIE, ""))
    return g.viewer_time_zone


def local_datetime(moment: datetime | None, style: str = "medium") -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return format_datetime(moment, style, tzinfo=viewer_time_zone(), locale=LOCALE)


def local_date(moment: datetime | None, style: str = "medium") -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return format_date(moment.astimezone(viewer_time_zone()).date(), style, locale=LOCALE)


def _zone(name: str):
    if not name or len(name) > 64:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def init_app(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(local_datetime, "datetime")
    app.add_template_filter(local_date, "date")
    app.add_template_filter(status_label, "status_label")
