"""Amounts as sellers type them in the portal's forms (the checking of forms is marketplace/web/forms.py)."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision


def minor_units(text: str | None, currency: str) -> int | str | None:
    """A price typed as `19.99` in minor units (1999); text that is no amount is passed on for the schema to refuse."""
    if text in (None, ""):
        return None
    try:
        amount = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        return text
    scaled = amount.scaleb(get_currency_precision(currency))
    return int(scaled) if scaled == scaled.to_integral_value() else text


def major_units(amount: int | None, currency: str) -> str:
    """Minor units as the amount a seller types (`1999` -> `19.99`); empty for none."""
    if amount is None:
        return ""
    return str(Decimal(amount).scaleb(-get_currency_precision(currency)))
