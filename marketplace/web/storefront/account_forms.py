"""The buyer's account forms. Their values are checked by the API's own schemas (form_checks.loaded)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from marketplace.accounts.passwords import MIN_PASSWORD_LENGTH


class ProfileForm(FlaskForm):
    full_name = StringField("Full name")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password")
    new_password = PasswordField("New password")


class AddressForm(FlaskForm):
    name = StringField("Recipient's name")
    line1 = StringField("Street and number")
    line2 = StringField("Flat, floor, building (optional)")
    city = StringField("City")
    region = StringField("State, province or region")
    postal_code = StringField("Postal code")
    country = StringField("Country code")
    phone = StringField("Phone (optional)")


PASSWORD_HINT = f"At least {MIN_PASSWORD_LENGTH} characters."
COUNTRY_HINT = "Two capital letters, e.g. PT, US, DE."
